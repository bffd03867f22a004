// Silver data quality by emission pattern: valid, estimated, outage and still-missing intervals.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["readings", "readings_bronze", "fleet"],
  sql: `WITH expected AS (SELECT (SELECT count(*) FROM fleet) * (SELECT count(DISTINCT reading_ts) FROM readings) AS n),
        silver AS (SELECT run_pattern, data_quality, count(*) AS n FROM readings GROUP BY ALL),
        missing AS (SELECT run_pattern, 'MISSING' AS data_quality, (SELECT n FROM expected) - count(*) AS n FROM readings GROUP BY ALL),
        bronze AS (SELECT run_pattern, count(*) AS deliveries, count(DISTINCT (payload->>'meter_id', payload->>'reading_ts')) AS readings FROM readings_bronze GROUP BY ALL)
        SELECT q.run_pattern AS pattern, q.data_quality, q.n, q.n / (SELECT n FROM expected) AS share, b.readings / (SELECT n FROM expected) AS report_rate, b.deliveries - b.readings AS duplicates
        FROM (SELECT * FROM silver UNION ALL SELECT * FROM missing) q JOIN bronze b USING (run_pattern) ORDER BY pattern, data_quality`
});
