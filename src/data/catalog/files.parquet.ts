// Every file location the scout has seen, with its current version and how many versions it had.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["catalog_files", "catalog_location_versions"],
  sql: `SELECT f.file_id, f.source_root || '/' || f.rel_path AS path, f.size, f.file_version_id, f.content_hash, f.first_seen, f.last_seen, f.missing,
               (SELECT count(DISTINCT lv.file_version_id) FROM catalog_location_versions lv WHERE lv.file_id = f.file_id) AS versions
        FROM catalog_files f ORDER BY path`
});
