import {existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {
  PlainParquetWriter,
  type PlainColumn,
  type PlainWriterState,
  type Sparse
} from "../../core/parquet-plain-writer.js";
import {ParquetWriterThread} from "../../core/parquet-writer-thread.js";
import {openDuckDB, type Duck} from "../../core/duckdb.js";
import {LabError, isLabError} from "../../core/errors.js";
import {copyQueryToParquet} from "../../core/parquet-write.js";
import {quoteList, quoteString} from "../../core/sql.js";
import {ASK, BID, Book, type Side} from "../book.js";
import {ColumnStream, type ChunkSource, type ColumnChunk} from "./column-stream.js";
import {
  bookLevels,
  csvScanSql,
  decimalsOf,
  inferIncrements,
  invalidNumbers,
  isParquet,
  registerInputs,
  type MarketInputs
} from "../history/inputs.js";
import {ReorderOverflow, ReorderWindow, transpose, type ReorderState} from "./reorder-window.js";
import {SliceReader} from "./slice-reader.js";

export type Strategy = "full_event_replay" | "snapshot_anchored" | "origin_time_sort";
export const STRATEGIES: Strategy[] = ["full_event_replay", "snapshot_anchored", "origin_time_sort"];

export const EVENT_TRADE = 0,
  EVENT_SNAPSHOT = 1,
  EVENT_DELTA = 2;
const SNAPSHOT_USED = 1,
  SNAPSHOT_RESYNC = 2;

/** What a test hook sees after each output event (the live book, not a copy). */
export interface ReplayView {
  type: number;
  tNs: number;
  updateId: number;
  book: Book;
  gap: boolean;
  /**
   * The price range the replay knows completely: every bid at or above `bidFloor` and every ask
   * at or below `askCeiling` (ticks). A top-20 snapshot shows 20 levels; deeper ones are known
   * only once a delta touches them, so this range is where the book can be exact.
   */
  bidFloor: number;
  askCeiling: number;
}

export interface ReconstructOptions {
  inputs: MarketInputs;
  strategy: Strategy;
  outDir: string;
  /** Override the inferred increments. */
  tickSize?: number;
  lotSize?: number;
  /** Events per write-ahead segment (a DONE marker and a book checkpoint each). */
  segmentEvents?: number;
  /** Continue from the last complete segment of a previous (killed) run in outDir. */
  resume?: boolean;
  /** Scratch DuckDB memory (it spills beyond): the sorts of larger-than-memory inputs. */
  memoryLimit?: string;
  /**
   * How inputs are brought into replay order. `window` (the default): read in file order and
   * sorted on the fly within `reorderWindowRows` rows — one pass, bounded memory — falling back
   * to `sort` by itself when an input is further out of order than that. `sort`: DuckDB sorts
   * each input first (spilling to disk beyond `memoryLimit`). Both give the same rows in the same
   * order.
   */
  reader?: "window" | "sort";
  /** How far (rows) an input row may lie from its sorted place for the window reader (default 4,096). */
  reorderWindowRows?: number;
  log?: (line: string) => void;
  onEvent?: (view: ReplayView) => void;
  /** Tests: stop (as if killed) after this many segments are written. */
  stopAfterSegments?: number;
  /**
   * Benchmarks: read the inputs exactly as the replay does (same queries, same typed-array
   * reader), touching every value, and stop: the cost of reading alone.
   */
  scanOnly?: boolean;
  /**
   * Also write `book_samples.parquet`: the top `sampleLevels` levels every `sampleEveryMs` of
   * event time (0: none) — what the fidelity report compares with a live capture.
   */
  sampleEveryMs?: number;
  sampleLevels?: number;
}

export interface ReconstructResult {
  path: string;
  /** book_samples.parquet, when sampling was asked for. */
  samplesPath?: string;
  events: number;
  segments: number;
  counts: ReplayCounts;
  tickSize: number;
  lotSize: number;
  seconds: number;
}

export interface ReplayCounts {
  trades: number;
  snapshots: number;
  deltas: number;
  /** Delta rows before the first snapshot (already in it), not output. */
  preInit: number;
  gaps: number;
  /** Update ids skipped in all: the sum of gap sizes. */
  missingUpdates: number;
  resyncs: number;
  crossedEvents: number;
  crossedSnapshots: number;
  /** Deltas applied after a higher update id (origin_time order disagreeing with the sequence): flagged as gaps. */
  outOfOrder: number;
  /** Drift statistics over snapshots (lots, RMS per level). */
  driftSum: number;
  driftMax: number;
  driftSnapshots: number;
}

/** Rows an output buffer holds (a row group of market_events). */
const CAP = 1 << 17;
// Where each column starts in an output buffer: numbers in `f`, bytes in `b`. Then, in `f`, the
// book state's runs (CAP + 1 entries each: a run may start at every row, and the starts end with
// the row count): each run's first row, and the state from there on.
const F_T = 0,
  F_U = CAP,
  F_TRADE_TICK = 2 * CAP,
  F_TRADE_LOTS = 3 * CAP,
  F_DELTA_TICK = 4 * CAP,
  F_DELTA_LOTS = 5 * CAP,
  F_DRIFT = 6 * CAP,
  F_IMBALANCE = 7 * CAP;
const RUN = CAP + 1,
  R_START = 8 * CAP,
  R_BID = R_START + RUN,
  R_ASK = R_START + 2 * RUN,
  R_SPREAD = R_START + 3 * RUN,
  R_MID_SUM = R_START + 4 * RUN,
  R_BID5 = R_START + 5 * RUN,
  R_ASK5 = R_START + 6 * RUN;
const F_LENGTH = R_START + 7 * RUN;
const B_TYPE = 0,
  B_TRADE_SIDE = CAP,
  B_DELTA_SIDE = 2 * CAP,
  B_GAP = 3 * CAP,
  B_RESYNC = 4 * CAP,
  B_COLUMNS = 5;
/** Where the runs' starts sit among an output buffer's `columns` (after market_events' 19). */
const RUN_STARTS = 19;

/**
 * The book's state after an event at row r, as the runs of an output buffer: a run begins where it
 * differs from the last one (best prices in ticks, -1 for an empty side; depths over 5 levels),
 * holding what derives from it too (NaN for an empty side); the imbalance, which changes at
 * nearly every run, is a value a row (the writer copies it as it is). For trades and snapshots
 * (`emit`); `deltaRun` does the same itself (see there why), so a change here is a change there.
 */
function storeState(o: OutBuffer, r: number, bb: number, ba: number, bid5: number, ask5: number): void {
  const f = o.f;
  if (bb !== o.lastBid || ba !== o.lastAsk || bid5 !== o.lastBid5 || ask5 !== o.lastAsk5) {
    const k = o.runs;
    const bid = bb >= 0 ? bb : NaN,
      ask = ba >= 0 ? ba : NaN;
    f[R_START + k] = r;
    f[R_BID + k] = bid;
    f[R_ASK + k] = ask;
    f[R_BID5 + k] = bid5;
    f[R_ASK5 + k] = ask5;
    f[R_SPREAD + k] = ask - bid;
    f[R_MID_SUM + k] = bid + ask;
    const both = bid5 + ask5;
    o.lastImbalance = both > 0 ? (bid5 - ask5) / both : NaN;
    o.runs = k + 1;
    ((o.lastBid = bb), (o.lastAsk = ba), (o.lastBid5 = bid5), (o.lastAsk5 = ask5));
  }
  f[F_IMBALANCE + r] = o.lastImbalance;
}

/**
 * Output rows buffered as columns: every number column a stretch of one shared Float64Array,
 * every byte column of one Uint8Array, so an event's stores go through two arrays (the merge loop
 * loads each array once, not a dozen). The book state is kept as runs (`storeState`): it changes
 * at ~41% of the bench's events, the best prices at ~13%, so a run per change is fewer stores here
 * and far less for the writer to encode than the state at every row. `columns` views them in
 * market_events order (then the runs' starts) for the writer thread, which reads them where they
 * are.
 */
class OutBuffer {
  readonly capacity = CAP;
  n = 0;
  /**
   * Trade and delta fields are packed: the k-th trade's at index k of the trade columns, the
   * k-th delta's at index k of the delta columns, and update ids, which all but trades have, at
   * the row's index less the trades before it (the writer places them by the event type).
   */
  trades = 0;
  deltas = 0;
  /** Snapshots so far: the k-th one's drift is at index k of the drift column. */
  snapshots = 0;
  /** Runs of the book state so far, and the state of the last (NaN before the first). */
  runs = 0;
  lastBid = NaN;
  lastAsk = NaN;
  lastBid5 = NaN;
  lastAsk5 = NaN;
  lastImbalance = NaN;
  readonly f = new Float64Array(new SharedArrayBuffer(8 * F_LENGTH));
  readonly b = new Uint8Array(new SharedArrayBuffer(B_COLUMNS * CAP));
  readonly columns: (Float64Array | Uint8Array)[];

  constructor() {
    const f = (at: number) => this.f.subarray(at, at + CAP),
      b = (at: number) => this.b.subarray(at, at + CAP),
      run = (at: number) => this.f.subarray(at, at + RUN);
    this.columns = [
      f(F_T),
      b(B_TYPE),
      f(F_U),
      f(F_TRADE_TICK),
      f(F_TRADE_LOTS),
      b(B_TRADE_SIDE),
      b(B_DELTA_SIDE),
      f(F_DELTA_TICK),
      f(F_DELTA_LOTS),
      run(R_BID),
      run(R_ASK),
      run(R_SPREAD),
      run(R_MID_SUM),
      run(R_BID5),
      run(R_ASK5),
      f(F_IMBALANCE),
      b(B_GAP),
      b(B_RESYNC),
      f(F_DRIFT),
      run(R_START)
    ];
    this.reset();
  }
  /** Empty again, to be filled from row 0. */
  reset(): this {
    this.n = this.trades = this.deltas = this.snapshots = this.runs = 0;
    this.lastBid = this.lastAsk = this.lastBid5 = this.lastAsk5 = this.lastImbalance = NaN;
    // What only snapshots set starts false, a fill per buffer rather than a store per event.
    this.b.fill(0, B_RESYNC, B_RESYNC + CAP);
    return this;
  }
  /** Ends the runs at the row count (what the writer reads them up to): before handing over. */
  seal(): void {
    this.f[R_START + this.runs] = this.n;
  }
}

/** What the merge reads an input through: the current row, `rows[at …]` (time, id, then the rest). */
interface ReplayCursor {
  rows: Float64Array;
  at: number;
  done: boolean;
  /** Rows consumed, for checkpoints. */
  consumed: number;
  /** Moves past the current row; true when `refill` must be awaited first. */
  advance(): boolean;
  refill(): Promise<void>;
  close(): void;
}

/** A sorted input stream (DuckDB's ORDER BY) read chunk by chunk, each chunk made row-major. */
class Cursor implements ReplayCursor {
  at = 0;
  private end = 0;
  consumed = 0;
  done = false;
  rows: Float64Array = new Float64Array(0);
  private constructor(
    readonly stream: ChunkSource,
    private readonly width: number
  ) {}
  static async open(stream: ChunkSource, width: number, consumed: number): Promise<Cursor> {
    const c = new Cursor(stream, width);
    c.consumed = consumed;
    c.set(await stream.next());
    return c;
  }
  private set(chunk: ColumnChunk | undefined): void {
    this.at = 0;
    if (!chunk) {
      this.done = true;
      return;
    }
    const n = chunk.n,
      w = this.width;
    this.end = n * w;
    if (chunk.stride) this.rows = chunk.columns[0] as Float64Array;
    else {
      if (this.rows.length < n * w) this.rows = new Float64Array(n * w);
      for (let c = 0; c < w; c++) transpose(this.rows, c, w, chunk.columns[c] as Float64Array, 0, n);
    }
  }
  advance(): boolean {
    this.consumed++;
    this.at += this.width;
    return this.at >= this.end;
  }
  async refill(): Promise<void> {
    this.set(await this.stream.next());
  }
  close(): void {
    this.stream.close();
  }
}

interface Checkpoint {
  segment: number;
  events: number;
  reader: "window" | "sort";
  consumed: {deltas: number; snapshots: number; trades: number};
  /** Window reader: where each input's window stood. */
  windows?: {deltas?: ReorderState; snapshots: ReorderState; trades: ReorderState};
  lastUpdateId: number;
  initialised: boolean;
  gap: boolean;
  bidFloor: number;
  askCeiling: number;
  nextSample: number;
  writer: PlainWriterState;
  sampleWriter?: PlainWriterState;
  bids: [number, number][];
  asks: [number, number][];
  counts: ReplayCounts;
}

/**
 * Rebuilds the order book from Crypto Lake-style history and writes `market_events`: one row per
 * trade, snapshot and delta with the book state after it. Strategies:
 * - `full_event_replay`: deltas in update-id order (the exchange's own sequence, immune to
 *   origin_time jitter), snapshots placed by their sequence number, trades merged by origin
 *   time. The first snapshot initialises the book; a jump in update ids marks the book gapped
 *   until a snapshot resyncs it; every snapshot measures drift (RMS over its levels) first.
 * - `snapshot_anchored`: snapshots only; between them trades take liquidity from the book.
 * - `origin_time_sort`: one stable merge of all three on (origin_time, id), applied as it comes.
 * Inputs are sorted by DuckDB (which spills to disk beyond `memoryLimit`) and streamed as typed
 * arrays; output goes through write-ahead segments: each is written as Parquet, then a DONE
 * marker holding a checkpoint of the book and the input positions is renamed into place, so
 * `resume` after a kill continues from the last complete segment and produces the same rows in
 * the same order as an uninterrupted run.
 */
export async function reconstructMarket(options: ReconstructOptions): Promise<ReconstructResult> {
  try {
    return await replayOnce(options);
  } catch (error) {
    if (error instanceof ReorderOverflow) {
      // An input further out of order than the window: the same replay over DuckDB's full sort.
      (options.log ?? (() => {}))(`${error.message}; replaying again with the inputs fully sorted first`);
      discardOutputs(options.outDir);
      return replayOnce({...options, reader: "sort", resume: false});
    }
    // Bad input: nothing is published and nothing is left to resume from.
    if (isLabError(error)) discardOutputs(options.outDir);
    throw error;
  }
}

/** Removes a failed run's unpublished files (its partial outputs and checkpoints). */
function discardOutputs(outDir: string): void {
  for (const f of ["market_events.parquet.partial", "book_samples.parquet.partial"])
    rmSync(join(outDir, f), {force: true});
  rmSync(join(outDir, "segments"), {recursive: true, force: true});
}

async function replayOnce(options: ReconstructOptions): Promise<ReconstructResult> {
  const started = performance.now();
  const {inputs, strategy, outDir, segmentEvents = 1_000_000, log = () => {}} = options;
  const phase = (what: string) =>
    process.env.LAB_REPLAY_TRACE && log(`[${((performance.now() - started) / 1000).toFixed(2)}s] ${what}`);
  if (!STRATEGIES.includes(strategy))
    throw new LabError({
      column: "--strategy",
      reason: `unknown strategy "${strategy}"; one of ${STRATEGIES.join(", ")}`
    });
  const needs = {deltas: strategy !== "snapshot_anchored", book: true, trades: true};
  for (const [name, needed] of Object.entries(needs)) {
    if (needed && !inputs[name as keyof MarketInputs])
      throw new LabError({
        column: `--${name === "deltas" ? "deltas" : name}`,
        reason: `strategy ${strategy} needs the ${name} input`
      });
  }
  const used: MarketInputs = {
    book: inputs.book,
    trades: inputs.trades,
    deltas: needs.deltas ? inputs.deltas : undefined
  };
  const work = join(outDir, ".replay");
  const segDir = join(outDir, "segments");
  if (!options.resume) rmSync(segDir, {recursive: true, force: true});
  rmSync(work, {recursive: true, force: true});
  mkdirSync(work, {recursive: true});
  mkdirSync(segDir, {recursive: true});
  const duck = await openDuckDB({
    path: join(work, "replay.duckdb"),
    tempDirectory: work,
    memoryLimit: options.memoryLimit ?? "1GB"
  });
  let writerThread: ParquetWriterThread | undefined;
  try {
    // Resume: the last complete segment's checkpoint, if any.
    let checkpoint: Checkpoint | undefined;
    if (options.resume) {
      for (let k = 1; existsSync(join(segDir, `seg-${pad(k)}.done.json`)); k++)
        checkpoint = JSON.parse(readFileSync(join(segDir, `seg-${pad(k)}.done.json`), "utf-8")) as Checkpoint;
      // Anything after it (a segment without its marker) is an interrupted write: dropped.
      for (const f of readdirSync(segDir)) {
        const k = Number(/^seg-(\d+)\./.exec(f)?.[1]);
        if (k > (checkpoint?.segment ?? 0)) rmSync(join(segDir, f), {force: true});
      }
      // The output being written must still be there to continue it.
      if (checkpoint && !existsSync(join(outDir, "market_events.parquet.partial"))) checkpoint = undefined;
      if (checkpoint)
        log(`resuming after segment ${checkpoint.segment} (${checkpoint.events.toLocaleString("en-US")} events)`);
    }
    const reader = checkpoint?.reader ?? options.reader ?? "window";
    const windowRows = options.reorderWindowRows ?? 4096;

    await registerInputs({duck, inputs: used});
    const levels = await bookLevels({duck});
    if (!levels) throw new LabError({file: used.book, reason: "the book input has no bid_0_price/ask_0_price columns"});
    // The window reader checks deltas and trades row by row as it reads them (a bad row fails the
    // run naming its line, before it reaches the book); snapshots, few and wide, are checked here.
    const problems = await invalidNumbers({duck, inputs: reader === "window" ? {book: used.book} : used, levels});
    if (problems.length)
      throw new LabError({
        reason: `malformed input; nothing was replayed:\n  ${problems.join("\n  ")}`,
        hint: "fix or drop these rows; a NaN price cannot be placed in the book"
      });
    const inferred = await inferIncrements({duck, inputs: used});
    const tickSize = options.tickSize ?? inferred.tickSize;
    const lotSize = options.lotSize ?? inferred.lotSize;
    // Decimals that hold every multiple of the increments (an override such as a 0.5 tick needs one).
    const priceScale = decimalsOf(tickSize);
    const quantityScale = decimalsOf(lotSize);
    const baseRows = await duck.all<{b: bigint}>(
      `SELECT min(b) AS b FROM (${Object.keys(used)
        .filter((k) => used[k as keyof MarketInputs])
        .map((k) => `SELECT min(epoch_ns(origin_time)) AS b FROM ${k}`)
        .join(" UNION ALL ")})`
    );
    const base = baseRows[0]!.b;
    phase("inputs checked");

    const consumed = checkpoint?.consumed ?? {deltas: 0, snapshots: 0, trades: 0};
    const byOrigin = strategy !== "full_event_replay";
    const px = (c: string) => `round(${c}::DOUBLE / ${tickSize})::DOUBLE`;
    const qx = (c: string) => `round(${c}::DOUBLE / ${lotSize})::DOUBLE`;
    const nanIfNull = (e: string) => `coalesce(${e}, 'NaN'::DOUBLE)`;
    const o = `(epoch_ns(origin_time) - ${base})::DOUBLE`;
    const levelCols = ["bid", "ask"].flatMap((side) =>
      Array.from({length: levels}, (_, i) => [
        nanIfNull(px(`${side}_${i}_price`)),
        nanIfNull(qx(`${side}_${i}_size`))
      ]).flat()
    );
    // Codes: 255 marks a side that is neither of the two (or missing): a bad row.
    const code = (c: string, zero: string, one: string) =>
      `(CASE ${c} WHEN '${zero}' THEN 0 WHEN '${one}' THEN 1 ELSE 255 END)::DOUBLE`;
    // Each input's row as DOUBLE values, in this order: time, id, then the rest (read by position).
    const expressions = {
      deltas: [
        nanIfNull(o),
        nanIfNull("update_id::DOUBLE"),
        code("side", "bid", "ask"),
        nanIfNull(px("price")),
        nanIfNull(qx("new_quantity"))
      ],
      book: [nanIfNull(o), nanIfNull("sequence_number::DOUBLE"), ...levelCols],
      trades: [
        nanIfNull(o),
        nanIfNull("trade_id::DOUBLE"),
        code("side", "buy", "sell"),
        nanIfNull(px("price")),
        nanIfNull(qx("quantity"))
      ]
    };
    const select = (name: keyof typeof expressions) => `SELECT ${expressions[name].join(", ")}`;
    const stream = async (sql: string) => ColumnStream.open({connection: await duck.connect(), sql});
    // File order: Parquet a slice of row groups at a time (row-major arrays), CSV as one stream.
    const windowSource = async (name: keyof typeof expressions, path: string, from: number): Promise<ChunkSource> =>
      isParquet(path)
        ? SliceReader.open({duck, path, expressions: expressions[name], fromRow: from})
        : stream(`${select(name)} FROM ${csvScanSql(path, from)}`);
    const sources: Record<"deltas" | "book" | "trades", ChunkSource | undefined> = {
      deltas: undefined,
      book: undefined,
      trades: undefined
    };
    const windows: Record<"deltas" | "book" | "trades", ReorderWindow | undefined> = {
      deltas: undefined,
      book: undefined,
      trades: undefined
    };
    if (reader === "sort") {
      const order = {
        deltas: byOrigin ? "origin_time, update_id" : "update_id",
        book: byOrigin ? "origin_time, sequence_number" : "sequence_number",
        trades: "origin_time, trade_id"
      };
      const skip = {deltas: consumed.deltas, book: consumed.snapshots, trades: consumed.trades};
      for (const name of ["deltas", "book", "trades"] as const) {
        if (used[name])
          sources[name] = await stream(
            `${select(name)} FROM ${name} ORDER BY ${order[name]}, file_row_number${skip[name] ? ` OFFSET ${skip[name]}` : ""}`
          );
      }
    } else if (!options.scanOnly) {
      const states = checkpoint?.windows;
      const specs = {
        deltas: {
          columns: 5,
          keys: byOrigin ? [0, 1] : [1],
          checked: {
            nonNegative: [3, 4],
            codes: [2],
            what: "a delta with a missing, NaN or negative price or quantity, or a side other than bid/ask"
          },
          state: states?.deltas
        },
        book: {columns: 2 + 4 * levels, keys: byOrigin ? [0, 1] : [1], checked: undefined, state: states?.snapshots},
        trades: {
          columns: 5,
          keys: [0, 1],
          checked: {
            nonNegative: [3, 4],
            codes: [2],
            what: "a trade with a missing, NaN or negative price or quantity, or a side other than buy/sell"
          },
          state: states?.trades
        }
      };
      // The three readers open at once (each looks up its file's row groups and starts its first
      // queries: ~0.04 s apiece, one after another before).
      await Promise.all(
        (["deltas", "book", "trades"] as const).map(async (name) => {
          const path = used[name];
          if (!path) return;
          const spec = specs[name];
          const from = spec.state?.reopenAt ?? 0;
          windows[name] = new ReorderWindow({
            source: await windowSource(name, path, from),
            columns: spec.columns,
            keys: spec.keys,
            windowRows,
            name,
            file: path,
            checked: spec.checked,
            startRow: from,
            resume: spec.state
          });
        })
      );
    }
    if (options.scanOnly) {
      // The same queries through the same reader, every value touched, nothing else: in window
      // mode the inputs in file order, in sort mode DuckDB's sorted streams.
      let rows = 0,
        checksum = 0;
      for (const name of ["deltas", "book", "trades"] as const) {
        const path = used[name];
        if (!path) continue;
        const source = reader === "window" ? await windowSource(name, path, 0) : sources[name]!;
        for (let chunk = await source.next(); chunk; chunk = await source.next()) {
          // Row-major chunks (the slice reader's) hold n × stride values in one array.
          const values = chunk.n * (chunk.stride ?? 1);
          for (const column of chunk.columns) checksum += touch(column, values);
          rows += chunk.n;
        }
        source.close();
      }
      return {
        path: "",
        events: rows,
        segments: 0,
        counts: {checksum} as unknown as ReplayCounts,
        tickSize,
        lotSize,
        seconds: (performance.now() - started) / 1000
      };
    }
    const cursor = async (name: "deltas" | "book" | "trades", already: number): Promise<ReplayCursor> => {
      const w = windows[name];
      if (!w) return Cursor.open(sources[name]!, expressions[name].length, already);
      await w.start(already);
      return w;
    };
    // Each waits for its first rows: together.
    const [deltaCursor, snapCursor, tradeCursor] = await Promise.all([
      used.deltas ? cursor("deltas", consumed.deltas) : undefined,
      cursor("book", consumed.snapshots),
      cursor("trades", consumed.trades)
    ]);

    // State.
    const book = new Book();
    let lastU = checkpoint?.lastUpdateId ?? -1;
    let initialised = checkpoint?.initialised ?? false;
    let gap = checkpoint?.gap ?? false;
    let bidFloor = checkpoint?.bidFloor ?? Infinity,
      askCeiling = checkpoint?.askCeiling ?? -Infinity;
    if (checkpoint) {
      for (const [tick, q] of checkpoint.bids) book.set(BID, tick, q);
      for (const [tick, q] of checkpoint.asks) book.set(ASK, tick, q);
    }
    const counts: ReplayCounts = checkpoint?.counts ?? {
      trades: 0,
      snapshots: 0,
      deltas: 0,
      preInit: 0,
      gaps: 0,
      missingUpdates: 0,
      resyncs: 0,
      crossedEvents: 0,
      crossedSnapshots: 0,
      outOfOrder: 0,
      driftSum: 0,
      driftMax: 0,
      driftSnapshots: 0
    };
    let events = checkpoint?.events ?? 0;
    let segment = checkpoint?.segment ?? 0;
    let segEvents = 0;
    // Output buffers: one being filled while the writer thread encodes up to three.
    const outs = Array.from({length: 4}, () => new OutBuffer());
    let out = outs[0]!;
    // Output: market_events.parquet (and book_samples.parquet) written directly by the plain
    // writer, one row group per flush; a segment ends at a flush, and its DONE marker holds the
    // writers' states, so a resumed run truncates the files to the last segment and carries on.
    const pm = Math.round(tickSize * 10 ** priceScale),
      qm = Math.round(lotSize * 10 ** quantityScale);
    const price = (name: string, extra = 0, sparse?: Sparse): PlainColumn => ({
      name,
      type: "INT64",
      logical: {decimal: {precision: 18, scale: priceScale + extra}},
      multiply: pm * 10 ** extra,
      nullable: true,
      ...(sparse ? {sparse} : {})
    });
    const quantity = (name: string, sparse?: Sparse): PlainColumn => ({
      name,
      type: "INT64",
      logical: {decimal: {precision: 18, scale: quantityScale}},
      multiply: qm,
      nullable: true,
      ...(sparse ? {sparse} : {})
    });
    // The book state: runs (see OutBuffer), their starts beside the columns.
    const runs = {runs: {starts: RUN_STARTS}};
    const onTrades: Sparse = {column: 1, code: EVENT_TRADE},
      onDeltas: Sparse = {column: 1, code: EVENT_DELTA},
      onSnapshots: Sparse = {column: 1, code: EVENT_SNAPSHOT},
      notOnTrades: Sparse = {column: 1, code: EVENT_TRADE, except: true};
    const eventColumns: PlainColumn[] = [
      {name: "event_ts_ns", type: "INT64", add: base},
      {name: "event_type", type: "ENUM", labels: ["TRADE", "BOOK_SNAPSHOT", "BOOK_DELTA"]},
      // Update ids on book events (packed: a trade has none).
      {name: "update_id", type: "INT64", nullable: true, sparse: notOnTrades},
      // Trade fields on trade rows only, delta fields on delta rows only (packed; column 1 is the type).
      price("trade_price", 0, onTrades),
      quantity("trade_quantity", onTrades),
      {name: "trade_side", type: "ENUM", labels: ["buy", "sell"], nullable: true, sparse: onTrades},
      {name: "delta_side", type: "ENUM", labels: ["bid", "ask"], nullable: true, sparse: onDeltas},
      price("delta_price", 0, onDeltas),
      quantity("delta_quantity", onDeltas),
      {...price("best_bid"), ...runs},
      {...price("best_ask"), ...runs},
      {...price("spread"), ...runs},
      // (bid + ask) / 2 at one more decimal place: (bid + ask) × 5 units of 10^-(scale+1).
      {
        name: "mid",
        type: "INT64",
        logical: {decimal: {precision: 18, scale: priceScale + 1}},
        multiply: pm * 5,
        nullable: true,
        ...runs
      },
      // Depth is a number whatever the book holds (0 lots on an empty side): never null.
      {...quantity("bid_depth_5"), nullable: false, ...runs},
      {...quantity("ask_depth_5"), nullable: false, ...runs},
      {name: "imbalance_5", type: "DOUBLE", nullable: true},
      {name: "gap", type: "BOOLEAN"},
      {name: "resync", type: "BOOLEAN"},
      // Drift on snapshots (packed; null where a snapshot has none: the first, a crossed one).
      {name: "drift", type: "DOUBLE", nullable: true, sparse: onSnapshots}
    ];
    const path = join(outDir, "market_events.parquet");
    // Encoding and disk writes run on the writer thread, overlapping the replay.
    const writer = new ParquetWriterThread(
      path,
      eventColumns,
      checkpoint?.writer,
      outs.map((o) => o.columns)
    );
    writerThread = writer;
    out = outs[await writer.take()]!;
    const sampleStep = (options.sampleEveryMs ?? 0) * 1e6;
    const sampleLevels = options.sampleLevels ?? Math.min(20, levels);
    const samplesPath = sampleStep ? join(outDir, "book_samples.parquet") : undefined;
    const sampleWriter = samplesPath
      ? new PlainParquetWriter(
          samplesPath,
          [
            {name: "ts_ns", type: "INT64", add: base},
            ...["bid", "ask"].flatMap((side) =>
              Array.from({length: sampleLevels}, (_, l) => [
                price(`${side}_${l}_price`),
                quantity(`${side}_${l}_size`)
              ]).flat()
            )
          ],
          checkpoint?.sampleWriter
        )
      : undefined;
    const sampleCap = 4096;
    const sampleBuf = Array.from({length: 1 + 4 * sampleLevels}, () => new Float64Array(sampleCap));
    let sampleN = 0;
    const flushSamples = () => {
      if (sampleN) sampleWriter!.writeRowGroup(sampleBuf, 0, sampleN);
      sampleN = 0;
    };
    const lv = {
      bp: new Float64Array(sampleLevels),
      bq: new Float64Array(sampleLevels),
      ap: new Float64Array(sampleLevels),
      aq: new Float64Array(sampleLevels)
    };
    /** The book as it stood at `t` (before the event at or after it); columns bid price, size … ask price, size per level. */
    const sample = (t: number) => {
      const nb = book.top(BID, sampleLevels, lv.bp, lv.bq),
        na = book.top(ASK, sampleLevels, lv.ap, lv.aq);
      sampleBuf[0]![sampleN] = t;
      for (let l = 0; l < sampleLevels; l++) {
        sampleBuf[1 + 2 * l]![sampleN] = l < nb ? lv.bp[l]! : NaN;
        sampleBuf[2 + 2 * l]![sampleN] = l < nb ? lv.bq[l]! : NaN;
        sampleBuf[1 + 2 * sampleLevels + 2 * l]![sampleN] = l < na ? lv.ap[l]! : NaN;
        sampleBuf[2 + 2 * sampleLevels + 2 * l]![sampleN] = l < na ? lv.aq[l]! : NaN;
      }
      if (++sampleN === sampleCap) flushSamples();
    };
    let nextSample = checkpoint?.nextSample ?? 0;
    const sampleUpTo = (t: number) => {
      if (!sampleStep || !initialised) return;
      if (nextSample === 0) nextSample = Math.ceil(t / sampleStep) * sampleStep;
      // A sample at t is the book before any event at t (as a feed window ending at t shows it).
      while (t >= nextSample) (sample(nextSample), (nextSample += sampleStep));
    };
    const flushOut = async () => {
      const n = out.n;
      if (!n) return;
      const w0 = performance.now();
      out.seal();
      writer.write(outs.indexOf(out), n);
      out = outs[await writer.take()]!.reset();
      waits.writer += performance.now() - w0;
    };
    /**
     * Ends a segment: hands its last rows to the writer thread, and has the thread write its
     * DONE marker (the checkpoint, as the replay stands now) once they are on disk — the replay
     * goes on meanwhile (waiting for each segment's fsync held it up ~1 s in the bench's 11.5 M
     * events). A marker exists only for a segment whose rows are all written.
     */
    let committing: Promise<void> = Promise.resolve();
    const endSegment = async (final: boolean) => {
      await flushOut();
      if (sampleWriter) flushSamples();
      segment++;
      const k = segment;
      const marker: Omit<Checkpoint, "writer"> = {
        segment: k,
        events,
        reader,
        consumed: {deltas: deltaCursor?.consumed ?? 0, snapshots: snapCursor.consumed, trades: tradeCursor.consumed},
        ...(reader === "window"
          ? {
              windows: {
                ...(windows.deltas ? {deltas: windows.deltas.state()} : {}),
                snapshots: windows.book!.state(),
                trades: windows.trades!.state()
              }
            }
          : {}),
        lastUpdateId: lastU,
        initialised,
        gap,
        bidFloor,
        askCeiling,
        nextSample,
        ...(sampleWriter ? {sampleWriter: sampleWriter.state()} : {}),
        ...(final ? {bids: [], asks: []} : book.levels()),
        counts: {...counts}
      };
      committing = writer.checkpoint(join(segDir, `seg-${pad(k)}.done.json`), marker);
      // A failed marker write fails the run at its next hand-over to the writer, or at the end.
      committing.catch(() => {});
      segEvents = 0;
      if (final || (options.stopAfterSegments && k >= options.stopAfterSegments)) await committing;
      if (options.stopAfterSegments && k >= options.stopAfterSegments) throw new StoppedForTest();
    };
    const waits = {writer: 0, reader: 0};
    phase("streams open");

    // Depth over 5 levels, cached: only a delta inside them changes it (see deltaRun); a
    // snapshot or a trade that moves the book marks it dirty, to be walked again.
    let bid5 = 0,
      ask5 = 0,
      bid5Edge = -Infinity,
      ask5Edge = Infinity,
      depthDirtyBid = true,
      depthDirtyAsk = true;

    // The output row for the current event: the book state after it; returns its index. Kept
    // small enough to be inlined into the merge loop (the rare work is in functions of its own),
    // and the caller stores the event's time and any snapshot fields: a double argument to a call
    // that is not inlined would be boxed, a heap allocation per event.
    const refreshDepth = () => {
      // Depth over 5 levels changes only when an update lands inside them: cached otherwise.
      if (depthDirtyBid)
        ((book.measureDepth(BID, 5), (bid5 = book.depthTotal)), (bid5Edge = book.depthEdge), (depthDirtyBid = false));
      if (depthDirtyAsk)
        ((book.measureDepth(ASK, 5), (ask5 = book.depthTotal)), (ask5Edge = book.depthEdge), (depthDirtyAsk = false));
    };
    const crossed = () => {
      counts.crossedEvents++;
      if (!gap) ((gap = true), counts.gaps++);
    };
    const emit = (type: number) => {
      const o = out,
        r = o.n;
      o.b[B_TYPE + r] = type;
      const bb = book.bestBid,
        ba = book.bestAsk;
      if (depthDirtyBid || depthDirtyAsk) refreshDepth();
      storeState(o, r, bb, ba, bid5, ask5);
      if (bb >= 0 && ba >= 0 && bb >= ba) crossed();
      o.b[B_GAP + r] = gap ? 1 : 0;
      o.n = r + 1;
      events++;
      segEvents++;
      return r;
    };

    const wideP = new Float64Array(levels * 4),
      wideQ = new Float64Array(levels * 4);
    // What a snapshot did, as SNAPSHOT_USED | SNAPSHOT_RESYNC, and its drift in snapshotDrift[0]:
    // no object or boxed number made for each of them.
    const snapshotDrift = new Float64Array(1);
    const applySnapshot = (c: ReplayCursor): number => {
      // The snapshot's row, read in place (its levels: price, size pairs from 2, bids then asks).
      const rows = c.rows,
        at = c.at;
      const seq = rows[at + 1]!;
      const bestBid = rows[at + 2]!,
        bestAsk = rows[at + 2 + 2 * levels]!;
      if (!Number.isNaN(bestBid) && !Number.isNaN(bestAsk) && bestBid >= bestAsk) {
        // A crossed snapshot cannot be a true book: flagged, not used.
        counts.crossedSnapshots++;
        snapshotDrift[0] = NaN;
        return 0;
      }
      let drift = NaN;
      let extends_ = false;
      if (initialised) {
        // Drift: RMS over the snapshot's levels of (our size − its size), before resyncing.
        let sum = 0,
          n = 0;
        for (let side: Side = BID; side <= ASK; side++) {
          const off = side === BID ? 2 : 2 + 2 * levels;
          let worst = NaN;
          const floor = side === BID ? bidFloor : askCeiling;
          for (let l = 0; l < levels; l++) {
            const p = rows[at + off + 2 * l]!;
            if (Number.isNaN(p)) break;
            // Levels beyond what the replay could know are learned from the snapshot, not drift.
            if (side === BID ? p < floor : p > floor) {
              extends_ = true;
              break;
            }
            const diff = book.quantity(side, p) - rows[at + off + 2 * l + 1]!;
            sum += diff * diff;
            n++;
            worst = p;
          }
          // Levels we hold inside the snapshot's range that it does not have count as errors too.
          if (!Number.isNaN(worst)) {
            const k = book.top(side, wideP.length, wideP, wideQ, worst);
            // Both lists run best first: one walk along each (a snapshot out of order is searched).
            const sorted = snapshotSorted(rows, at, off, side);
            for (let l = 0, j = 0; l < k; l++) {
              const p = wideP[l]!;
              if (side === BID ? p < worst : p > worst) break;
              let has: boolean;
              if (sorted) {
                while (j < levels && (side === BID ? rows[at + off + 2 * j]! > p : rows[at + off + 2 * j]! < p)) j++;
                has = j < levels && rows[at + off + 2 * j] === p;
              } else has = snapshotHas(rows, at, off, p);
              // Without a branch: arithmetic first reached mid-replay cost a deoptimisation.
              const q = wideQ[l]!,
                miss = has ? 0 : 1;
              ((sum += miss * q * q), (n += miss));
            }
          }
        }
        drift = n ? Math.sqrt(sum / n) : 0;
        counts.driftSum += drift;
        counts.driftMax = Math.max(counts.driftMax, drift);
        counts.driftSnapshots++;
      }
      const wasGapped = gap;
      const resync = initialised && (gap || drift > 0);
      if (!initialised || resync || extends_) {
        for (let side: Side = BID; side <= ASK; side++) {
          const off = side === BID ? 2 : 2 + 2 * levels;
          let worst = NaN;
          for (let l = 0; l < levels; l++) {
            const p = rows[at + off + 2 * l]!;
            if (Number.isNaN(p)) break;
            worst = p;
          }
          // Clear our levels within the snapshot's range (and any beyond its best), then copy it.
          if (!initialised) {
            // Nothing to clear.
          } else if (Number.isNaN(worst)) {
            clearSide(side, NaN);
          } else clearSide(side, worst);
          for (let l = 0; l < levels; l++) {
            const p = rows[at + off + 2 * l]!;
            if (Number.isNaN(p)) break;
            book.set(side, p, rows[at + off + 2 * l + 1]!);
          }
        }
        if (resync) counts.resyncs++;
        gap = false;
      }
      // What a snapshot shows is known from now on (it matched, or the book now copies it); a gap
      // had made everything else unknown.
      for (let side: Side = BID; side <= ASK; side++) {
        const off = side === BID ? 2 : 2 + 2 * levels;
        let worst = NaN;
        for (let l = 0; l < levels && !Number.isNaN(rows[at + off + 2 * l]!); l++) worst = rows[at + off + 2 * l]!;
        if (Number.isNaN(worst)) continue;
        const keep = initialised && !wasGapped;
        if (side === BID) bidFloor = keep ? Math.min(bidFloor, worst) : worst;
        else askCeiling = keep ? Math.max(askCeiling, worst) : worst;
      }
      if (!initialised || resync || extends_) depthDirtyBid = depthDirtyAsk = true;
      initialised = true;
      if (seq > lastU) lastU = seq;
      snapshotDrift[0] = drift;
      return SNAPSHOT_USED | (resync ? SNAPSHOT_RESYNC : 0);
    };
    const snapshotHas = (rows: Float64Array, at: number, off: number, p: number) => {
      for (let l = 0; l < levels; l++) {
        const q = rows[at + off + 2 * l]!;
        if (q === p) return true;
        if (Number.isNaN(q)) return false;
      }
      return false;
    };
    const snapshotSorted = (rows: Float64Array, at: number, off: number, side: Side) => {
      let prev = rows[at + off]!;
      for (let l = 1; l < levels; l++) {
        const p = rows[at + off + 2 * l]!;
        if (Number.isNaN(p)) return true;
        if (side === BID ? !(p < prev) : !(p > prev)) return false;
        prev = p;
      }
      return true;
    };
    const clearSide = (side: Side, worst: number) => book.clearFrom(side, worst);

    // The merge. Keys: book events by update id (full replay) or origin time; trades by origin time.
    const D = deltaCursor,
      S = snapCursor,
      T = tradeCursor;
    // The hot loop is synchronous: it runs events until one needs an await (an input to refill,
    // a full buffer to hand over, a segment to end) and says which; the async loop below awaits
    // it and calls again. (An async function's loop keeps its state through the generator; this
    // one is plain optimised code.)
    const FINISHED = 0,
      REFILL = 1,
      FLUSH = 2;
    const RUN_ENDED = 3;
    /**
     * A run of deltas from `c`, the current one first, while they come before the next snapshot
     * (by update id; for strategies that merge by origin time, one delta a call), with the trades
     * that come before each next delta (by origin time; full replay only, where a trade leaves the
     * book as it is) written in between — the snapshot's id and the trades read here from their
     * cursors, not passed in: a time passed to a call that is not inlined is boxed, a heap
     * allocation a call. The replay's state is held in local variables for the run — a closure's
     * variables live in memory, reloaded after every call — and stored back when it ends:
     * RUN_ENDED (the next event is not this run's), REFILL (an input must take in more first) or
     * FLUSH. Each delta: gap checks against the last update id, the level set, the 5-level depths
     * kept up to date, and the output row.
     */
    const deltaRun = (c: ReplayCursor): number => {
      const full = strategy === "full_event_replay";
      const snapshotId = !full ? -Infinity : S.done ? Infinity : S.rows[S.at + 1]!;
      let tradeOrigin = T.done ? Infinity : T.rows[T.at]!;
      // What the loop reads at every event, in locals: a closure's variables are loads from its
      // context, and V8 folds them to constants only for the first replay of a process (its one
      // closure); from the second on, each is a load (and a map check) at each use.
      const o = out,
        f = o.f,
        bytes = o.b,
        onEvent = options.onEvent,
        bk = book,
        sampling = sampleStep > 0,
        perSegment = segmentEvents;
      let r = o.n,
        d = o.deltas,
        n = 0,
        ev = events,
        seg = segEvents,
        tr = o.trades,
        nt = 0;
      let k = o.runs,
        lastBB = o.lastBid,
        lastBA = o.lastAsk,
        last5B = o.lastBid5,
        last5A = o.lastAsk5,
        imbalance = o.lastImbalance;
      let u0 = lastU,
        gapped = gap;
      let b5 = bid5,
        a5 = ask5,
        b5Edge = bid5Edge,
        a5Edge = ask5Edge,
        dirtyB = depthDirtyBid,
        dirtyA = depthDirtyAsk;
      let why = RUN_ENDED;
      // Whether the last delta left the book crossed (a trade after it leaves it so); crossed
      // events, and gaps that a crossed book began.
      let crossedBook = false,
        crossings = 0,
        gapStarts = 0;
      run: for (;;) {
        const rows = c.rows,
          at = c.at;
        const t = rows[at]!,
          u = rows[at + 1]!;
        if (sampling) sampleUpTo(t);
        if (u > u0 + 1 && u0 >= 0) {
          if (!gapped) counts.gaps++;
          counts.missingUpdates += u - u0 - 1;
          gapped = true;
        } else if (u < u0) {
          // An older update after a newer one: the book may now hold a stale size.
          counts.outOfOrder++;
          if (!gapped) counts.gaps++;
          gapped = true;
        }
        const side = rows[at + 2]! as Side,
          tick = rows[at + 3]!,
          lots = rows[at + 4]!;
        const before = bk.set(side, tick, lots);
        // Depth over 5 levels: a size change at a level inside them moves it by the difference;
        // a level appearing or vanishing there needs a fresh walk; beyond them nothing changes.
        if (side === BID) {
          if (tick >= b5Edge && !dirtyB) {
            if (before > 0 && lots > 0) b5 += lots - before;
            else dirtyB = true;
          }
        } else if (tick <= a5Edge && !dirtyA) {
          if (before > 0 && lots > 0) a5 += lots - before;
          else dirtyA = true;
        }
        if (u > u0) u0 = u;
        if (dirtyB) ((bk.measureDepth(BID, 5), (b5 = bk.depthTotal)), (b5Edge = bk.depthEdge), (dirtyB = false));
        if (dirtyA) ((bk.measureDepth(ASK, 5), (a5 = bk.depthTotal)), (a5Edge = bk.depthEdge), (dirtyA = false));
        // The output row: the event, then the book after it — a run of the state where it changed.
        const bb = bk.bestBid,
          ba = bk.bestAsk;
        // A crossed book: counted, and gapped from here. Counted in locals at every delta, both
        // sides tested first: code that runs at every delta has type feedback when the loop is
        // compiled, where a branch first taken mid-replay (the first crossed book, the first
        // empty side) cost a deoptimisation of this loop and a recompile each.
        crossedBook = bb >= 0 && ba >= 0 && bb >= ba;
        crossings += crossedBook ? 1 : 0;
        gapStarts += crossedBook && !gapped ? 1 : 0;
        gapped = gapped || crossedBook;
        f[F_T + r] = t;
        f[F_U + r - tr] = u;
        // storeState, written out: with set, advance and the depth walk inlined, V8 has no
        // inlining budget left for it here, and a call per delta with its numbers boxed made
        // 144 MB of garbage a bench replay (--trace-gc-nvp: 314 → 170 MB allocated in all; one
        // call site for both depth walks did not free enough budget: 319 MB). A shared helper for
        // the run's stores alone is not inlined here either: 170 → 238 MB.
        if (bb !== lastBB || ba !== lastBA || b5 !== last5B || a5 !== last5A) {
          const bid = bb >= 0 ? bb : NaN,
            ask = ba >= 0 ? ba : NaN;
          f[R_START + k] = r;
          f[R_BID + k] = bid;
          f[R_ASK + k] = ask;
          f[R_BID5 + k] = b5;
          f[R_ASK5 + k] = a5;
          f[R_SPREAD + k] = ask - bid;
          f[R_MID_SUM + k] = bid + ask;
          const both = b5 + a5;
          imbalance = both > 0 ? (b5 - a5) / both : NaN;
          k++;
          ((lastBB = bb), (lastBA = ba), (last5B = b5), (last5A = a5));
        }
        f[F_IMBALANCE + r] = imbalance;
        bytes[B_TYPE + r] = EVENT_DELTA;
        bytes[B_GAP + r] = gapped ? 1 : 0;
        bytes[B_DELTA_SIDE + d] = side;
        f[F_DELTA_TICK + d] = tick;
        f[F_DELTA_LOTS + d] = lots;
        (r++, d++, n++, ev++, seg++);
        if (onEvent) onEvent({type: EVENT_DELTA, tNs: t, updateId: u, book, gap: gapped, bidFloor, askCeiling});
        if (c.advance()) {
          ((starved = c), (why = REFILL));
          break;
        }
        if (r === CAP || seg >= perSegment) {
          why = FLUSH;
          break;
        }
        if (c.done || !(c.rows[c.at + 1]! <= snapshotId)) break;
        if (!(tradeOrigin < c.rows[c.at]!)) continue;
        // Trades that come before the next delta (by origin time): in the full replay a trade
        // leaves the book as it is, so they go out here and the run goes on (a run ended at every
        // trade, 1.7 M times a bench replay, each back through the merge and into a new run).
        if (!full) break;
        for (;;) {
          const trows = T.rows,
            tat = T.at,
            tt = trows[tat]!;
          if (sampling) sampleUpTo(tt);
          // The book is the last delta's: crossed as it was (and gapped already if so), no new
          // run, the imbalance as it was.
          crossings += crossedBook ? 1 : 0;
          f[F_T + r] = tt;
          f[F_IMBALANCE + r] = imbalance;
          bytes[B_TYPE + r] = EVENT_TRADE;
          bytes[B_GAP + r] = gapped ? 1 : 0;
          bytes[B_TRADE_SIDE + tr] = trows[tat + 2]!;
          f[F_TRADE_TICK + tr] = trows[tat + 3]!;
          f[F_TRADE_LOTS + tr] = trows[tat + 4]!;
          (r++, tr++, nt++, ev++, seg++);
          if (onEvent) onEvent({type: EVENT_TRADE, tNs: tt, updateId: u0, book, gap: gapped, bidFloor, askCeiling});
          if (T.advance()) {
            ((starved = T), (why = REFILL));
            break run;
          }
          if (r === CAP || seg >= perSegment) {
            why = FLUSH;
            break run;
          }
          tradeOrigin = T.done ? Infinity : T.rows[T.at]!;
          if (!(tradeOrigin < c.rows[c.at]!)) break;
        }
      }
      ((o.n = r),
        (o.deltas = d),
        (o.trades = tr),
        (counts.deltas += n),
        (counts.trades += nt),
        (events = ev),
        (segEvents = seg));
      ((counts.crossedEvents += crossings), (counts.gaps += gapStarts));
      ((o.runs = k),
        (o.lastBid = lastBB),
        (o.lastAsk = lastBA),
        (o.lastBid5 = last5B),
        (o.lastAsk5 = last5A),
        (o.lastImbalance = imbalance));
      ((lastU = u0), (gap = gapped));
      ((bid5 = b5),
        (ask5 = a5),
        (bid5Edge = b5Edge),
        (ask5Edge = a5Edge),
        (depthDirtyBid = dirtyB),
        (depthDirtyAsk = dirtyA));
      return why;
    };
    let starved: ReplayCursor | undefined;
    const replayUntilAwait = (): number => {
      for (;;) {
        // Pick the next source.
        let src = -1; // 0 delta, 1 snapshot, 2 trade
        if (strategy === "full_event_replay") {
          let book: 0 | 1 | -1 = -1;
          if (D && !D.done && !S.done) book = D.rows[D.at + 1]! <= S.rows[S.at + 1]! ? 0 : 1;
          else if (D && !D.done) book = 0;
          else if (!S.done) book = 1;
          if (book === -1) src = T.done ? -1 : 2;
          else {
            const bookOrigin = book === 0 ? D!.rows[D!.at]! : S.rows[S.at]!;
            src = !T.done && T.rows[T.at]! < bookOrigin ? 2 : book;
          }
        } else {
          let best = Infinity,
            bestRank = 9,
            bestId = Infinity;
          const consider = (
            source: number,
            c: ReplayCursor | undefined,
            rank: number,
            idCol: number,
            idOffset: number
          ) => {
            if (!c || c.done) return;
            const t = c.rows[c.at]!,
              id = c.rows[c.at + idCol]! + idOffset;
            if (t < best || (t === best && (rank < bestRank || (rank === bestRank && id < bestId))))
              ((best = t), (bestRank = rank), (bestId = id), (src = source));
          };
          if (strategy === "origin_time_sort") consider(0, D, 0, 1, 0);
          consider(1, S, 0, 1, 0.5);
          consider(2, T, 1, 1, 0);
        }
        if (src === -1) return FINISHED;
        const c = src === 0 ? D! : src === 1 ? S : T;
        if (sampleStep && src !== 0) sampleUpTo(c.rows[c.at]!);
        if (src === 0) {
          if (initialised) {
            // Deltas come in runs (83% of the bench's events): a run is replayed by a loop of
            // its own, which ends where a snapshot or a trade comes first.
            const why = deltaRun(c);
            if (why !== RUN_ENDED) return why;
            continue;
          }
          counts.preInit++;
        } else if (src === 1) {
          const applied = applySnapshot(c),
            seq = c.rows[c.at + 1]!;
          if (applied & SNAPSHOT_USED || initialised) {
            const r = emit(EVENT_SNAPSHOT);
            out.f[F_T + r] = c.rows[c.at]!;
            out.f[F_U + r - out.trades] = seq;
            out.b[B_RESYNC + r] = applied & SNAPSHOT_RESYNC ? 1 : 0;
            out.f[F_DRIFT + out.snapshots++] = snapshotDrift[0]! * lotSize;
            counts.snapshots++;
            options.onEvent?.({
              type: EVENT_SNAPSHOT,
              tNs: c.rows[c.at]!,
              updateId: seq,
              book,
              gap,
              bidFloor,
              askCeiling
            });
          }
        } else {
          if (initialised) {
            const side = c.rows[c.at + 2]! as Side,
              tick = c.rows[c.at + 3]!,
              lots = c.rows[c.at + 4]!;
            if (strategy === "snapshot_anchored") {
              // The taker's fill took this size at this price, and everything better before it.
              const passive: Side = side === 0 ? ASK : BID;
              if (passive === ASK) while (book.bestAsk >= 0 && book.bestAsk < tick) book.set(ASK, book.bestAsk, 0);
              else while (book.bestBid >= 0 && book.bestBid > tick) book.set(BID, book.bestBid, 0);
              book.consume(passive, tick, lots);
              depthDirtyBid = depthDirtyAsk = true;
            }
            const r = emit(EVENT_TRADE);
            const f = out.f,
              k = out.trades++;
            f[F_T + r] = c.rows[c.at]!;
            f[F_TRADE_TICK + k] = tick;
            f[F_TRADE_LOTS + k] = lots;
            out.b[B_TRADE_SIDE + k] = side;
            counts.trades++;
            options.onEvent?.({type: EVENT_TRADE, tNs: f[F_T + r]!, updateId: lastU, book, gap, bidFloor, askCeiling});
          }
        }
        // Past the event's row; an input that must take in more first ends this call.
        if (c.advance()) {
          starved = c;
          return REFILL;
        }
        if (out.n === out.capacity || segEvents >= segmentEvents) return FLUSH;
      }
    };
    // The awaiting loop is a function of its own: thousands of turns make it hot, and compiling it
    // is cheap, where as part of this function they made V8 optimise all of this (~0.1 CPU-s).
    // Progress on the terminal every million events, from here (each turn: a refill, a flush, a
    // segment) rather than tested at every event; the millionth event of a segment ended it, so
    // the test at every event never printed with the default segment size.
    let nextProgress = (Math.floor(events / 1_000_000) + 1) * 1_000_000;
    const drive = async () => {
      for (;;) {
        const why = replayUntilAwait();
        if (why === FINISHED) return;
        if (why === REFILL) {
          const r0 = performance.now();
          await starved!.refill();
          waits.reader += performance.now() - r0;
          starved = undefined;
        }
        if (out.n === out.capacity) await flushOut();
        if (segEvents >= segmentEvents) await endSegment(false);
        if (events >= nextProgress) {
          log(`replay: ${events.toLocaleString("en-US")} events`);
          nextProgress = (Math.floor(events / 1_000_000) + 1) * 1_000_000;
        }
      }
    };
    await drive();
    phase("replayed");
    // Every input row must have been read: a stream that ended early (DuckDB can end a result
    // instead of failing when it runs out of memory) would otherwise leave a silently short replay.
    for (const [name, cursor] of [
      ["deltas", deltaCursor],
      ["book", snapCursor],
      ["trades", tradeCursor]
    ] as const) {
      if (!cursor) continue;
      const {n} = await duck.one<{n: bigint}>(`SELECT count(*) AS n FROM ${name}`);
      if (cursor.consumed !== Number(n))
        throw new LabError({
          file: used[name],
          reason: `the replay read ${cursor.consumed.toLocaleString("en-US")} of ${Number(n).toLocaleString("en-US")} rows of the ${name} input; the sorted read ended early`,
          hint: "give the replay more memory (--memory-limit) or fewer threads; nothing was published"
        });
    }
    await endSegment(true);
    deltaCursor?.close();
    snapCursor.close();
    tradeCursor.close();
    await writer.close();
    sampleWriter?.close();
    phase(
      `written (waited ${(waits.reader / 1000).toFixed(2)}s for the reader, ${(waits.writer / 1000).toFixed(2)}s for the writer thread)`
    );
    log(
      `${strategy}: ${events.toLocaleString("en-US")} events (${counts.deltas} deltas, ${counts.snapshots} snapshots, ${counts.trades} trades), ${counts.gaps} gaps, ${counts.resyncs} resyncs`
    );
    return {
      path,
      ...(samplesPath ? {samplesPath} : {}),
      events,
      segments: segment,
      counts,
      tickSize,
      lotSize,
      seconds: (performance.now() - started) / 1000
    };
  } finally {
    await writerThread?.terminate();
    duck.close();
    rmSync(work, {recursive: true, force: true});
  }
}

/** Thrown by the stopAfterSegments test hook: the run ends as if killed. */
export class StoppedForTest extends Error {
  constructor() {
    super("stopped for a test after the requested segments");
  }
}

const pad = (k: number) => String(k).padStart(5, "0");

/** Sum of a column's first n values (NaN as 0): reads every value, one array type per call. */
function touch(column: Float64Array | Uint8Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = column[i]!;
    if (v === v) sum += v;
  }
  return sum;
}
