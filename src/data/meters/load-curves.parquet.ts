// Mean kWh per meter-hour per dataset and run, by segment, local hour of day and weekday/weekend:
// from gold's hourly rollup, which is already in each dataset's own local time (the simulated
// fleets' India time, a readings dataset's time_zone) and in kWh per hour whatever the meters'
// interval. Only complete hours count, so outages and gaps do not pull the curve down.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["meter_hourly", "fleet"],
  sql: `SELECT h.dataset, h.run_pattern, coalesce(f.customer_segment, 'all meters') AS customer_segment, hour(h.hour) AS hour,
               CASE WHEN dayofweek(h.hour) IN (0, 6) THEN 'weekend' ELSE 'weekday' END AS day_type,
               avg(h.usage_kwh) AS usage_kwh
        FROM meter_hourly h JOIN fleet f USING (dataset, meter_id)
        WHERE h.completeness >= 1 GROUP BY ALL ORDER BY ALL`
});
