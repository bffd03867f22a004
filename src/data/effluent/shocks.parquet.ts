// Shock events per dataset with both methods' verdicts side by side, and the simulator's truth when
// there is one. The consent threshold a shock crossed is its peak less its breach.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["shock_events", "attributions", "truth_shocks"],
  sql: `
    WITH ours AS (SELECT * FROM attributions WHERE method = 'robust_lag'),
         base AS (SELECT * FROM attributions WHERE method = 'fixed_lookback')
    SELECT e.dataset, e.event_id, e.start_ts, e.peak_ts, e.end_ts, e.peak_cod, e.breach, e.peak_cod - e.breach AS threshold, e.level,
           ours.factory_id AS ours_factory, ours.score AS ours_score, ours.confidence AS ours_confidence, ours.lag_minutes AS ours_lag, ours.evidence AS ours_evidence,
           base.factory_id AS baseline_factory, base.factory_cod AS baseline_cod,
           (SELECT any_value(coalesce(t.factory_id, 'none')) FROM truth_shocks t
            WHERE t.dataset = e.dataset AND t.inlet_start <= e.end_ts AND e.start_ts <= t.inlet_end) AS truth_factory
    FROM shock_events e LEFT JOIN ours USING (dataset, event_id) LEFT JOIN base USING (dataset, event_id)
    ORDER BY e.dataset, e.start_ts`
});
