// Silver data quality per dataset and emission pattern: valid, estimated, outage and still-missing intervals.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["readings", "readings_bronze", "fleet"],
  sql: `WITH meters AS (SELECT dataset, count(*) AS n FROM fleet GROUP BY ALL),
        slots AS (SELECT dataset, count(DISTINCT reading_ts) AS n FROM readings GROUP BY ALL),
        expected AS (SELECT dataset, meters.n * slots.n AS n FROM meters JOIN slots USING (dataset)),
        silver AS (SELECT dataset, run_pattern, data_quality, count(*) AS n FROM readings GROUP BY ALL),
        missing AS (SELECT r.dataset, r.run_pattern, 'MISSING' AS data_quality, any_value(e.n) - count(*) AS n FROM readings r JOIN expected e USING (dataset) GROUP BY ALL),
        bronze AS (SELECT dataset, run_pattern, count(*) AS deliveries, count(DISTINCT (payload->>'meter_id', payload->>'reading_ts')) AS readings FROM readings_bronze GROUP BY ALL)
        SELECT q.dataset, q.run_pattern AS pattern, q.data_quality, q.n, q.n / e.n AS share, b.readings / e.n AS report_rate, b.deliveries - b.readings AS duplicates
        FROM (SELECT * FROM silver UNION ALL SELECT * FROM missing) q JOIN expected e USING (dataset) LEFT JOIN bronze b USING (dataset, run_pattern)
        ORDER BY q.dataset, pattern, data_quality`
});
