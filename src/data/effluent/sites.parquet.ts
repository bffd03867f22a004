// One row per effluent site (dataset): its consent threshold and time zone from dataset.json,
// where its factory readings come from, its span, and what the analysis noted.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["effluent_sites"],
  sql: `SELECT dataset, threshold_mgl, timezone, time_format, factory_source, factories, export_readings, first_reading, last_reading, note
        FROM effluent_sites ORDER BY dataset`
});
