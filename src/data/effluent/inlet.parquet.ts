// CETP inlet COD per dataset, one row a minute: the series the tripwire watches.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["cetp_readings"],
  sql: "SELECT dataset, ts, inlet_cod, inlet_tss, outlet_cod FROM cetp_readings ORDER BY dataset, ts"
});
