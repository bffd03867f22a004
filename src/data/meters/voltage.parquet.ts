// Voltage distribution per dataset, run and segment (0.5 V bins, outages excluded).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["readings"],
  sql: `SELECT dataset, run_pattern, customer_segment, floor(voltage * 2) / 2 AS volts, count(*) AS readings FROM readings WHERE NOT is_outage GROUP BY ALL ORDER BY ALL`
});
