// Every plugin job with its state, attempts and error.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["catalog_jobs"],
  sql: `SELECT job_id, plugin, path, tag, status, priority, attempts, error, created_at, started_at, finished_at, rows,
               epoch_ms(finished_at) - epoch_ms(started_at) AS duration_ms
        FROM catalog_jobs ORDER BY job_id`
});
