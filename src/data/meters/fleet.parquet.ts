// The meter fleet: segment, place in the grid, location.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["fleet"],
  sql: "SELECT meter_id, customer_segment, transformer_id, circuit_id, substation_id, lat, lon FROM fleet ORDER BY meter_id"
});
