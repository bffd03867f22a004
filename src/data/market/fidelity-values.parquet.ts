// The market's fidelity values per dataset (see src/lib/market/plugin.ts).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["fidelity_values"],
  sql: "SELECT dataset, metric, source, value FROM fidelity_values ORDER BY dataset, metric, source"
});
