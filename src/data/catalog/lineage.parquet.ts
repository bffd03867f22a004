// Lineage of every promoted file: topic → job (and the code version that ran it) → file version (content hash) → file path.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["catalog_outputs", "catalog_jobs", "catalog_versions"],
  sql: `SELECT o.topic, o.path AS warehouse_file, o.rows, j.job_id, j.plugin, j.code_version, j.path AS source_path, j.file_version_id, v.content_hash, v.first_seen AS version_first_seen
        FROM catalog_outputs o JOIN catalog_jobs j USING (job_id) JOIN catalog_versions v USING (file_version_id)
        ORDER BY o.topic, j.job_id`
});
