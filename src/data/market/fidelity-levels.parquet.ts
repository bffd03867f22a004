// The bundled market's fidelity levels (see src/lib/market/plugin.ts).
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["fidelity_levels"],
  sql: "SELECT * EXCLUDE (_job_id, _file_version_id, _file_id) FROM fidelity_levels"
});
