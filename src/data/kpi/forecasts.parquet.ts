// The next 28 days of each metric: the chosen model's forecast with 80% and 95% intervals.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["forecasts"],
  sql: "SELECT metric, day, model, yhat, lo80, hi80, lo95, hi95 FROM forecasts ORDER BY metric, day"
});
