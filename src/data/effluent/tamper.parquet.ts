// Tamper findings per dataset, and (on simulated data) the injected windows they should find.
// A SITE_OUTAGE belongs to the plant (no factory_id): it is listed as "plant".
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["tamper_events", "truth_tamper"],
  sql: `
    SELECT dataset, 'found' AS source, coalesce(factory_id, 'plant') AS factory_id, kind, window_start, window_end, detail FROM tamper_events
    UNION ALL SELECT dataset, 'injected' AS source, factory_id, kind, window_start, window_end, coalesce('copied from ' || source, '') AS detail FROM truth_tamper
    ORDER BY dataset, window_start`
});
