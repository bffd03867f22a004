// Each strategy's reconstruction error against the simulator's truth, with the replay's counters.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["market_accuracy"],
  sql: "SELECT * EXCLUDE (_job_id, _file_version_id, _file_id) FROM market_accuracy ORDER BY exact_share DESC"
});
