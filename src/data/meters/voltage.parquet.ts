// Voltage distribution by segment (0.5 V bins, complete run, outages excluded).
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["readings"],
  sql: `SELECT customer_segment, floor(voltage * 2) / 2 AS volts, count(*) AS readings FROM readings WHERE run_pattern = 'UNIFORM' AND NOT is_outage GROUP BY ALL ORDER BY ALL`
});
