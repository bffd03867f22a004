import {existsSync, readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import type {Duck} from "../../core/duckdb.js";
import {LabError} from "../../core/errors.js";
import {quoteList, quoteString} from "../../core/sql.js";
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

/** One step of the golden reader's replay, with the book (`sync.book`) as it stands after it. */
export type GoldenEvent =
  | {kind: "snapshot"; tNs: number; localNs?: string; lastUpdateId: number; resync: boolean}
  | {kind: "diff"; tNs: number; localNs?: string; diff: DepthDiff & {s?: string}}
  | {kind: "trade"; tNs: number; localNs?: string; trade: {t?: number; p: string; q: string; m?: boolean; s?: string}}
  | {kind: "gap"; tNs: number; localNs?: string};

type GoldenRecord = {
  local_ns?: string;
  stream?: string;
  type?: string;
  data?: any;
  E?: number;
  lastUpdateId?: number;
  bids?: [string, string][];
  asks?: [string, string][];
};

/** Several recording files as one: each file's records, the files in the order of their first local time. */
function recordsOfFiles(files: string[], key?: Buffer): GoldenRecord[] {
  return files
    .map((f) => {
      const records = readCaptureLines(f, key).map((line) => recordOfLine(line) as GoldenRecord);
      const first = records.find((r) => r.local_ns !== undefined)?.local_ns;
      return {f, records, start: first === undefined ? -1n : BigInt(first)};
    })
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.f < b.f ? -1 : a.f > b.f ? 1 : 0))
    .flatMap((x) => x.records);
}

/** The golden side's records in the order they were received. */
function goldenRecords(dir: string, key?: Buffer): GoldenRecord[] {
  if (statSync(dir).isFile()) return recordsOfFiles([dir], key);
  if (existsSync(join(dir, "stream.jsonl"))) {
    const stream = readCaptureLines(join(dir, "stream.jsonl")).map((l) => JSON.parse(l) as GoldenRecord);
    const snaps = existsSync(join(dir, "snapshots.jsonl"))
      ? readCaptureLines(join(dir, "snapshots.jsonl")).map((l) => JSON.parse(l) as GoldenRecord)
      : [];
    // Interleave snapshots by exchange time: each goes before the first message after it.
    const records: GoldenRecord[] = [];
    let si = 0;
    for (const r of stream) {
      while (si < snaps.length && snaps[si]!.E! <= r.data.E) records.push({type: "snapshot", data: snaps[si++]});
      records.push(r);
    }
    return records;
  }
  if (!readdirSync(dir).some((f) => FINISHED_CAPTURE.test(f)))
    throw new LabError({
      file: dir,
      reason: "no capture here: expected lab capture files (*.jsonl.gz) or a simulator live/ folder (stream.jsonl)",
      hint: "a capture's .partial files count only once finished: the next `lab capture` into the folder recovers them"
    });
  // Every finished file in time order; .partial files are left out (see readCaptureFolder).
  return readCaptureFolder({dir, key}).map((l) => JSON.parse(l) as GoldenRecord);
}

/**
 * The golden sample: a live capture (every finished `lab capture` file in a folder, in time order),
 * one recording file (lab capture lines, or `<local_ns> <json>` lines) or several (`files`, in
 * the order of their first local time), or the simulator's own live feed (`live/stream.jsonl` +
 * `live/snapshots.jsonl`), replayed by the exchange's rules (`DepthSync`: diffs buffered before a
 * snapshot that comes after them are applied from it) into a book sampled every `intervalMs` of
 * exchange time (E), with its trades and event times. A gap in the update ids, or a gap the
 * capture recorded, waits for the next recorded snapshot. `onEvent` sees every step of that
 * replay with the book after it (the dataset derivation writes market_events from it).
 */
export function observationFromCapture({
  dir,
  files,
  key,
  intervalMs = 100,
  levels = 20,
  onEvent
}: {
  dir?: string;
  files?: string[];
  key?: Buffer;
  intervalMs?: number;
  levels?: number;
  onEvent?: (event: GoldenEvent, sync: DepthSync) => void;
}): MarketObservation {
  const where = dir ?? files?.join(", ") ?? "";
  const records = files ? recordsOfFiles(files, key) : goldenRecords(dir!, key);
  // The local time each diff arrived at (a buffered diff is applied after later records are read).
  const arrival = new WeakMap<object, string>();
  let lastTNs = NaN;
  const trades = {t: new Grow(), price: new Grow(), qty: new Grow(), side: [] as number[]};
  const events = new Grow();
  const top = {t: new Grow(), bid: new Grow(), ask: new Grow()};
  // The book by the exchange's rules, whatever the order of snapshot and diffs in the file.
  let resyncing = false;
  const sync: DepthSync = new DepthSync({
    before: (tNs) => sampler.upTo(tNs, sync.book),
    after: (tNs, diff) => {
      const unit = 10 ** sync.scale.price,
        {bestBid, bestAsk} = sync.book;
      events.push(tNs);
      (top.t.push(tNs),
        top.bid.push(bestBid >= 0 ? bestBid / unit : NaN),
        top.ask.push(bestAsk >= 0 ? bestAsk / unit : NaN));
      onEvent?.({kind: "diff", tNs, localNs: arrival.get(diff), diff}, sync);
    },
    synced: (snap, tNs) => {
      const at = Number.isNaN(tNs) ? lastTNs : tNs;
      onEvent?.({kind: "snapshot", tNs: at, lastUpdateId: snap.lastUpdateId, resync: resyncing}, sync);
      resyncing = false;
    }
  });
  const sampler = new Sampler(levels, intervalMs * 1e6, sync.scale);
  const gapAt = (tNs: number, localNs?: string) => {
    resyncing = true;
    onEvent?.({kind: "gap", tNs, localNs}, sync);
  };
  for (const r of records) {
    if (r.type === "snapshot") {
      sync.snapshot(r.data as DepthSnapshotText);
      continue;
    }
    if (r.type === "gap" && sync.synced) (sync.gap(), gapAt(lastTNs, r.local_ns));
    if (!r.stream || !r.data) continue;
    const d = r.data;
    const tNs = (d.T ?? d.E) * 1e6;
    if (Number.isFinite(tNs)) lastTNs = tNs;
    if (d.e === "trade") {
      if (!sync.syncs) continue;
      events.push(tNs);
      (trades.t.push(tNs), trades.price.push(Number(d.p)), trades.qty.push(Number(d.q)), trades.side.push(d.m ? 1 : 0));
      onEvent?.({kind: "trade", tNs, localNs: r.local_ns, trade: d}, sync);
      continue;
    }
    if (d.e === "depthUpdate") {
      if (r.local_ns !== undefined) arrival.set(d, r.local_ns);
      const gaps = sync.gaps;
      sync.diff(d as DepthDiff, tNs);
      if (sync.gaps > gaps) gapAt(tNs, r.local_ns);
    }
  }
  if (!sync.syncs)
    throw new LabError({
      file: where,
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

/**
 * A reconstruction as an observation: `lab run market`'s output folder (market_events/ partitions,
 * or a market_events.parquet, and book_samples.parquet), or a sink's files named one by one.
 */
export async function observationFromReplay({
  duck,
  dir,
  files,
  levels = 20
}: {
  duck: Duck;
  dir?: string;
  /** The files themselves, where a sink wrote them (instead of `dir`). */
  files?: {events: string[]; samples: string};
  levels?: number;
}): Promise<MarketObservation> {
  const {events: eventFiles, samples: samplesPath} = files ?? replayFiles(dir ?? ".");
  for (const p of [...eventFiles, samplesPath])
    if (!existsSync(p.replace(/[\\/]\*\*[\\/]\*\.parquet$/, "")))
      throw new LabError({
        file: p,
        reason: "not found: run `lab run market … --out DIR` (it writes market_events and book_samples)"
      });
  const events = eventFiles;
  const read = async (sql: string, k: number) => {
    const cols = Array.from({length: k}, () => new Grow());
    const stream = await ColumnStream.open({connection: await duck.connect(), sql});
    for (let chunk = await stream.next(); chunk; chunk = await stream.next())
      for (let c = 0; c < k; c++) for (let i = 0; i < chunk.n; i++) cols[c]!.push(chunk.columns[c]![i]!);
    stream.close();
    return cols.map((c) => c.values);
  };
  const [tt, tp, tq, ts] = await read(
    `SELECT event_ts_ns::DOUBLE, trade_price::DOUBLE, trade_quantity::DOUBLE, (trade_side = 'sell')::DOUBLE FROM read_parquet(${quoteList(events)}, hive_partitioning = false) WHERE event_type = 'TRADE'`,
    4
  );
  const [et] = await read(
    `SELECT event_ts_ns::DOUBLE FROM read_parquet(${quoteList(events)}, hive_partitioning = false) WHERE event_type <> 'BOOK_SNAPSHOT'`,
    1
  );
  const [topT, topBid, topAsk] = await read(
    `SELECT event_ts_ns::DOUBLE, coalesce(best_bid::DOUBLE, 'NaN'::DOUBLE), coalesce(best_ask::DOUBLE, 'NaN'::DOUBLE) FROM read_parquet(${quoteList(events)}, hive_partitioning = false) WHERE event_type <> 'TRADE'`,
    3
  );
  const [gapRow] = await duck.all<{gaps: bigint; mean: number | null; max: number | null}>(
    `SELECT count(*) FILTER (WHERE gap AND NOT coalesce(lag_gap, false)) AS gaps, avg(drift) AS mean, max(drift) AS max FROM (SELECT gap, lag(gap) OVER () AS lag_gap, drift FROM read_parquet(${quoteList(events)}, hive_partitioning = false))`
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

/** Where `lab run market --out DIR` put its events and samples (partitioned, or one file). */
function replayFiles(dir: string): {events: string[]; samples: string} {
  const single = join(dir, "market_events.parquet");
  return {
    events: [existsSync(single) ? single : join(dir, "market_events", "**", "*.parquet")],
    samples: join(dir, "book_samples.parquet")
  };
}
