// The bundled market's fidelity values (see src/lib/market/plugin.ts).
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["fidelity_values"],
  sql: "SELECT * EXCLUDE (_job_id, _file_version_id, _file_id) FROM fidelity_values"
});
