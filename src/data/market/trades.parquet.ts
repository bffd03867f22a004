// Trades per dataset, second and side: volume-weighted price and volume.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["market_trades"],
  sql: `SELECT dataset, date_trunc('second', origin_time::TIMESTAMP) AS second, side, sum(price * quantity) / sum(quantity) AS vwap, sum(quantity) AS volume, count(*) AS trades
        FROM market_trades GROUP BY ALL ORDER BY dataset, second, side`
});
