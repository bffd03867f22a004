// Mean kWh per 15-minute interval per dataset and run, by segment, local hour of day (India, UTC+5:30,
// the fleets' time zone until the readings carry theirs) and weekday/weekend.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["readings"],
  sql: `SELECT dataset, run_pattern, customer_segment, hour(reading_ts + INTERVAL 330 MINUTE) + minute(reading_ts + INTERVAL 330 MINUTE) / 60 AS hour,
               CASE WHEN dayofweek(reading_ts + INTERVAL 330 MINUTE) IN (0, 6) THEN 'weekend' ELSE 'weekday' END AS day_type,
               avg(usage_kwh) AS usage_kwh
        FROM readings WHERE NOT is_outage GROUP BY ALL ORDER BY ALL`
});
