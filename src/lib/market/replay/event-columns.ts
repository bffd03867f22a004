import type {ColumnSpec, Sparse} from "../../parquet-writer/index.js";
import {quoteList} from "../../core/sql.js";
import {RUN_STARTS, TYPE_COLUMN} from "./out-buffer.js";
import {EVENT_DELTA, EVENT_SNAPSHOT, EVENT_TRADE} from "./types.js";

/** How the replay's numbers become output values: ticks and lots as decimals, times from a base. */
export interface OutputScales {
  /** The earliest origin time (ns) that event times are offsets from. */
  base: bigint;
  tickSize: number;
  lotSize: number;
  priceScale: number;
  quantityScale: number;
}

/** What every row of a replay's market_events carries alike: the instrument, and the dataset (the sinks' column). */
export interface EventLabels {
  symbol: string;
  dataset: string;
}

/** Price and quantity columns: integer ticks and lots multiplied out to decimals that hold them exactly. */
function decimals({tickSize, lotSize, priceScale, quantityScale}: OutputScales) {
  const pm = Math.round(tickSize * 10 ** priceScale),
    qm = Math.round(lotSize * 10 ** quantityScale);
  const price = (name: string, extra = 0, sparse?: Sparse): ColumnSpec => ({
    name,
    type: "INT64",
    logical: {decimal: {precision: 18, scale: priceScale + extra}},
    multiply: pm * 10 ** extra,
    nullable: true,
    ...(sparse ? {sparse} : {})
  });
  const quantity = (name: string, sparse?: Sparse): ColumnSpec => ({
    name,
    type: "INT64",
    logical: {decimal: {precision: 18, scale: quantityScale}},
    multiply: qm,
    nullable: true,
    ...(sparse ? {sparse} : {})
  });
  return {pm, price, quantity};
}

/**
 * market_events' columns (as tables.ts declares them, then `dataset`), in the order of an
 * OutBuffer's `columns`: the event, then the book after it. Packed fields (sparse) are present
 * only on their event type (the type column); the book state is read as runs whose starts sit
 * beside the columns. Times are nanoseconds since the epoch (BIGINT, as event_ts_ns always was),
 * with min/max statistics per row group so that a reader skips the row groups outside a window.
 */
export function eventColumns(scales: OutputScales & EventLabels): ColumnSpec[] {
  const {pm, price, quantity} = decimals(scales);
  const runs = {runs: {starts: RUN_STARTS}};
  const onTrades: Sparse = {column: TYPE_COLUMN, code: EVENT_TRADE},
    onDeltas: Sparse = {column: TYPE_COLUMN, code: EVENT_DELTA},
    onSnapshots: Sparse = {column: TYPE_COLUMN, code: EVENT_SNAPSHOT},
    notOnTrades: Sparse = {column: TYPE_COLUMN, code: EVENT_TRADE, except: true};
  return [
    {name: "symbol", type: "ENUM", labels: [scales.symbol], constant: true},
    {name: "event_ts_ns", type: "INT64", add: scales.base, statistics: true},
    // The input's received_time (a capture's local receive time): null where the input has none.
    {name: "received_time", type: "INT64", add: scales.base, nullable: true, statistics: true},
    {name: "event_type", type: "ENUM", labels: ["TRADE", "BOOK_SNAPSHOT", "BOOK_DELTA"]},
    // Update ids on book events (packed: a trade has none).
    {name: "update_id", type: "INT64", nullable: true, sparse: notOnTrades},
    {name: "trade_id", type: "INT64", nullable: true, sparse: onTrades},
    // Trade fields on trade rows only, delta fields on delta rows only (packed).
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
      logical: {decimal: {precision: 18, scale: scales.priceScale + 1}},
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
    {name: "drift", type: "DOUBLE", nullable: true, sparse: onSnapshots},
    {name: "dataset", type: "ENUM", labels: [scales.dataset], constant: true}
  ];
}

/** book_samples' columns: the time, then price and size of each of `levels` bid levels, then ask levels. */
export function sampleColumns(scales: OutputScales & {levels: number}): ColumnSpec[] {
  const {price, quantity} = decimals(scales);
  return [
    {name: "ts_ns", type: "INT64", add: scales.base},
    ...["bid", "ask"].flatMap((side) =>
      Array.from({length: scales.levels}, (_, l) => [price(`${side}_${l}_price`), quantity(`${side}_${l}_size`)]).flat()
    )
  ];
}

/**
 * A replay's market_events as a query for a sink, which adds the dataset it publishes for: the
 * files' own columns (no hive `day`), less their `dataset`.
 */
export function eventsQuery(path: string): string {
  return `SELECT * EXCLUDE (dataset) FROM read_parquet(${quoteList([path])}, hive_partitioning = false)`;
}
