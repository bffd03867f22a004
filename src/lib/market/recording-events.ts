import {rmSync} from "node:fs";
import {join} from "node:path";
import type {Column} from "../core/parquet-write.js";
import {writeParquet} from "../core/parquet-write.js";
import {quoteIdent, quoteString} from "../core/sql.js";
import type {TableSink} from "../core/table-sink.js";
import {ASK, BID, type Book} from "./book.js";
import type {DecimalScale} from "./decimal-units.js";
import {observationFromCapture, type GoldenEvent} from "./fidelity/observations.js";
import type {MarketObservation} from "./fidelity/report.js";
import type {DepthSync} from "./live/depth-sync.js";
import {marketTables} from "./tables.js";

/** Integer units at `decimals` as an exact decimal string (sign kept): 6183763 at 2 → "61837.63". */
function unitsText(units: number, decimals: number): string {
  const digits = String(Math.abs(units)).padStart(decimals + 1, "0");
  const text = decimals ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits;
  return units < 0 ? `-${text}` : text;
}

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

/**
 * What a row is staged as before its declared type: times as BIGINT nanoseconds, decimals as
 * their exact text (DuckDB's appender takes a DECIMAL value about ten times slower than the text
 * its cast then reads).
 */
function stagingType(type: string): string {
  if (/^TIMESTAMP/i.test(type)) return "BIGINT";
  return /^DECIMAL/i.test(type) ? "VARCHAR" : type;
}

/** The SQL that turns a staged column into its declared type. */
function fromStaging(c: Column): string {
  const col = quoteIdent(c.name);
  if (/^TIMESTAMP/i.test(c.type)) return `make_timestamp_ns(${col})::${c.type} AS ${col}`;
  return /^DECIMAL/i.test(c.type) ? `CAST(${col} AS ${c.type}) AS ${col}` : col;
}

/** Writes `rows` as `table` with exactly `columns` (in their order and types) through a staged Parquet file. */
async function writeDeclared({
  sink,
  table,
  columns,
  rows,
  scratchDir
}: {
  sink: TableSink;
  table: string;
  columns: Column[];
  rows: object[];
  scratchDir: string;
}): Promise<number> {
  const staged = join(scratchDir, `${table}.staged.parquet`);
  await writeParquet({path: staged, columns: columns.map((c) => ({...c, type: stagingType(c.type)})), rows});
  try {
    return await sink.writeQuery(
      table,
      `SELECT ${columns.map(fromStaging).join(", ")} FROM read_parquet(${quoteString(staged)})`
    );
  } finally {
    rmSync(staged, {force: true});
  }
}

/** The book's state after an event, as market_events' book columns (exact decimal strings). */
function bookState(book: Book, scale: DecimalScale, top: {p: Float64Array; q: Float64Array}) {
  const depth = (side: 0 | 1) => {
    const n = book.top(side, 5, top.p, top.q);
    let units = 0;
    for (let i = 0; i < n; i++) units += top.q[i]!;
    return units;
  };
  const bid = book.bestBid,
    ask = book.bestAsk;
  const vb = depth(BID),
    va = depth(ASK);
  const both = bid >= 0 && ask >= 0;
  return {
    best_bid: bid >= 0 ? unitsText(bid, scale.price) : null,
    best_ask: ask >= 0 ? unitsText(ask, scale.price) : null,
    spread: both ? unitsText(ask - bid, scale.price) : null,
    // (bid + ask) / 2 at one more decimal place: (bid + ask) × 5.
    mid: both ? unitsText((bid + ask) * 5, scale.price + 1) : null,
    bid_depth_5: unitsText(vb, scale.qty),
    ask_depth_5: unitsText(va, scale.qty),
    imbalance_5: vb + va > 0 ? (vb - va) / (vb + va) : null
  };
}

/** Decimal text in the scale the book keeps: "61837.63000000" → units at `decimals` → "61837.63". */
function levelText(text: string, decimals: number): string {
  const [whole = "0", frac = ""] = text.split(".");
  const cut = frac.slice(0, decimals).padEnd(decimals, "0");
  return decimals ? `${whole}.${cut}` : whole;
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
 * Rows are built from the declared columns: a column the writer has no value for is null.
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
  const rows: (Record<string, unknown> & {event_ts_ns: bigint; seq: number})[] = [];
  const top = {p: new Float64Array(5), q: new Float64Array(5)};
  let unsynced = false;
  let bookScale: DecimalScale | undefined;
  let seenSymbol: string | undefined;
  const onEvent = (e: GoldenEvent, sync: DepthSync) => {
    bookScale = sync.scale;
    if (e.kind === "trade" || e.kind === "diff") seenSymbol ??= (e.kind === "trade" ? e.trade : e.diff).s;
    const base = {
      event_ts_ns: exactNs(e.tNs),
      received_time: e.localNs === undefined ? null : BigInt(e.localNs),
      seq: rows.length,
      drift: null
    };
    if (e.kind === "gap") {
      unsynced = true;
      return;
    }
    const state = bookState(sync.book, sync.scale, top);
    if (e.kind === "snapshot") {
      rows.push({
        ...base,
        ...state,
        event_type: "BOOK_SNAPSHOT",
        update_id: e.lastUpdateId,
        gap: e.resync,
        resync: e.resync
      });
      unsynced = false;
    } else if (e.kind === "trade") {
      const {scale} = sync;
      rows.push({
        ...base,
        ...state,
        event_type: "TRADE",
        trade_id: e.trade.t ?? null,
        trade_price: levelText(e.trade.p, Math.max(scale.price, decimalsOf(e.trade.p))),
        trade_quantity: levelText(e.trade.q, Math.max(scale.qty, decimalsOf(e.trade.q))),
        // m: the buyer is the maker, so the seller took liquidity.
        trade_side: e.trade.m ? "sell" : "buy",
        gap: unsynced,
        resync: false
      });
    } else {
      const {scale} = sync;
      for (const [side, levels] of [
        ["bid", e.diff.b],
        ["ask", e.diff.a]
      ] as const)
        for (const [p, q] of levels)
          rows.push({
            ...base,
            ...state,
            seq: rows.length,
            event_type: "BOOK_DELTA",
            update_id: e.diff.u,
            delta_side: side,
            delta_price: levelText(p, scale.price),
            delta_quantity: levelText(q, scale.qty),
            gap: false,
            resync: false
          });
    }
  };
  const observation = observationFromCapture({files, key, intervalMs: sampleMs || 100, onEvent});
  const label = symbol ?? seenSymbol?.toUpperCase() ?? "UNKNOWN";
  for (const row of rows) row.symbol = label;
  // Exchange time order; rows of one time keep the order they were read in.
  rows.sort((a, b) => (a.event_ts_ns < b.event_ts_ns ? -1 : a.event_ts_ns > b.event_ts_ns ? 1 : a.seq - b.seq));
  const seen = observedScale(rows);
  const scale = {
    price: Math.max(seen.price, bookScale?.price ?? 0),
    qty: Math.max(seen.qty, bookScale?.qty ?? 0)
  };
  const events = await writeDeclared({
    sink,
    table: "market_events",
    columns: scaledColumns(declared("market_events"), scale),
    rows,
    scratchDir
  });
  let samples = 0;
  if (sampleMs > 0) {
    const s = observation.samples;
    const sampleRows = Array.from({length: s.tNs.length}, (_, i) => {
      const row: Record<string, unknown> = {ts_ns: exactNs(s.tNs[i]!)};
      for (let l = 0; l < s.levels; l++) {
        const k = i * s.levels + l;
        row[`bid_${l}_price`] = decimalOf(s.bidPx[k]!, scale.price);
        row[`bid_${l}_size`] = decimalOf(s.bidQty[k]!, scale.qty);
        row[`ask_${l}_price`] = decimalOf(s.askPx[k]!, scale.price);
        row[`ask_${l}_size`] = decimalOf(s.askQty[k]!, scale.qty);
      }
      return row;
    });
    samples = await writeDeclared({
      sink,
      table: "book_samples",
      columns: scaledColumns(declared("book_samples"), scale),
      rows: sampleRows,
      scratchDir
    });
  }
  log(
    `market: ${label} recording reconstructed: ${events.toLocaleString("en-US")} events, ${samples.toLocaleString("en-US")} book samples, ${observation.gaps ?? 0} gap(s)`
  );
  return {observation, events, samples};
}

/**
 * The golden reader's times are the exchange's milliseconds × 10^6 as doubles, which near 2^60
 * round to 256 ns: the exact nanoseconds are the milliseconds, as an integer, × 10^6.
 */
function exactNs(tNs: number): bigint {
  return BigInt(Math.round(tNs / 1e6)) * 1_000_000n;
}

/** The decimals a decimal string uses once trailing zeros are dropped ("61837.63000000" → 2). */
function decimalsOf(text: string): number {
  const frac = text.split(".")[1] ?? "";
  return frac.replace(/0+$/, "").length;
}

/** The decimals the rows' prices and sizes need. */
function observedScale(rows: Record<string, unknown>[]): {price: number; qty: number} {
  let price = 0,
    qty = 0;
  for (const r of rows) {
    for (const k of ["best_bid", "best_ask", "trade_price", "delta_price"])
      if (typeof r[k] === "string") price = Math.max(price, decimalsOf(r[k] as string));
    for (const k of ["trade_quantity", "delta_quantity", "bid_depth_5", "ask_depth_5"])
      if (typeof r[k] === "string") qty = Math.max(qty, decimalsOf(r[k] as string));
  }
  return {price, qty};
}

/** A sampled double (the quotient of integer units by 10^decimals) back as exact decimal text. */
function decimalOf(x: number, decimals: number): string | null {
  return Number.isFinite(x) ? unitsText(Math.round(x * 10 ** decimals), decimals) : null;
}
