// Daily KPIs per dataset and metric.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["metric_daily"],
  sql: "SELECT dataset, metric, day, aggregation, value, value_sum, value_count, value_avg, value_distinct FROM metric_daily ORDER BY dataset, metric, day"
});
