// Fleet energy per local hour and day (complete run): the hour × day heatmap.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["meter_hourly"],
  sql: `SELECT hour::DATE AS day, hour(hour) AS hour_of_day, sum(usage_kwh) AS usage_kwh FROM meter_hourly WHERE run_pattern = 'UNIFORM' GROUP BY ALL ORDER BY ALL`
});
