// Each strategy's top-of-book error per 10 seconds.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["market_error_series"],
  sql: "SELECT strategy, bucket_start, exact_share, best_bid_rmse, best_ask_rmse FROM market_error_series ORDER BY strategy, bucket_start"
});
