// The reconstructed book per dataset and second: best quotes, mid, spread, depth, and the replay's flags.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["market_events"],
  sql: `SELECT dataset, date_trunc('second', make_timestamp_ns(event_ts_ns)) AS second,
               arg_max(best_bid, event_ts_ns)::DOUBLE AS best_bid, arg_max(best_ask, event_ts_ns)::DOUBLE AS best_ask,
               arg_max(mid, event_ts_ns)::DOUBLE AS mid, avg(spread)::DOUBLE AS spread_avg, max(spread)::DOUBLE AS spread_max,
               avg(imbalance_5) AS imbalance_5, count(*) AS events,
               count(*) FILTER (WHERE event_type = 'TRADE') AS trades,
               avg(gap::INT) AS gap_share, count(*) FILTER (WHERE resync) AS resyncs, max(drift) AS drift_max
        FROM market_events GROUP BY ALL ORDER BY dataset, second`
});
