// Depth by price level over time, per dataset: the last snapshot of every 2-second bucket, one row per level —
// from the simulated history's book (market_book) or, for a dataset without one, its replay's 100 ms book samples.
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
const book = (time: string, table: string, where = "") =>
  `SELECT dataset, time_bucket(INTERVAL 2 SECOND, ${time}) AS bucket, arg_max(COLUMNS('^(bid|ask)_\\d+_(price|size)$')::DOUBLE, ${time})
   FROM ${table} ${where} GROUP BY ALL`;
await emitPageParquet({
  topics: ["market_book", "book_samples"],
  sql: `WITH last AS (
          ${book("origin_time::TIMESTAMP", "market_book")}
          UNION ALL BY NAME
          ${book("make_timestamp_ns(ts_ns)::TIMESTAMP", "book_samples", "WHERE dataset NOT IN (SELECT dataset FROM market_book)")})
        SELECT dataset, bucket, side, price, size FROM (${unpivot}) WHERE price IS NOT NULL ORDER BY dataset, bucket, side, price`
});
