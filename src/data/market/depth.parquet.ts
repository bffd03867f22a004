// Depth by price level over time, per dataset: the last snapshot of every 2-second bucket, one row per level.
import {emitPageParquet} from "../../lib/site/page-data.js";

const levels = Array.from({length: 20}, (_, i) => i);
const unpivot = [
  ...levels.map(
    (i) => `SELECT dataset, bucket, 'bid' AS side, bid_${i}_price AS price, bid_${i}_size AS size FROM last`
  ),
  ...levels.map(
    (i) => `SELECT dataset, bucket, 'ask' AS side, ask_${i}_price AS price, ask_${i}_size AS size FROM last`
  )
].join(" UNION ALL ");
await emitPageParquet({
  topics: ["market_book"],
  sql: `WITH last AS (
          SELECT dataset, time_bucket(INTERVAL 2 SECOND, origin_time::TIMESTAMP) AS bucket, arg_max(COLUMNS('^(bid|ask)_\\d+_(price|size)$'), origin_time)
          FROM market_book GROUP BY ALL)
        SELECT dataset, bucket, side, price, size FROM (${unpivot}) WHERE price IS NOT NULL ORDER BY dataset, bucket, side, price`
});
