// The meter fleet per dataset: segment, place in the grid, location.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["fleet"],
  sql: "SELECT dataset, meter_id, customer_segment, transformer_id, circuit_id, substation_id, lat, lon FROM fleet ORDER BY dataset, meter_id"
});
