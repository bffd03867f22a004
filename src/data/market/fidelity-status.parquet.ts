// Per dataset with a capture: whether build-time fidelity compared its history with it, and why not (src/lib/market/dataset-tables.ts).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["fidelity_status"],
  sql: "SELECT dataset, state, overlap_seconds, golden_files, note FROM fidelity_status ORDER BY dataset"
});
