import {mkdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {openDuckDB, type Duck} from "../../core/duckdb.js";
import {
  copyQueryToParquet,
  createChunkAppender,
  type ChunkAppender,
  type ChunkColumnType
} from "../../core/parquet-write.js";
import type {Rng} from "../../core/random.js";
import {ASK, BID, type Book, type Side} from "../book.js";
import type {MarketConfig} from "../config.js";
import type {MarketSink} from "./simulator.js";

/** Columns buffered in typed arrays and appended to a scratch table every `capacity` rows. */
class Columns {
  readonly data: (Float64Array | Uint8Array)[];
  n = 0;
  constructor(
    private readonly appender: ChunkAppender,
    types: ChunkColumnType[],
    private readonly capacity = 1 << 16
  ) {
    this.data = types.map((t) => (t === "UTINYINT" ? new Uint8Array(capacity) : new Float64Array(capacity)));
  }
  row(...values: number[]): void {
    for (let c = 0; c < values.length; c++) this.data[c]![this.n] = values[c]!;
    if (++this.n === this.capacity) this.flush();
  }
  flush(): void {
    if (this.n) this.appender.append(this.data, 0, this.n);
    this.n = 0;
  }
  close(): void {
    this.flush();
    this.appender.close();
  }
}

export interface HistoryFiles {
  trades: string;
  book: string;
  deltas: string;
  truthChanges: string;
  truthTrades: string;
  truthRegimes: string;
}

const ts = (base: bigint, column: string) => `make_timestamp_ns(${base}::BIGINT + ${column}::BIGINT)`;

/**
 * A MarketSink that writes what a Crypto Lake-style collector would have kept — `trades`,
 * `book` (top-20 snapshots) and `book_delta_v2`, with the configured defects: origin_time
 * jitter, millisecond resolution (ties), dropped deltas, collector latency — and the
 * simulator's truth beside them (every change, every trade, the regimes). Rows stream through
 * typed arrays into scratch DuckDB tables, then each table is written as Parquet atomically.
 */
// Over 150 lines: the sink's callbacks share the column buffers and scratch tables it sets up.
export async function createHistoryWriter({
  outDir,
  rng,
  config,
  startNs = 1_709_251_200_000_000_000n
}: {
  outDir: string;
  rng: Rng;
  config: MarketConfig;
  startNs?: bigint;
}) {
  const scratch = join(outDir, `.scratch-${process.pid}`);
  mkdirSync(scratch, {recursive: true});
  const duck: Duck = await openDuckDB({
    path: join(scratch, "sim.duckdb"),
    tempDirectory: scratch,
    memoryLimit: "512MB"
  });
  const table = async (name: string, columns: [string, ChunkColumnType][]) =>
    new Columns(
      await createChunkAppender({duck, table: name, columns: columns.map(([n, type]) => ({name: n, type}))}),
      columns.map(([, t]) => t)
    );
  const F = "DOUBLE" as const,
    B = "UTINYINT" as const;
  const changes = await table("changes", [
    ["t", F],
    ["u", F],
    ["side", B],
    ["tick", F],
    ["lots", F]
  ]);
  const deltas = await table("deltas", [
    ["o", F],
    ["r", F],
    ["u", F],
    ["side", B],
    ["tick", F],
    ["lots", F]
  ]);
  const truthTrades = await table("truth_trades", [
    ["t", F],
    ["id", F],
    ["side", B],
    ["tick", F],
    ["lots", F],
    ["u", F]
  ]);
  const trades = await table("trades", [
    ["o", F],
    ["r", F],
    ["id", F],
    ["side", B],
    ["tick", F],
    ["lots", F]
  ]);
  const levels = config.snapshotLevels;
  const bookCols: [string, ChunkColumnType][] = [
    ["o", F],
    ["r", F],
    ["seq", F]
  ];
  for (let i = 0; i < levels; i++) bookCols.push([`bp${i}`, F], [`bs${i}`, F]);
  for (let i = 0; i < levels; i++) bookCols.push([`ap${i}`, F], [`as${i}`, F]);
  const book = await table("book", bookCols);
  const regimes: {t: number; name: string}[] = [];
  const defects = rng.fork("defects");
  const latency = () => config.latencyMedianMs * 1e6 * Math.exp(defects.normal(0, config.latencySigma));
  // Exchange timestamps have millisecond resolution: events within a millisecond tie.
  const origin = (t: number) =>
    Math.floor((config.originJitterMs ? Math.max(0, t + defects.normal(0, config.originJitterMs) * 1e6) : t) / 1e6) *
    1e6;
  const bp = new Float64Array(levels),
    bq = new Float64Array(levels),
    ap = new Float64Array(levels),
    aq = new Float64Array(levels);
  const snapshotRow = new Array<number>(3 + 4 * levels);
  const counts = {changes: 0, deltas: 0, dropped: 0, trades: 0, snapshots: 0};
  const sink: MarketSink = {
    change(t, u, side, tick, lots) {
      changes.row(t, u, side, tick, lots);
      counts.changes++;
      if (config.dropDeltaRate && defects.next() < config.dropDeltaRate) {
        counts.dropped++;
        return;
      }
      deltas.row(origin(t), t + latency(), u, side, tick, lots);
      counts.deltas++;
    },
    trade(t, id, side, tick, lots, u) {
      truthTrades.row(t, id, side, tick, lots, u);
      trades.row(origin(t), t + latency(), id, side, tick, lots);
      counts.trades++;
    },
    snapshot(t, seq, b: Book, n) {
      const nb = b.top(BID, n, bp, bq),
        na = b.top(ASK, n, ap, aq);
      snapshotRow[0] = Math.floor(t / 1e6) * 1e6;
      snapshotRow[1] = t + latency();
      snapshotRow[2] = seq;
      for (let i = 0; i < n; i++) {
        snapshotRow[3 + 2 * i] = i < nb ? bp[i]! : NaN;
        snapshotRow[4 + 2 * i] = i < nb ? bq[i]! : NaN;
        snapshotRow[3 + 2 * n + 2 * i] = i < na ? ap[i]! : NaN;
        snapshotRow[4 + 2 * n + 2 * i] = i < na ? aq[i]! : NaN;
      }
      book.row(...snapshotRow);
      counts.snapshots++;
    },
    regime(t, name) {
      regimes.push({t, name});
    }
  };
  const price = (c: string) => `round(${c} * ${config.tickSize}, ${config.priceScale})`;
  const qty = (c: string) => `round(${c} * ${config.lotSize}, ${config.quantityScale})`;
  const side = (c: string, names: [string, string]) =>
    `CASE ${c} WHEN ${BID} THEN '${names[0]}' ELSE '${names[1]}' END`;
  const nan = (e: string, c: string) => `CASE WHEN isnan(${c}) THEN NULL ELSE ${e} END`;
  async function finish(): Promise<HistoryFiles & {counts: typeof counts}> {
    for (const c of [changes, deltas, truthTrades, trades, book]) c.close();
    const files: HistoryFiles = {
      trades: join(outDir, "history", "trades.parquet"),
      book: join(outDir, "history", "book.parquet"),
      deltas: join(outDir, "history", "book_delta_v2.parquet"),
      truthChanges: join(outDir, "truth", "book_changes.parquet"),
      truthTrades: join(outDir, "truth", "trades.parquet"),
      truthRegimes: join(outDir, "truth", "regimes.parquet")
    };
    // Collectors write in arrival order.
    await copyQueryToParquet({
      duck,
      path: files.deltas,
      sql: `SELECT ${ts(startNs, "o")} AS origin_time, ${ts(startNs, "r")} AS received_time, u::BIGINT AS update_id, ${side("side", ["bid", "ask"])} AS side, ${price("tick")} AS price, ${qty("lots")} AS new_quantity FROM deltas ORDER BY r`
    });
    await copyQueryToParquet({
      duck,
      path: files.trades,
      sql: `SELECT ${ts(startNs, "o")} AS origin_time, ${ts(startNs, "r")} AS received_time, id::BIGINT AS trade_id, ${side("side", ["buy", "sell"])} AS side, ${price("tick")} AS price, ${qty("lots")} AS quantity FROM trades ORDER BY r`
    });
    const levelCols = [
      ...Array.from(
        {length: levels},
        (_, i) =>
          `${nan(price(`bp${i}`), `bp${i}`)} AS bid_${i}_price, ${nan(qty(`bs${i}`), `bs${i}`)} AS bid_${i}_size`
      ),
      ...Array.from(
        {length: levels},
        (_, i) =>
          `${nan(price(`ap${i}`), `ap${i}`)} AS ask_${i}_price, ${nan(qty(`as${i}`), `as${i}`)} AS ask_${i}_size`
      )
    ];
    await copyQueryToParquet({
      duck,
      path: files.book,
      sql: `SELECT ${ts(startNs, "o")} AS origin_time, ${ts(startNs, "r")} AS received_time, seq::BIGINT AS sequence_number, ${levelCols.join(", ")} FROM book ORDER BY r`
    });
    await copyQueryToParquet({
      duck,
      path: files.truthChanges,
      sql: `SELECT (${startNs}::BIGINT + t::BIGINT) AS ts_ns, u::BIGINT AS update_id, ${side("side", ["bid", "ask"])} AS side, tick::BIGINT AS price_ticks, lots::BIGINT AS quantity_lots FROM changes ORDER BY u`
    });
    await copyQueryToParquet({
      duck,
      path: files.truthTrades,
      sql: `SELECT (${startNs}::BIGINT + t::BIGINT) AS ts_ns, id::BIGINT AS trade_id, ${side("side", ["buy", "sell"])} AS side, tick::BIGINT AS price_ticks, lots::BIGINT AS quantity_lots, u::BIGINT AS update_id_before FROM truth_trades ORDER BY id`
    });
    await duck.run("CREATE TABLE regimes (t DOUBLE, regime VARCHAR)");
    for (const r of regimes) await duck.run("INSERT INTO regimes VALUES (?, ?)", [r.t, r.name]);
    await copyQueryToParquet({
      duck,
      path: files.truthRegimes,
      sql: `SELECT (${startNs}::BIGINT + t::BIGINT) AS ts_ns, regime FROM regimes ORDER BY t`
    });
    duck.close();
    rmSync(scratch, {recursive: true, force: true});
    return {...files, counts};
  }
  return {sink, finish, abort: () => (duck.close(), rmSync(scratch, {recursive: true, force: true}))};
}

export type {Side};
