import {mkdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {copyQueryToParquet, createChunkAppender, type ChunkColumnType, type Column} from "../core/parquet-write.js";
import {quoteIdent, quoteString} from "../core/sql.js";
import type {TableSink} from "../core/table-sink.js";
import {ASK, BID} from "./book.js";
import {observationFromCapture, type GoldenEvent} from "./fidelity/observations.js";
import type {MarketObservation} from "./fidelity/report.js";
import type {DepthSync} from "./live/depth-sync.js";
import {marketTables} from "./tables.js";

/** A declared table's columns, by name. */
function declared(name: string): Column[] {
  return marketTables.find((t) => t.name === name)!.columns;
}

/**
 * The declared columns with every DECIMAL's scale raised to what the data needs (a price
 * column to the prices' decimals, `mid` one more, a size column to the sizes'), so an 8-decimal
 * instrument keeps its digits; the precision grows with it.
 */
function scaledColumns(columns: Column[], scale: {price: number; qty: number}): Column[] {
  return columns.map((c) => {
    const m = /^DECIMAL\((\d+),\s*(\d+)\)$/i.exec(c.type);
    if (!m) return c;
    const quantity = /(quantity|size|depth)/.test(c.name);
    const want = (quantity ? scale.qty : scale.price) + (c.name === "mid" ? 1 : 0);
    const s = Math.max(Number(m[2]), want);
    return {...c, type: `DECIMAL(${Math.max(Number(m[1]), 12 + s)},${s})`};
  });
}

/** Integer units at scale `from` (SQL expressions) as a decimal of `type` at scale `to`, exactly. */
function decimalSql(units: string, from: string, to: number, type: string): string {
  const factor = to ? `0.${"0".repeat(to - 1)}1` : "1";
  return `CAST(CAST(round(${units})::HUGEINT * CAST(10 ^ (${to} - (${from})) AS HUGEINT) AS DECIMAL(38,0)) * ${factor} AS ${type})`;
}

/** `text` ("61837.63000000") as integer units at its own decimals, trailing zeros dropped: [6183763, 2]. */
function unitsOf(text: string): [number, number] {
  const [whole = "0", frac = ""] = text.split(".");
  const digits = frac.replace(/0+$/, "");
  return [Number(whole + digits), digits.length];
}

/** market_events as staged while the golden reader runs: numbers only, a row per event or level. */
const STAGE: {name: string; type: ChunkColumnType}[] = [
  {name: "seq", type: "DOUBLE"},
  {name: "ts_ms", type: "DOUBLE"},
  // Local arrival in ns; -1 where the record has none.
  {name: "received_ns", type: "BIGINT"},
  // 0 trade, 1 snapshot, 2 delta.
  {name: "kind", type: "UTINYINT"},
  {name: "update_id", type: "DOUBLE"},
  {name: "trade_id", type: "DOUBLE"},
  // The trade's or level's price and size in units, and their decimals.
  {name: "px", type: "DOUBLE"},
  {name: "px_scale", type: "UTINYINT"},
  {name: "qty", type: "DOUBLE"},
  {name: "qty_scale", type: "UTINYINT"},
  // Trades: 1 buy, 2 sell; deltas: 1 bid, 2 ask.
  {name: "side", type: "UTINYINT"},
  // The book after the event, in units at the book's decimals then (NaN: an empty side).
  {name: "bid", type: "DOUBLE"},
  {name: "ask", type: "DOUBLE"},
  {name: "book_px_scale", type: "UTINYINT"},
  {name: "bid_depth", type: "DOUBLE"},
  {name: "ask_depth", type: "DOUBLE"},
  {name: "book_qty_scale", type: "UTINYINT"},
  {name: "imbalance", type: "DOUBLE"},
  {name: "gap", type: "UTINYINT"},
  {name: "resync", type: "UTINYINT"}
];
const BATCH = 1 << 15;

/** Staged rows, a batch of typed-array columns at a time, appended to a DuckDB table (which spills to disk). */
class StagedEvents {
  readonly cols = STAGE.map((c) =>
    c.type === "BIGINT"
      ? new BigInt64Array(BATCH)
      : c.type === "UTINYINT"
        ? new Uint8Array(BATCH)
        : new Float64Array(BATCH)
  );
  private n = 0;
  rows = 0;
  constructor(private readonly append: (cols: (Float64Array | BigInt64Array | Uint8Array)[], n: number) => void) {}
  /** One row: values in STAGE's order. */
  push(values: (number | bigint)[]): void {
    for (let c = 0; c < values.length; c++) (this.cols[c] as Float64Array)[this.n] = values[c] as number;
    this.rows++;
    if (++this.n === BATCH) this.flush();
  }
  flush(): void {
    if (this.n) this.append(this.cols, this.n);
    this.n = 0;
  }
}

/** The SQL of each market_events column from the staged table, at the final decimals P (prices) and Q (sizes). */
function eventSql(c: Column, label: string): string {
  const t = c.type;
  const dec = (units: string, from: string) => decimalSql(units, from, Number(/,\s*(\d+)\)/.exec(t)?.[1] ?? 0), t);
  const when = (cond: string, expr: string) => `CASE WHEN ${cond} THEN ${expr} END`;
  const id = (col: string) => when(`NOT isnan(${col})`, `${col}::BIGINT`);
  const sql: Record<string, string> = {
    symbol: quoteString(label),
    event_ts_ns: "ts_ms::BIGINT * 1000000",
    received_time: /^TIMESTAMP/i.test(t) ? "make_timestamp_ns(NULLIF(received_ns, -1))" : "NULLIF(received_ns, -1)",
    event_type: "CASE kind WHEN 0 THEN 'TRADE' WHEN 1 THEN 'BOOK_SNAPSHOT' ELSE 'BOOK_DELTA' END",
    update_id: id("update_id"),
    trade_id: id("trade_id"),
    trade_price: when("kind = 0", dec("px", "px_scale")),
    trade_quantity: when("kind = 0", dec("qty", "qty_scale")),
    // m: the buyer is the maker, so the seller took liquidity (side 2).
    trade_side: when("kind = 0", "CASE side WHEN 2 THEN 'sell' ELSE 'buy' END"),
    delta_side: when("kind = 2", "CASE side WHEN 1 THEN 'bid' ELSE 'ask' END"),
    delta_price: when("kind = 2", dec("px", "px_scale")),
    delta_quantity: when("kind = 2", dec("qty", "qty_scale")),
    best_bid: when("NOT isnan(bid)", dec("bid", "book_px_scale")),
    best_ask: when("NOT isnan(ask)", dec("ask", "book_px_scale")),
    spread: when("NOT isnan(bid) AND NOT isnan(ask)", dec("ask - bid", "book_px_scale")),
    // (bid + ask) / 2 at one more decimal place: (bid + ask) × 5.
    mid: when("NOT isnan(bid) AND NOT isnan(ask)", dec("(bid + ask) * 5", "book_px_scale + 1")),
    bid_depth_5: dec("bid_depth", "book_qty_scale"),
    ask_depth_5: dec("ask_depth", "book_qty_scale"),
    imbalance_5: when("NOT isnan(imbalance)", "imbalance"),
    gap: "gap = 1",
    resync: "resync = 1"
  };
  return `CAST(${sql[c.name] ?? "NULL"} AS ${t}) AS ${quoteIdent(c.name)}`;
}

export interface RecordingTables {
  observation: MarketObservation;
  events: number;
  samples: number;
}

/**
 * A capture or recording (one or several files, replayed as one in the order of their first
 * local time) reconstructed by Binance's rules — the fidelity golden reader's own replay — into
 * market_events (a row per trade, per level a diff changes, and per snapshot that starts the
 * book; the book columns hold the book after the whole diff, as the exchange publishes it) and
 * book_samples (that reader's 100 ms samples, so the tables equal what `lab fidelity` compares).
 * Event times are the exchange's (trade T, diff E); received_time is the local arrival time.
 * Rows are built from the declared columns: a column the writer has no value for is null. They
 * are staged as numbers in a DuckDB file (memory stays flat), then sorted by exchange time.
 */
export async function writeRecordingTables({
  files,
  symbol,
  sampleMs = 100,
  key,
  scratchDir,
  sink,
  log = () => {}
}: {
  files: string[];
  /** market_events' symbol; by default the symbol the recording's messages carry (`s`). */
  symbol?: string;
  sampleMs?: number;
  key?: Buffer;
  scratchDir: string;
  sink: TableSink;
  log?: (line: string) => void;
}): Promise<RecordingTables> {
  const stageDir = join(scratchDir, "recording-stage");
  rmSync(stageDir, {recursive: true, force: true});
  mkdirSync(stageDir, {recursive: true});
  const duck = await openDuckDB({path: join(stageDir, "stage.duckdb"), tempDirectory: stageDir, memoryLimit: "256MB"});
  try {
    const appender = await createChunkAppender({duck, table: "ev", columns: STAGE});
    const staged = new StagedEvents((cols, n) => appender.append(cols, 0, n));
    const state = stagedEventRows(staged);
    const observation = observationFromCapture({files, key, intervalMs: sampleMs || 100, onEvent: state.onEvent});
    staged.flush();
    appender.close();
    const scale = state.scale();
    const label = symbol ?? state.symbol()?.toUpperCase() ?? "UNKNOWN";
    const events = await copyOut({
      duck,
      sink,
      table: "market_events",
      dir: stageDir,
      sql: `SELECT ${scaledColumns(declared("market_events"), scale)
        .map((c) => eventSql(c, label))
        .join(", ")} FROM ev WHERE NOT isnan(ts_ms) ORDER BY ts_ms, seq`
    });
    const samples = sampleMs > 0 ? await writeSamples({duck, sink, observation, scale, dir: stageDir}) : 0;
    log(
      `market: ${label} recording reconstructed: ${events.toLocaleString("en-US")} events, ${samples.toLocaleString("en-US")} book samples, ${observation.gaps ?? 0} gap(s)`
    );
    return {observation, events, samples};
  } finally {
    duck.close();
    rmSync(stageDir, {recursive: true, force: true});
  }
}

/** The golden reader's visitor that stages market_events rows, with the decimals and symbol it met. */
function stagedEventRows(staged: StagedEvents) {
  const top = {p: new Float64Array(5), q: new Float64Array(5)};
  const depth = (sync: DepthSync, side: 0 | 1) => {
    const n = sync.book.top(side, 5, top.p, top.q);
    let units = 0;
    for (let i = 0; i < n; i++) units += top.q[i]!;
    return units;
  };
  let unsynced = false;
  let seenSymbol: string | undefined;
  let pending: ((ms: number) => void) | undefined;
  const scale = {price: 0, qty: 0};
  const onEvent = (e: GoldenEvent, sync: DepthSync) => {
    if (e.kind === "gap") {
      unsynced = true;
      return;
    }
    if (e.kind !== "snapshot") seenSymbol ??= (e.kind === "trade" ? e.trade : e.diff).s;
    const {book} = sync,
      ps = sync.scale.price,
      qs = sync.scale.qty;
    scale.price = Math.max(scale.price, ps);
    scale.qty = Math.max(scale.qty, qs);
    const vb = depth(sync, BID),
      va = depth(sync, ASK);
    const bookCols = [
      book.bestBid >= 0 ? book.bestBid : NaN,
      book.bestAsk >= 0 ? book.bestAsk : NaN,
      ps,
      vb,
      va,
      qs,
      vb + va > 0 ? (vb - va) / (vb + va) : NaN
    ];
    // The golden reader's times are the exchange's ms × 10^6: the ms, exactly, are what is kept.
    let ms = Math.round(e.tNs / 1e6);
    if (pending && Number.isFinite(ms)) (pending(ms), (pending = undefined));
    const received = e.localNs === undefined ? -1n : BigInt(e.localNs);
    const row = (
      kind: number,
      u: number,
      tradeId: number,
      [px, pxScale]: [number, number],
      [qty, qtyScale]: [number, number],
      side: number,
      gap = 0,
      resync = 0
    ) =>
      staged.push([
        staged.rows,
        ms,
        received,
        kind,
        u,
        tradeId,
        px,
        pxScale,
        qty,
        qtyScale,
        side,
        ...bookCols,
        gap,
        resync
      ]);
    if (e.kind === "snapshot") {
      const push = (at: number) => {
        ms = at;
        row(1, e.lastUpdateId, NaN, [NaN, 0], [NaN, 0], 0, Number(e.resync), Number(e.resync));
      };
      // A snapshot read before any stream message has no exchange time: it takes the next event's.
      if (Number.isFinite(ms)) push(ms);
      else pending = push;
      unsynced = false;
    } else if (e.kind === "trade") {
      const px = unitsOf(e.trade.p),
        qty = unitsOf(e.trade.q);
      scale.price = Math.max(scale.price, px[1]);
      scale.qty = Math.max(scale.qty, qty[1]);
      row(0, NaN, e.trade.t ?? NaN, px, qty, e.trade.m ? 2 : 1, Number(unsynced));
    } else
      for (const [side, levels] of [
        [1, e.diff.b],
        [2, e.diff.a]
      ] as const)
        for (const [p, q] of levels) row(2, e.diff.u, NaN, unitsOf(p), unitsOf(q), side);
  };
  return {onEvent, scale: () => scale, symbol: () => seenSymbol};
}

/** A staging query's rows as `table`: through a Parquet file in `dir`, then the sink. */
async function copyOut({
  duck,
  sink,
  table,
  dir,
  sql
}: {
  duck: Duck;
  sink: TableSink;
  table: string;
  dir: string;
  sql: string;
}): Promise<number> {
  const path = join(dir, `${table}.parquet`);
  await copyQueryToParquet({duck, sql, path});
  return sink.writeQuery(table, `SELECT * FROM read_parquet(${quoteString(path)})`);
}

/** book_samples from the golden reader's samples, in units at the final decimals, as declared. */
async function writeSamples({
  duck,
  sink,
  observation,
  scale,
  dir
}: {
  duck: Duck;
  sink: TableSink;
  observation: MarketObservation;
  scale: {price: number; qty: number};
  dir: string;
}): Promise<number> {
  const s = observation.samples;
  const columns = scaledColumns(declared("book_samples"), scale);
  const levelCols = columns.filter((c) => c.name !== "ts_ns");
  const appender = await createChunkAppender({
    duck,
    table: "sm",
    columns: [{name: "ts_ms", type: "DOUBLE"}, ...levelCols.map((c) => ({name: c.name, type: "DOUBLE" as const}))]
  });
  // Each level column's source: side, price or size, level.
  const sources = levelCols.map((c) => {
    const [side, level, what] = c.name.split("_") as [string, string, string];
    const price = what === "price";
    const data = side === "bid" ? (price ? s.bidPx : s.bidQty) : price ? s.askPx : s.askQty;
    return {data, level: Number(level), unit: 10 ** (price ? scale.price : scale.qty)};
  });
  const n = s.tNs.length;
  const cols = [new Float64Array(n), ...sources.map(() => new Float64Array(n))];
  for (let i = 0; i < n; i++) {
    cols[0]![i] = Math.round(s.tNs[i]! / 1e6);
    sources.forEach(({data, level, unit}, k) => {
      const x = level < s.levels ? data[i * s.levels + level]! : NaN;
      // The sampled doubles are units ÷ 10^decimals: back to integer units at the final decimals.
      cols[k + 1]![i] = Number.isFinite(x) ? Math.round(x * unit) : NaN;
    });
  }
  appender.append(cols, 0, n);
  appender.close();
  const select = columns.map((c) => {
    if (c.name === "ts_ns") return `CAST(ts_ms::BIGINT * 1000000 AS ${c.type}) AS ts_ns`;
    const col = quoteIdent(c.name);
    const to = Number(/,\s*(\d+)\)/.exec(c.type)?.[1] ?? 0);
    const from = /_size$/.test(c.name) ? scale.qty : scale.price;
    return `CASE WHEN NOT isnan(${col}) THEN ${decimalSql(col, String(from), to, c.type)} END AS ${col}`;
  });
  return copyOut({duck, sink, table: "book_samples", dir, sql: `SELECT ${select.join(", ")} FROM sm ORDER BY ts_ms`});
}
