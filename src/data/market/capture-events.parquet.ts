// The market's capture events per dataset (see src/lib/market/plugin.ts).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["capture_events"],
  sql: "SELECT dataset, file, local_time, type, detail FROM capture_events ORDER BY dataset, local_time"
});
