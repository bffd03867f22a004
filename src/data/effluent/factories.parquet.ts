// Every factory sensor reading per dataset, with the tamper finding covering it (status).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["factory_readings"],
  sql: "SELECT dataset, ts, factory_id, cod, tss, status FROM factory_readings ORDER BY dataset, factory_id, ts"
});
