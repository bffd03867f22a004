// The bundled market's fidelity acf (see src/lib/market/plugin.ts).
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["fidelity_acf"],
  sql: "SELECT * EXCLUDE (_job_id, _file_version_id, _file_id) FROM fidelity_acf"
});
