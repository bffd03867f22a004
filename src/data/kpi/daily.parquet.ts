// Daily KPIs per metric.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["metric_daily"],
  sql: "SELECT metric, day, value_sum, value_count, value_avg, value_distinct FROM metric_daily ORDER BY metric, day"
});
