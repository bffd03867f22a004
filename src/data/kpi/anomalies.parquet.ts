// Anomaly verdicts of both detectors, with the simulator's truth where there is one.
import {emitWarehouseParquet, listTopics} from "../../lib/catalog/warehouse.js";

const hasTruth = listTopics().some((t) => t.topic === "kpi_truth");
await emitWarehouseParquet({
  topics: ["anomalies", ...(hasTruth ? ["kpi_truth"] : [])],
  sql: `SELECT a.metric, a.day, a.value, a.method, coalesce(a.zscore, a.iforest_score) AS score, a.is_anomaly,
               ${hasTruth ? "t.kind" : "NULL::VARCHAR"} AS truth_kind
        FROM anomalies a ${hasTruth ? "LEFT JOIN kpi_truth t USING (metric, day)" : ""}
        ORDER BY a.metric, a.day, a.method`
});
