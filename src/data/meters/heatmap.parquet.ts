// Fleet energy per hour and day, per dataset and run (emission pattern): the hour × day heatmap.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["meter_hourly"],
  sql: `SELECT dataset, run_pattern, hour::DATE AS day, hour(hour) AS hour_of_day, sum(usage_kwh) AS usage_kwh FROM meter_hourly GROUP BY ALL ORDER BY ALL`
});
