// Every factory sensor reading, with the tamper finding covering it (status).
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["factory_readings"],
  sql: "SELECT ts, factory_id, cod, tss, status FROM factory_readings ORDER BY factory_id, ts"
});
