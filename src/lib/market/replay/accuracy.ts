import type {Duck} from "../../core/duckdb.js";
import {quoteString} from "../../core/sql.js";
import {ASK, BID, Book} from "../book.js";
import {ColumnStream} from "./column-stream.js";

export interface TopOfBookAccuracy {
  windows: number;
  /** Share of windows whose best bid and best ask both equal the truth's at the window's end. */
  exactShare: number;
  /** RMS error of best bid and best ask over windows (quote currency). */
  bestBidRmse: number;
  bestAskRmse: number;
  /** The same per `bucketSeconds` bucket (when asked), for plots over time. */
  buckets?: {startNs: number; windows: number; exactShare: number; bestBidRmse: number; bestAskRmse: number}[];
}

/** A top-of-book time series as columns (ns, ticks; NaN when a side is empty). */
interface TopSeries {
  t: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
  n: number;
}

function grow(s: TopSeries): TopSeries {
  const cap = s.t.length * 2;
  const copy = (a: Float64Array) => {
    const b = new Float64Array(cap);
    b.set(a);
    return b;
  };
  return {t: copy(s.t), bid: copy(s.bid), ask: copy(s.ask), n: s.n};
}

async function readSeries({
  duck,
  sql,
  onRow
}: {
  duck: Duck;
  sql: string;
  onRow: (cols: (Float64Array | Uint8Array)[], i: number, push: (t: number, bid: number, ask: number) => void) => void;
}): Promise<TopSeries> {
  let s: TopSeries = {
    t: new Float64Array(1 << 16),
    bid: new Float64Array(1 << 16),
    ask: new Float64Array(1 << 16),
    n: 0
  };
  const push = (t: number, bid: number, ask: number) => {
    if (s.n === s.t.length) s = grow(s);
    s.t[s.n] = t;
    s.bid[s.n] = bid;
    s.ask[s.n] = ask;
    s.n++;
  };
  const stream = await ColumnStream.open({connection: await duck.connect(), sql});
  for (let chunk = await stream.next(); chunk; chunk = await stream.next())
    for (let i = 0; i < chunk.n; i++) onRow(chunk.columns, i, push);
  stream.close();
  return s;
}

/**
 * How close a reconstruction's top of book is to the simulator's truth: both series are sampled
 * at the end of every `windowMs` window (the last state at or before it) from the first window
 * where both have a book, and compared. The truth's top of book comes from replaying its every
 * change; the reconstruction's from `market_events` (its event times are the exchange's
 * origin_time, jitter and all — the error a user of the history would see).
 */
export async function topOfBookAccuracy({
  duck,
  eventsPath,
  truthChangesPath,
  tickSize,
  windowMs = 10,
  bucketSeconds
}: {
  duck: Duck;
  eventsPath: string;
  truthChangesPath: string;
  tickSize: number;
  windowMs?: number;
  bucketSeconds?: number;
}): Promise<TopOfBookAccuracy> {
  const book = new Book();
  const truth = await readSeries({
    duck,
    sql: `SELECT ts_ns::DOUBLE, (side = 'ask')::UTINYINT, price_ticks::DOUBLE, quantity_lots::DOUBLE FROM read_parquet(${quoteString(truthChangesPath)}) ORDER BY update_id`,
    onRow(c, i, push) {
      book.set(c[1]![i] ? ASK : BID, c[2]![i]!, c[3]![i]!);
      push(c[0]![i]!, book.bestBid >= 0 ? book.bestBid : NaN, book.bestAsk >= 0 ? book.bestAsk : NaN);
    }
  });
  const tick = (c: string) => `coalesce(round(${c}::DOUBLE / ${tickSize}), 'NaN'::DOUBLE)`;
  const rec = await readSeries({
    duck,
    sql: `SELECT event_ts_ns::DOUBLE, ${tick("best_bid")}, ${tick("best_ask")} FROM read_parquet(${quoteString(eventsPath)})`,
    onRow(c, i, push) {
      push(c[0]![i]!, c[1]![i]!, c[2]![i]!);
    }
  });
  if (!truth.n || !rec.n) return {windows: 0, exactShare: 0, bestBidRmse: NaN, bestAskRmse: NaN};
  const step = windowMs * 1e6;
  const start = Math.ceil(Math.max(truth.t[0]!, rec.t[0]!) / step) * step;
  const end = Math.min(truth.t[truth.n - 1]!, rec.t[rec.n - 1]!);
  let ti = 0,
    ri = 0,
    windows = 0,
    exact = 0,
    bidSq = 0,
    askSq = 0;
  const buckets: NonNullable<TopOfBookAccuracy["buckets"]> = [];
  const bucketNs = (bucketSeconds ?? 0) * 1e9;
  let b = {startNs: NaN, windows: 0, exact: 0, bidSq: 0, askSq: 0};
  const closeBucket = () => {
    if (b.windows)
      buckets.push({
        startNs: b.startNs,
        windows: b.windows,
        exactShare: b.exact / b.windows,
        bestBidRmse: Math.sqrt(b.bidSq / b.windows) * tickSize,
        bestAskRmse: Math.sqrt(b.askSq / b.windows) * tickSize
      });
  };
  for (let w = start; w <= end; w += step) {
    while (ti + 1 < truth.n && truth.t[ti + 1]! <= w) ti++;
    // Event times of a reconstruction need not be monotonic (update-id order): take the last row at or before w in file order.
    while (ri + 1 < rec.n && rec.t[ri + 1]! <= w) ri++;
    const tb = truth.bid[ti]!,
      ta = truth.ask[ti]!,
      rb = rec.bid[ri]!,
      ra = rec.ask[ri]!;
    windows++;
    if (tb === rb && ta === ra) exact++;
    // A side missing on one and not the other counts as a full spread of error.
    const diff = (x: number, y: number) =>
      Number.isNaN(x) || Number.isNaN(y) ? (Number.isNaN(x) && Number.isNaN(y) ? 0 : Math.abs(ta - tb || 1)) : x - y;
    const db = diff(rb, tb) ** 2,
      da = diff(ra, ta) ** 2;
    bidSq += db;
    askSq += da;
    if (bucketNs) {
      const bs = Math.floor(w / bucketNs) * bucketNs;
      if (bs !== b.startNs) (closeBucket(), (b = {startNs: bs, windows: 0, exact: 0, bidSq: 0, askSq: 0}));
      b.windows++;
      if (tb === rb && ta === ra) b.exact++;
      b.bidSq += db;
      b.askSq += da;
    }
  }
  closeBucket();
  return {
    windows,
    exactShare: exact / windows,
    bestBidRmse: Math.sqrt(bidSq / windows) * tickSize,
    bestAskRmse: Math.sqrt(askSq / windows) * tickSize,
    ...(bucketNs ? {buckets} : {})
  };
}
