// Every plugin job with its state, attempts and error.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["catalog_jobs"],
  sql: `SELECT job_id, plugin, path, tag, status, priority, attempts, error, created_at, started_at, finished_at, rows,
               epoch_ms(finished_at) - epoch_ms(started_at) AS duration_ms
        FROM catalog_jobs ORDER BY job_id`
});
