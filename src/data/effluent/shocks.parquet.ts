// Shock events with both methods' verdicts side by side, and the simulator's truth when there is one.
import {emitWarehouseParquet, listTopics} from "../../lib/catalog/warehouse.js";

const hasTruth = listTopics().some((t) => t.topic === "truth_shocks");
await emitWarehouseParquet({
  topics: ["shock_events", "attributions", ...(hasTruth ? ["truth_shocks"] : [])],
  sql: `
    WITH ours AS (SELECT * FROM attributions WHERE method = 'robust_lag'),
         base AS (SELECT * FROM attributions WHERE method = 'fixed_lookback')
    SELECT e.event_id, e.start_ts, e.peak_ts, e.end_ts, e.peak_cod, e.breach, e.level,
           ours.factory_id AS ours_factory, ours.score AS ours_score, ours.confidence AS ours_confidence, ours.lag_minutes AS ours_lag, ours.evidence AS ours_evidence,
           base.factory_id AS baseline_factory, base.factory_cod AS baseline_cod,
           ${hasTruth ? `(SELECT any_value(coalesce(t.factory_id, 'none')) FROM truth_shocks t WHERE t.inlet_start <= e.end_ts AND e.start_ts <= t.inlet_end)` : "NULL::VARCHAR"} AS truth_factory
    FROM shock_events e LEFT JOIN ours USING (event_id) LEFT JOIN base USING (event_id)
    ORDER BY e.start_ts`
});
