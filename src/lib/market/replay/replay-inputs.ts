import {mkdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {openDuckDB, type Duck} from "../../core/duckdb.js";
import {LabError} from "../../core/errors.js";
import {
  bookLevels,
  csvScanSql,
  decimalsOf,
  inferIncrements,
  invalidNumbers,
  isParquet,
  registerInputs,
  type ColumnMapping,
  type MarketInputs
} from "../history/inputs.js";
import type {Checkpoint} from "./types.js";
import {ColumnStream, type ChunkSource} from "./column-stream.js";
import {checkIncrements} from "./increment-check.js";
import {SortedCursor, type ReplayCursor} from "./cursor.js";
import {ReorderWindow} from "./reorder-window.js";
import {SliceReader} from "./slice-reader.js";
import {STRATEGIES, type Strategy} from "./types.js";

export type InputName = "deltas" | "book" | "trades";

/** The inputs a strategy reads (deltas are not read by snapshot_anchored); fails on one it lacks. */
export function strategyInputs({inputs, strategy}: {inputs: MarketInputs; strategy: Strategy}): MarketInputs {
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
        reason: `strategy ${strategy} needs the ${name} input`,
        hint:
          name === "deltas"
            ? "give the deltas (--deltas), or leave the strategy out to use the one the assessor recommends for these inputs (snapshot_anchored without deltas)"
            : `give the ${name} input (--${name})`
      });
  }
  return {
    book: inputs.book,
    trades: inputs.trades,
    deltas: needs.deltas ? inputs.deltas : undefined
  };
}

/** A DuckDB for the replay's queries and sorts, its files (and spills) in `<outDir>/.replay`, removed on close. */
export async function openScratchDuck({
  outDir,
  memoryLimit = "1GB"
}: {
  outDir: string;
  memoryLimit?: string;
}): Promise<{duck: Duck; close(): void}> {
  const work = join(outDir, ".replay");
  rmSync(work, {recursive: true, force: true});
  mkdirSync(work, {recursive: true});
  const duck = await openDuckDB({path: join(work, "replay.duckdb"), tempDirectory: work, memoryLimit});
  return {
    duck,
    close() {
      duck.close();
      rmSync(work, {recursive: true, force: true});
    }
  };
}

/** What the replay knows of its inputs before reading them, and how it reads each row. */
export interface InputPlan {
  /** Book levels per side in a snapshot. */
  levels: number;
  tickSize: number;
  lotSize: number;
  /** Decimals that hold every multiple of the increments. */
  priceScale: number;
  quantityScale: number;
  /** The earliest origin time (ns): times are read as offsets from it, exact as doubles. */
  base: bigint;
  /** Each input's row as DOUBLE expressions: time, id, then the rest (read by position), the receive time last. */
  expressions: Record<InputName, string[]>;
  /** Select lists for inputs whose columns are named otherwise (see `canonicalSelect`). */
  selects: Partial<Record<InputName, string>>;
}

/**
 * Registers the inputs as views, checks them (the window reader checks deltas and trades row by
 * row as it reads them, so a bad row fails the run naming its line before it reaches the book;
 * snapshots, few and wide, are checked here) and plans the read: increments (inferred unless
 * given), decimals, the time base and each row's SQL in ticks and lots.
 */
export async function planInputs({
  duck,
  used,
  reader,
  tickSize: tickOverride,
  lotSize: lotOverride,
  columns
}: {
  duck: Duck;
  used: MarketInputs;
  reader: "window" | "sort";
  tickSize?: number;
  lotSize?: number;
  columns?: ColumnMapping;
}): Promise<InputPlan> {
  const selects = await registerInputs({duck, inputs: used, mapping: columns});
  const levels = await bookLevels({duck});
  if (!levels) throw new LabError({file: used.book, reason: "the book input has no bid_0_price/ask_0_price columns"});
  const problems = await invalidNumbers({duck, inputs: reader === "window" ? {book: used.book} : used, levels});
  if (problems.length)
    throw new LabError({
      reason: `malformed input; nothing was replayed:\n  ${problems.join("\n  ")}`,
      hint: "fix or drop these rows; a NaN price cannot be placed in the book"
    });
  await checkIncrements({duck, inputs: used, levels, tickSize: tickOverride, lotSize: lotOverride});
  const inferred = await inferIncrements({duck, inputs: used});
  const tickSize = tickOverride ?? inferred.tickSize;
  const lotSize = lotOverride ?? inferred.lotSize;
  // An override such as a 0.5 tick needs a decimal place the inferred one did not.
  const priceScale = decimalsOf(tickSize);
  const quantityScale = decimalsOf(lotSize);
  const baseRows = await duck.all<{b: bigint}>(
    `SELECT min(b) AS b FROM (${Object.keys(used)
      .filter((k) => used[k as keyof MarketInputs])
      .map((k) => `SELECT min(epoch_ns(origin_time)) AS b FROM ${k}`)
      .join(" UNION ALL ")})`
  );
  const base = baseRows[0]!.b;

  const px = (c: string) => `round(${c}::DOUBLE / ${tickSize})::DOUBLE`;
  const qx = (c: string) => `round(${c}::DOUBLE / ${lotSize})::DOUBLE`;
  const nanIfNull = (e: string) => `coalesce(${e}, 'NaN'::DOUBLE)`;
  const o = `(epoch_ns(origin_time) - ${base})::DOUBLE`;
  // The receive time, last in each row (NaN where the input has none: market_events' null).
  const received = nanIfNull(`(epoch_ns(received_time) - ${base})::DOUBLE`);
  const levelCols = ["bid", "ask"].flatMap((side) =>
    Array.from({length: levels}, (_, i) => [
      nanIfNull(px(`${side}_${i}_price`)),
      nanIfNull(qx(`${side}_${i}_size`))
    ]).flat()
  );
  // Codes: 255 marks a side that is neither of the two (or missing): a bad row.
  const code = (c: string, zero: string, one: string) =>
    `(CASE ${c} WHEN '${zero}' THEN 0 WHEN '${one}' THEN 1 ELSE 255 END)::DOUBLE`;
  const expressions = {
    deltas: [
      nanIfNull(o),
      nanIfNull("update_id::DOUBLE"),
      code("side", "bid", "ask"),
      nanIfNull(px("price")),
      nanIfNull(qx("new_quantity")),
      received
    ],
    book: [nanIfNull(o), nanIfNull("sequence_number::DOUBLE"), ...levelCols, received],
    trades: [
      nanIfNull(o),
      nanIfNull("trade_id::DOUBLE"),
      code("side", "buy", "sell"),
      nanIfNull(px("price")),
      nanIfNull(qx("quantity")),
      received
    ]
  };
  return {levels, tickSize, lotSize, priceScale, quantityScale, base, expressions, selects};
}

const stream = async (duck: Duck, sql: string) => ColumnStream.open({connection: await duck.connect(), sql});

/** An input in file order from row `fromRow`: Parquet a slice of row groups at a time (row-major arrays), CSV as one stream. */
export async function fileOrderSource({
  duck,
  plan,
  name,
  path,
  fromRow
}: {
  duck: Duck;
  plan: InputPlan;
  name: InputName;
  path: string;
  fromRow: number;
}): Promise<ChunkSource> {
  return isParquet(path)
    ? SliceReader.open({duck, path, expressions: plan.expressions[name], fromRow, select: plan.selects[name]})
    : stream(
        duck,
        `SELECT ${plan.expressions[name].join(", ")} FROM ${plan.selects[name] ? `(SELECT ${plan.selects[name]} FROM ${csvScanSql(path, fromRow)})` : csvScanSql(path, fromRow)}`
      );
}

/** The merge's three inputs, and the reorder windows behind them when reading in file order (for checkpoints). */
export interface ReplayReaders {
  deltas?: ReplayCursor;
  book: ReplayCursor;
  trades: ReplayCursor;
  windows: Record<InputName, ReorderWindow | undefined>;
}

/**
 * Opens each input's cursor where a checkpoint left it (or at the start). `window`: in file
 * order, sorted on the fly within `windowRows` rows; `sort`: DuckDB's ORDER BY, spilling to disk.
 * Book events are keyed by update id in the full replay and by origin time otherwise; trades by
 * origin time; ties by file position.
 */
export async function openReaders({
  duck,
  plan,
  used,
  strategy,
  reader,
  windowRows,
  checkpoint
}: {
  duck: Duck;
  plan: InputPlan;
  used: MarketInputs;
  strategy: Strategy;
  reader: "window" | "sort";
  windowRows: number;
  checkpoint?: Checkpoint;
}): Promise<ReplayReaders> {
  const consumed = checkpoint?.consumed ?? {deltas: 0, snapshots: 0, trades: 0};
  const byOrigin = strategy !== "full_event_replay";
  const {expressions, levels} = plan;
  const sources: Record<InputName, ChunkSource | undefined> = {deltas: undefined, book: undefined, trades: undefined};
  const windows: Record<InputName, ReorderWindow | undefined> = {deltas: undefined, book: undefined, trades: undefined};
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
          duck,
          `SELECT ${expressions[name].join(", ")} FROM ${name} ORDER BY ${order[name]}, file_row_number${skip[name] ? ` OFFSET ${skip[name]}` : ""}`
        );
    }
  } else {
    const states = checkpoint?.windows;
    const specs = {
      deltas: {
        columns: 6,
        keys: byOrigin ? [0, 1] : [1],
        checked: {
          nonNegative: [3, 4],
          codes: [2],
          what: "a delta with a missing, NaN or negative price or quantity, or a side other than bid/ask"
        },
        state: states?.deltas
      },
      book: {columns: 3 + 4 * levels, keys: byOrigin ? [0, 1] : [1], checked: undefined, state: states?.snapshots},
      trades: {
        columns: 6,
        keys: [0, 1],
        checked: {
          nonNegative: [3, 4],
          codes: [2],
          what: "a trade with a missing, NaN or negative price or quantity, or a side other than buy/sell"
        },
        state: states?.trades
      }
    };
    // The three readers open at once: each looks up its file's row groups and starts its first queries.
    await Promise.all(
      (["deltas", "book", "trades"] as const).map(async (name) => {
        const path = used[name];
        if (!path) return;
        const spec = specs[name];
        const from = spec.state?.reopenAt ?? 0;
        windows[name] = new ReorderWindow({
          source: await fileOrderSource({duck, plan, name, path, fromRow: from}),
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
  const cursor = async (name: InputName, already: number): Promise<ReplayCursor> => {
    const w = windows[name];
    if (!w) return SortedCursor.open(sources[name]!, expressions[name].length, already);
    await w.start(already);
    return w;
  };
  // Each waits for its first rows: together.
  const [deltas, book, trades] = await Promise.all([
    used.deltas ? cursor("deltas", consumed.deltas) : undefined,
    cursor("book", consumed.snapshots),
    cursor("trades", consumed.trades)
  ]);
  return {...(deltas ? {deltas} : {}), book, trades, windows};
}
