// Anomaly verdicts of both detectors per dataset, with the simulator's truth where there is one.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["anomalies", "kpi_truth"],
  sql: `SELECT a.dataset, a.metric, a.day, a.value, a.method, coalesce(a.zscore, a.iforest_score) AS score, a.is_anomaly, t.kind AS truth_kind
        FROM anomalies a LEFT JOIN kpi_truth t USING (dataset, metric, day)
        ORDER BY a.dataset, a.metric, a.day, a.method`
});
