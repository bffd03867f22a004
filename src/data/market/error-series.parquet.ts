// Each strategy's top-of-book error per 10 seconds.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["market_error_series"],
  sql: "SELECT dataset, strategy, bucket_start, exact_share, best_bid_rmse, best_ask_rmse FROM market_error_series ORDER BY dataset, strategy, bucket_start"
});
