// The next 28 days of each dataset's metrics: the chosen model's forecast with 80% and 95% intervals.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["forecasts"],
  sql: "SELECT dataset, metric, day, model, yhat, lo80, hi80, lo95, hi95 FROM forecasts ORDER BY dataset, metric, day"
});
