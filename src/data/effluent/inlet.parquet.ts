// CETP inlet COD, one row a minute: the series the tripwire watches.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["cetp_readings"],
  sql: "SELECT ts, inlet_cod, inlet_tss, outlet_cod FROM cetp_readings ORDER BY ts"
});
