/**
 * A market dataset's replay split into units, one per (symbol, day), so that a long history or
 * many symbols spread over threads or `lab worker` processes (src/lib/catalog/units.ts), and
 * assembled into the dataset's tables in (symbol, day) order.
 *
 * - Symbol: a path segment `symbol=<S>` (acquire's layout), else the dataset's `symbol` option.
 * - Day: a path segment `dt=<YYYY-MM-DD>`, else a `YYYY-MM-DD` in the file's name. A symbol whose
 *   files name no day is one unit.
 * - full_event_replay cuts days at snapshots and warms the book up from the previous day's last
 *   snapshot (history-unit-slice.ts): the days' events put together are the whole history's replay.
 *   The other strategies have no such cut, so each symbol is one unit there.
 */
import {mkdirSync, rmSync} from "node:fs";
import {availableParallelism} from "node:os";
import {basename, join} from "node:path";
import {runUnits} from "../catalog/run-units.js";
import {unitDir, type UnitHandler, type UnitResult, type UnitsSetting, type UnitTask} from "../catalog/units.js";
import {LabError} from "../core/errors.js";
import {quoteList} from "../core/sql.js";
import {folderSink, type TableSink} from "../core/table-sink.js";
import {assessFiles, assessmentMarkdown} from "./history/assess.js";
import {joinedInputs, replayHistoryTables, type HistoryReplayOptions} from "./history-replay.js";
import {MARKET_ASSESSMENT_COLUMNS} from "./tables.js";
import {chooseStrategy} from "./replay/strategy-choice.js";
import {replayDaySlice, type KindFiles} from "./history-unit-slice.js";
import type {MarketInputs} from "./history/inputs.js";

type HistoryKind = keyof MarketInputs;

/** One history file as the dataset lists it. */
export interface HistoryFile {
  kind: HistoryKind;
  relPath: string;
  path: string;
}

/** What one unit replays. */
export interface HistoryUnitInput {
  symbol: string;
  /** `YYYY-MM-DD`, or "" for a symbol whose files name no day. */
  day: string;
  options: HistoryReplayOptions;
  cur: KindFiles;
  /** The neighbouring days' files, for the cuts (a day split only). */
  prev?: KindFiles;
  next?: KindFiles;
  /** Replay the day as a slice of the whole (full_event_replay over several days), or its files as they are. */
  split: boolean;
}

/** What a unit wrote into its folder. */
export interface HistoryUnitOutput {
  symbol: string;
  day: string;
  tables: {name: string; path: string; rows: number}[];
  tickSize?: number;
  lotSize?: number;
  warmup?: number;
}

const DAY = /(?:^|[^0-9])(\d{4}-\d{2}-\d{2})(?![0-9])/;

/** The day a history file holds, from its path (`dt=2024-03-01/…` or `trades-2024-03-01.parquet`), or "". */
export function historyDay(relPath: string): string {
  const segments = relPath.split(/[\\/]/);
  const dt = segments.find((s) => /^dt=\d{4}-\d{2}-\d{2}$/.test(s));
  if (dt) return dt.slice(3);
  return DAY.exec(basename(relPath))?.[1] ?? "";
}

/** The symbol a history file holds: a `symbol=<S>` segment of its path, else `fallback`. */
export function historySymbol(relPath: string, fallback: string): string {
  const segment = relPath.split(/[\\/]/).find((s) => s.startsWith("symbol=") && s.length > 7);
  return segment ? segment.slice(7) : fallback;
}

const emptyKinds = (): KindFiles => ({trades: [], book: [], deltas: []});

/**
 * The units of a dataset's history files, in (symbol, day) order; with `byDay` false, one per
 * symbol (its days replayed as one, the cheaper way on one machine).
 */
export function planHistoryUnits({
  files,
  options,
  byDay = true
}: {
  files: HistoryFile[];
  options: HistoryReplayOptions;
  byDay?: boolean;
}): UnitTask[] {
  const bySymbol = new Map<string, Map<string, KindFiles>>();
  for (const f of [...files].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0))) {
    const symbol = historySymbol(f.relPath, options.symbol);
    const days = bySymbol.get(symbol) ?? bySymbol.set(symbol, new Map()).get(symbol)!;
    const day = historyDay(f.relPath);
    const kinds = days.get(day) ?? days.set(day, emptyKinds()).get(day)!;
    kinds[f.kind].push(f.path);
  }
  const tasks: UnitTask[] = [];
  for (const symbol of [...bySymbol.keys()].sort()) {
    const days = bySymbol.get(symbol)!;
    const dayList = [...days.keys()].sort();
    const hasDeltas = [...days.values()].some((k) => k.deltas.length);
    const splits = byDay && options.strategy === "full_event_replay" && hasDeltas && dayList.length > 1;
    if (splits && dayList.includes("")) {
      const loose = [...days.get("")!.trades, ...days.get("")!.book, ...days.get("")!.deltas];
      throw new LabError({
        file: loose[0],
        reason: `symbol ${symbol}: some history files name a day and this one does not, so its day is unknown`,
        hint: "name every file with its day (trades-2024-03-01.parquet, or acquire's dt=2024-03-01/ folders)"
      });
    }
    const base = {symbol, options: {...options, symbol}};
    if (!splits) {
      const all = emptyKinds();
      for (const day of dayList)
        for (const k of ["trades", "book", "deltas"] as const) all[k].push(...days.get(day)![k]);
      tasks.push(task({...base, day: dayList.length === 1 ? dayList[0]! : "", cur: all, split: false}));
      continue;
    }
    dayList.forEach((day, i) => {
      const prev = i > 0 ? days.get(dayList[i - 1]!) : undefined;
      const next = i < dayList.length - 1 ? days.get(dayList[i + 1]!) : undefined;
      tasks.push(
        task({...base, day, cur: days.get(day)!, ...(prev ? {prev} : {}), ...(next ? {next} : {}), split: true})
      );
    });
  }
  return tasks;
}

function task(input: HistoryUnitInput): UnitTask {
  return {
    id: `${input.symbol}${input.day ? `-${input.day}` : ""}`,
    module: import.meta.url,
    exportName: "marketHistoryUnit",
    input
  };
}

/** Runs one unit: a day's slice of the whole replay, or a symbol's files replayed as they are. */
export const marketHistoryUnit: UnitHandler<HistoryUnitInput, HistoryUnitOutput> = {
  name: "market-history-unit",
  async run(input, {outDir, log}) {
    const sink = folderSink({outDir, dataset: ""});
    if (!input.split) {
      await replayHistoryTables({files: input.cur, options: input.options, scratchDir: `${outDir}/.work`, sink, log});
      return {
        symbol: input.symbol,
        day: input.day,
        tables: sink.tables.map(({name, path, rows}) => ({name, path, rows}))
      };
    }
    if (!input.cur.book.length)
      throw new LabError({
        file: input.cur.trades[0] ?? input.cur.deltas[0],
        reason: `symbol ${input.symbol}, day ${input.day}: no book file, so the day has no snapshot to start from`,
        hint: "add the day's book file, or take the day's files out of the dataset"
      });
    const o = input.options;
    await assessDay({files: input.cur, options: o, scratchDir: join(outDir, ".assess"), sink});
    const slice = await replayDaySlice({
      symbol: input.symbol,
      ...(input.prev ? {prev: input.prev} : {}),
      cur: input.cur,
      ...(input.next ? {next: input.next} : {}),
      ...(o.tickSize === undefined ? {} : {tickSize: o.tickSize}),
      ...(o.lotSize === undefined ? {} : {lotSize: o.lotSize}),
      sampleMs: o.sampleMs,
      ...(o.columns ? {columns: o.columns} : {}),
      outDir,
      log
    });
    log(
      `market: ${input.symbol} ${input.day}: ${slice.events.toLocaleString("en-US")} events (${slice.warmup.toLocaleString("en-US")} replayed before the cut to build the book)`
    );
    const tables = [
      ...sink.tables.map(({name, path, rows}) => ({name, path, rows})),
      {name: "market_events", path: slice.eventsPath, rows: slice.events}
    ];
    if (slice.samplesPath) tables.push({name: "book_samples", path: slice.samplesPath, rows: slice.samples});
    return {
      symbol: input.symbol,
      day: input.day,
      tables,
      tickSize: slice.tickSize,
      lotSize: slice.lotSize,
      warmup: slice.warmup
    };
  }
};

/**
 * The units' files as the dataset's tables, in (symbol, day) order: market_events with the
 * symbol first (as the single replay writes it), book_samples, and one market_assessment row per
 * unit replayed whole. Fails when units of one symbol inferred different increments (their
 * decimals would not line up): `tick_size` and `lot_size` in dataset.json fix them.
 */
export async function assembleHistoryUnits({
  results,
  sink
}: {
  results: UnitResult<HistoryUnitOutput>[];
  sink: TableSink;
}): Promise<void> {
  const increments = new Map<string, string>();
  for (const r of results) {
    if (r.output.tickSize === undefined) continue;
    const key = `${r.output.tickSize}/${r.output.lotSize}`;
    const seen = increments.get(r.output.symbol);
    if (seen !== undefined && seen !== key)
      throw new LabError({
        reason: `symbol ${r.output.symbol}: the days' prices or sizes imply different increments (${seen} and ${key} as tick/lot)`,
        hint: "set tick_size and lot_size in the dataset's dataset.json"
      });
    increments.set(r.output.symbol, key);
  }
  for (const name of ["market_assessment", "market_events", "book_samples"]) {
    const paths = results.flatMap((r) => r.output.tables.filter((t) => t.name === name).map((t) => t.path));
    // Each unit's rows in its own order, the units in (symbol, day) order; the sink adds the dataset.
    if (paths.length)
      await sink.writeQuery(
        name,
        paths
          .map(
            (p) => `SELECT COLUMNS(c -> c <> 'dataset') FROM read_parquet(${quoteList([p])}, hive_partitioning = false)`
          )
          .join(" UNION ALL BY NAME ")
      );
  }
}

/** Units on this machine's threads, one a core (`lab run`, where no catalog setting applies). */
export function localUnits(): UnitsSetting {
  return {threads: Math.max(1, availableParallelism()), heartbeatMs: 1000, heartbeatTimeoutMs: 60_000, maxAttempts: 1};
}

/** Plans, runs and assembles a dataset's history replay: one unit in place, several through `runUnits`. */
export async function replayHistoryUnits({
  files,
  options,
  units,
  workDir,
  sink,
  log = () => {}
}: {
  files: HistoryFile[];
  options: HistoryReplayOptions;
  /** Where (symbol, day) units run (the catalog's queue, or threads); without it, a unit per symbol runs here. */
  units?: UnitsSetting;
  workDir: string;
  sink: TableSink;
  log?: (line: string) => void;
}): Promise<UnitResult<HistoryUnitOutput>[]> {
  // Days pay a slice copy and a warm-up each: worth it only where units spread over threads or hosts.
  const tasks = units
    ? (await withStrategies({files, options, scratchDir: join(workDir, ".assess"), log})).flatMap((group) =>
        planHistoryUnits({...group, byDay: true})
      )
    : planHistoryUnits({files, options, byDay: false});
  const only = tasks.length === 1 ? (tasks[0]!.input as HistoryUnitInput) : undefined;
  if (!units && only && !only.split) {
    // One symbol's history on this machine: replayed straight into the sink, which keeps the
    // replay's symbol/day partition files.
    await replayHistoryTables({files: only.cur, options: only.options, scratchDir: `${workDir}/.work`, sink, log});
    return [];
  }
  let results: UnitResult<HistoryUnitOutput>[];
  if (units && (tasks.length > 1 || units.queue)) {
    log(`market: ${tasks.length} unit(s) ${units.queue ? "through the queue" : "on local threads"}`);
    results = await runUnits<HistoryUnitOutput>({tasks, workDir, setting: units, log});
  } else {
    results = [];
    for (const t of tasks) {
      const outDir = unitDir({workDir, id: t.id, attempt: 1});
      rmSync(outDir, {recursive: true, force: true});
      mkdirSync(outDir, {recursive: true});
      const output = await marketHistoryUnit.run(t.input as HistoryUnitInput, {outDir, log});
      results.push({id: t.id, output, outDir, attempt: 1, workerId: "here"});
    }
  }
  await assembleHistoryUnits({results, sink});
  return results;
}

/** The assessor's report on one day's own files (as `replayHistoryTables` writes it for a whole history). */
async function assessDay({
  files,
  options,
  scratchDir,
  sink
}: {
  files: KindFiles;
  options: HistoryReplayOptions;
  scratchDir: string;
  sink: TableSink;
}): Promise<void> {
  rmSync(scratchDir, {recursive: true, force: true});
  mkdirSync(scratchDir, {recursive: true});
  try {
    const assessment = await assessFiles({inputs: await joinedInputs({files, scratchDir}), columns: options.columns});
    for (const t of assessment.tables) t.file = basename(t.file);
    assessment.inputs = {};
    await sink.write("market_assessment", {
      columns: MARKET_ASSESSMENT_COLUMNS,
      rows: [{report: JSON.stringify(assessment), markdown: assessmentMarkdown(assessment)}]
    });
  } finally {
    rmSync(scratchDir, {recursive: true, force: true});
  }
}

/**
 * Each symbol's files with the strategy its whole history is replayed with: the one asked for, or
 * the assessor's recommendation over all its days (days split only under one strategy, chosen
 * once, as the whole replay would choose it).
 */
async function withStrategies({
  files,
  options,
  scratchDir,
  log
}: {
  files: HistoryFile[];
  options: HistoryReplayOptions;
  scratchDir: string;
  log: (line: string) => void;
}): Promise<{files: HistoryFile[]; options: HistoryReplayOptions}[]> {
  if (options.strategy) return [{files, options}];
  const bySymbol = new Map<string, HistoryFile[]>();
  for (const f of files) {
    const symbol = historySymbol(f.relPath, options.symbol);
    bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), f]);
  }
  const groups: {files: HistoryFile[]; options: HistoryReplayOptions}[] = [];
  for (const [symbol, group] of [...bySymbol].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const kinds = emptyKinds();
    for (const f of [...group].sort((a, b) => (a.relPath < b.relPath ? -1 : 1))) kinds[f.kind].push(f.path);
    rmSync(scratchDir, {recursive: true, force: true});
    mkdirSync(scratchDir, {recursive: true});
    try {
      const assessment = await assessFiles({
        inputs: await joinedInputs({files: kinds, scratchDir}),
        columns: options.columns
      });
      const strategy = chooseStrategy({
        requested: undefined,
        recommendation: assessment.recommendation,
        log: (line) => log(`${symbol}: ${line}`)
      });
      groups.push({files: group, options: {...options, strategy}});
    } finally {
      rmSync(scratchDir, {recursive: true, force: true});
    }
  }
  return groups;
}
