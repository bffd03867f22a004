import {existsSync, readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import type {Duck} from "../../core/duckdb.js";
import {LabError} from "../../core/errors.js";
import {quoteString} from "../../core/sql.js";
import {ASK, BID, type Book} from "../book.js";
import type {DecimalScale} from "../decimal-units.js";
import {DepthSync, type DepthDiff, type DepthSnapshotText} from "../live/depth-sync.js";
import {FINISHED_CAPTURE, readCaptureFolder, readCaptureLines} from "../live/capture-file.js";
import {ColumnStream} from "../replay/column-stream.js";
import type {MarketObservation} from "./report.js";

/** A growable Float64Array column. */
class Grow {
  data = new Float64Array(1 << 14);
  n = 0;
  push(x: number): void {
    if (this.n === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = x;
  }
  get values(): Float64Array {
    return this.data.subarray(0, this.n);
  }
}

/** Book samples on a grid, collected as the book evolves. */
class Sampler {
  readonly t = new Grow();
  readonly cols = {bidPx: new Grow(), bidQty: new Grow(), askPx: new Grow(), askQty: new Grow()};
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  next = NaN;
  /** `scale`: the decimals of the book's units, read at each sample (they can become finer). */
  constructor(
    readonly levels: number,
    readonly intervalNs: number,
    private readonly scale: DecimalScale
  ) {
    this.p = new Float64Array(levels);
    this.q = new Float64Array(levels);
  }
  /** Samples the book at every grid time before `tNs` (call before applying the event at tNs). */
  upTo(tNs: number, book: Book): void {
    if (Number.isNaN(this.next)) this.next = Math.ceil(tNs / this.intervalNs) * this.intervalNs;
    while (tNs > this.next) {
      this.t.push(this.next);
      for (const [side, px, qty] of [
        [BID, this.cols.bidPx, this.cols.bidQty],
        [ASK, this.cols.askPx, this.cols.askQty]
      ] as const) {
        const n = book.top(side, this.levels, this.p, this.q);
        for (let l = 0; l < this.levels; l++) {
          // Divided (not multiplied by 10^-k): the same doubles DuckDB makes of the decimals.
          px.push(l < n ? this.p[l]! / 10 ** this.scale.price : NaN);
          qty.push(l < n ? this.q[l]! / 10 ** this.scale.qty : NaN);
        }
      }
      this.next += this.intervalNs;
    }
  }
  samples(): MarketObservation["samples"] {
    return {
      tNs: this.t.values,
      intervalNs: this.intervalNs,
      levels: this.levels,
      bidPx: this.cols.bidPx.values,
      bidQty: this.cols.bidQty.values,
      askPx: this.cols.askPx.values,
      askQty: this.cols.askQty.values
    };
  }
}

/**
 * A recording's line as a capture record: a lab capture line as it is; a `<local_ns> <json>`
 * line's REST snapshot (`{lastUpdateId, bids, asks}`) as a snapshot record, its stream message
 * (combined-stream wrapper or bare) as `{local_ns, stream, data}`.
 */
export function recordOfLine(line: string): {local_ns?: string; stream?: string; type?: string; data?: unknown} {
  const trimmed = line.trim();
  if (trimmed.startsWith("{")) return JSON.parse(trimmed);
  const space = trimmed.indexOf(" ");
  const local_ns = trimmed.slice(0, space);
  const obj = JSON.parse(trimmed.slice(space + 1)) as {[k: string]: unknown};
  if ("lastUpdateId" in obj) return {local_ns, type: "snapshot", data: obj};
  if (typeof obj.stream === "string") return {local_ns, stream: obj.stream, data: obj.data};
  return {local_ns, stream: String(obj.e ?? ""), data: obj};
}

/**
 * The golden sample: a live capture (every finished `lab capture` file in a folder, in time order),
 * one recording file (lab capture lines, or `<local_ns> <json>` lines), or the simulator's own live
 * feed (`live/stream.jsonl` + `live/snapshots.jsonl`), replayed by the exchange's rules
 * (`DepthSync`: diffs buffered before a snapshot that comes after them are applied from it) into
 * a book sampled every `intervalMs` of exchange time (E), with its trades and event times. A gap
 * in the update ids, or a gap the capture recorded, waits for the next recorded snapshot.
 */
export function observationFromCapture({
  dir,
  key,
  intervalMs = 100,
  levels = 20
}: {
  dir: string;
  key?: Buffer;
  intervalMs?: number;
  levels?: number;
}): MarketObservation {
  type Record = {
    local_ns?: string;
    stream?: string;
    type?: string;
    data?: any;
    E?: number;
    lastUpdateId?: number;
    bids?: [string, string][];
    asks?: [string, string][];
  };
  let records: Record[];
  if (statSync(dir).isFile()) {
    // One recording: lab capture lines, or `<local_ns> <json>` lines with snapshot lines.
    records = readCaptureLines(dir, key).map((line) => recordOfLine(line) as Record);
  } else if (existsSync(join(dir, "stream.jsonl"))) {
    const stream = readCaptureLines(join(dir, "stream.jsonl")).map((l) => JSON.parse(l) as Record);
    const snaps = existsSync(join(dir, "snapshots.jsonl"))
      ? readCaptureLines(join(dir, "snapshots.jsonl")).map((l) => JSON.parse(l) as Record)
      : [];
    // Interleave snapshots by exchange time: each goes before the first message after it.
    records = [];
    let si = 0;
    for (const r of stream) {
      while (si < snaps.length && snaps[si]!.E! <= r.data.E) records.push({type: "snapshot", data: snaps[si++]});
      records.push(r);
    }
  } else {
    if (!readdirSync(dir).some((f) => FINISHED_CAPTURE.test(f)))
      throw new LabError({
        file: dir,
        reason: "no capture here: expected lab capture files (*.jsonl.gz) or a simulator live/ folder (stream.jsonl)",
        hint: "a capture's .partial files count only once finished: the next `lab capture` into the folder recovers them"
      });
    // Every finished file in time order; .partial files are left out (see readCaptureFolder).
    records = readCaptureFolder({dir, key}).map((l) => JSON.parse(l) as Record);
  }
  const trades = {t: new Grow(), price: new Grow(), qty: new Grow(), side: [] as number[]};
  const events = new Grow();
  const top = {t: new Grow(), bid: new Grow(), ask: new Grow()};
  // The book by the exchange's rules, whatever the order of snapshot and diffs in the file.
  const sync: DepthSync = new DepthSync({
    before: (tNs) => sampler.upTo(tNs, sync.book),
    after: (tNs) => {
      const unit = 10 ** sync.scale.price,
        {bestBid, bestAsk} = sync.book;
      events.push(tNs);
      (top.t.push(tNs),
        top.bid.push(bestBid >= 0 ? bestBid / unit : NaN),
        top.ask.push(bestAsk >= 0 ? bestAsk / unit : NaN));
    }
  });
  const sampler = new Sampler(levels, intervalMs * 1e6, sync.scale);
  for (const r of records) {
    if (r.type === "snapshot") {
      sync.snapshot(r.data as DepthSnapshotText);
      continue;
    }
    if (r.type === "gap") sync.gap();
    if (!r.stream || !r.data) continue;
    const d = r.data;
    const tNs = (d.T ?? d.E) * 1e6;
    if (d.e === "trade") {
      if (!sync.syncs) continue;
      events.push(tNs);
      (trades.t.push(tNs), trades.price.push(Number(d.p)), trades.qty.push(Number(d.q)), trades.side.push(d.m ? 1 : 0));
      continue;
    }
    if (d.e === "depthUpdate") sync.diff(d as DepthDiff, tNs);
  }
  if (!sync.syncs)
    throw new LabError({
      file: dir,
      reason: sync.buffered
        ? `no depth snapshot that the ${sync.buffered.toLocaleString("en-US")} recorded diffs continue from (the first diff's U is newer than every snapshot's lastUpdateId)`
        : "the capture holds no depth snapshot to start the book from",
      hint: "capture for longer, or check that the recording holds the REST snapshot lines"
    });
  const gaps = sync.gaps;
  return {
    trades: {
      tNs: trades.t.values,
      price: trades.price.values,
      qty: trades.qty.values,
      side: Uint8Array.from(trades.side)
    },
    samples: sampler.samples(),
    eventTNs: events.values,
    top: {tNs: top.t.values, bid: top.bid.values, ask: top.ask.values},
    gaps
  };
}

/** A reconstruction (`lab run market` output: market_events/ and book_samples.parquet) as an observation. */
export async function observationFromReplay({
  duck,
  dir,
  levels = 20
}: {
  duck: Duck;
  dir: string;
  levels?: number;
}): Promise<MarketObservation> {
  const events = join(dir, "market_events", "**", "*.parquet"),
    samplesPath = join(dir, "book_samples.parquet");
  for (const p of [join(dir, "market_events"), samplesPath])
    if (!existsSync(p))
      throw new LabError({
        file: p,
        reason: "not found: run `lab run market … --out DIR` (it writes market_events and book_samples)"
      });
  const read = async (sql: string, k: number) => {
    const cols = Array.from({length: k}, () => new Grow());
    const stream = await ColumnStream.open({connection: await duck.connect(), sql});
    for (let chunk = await stream.next(); chunk; chunk = await stream.next())
      for (let c = 0; c < k; c++) for (let i = 0; i < chunk.n; i++) cols[c]!.push(chunk.columns[c]![i]!);
    stream.close();
    return cols.map((c) => c.values);
  };
  const [tt, tp, tq, ts] = await read(
    `SELECT event_ts_ns::DOUBLE, trade_price::DOUBLE, trade_quantity::DOUBLE, (trade_side = 'sell')::DOUBLE FROM read_parquet(${quoteString(events)}) WHERE event_type = 'TRADE'`,
    4
  );
  const [et] = await read(
    `SELECT event_ts_ns::DOUBLE FROM read_parquet(${quoteString(events)}) WHERE event_type <> 'BOOK_SNAPSHOT'`,
    1
  );
  const [topT, topBid, topAsk] = await read(
    `SELECT event_ts_ns::DOUBLE, coalesce(best_bid::DOUBLE, 'NaN'::DOUBLE), coalesce(best_ask::DOUBLE, 'NaN'::DOUBLE) FROM read_parquet(${quoteString(events)}) WHERE event_type <> 'TRADE'`,
    3
  );
  const [gapRow] = await duck.all<{gaps: bigint; mean: number | null; max: number | null}>(
    `SELECT count(*) FILTER (WHERE gap AND NOT coalesce(lag_gap, false)) AS gaps, avg(drift) AS mean, max(drift) AS max FROM (SELECT gap, lag(gap) OVER () AS lag_gap, drift FROM read_parquet(${quoteString(events)}))`
  );
  const nan = (c: string) => `coalesce(${c}::DOUBLE, 'NaN'::DOUBLE)`;
  const sideCols = (side: string, what: string) =>
    Array.from({length: levels}, (_, l) => nan(`${side}_${l}_${what}`)).join(", ");
  const cols = await read(
    `SELECT ts_ns::DOUBLE, ${sideCols("bid", "price")}, ${sideCols("bid", "size")}, ${sideCols("ask", "price")}, ${sideCols("ask", "size")} FROM read_parquet(${quoteString(samplesPath)}) ORDER BY ts_ns`,
    1 + 4 * levels
  );
  const n = cols[0]!.length;
  const rowMajor = (offset: number) => {
    const out = new Float64Array(n * levels);
    for (let l = 0; l < levels; l++) {
      const col = cols[offset + l]!;
      for (let i = 0; i < n; i++) out[i * levels + l] = col[i]!;
    }
    return out;
  };
  const interval = n > 1 ? cols[0]![1]! - cols[0]![0]! : 100e6;
  return {
    trades: {tNs: tt!, price: tp!, qty: tq!, side: Uint8Array.from(ts!)},
    samples: {
      tNs: cols[0]!,
      intervalNs: interval,
      levels,
      bidPx: rowMajor(1),
      bidQty: rowMajor(1 + levels),
      askPx: rowMajor(1 + 2 * levels),
      askQty: rowMajor(1 + 3 * levels)
    },
    eventTNs: et!,
    top: {tNs: topT!, bid: topBid!, ask: topAsk!},
    gaps: Number(gapRow?.gaps ?? 0),
    ...(gapRow?.max !== null && gapRow?.max !== undefined ? {drift: {mean: gapRow.mean ?? 0, max: gapRow.max}} : {})
  };
}
