// Tamper findings, and (on simulated data) the injected windows they should find.
// A SITE_OUTAGE belongs to the plant (no factory_id): it is listed as "plant".
import {emitWarehouseParquet, listTopics} from "../../lib/catalog/warehouse.js";

const hasTruth = listTopics().some((t) => t.topic === "truth_tamper");
await emitWarehouseParquet({
  topics: ["tamper_events", ...(hasTruth ? ["truth_tamper"] : [])],
  sql: `
    SELECT 'found' AS source, coalesce(factory_id, 'plant') AS factory_id, kind, window_start, window_end, detail FROM tamper_events
    ${hasTruth ? "UNION ALL SELECT 'injected' AS source, factory_id, kind, window_start, window_end, coalesce('copied from ' || source, '') AS detail FROM truth_tamper" : ""}
    ORDER BY window_start`
});
