// Each factory's travel time to the inlet per dataset, learned from history by cross-correlation.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["travel_times"],
  sql: "SELECT dataset, factory_id, lag_minutes, clarity FROM travel_times ORDER BY dataset, factory_id"
});
