// The market's fidelity levels per dataset (see src/lib/market/plugin.ts).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["fidelity_levels"],
  sql: "SELECT dataset, side, level, rho FROM fidelity_levels ORDER BY dataset, side, level"
});
