// The bundled market's capture events (see src/lib/market/plugin.ts).
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["capture_events"],
  sql: "SELECT * EXCLUDE (_job_id, _file_version_id, _file_id) FROM capture_events"
});
