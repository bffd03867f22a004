// Each strategy's reconstruction error against the simulator's truth, with the replay's counters.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["market_accuracy"],
  sql: "SELECT dataset, strategy, events, seconds, windows, exact_share, best_bid_rmse, best_ask_rmse, gaps, missing_updates, resyncs, crossed_events, out_of_order, drift_mean, drift_max FROM market_accuracy ORDER BY dataset, exact_share DESC"
});
