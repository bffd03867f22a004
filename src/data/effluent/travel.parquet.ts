// Each factory's travel time to the inlet, learned from history by cross-correlation.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["travel_times"],
  sql: "SELECT factory_id, lag_minutes, clarity FROM travel_times ORDER BY factory_id"
});
