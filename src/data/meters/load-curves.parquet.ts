// Mean kWh per 15-minute interval by segment, local hour of day and weekday/weekend (complete run).
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["readings"],
  sql: `SELECT customer_segment, hour(reading_ts + INTERVAL 330 MINUTE) + minute(reading_ts + INTERVAL 330 MINUTE) / 60 AS hour,
               CASE WHEN dayofweek(reading_ts + INTERVAL 330 MINUTE) IN (0, 6) THEN 'weekend' ELSE 'weekday' END AS day_type,
               avg(usage_kwh) AS usage_kwh
        FROM readings WHERE run_pattern = 'UNIFORM' AND NOT is_outage GROUP BY ALL ORDER BY ALL`
});
