// Trades per dataset, second and side: volume-weighted price and volume — the simulated history's
// trades (market_trades) or, for a dataset without them, the trades its replay wrote to market_events.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["market_trades", "market_events"],
  sql: `WITH t AS (
          SELECT dataset, origin_time::TIMESTAMP AS time, side, price::DOUBLE AS price, quantity::DOUBLE AS quantity FROM market_trades
          UNION ALL
          SELECT dataset, make_timestamp_ns(event_ts_ns)::TIMESTAMP, trade_side::VARCHAR, trade_price::DOUBLE, trade_quantity::DOUBLE
          FROM market_events WHERE event_type = 'TRADE' AND dataset NOT IN (SELECT dataset FROM market_trades))
        SELECT dataset, date_trunc('second', time) AS second, side, sum(price * quantity) / sum(quantity) AS vwap, sum(quantity) AS volume, count(*) AS trades
        FROM t GROUP BY ALL ORDER BY dataset, second, side`
});
