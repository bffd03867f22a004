// The market's fidelity acf per dataset (see src/lib/market/plugin.ts).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["fidelity_acf"],
  sql: "SELECT dataset, lag, reconstructed, golden FROM fidelity_acf ORDER BY dataset, lag"
});
