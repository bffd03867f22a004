import {mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {isRejectedInput, LabError, rejectMostlyBadFile, RejectedInput} from "../core/errors.js";
import {flag} from "../core/flags.js";
import type {Pipeline} from "../core/pipeline.js";
import {writeParquet} from "../core/parquet-write.js";
import {createRng} from "../core/random.js";
import {quoteList, quoteString} from "../core/sql.js";
import {commandLineDataset, type DatasetInfo} from "../core/dataset.js";
import {folderSink, type TableSink} from "../core/table-sink.js";
import {DEFAULT_HOLIDAYS, type HolidayCalendar} from "./calendar.js";
import {DEFAULT_KPI_OPTIONS, kpiDatasetOptions, kpiHolidayCalendar, type KpiDatasetOptions} from "./dataset-options.js";
import {deriveAll, derivedRows, DERIVED_COLUMNS, type DerivedTable} from "./derived-tables.js";
import {ingestEvents, type EventProblem, type IngestEventsOptions} from "./ingest-events.js";
import {simulateKpiEvents, type SimulatedEvents} from "./simulate.js";
import {CLEAN_EVENT_COLUMNS, KPI_TRUTH_COLUMNS, QUARANTINE_COLUMNS} from "./tables.js";

export {CLEAN_EVENT_COLUMNS, QUARANTINE_COLUMNS} from "./tables.js";

/** The command line's column flags (--ts, --value, --metric, --source); they override dataset.json's. */
export interface KpiMapping {
  tsColumn?: string;
  valueColumn?: string;
  metric?: string;
  source?: string;
}

/** How the reader takes a dataset's files: its options, with the command line's flags over them. */
export function ingestSettings({
  options = DEFAULT_KPI_OPTIONS,
  mapping = {}
}: {
  options?: KpiDatasetOptions;
  mapping?: KpiMapping;
}): Omit<IngestEventsOptions, "path" | "file" | "strict"> {
  return {
    tsColumn: mapping.tsColumn ?? options.columns.time,
    valueColumn: mapping.valueColumn ?? options.columns.value,
    metricColumn: options.columns.metric,
    metric: mapping.metric,
    sourceColumn: options.columns.source,
    source: mapping.source ?? options.source,
    metrics: options.metrics,
    key: options.key,
    timezone: options.timezone,
    timeFormat: options.timeFormat,
    earliest: options.earliest,
    latest: options.latest
  };
}

/**
 * Per metric and local day over `source` (a relation with the clean-event columns and an ordering
 * column `_file_version_id`): the metric's value by its aggregation (`metrics` of the dataset's
 * options; the long format's metrics sum), with the plain statistics beside it. An event
 * delivered in two files counts once: the copies in the newest file version (the catalog) or the
 * last file given (the command line) win.
 */
export function metricDailySql({
  source,
  metrics = []
}: {
  source: string;
  metrics?: KpiDatasetOptions["metrics"];
}): string {
  const byMetric = (of: (m: KpiDatasetOptions["metrics"][number]) => string, otherwise: string) =>
    metrics.length
      ? `CASE metric ${metrics.map((m) => `WHEN ${quoteString(m.name)} THEN ${of(m)}`).join(" ")} ELSE ${otherwise} END`
      : otherwise;
  const aggregate = {
    count: "count(*)::DOUBLE",
    sum: "sum(value)",
    avg: "avg(value)",
    min: "min(value)",
    max: "max(value)",
    distinct: "count(DISTINCT item)::DOUBLE"
  };
  return `WITH events AS (SELECT * FROM ${source} QUALIFY _file_version_id = max(_file_version_id) OVER (PARTITION BY metric, event_id))
          SELECT metric, day, ${byMetric((m) => quoteString(m.aggregation), "'sum'")} AS aggregation,
                 ${byMetric((m) => aggregate[m.aggregation], "sum(value)")} AS value,
                 sum(value) AS value_sum, count(*) AS value_count, avg(value) AS value_avg, min(value) AS value_min, max(value) AS value_max,
                 CASE WHEN count(item) > 0 THEN count(DISTINCT item) ELSE count(DISTINCT value) END AS value_distinct
          FROM events GROUP BY metric, day ORDER BY metric, day`;
}

/**
 * A tolerant ingest's rule for one file (`rejectMostlyBadFile`): no good row, or more than half
 * its rows set aside, duplicates aside (a file exported twice over is not a bad file). Returns the
 * rejection instead of throwing, so every file of a run is checked.
 */
function fileRejection({file, kept, problems}: {file: string; kept: number; problems: EventProblem[]}) {
  const bad = problems.filter((p) => !p.reason.startsWith("duplicate "));
  // The first row of each kind of problem (reasons alike but for the quoted value): forty rows of
  // one wrong time format are one reason.
  const kinds = new Map<string, EventProblem>();
  for (const p of bad) {
    const kind = p.reason.replace(/"[^"]*"/g, '""');
    if (!kinds.has(kind)) kinds.set(kind, p);
    if (kinds.size === 3) break;
  }
  try {
    rejectMostlyBadFile({
      file,
      kept,
      quarantined: bad.length,
      firstReasons: [...kinds.values()].map((p) => `line ${p.line}${p.column ? `, ${p.column}` : ""}: ${p.reason}`)
    });
    return undefined;
  } catch (error) {
    if (isRejectedInput(error)) return error;
    throw error;
  }
}

/**
 * Stage one, per file: events into `clean_events`, the rows set aside into `quarantine`, and the
 * simulator's `kpi_truth` when given. Each file's clean events are staged in `scratchDir` first, so
 * strict mode can fail before any table is written; returns the staged files, in input order. A
 * tolerant run writes its tables, then fails (RejectedInput) when a file kept no row or set aside
 * more than half (a wrong time format, a wrong column), naming each such file with its first
 * reasons; in the catalog its good rows stay published.
 */
export async function ingestKpiFiles({
  files,
  strict,
  options,
  mapping = {},
  truth,
  sink,
  scratchDir,
  log = () => {}
}: {
  files: {path: string; label?: string}[];
  strict: boolean;
  /** The dataset's options (default: none set). */
  options?: KpiDatasetOptions;
  mapping?: KpiMapping;
  truth?: SimulatedEvents["truth"];
  sink: TableSink;
  scratchDir: string;
  log?: (line: string) => void;
}): Promise<string[]> {
  const staged: string[] = [];
  const problems: EventProblem[] = [];
  const rejected: RejectedInput[] = [];
  const settings = ingestSettings({options, mapping});
  for (const [i, {path, label}] of files.entries()) {
    const file = label ?? path;
    const result = ingestEvents({path, file, strict, ...settings});
    // A loop, not push(...spread): a file can hold millions of rows.
    for (const p of result.problems) problems.push(p);
    const events = join(scratchDir, `clean-events-${i}.parquet`);
    await writeParquet({path: events, columns: CLEAN_EVENT_COLUMNS, rows: result.events});
    staged.push(events);
    log(
      `${file}: ${result.counts.read} read, ${result.counts.kept} kept, ${result.counts.quarantined} quarantined${result.rejected ? " (file rejected)" : ""}`
    );
    const rejection = strict ? undefined : fileRejection({file, kept: result.counts.kept, problems: result.problems});
    if (rejection) rejected.push(rejection);
  }
  if (strict && problems.length)
    throw new LabError({
      reason: `${problems.length} problem(s); strict mode keeps nothing:\n${problems.map((p) => `  ${p.file}:${p.line}${p.column ? `:${p.column}` : ""}: ${p.reason}`).join("\n")}`,
      hint: "fix the files, or run without --strict to keep the good rows"
    });
  await sink.writeQuery("clean_events", `SELECT * FROM read_parquet(${quoteList(staged)})`);
  await sink.write("quarantine", {columns: QUARANTINE_COLUMNS, rows: problems});
  if (truth) await sink.write("kpi_truth", {columns: KPI_TRUTH_COLUMNS, rows: truth});
  // After the tables are written: the good rows and the quarantine stay published.
  if (rejected.length === 1) throw rejected[0]!;
  if (rejected.length)
    throw new RejectedInput({
      reason: `${rejected.length} files rejected:\n${rejected.map((r) => `  ${r.message}`).join("\n")}`
    });
  return staged;
}

/**
 * Stage two, across files: `metric_daily` in SQL over `source` (see metricDailySql), then per
 * metric the anomalies, forecasts and backtest (`deriveMetric`). With `cacheDir`, a metric whose
 * daily series did not change is read back rather than refitted.
 */
export async function deriveKpiTables({
  duck,
  source,
  sink,
  seed,
  options = DEFAULT_KPI_OPTIONS,
  holidays = DEFAULT_HOLIDAYS,
  cacheDir,
  log = () => {}
}: {
  /** Where `source` can be read. */
  duck: Duck;
  /** A relation: a view name on `duck`, or a parenthesised query over Parquet files by path. */
  source: string;
  sink: TableSink;
  seed: number | string;
  /** The dataset's options: its metrics' aggregations. */
  options?: KpiDatasetOptions;
  holidays?: HolidayCalendar;
  /** One dataset's cache folder. */
  cacheDir?: string;
  log?: (line: string) => void;
}): Promise<{computed: string[]; reused: string[]}> {
  const sql = metricDailySql({source, metrics: options.metrics});
  // The sink may run its queries on another database: the query carries its source with it.
  await sink.writeQuery("metric_daily", sql);
  const daily = await duck.all<{metric: string; day: Date; value: number}>(
    `SELECT metric, day, value FROM (${sql}) ORDER BY metric, day`
  );
  const result = deriveAll({
    daily: daily.map((d) => ({metric: d.metric, day: d.day.toISOString().slice(0, 10), value: d.value})),
    seed,
    holidays,
    cacheDir,
    log
  });
  for (const [name, rows] of Object.entries(derivedRows(result)))
    await sink.write(name, {columns: DERIVED_COLUMNS[name as DerivedTable], rows});
  return {computed: result.computed, reused: result.reused};
}

/**
 * Events → `clean_events` (and `quarantine`, `kpi_truth`) → `metric_daily` → `anomalies`,
 * `forecasts`, `reliability`: both stages in one go, as `lab run kpi` does. In strict mode any
 * problem fails the run with every problem listed (and `quarantine` is empty).
 */
export async function runKpiTables({
  files,
  strict,
  seed,
  options,
  holidays,
  mapping,
  truth,
  sink,
  log = () => {}
}: {
  files: {path: string; label?: string}[];
  strict: boolean;
  seed: number | string;
  options?: KpiDatasetOptions;
  holidays?: HolidayCalendar;
  mapping?: KpiMapping;
  truth?: SimulatedEvents["truth"];
  sink: TableSink;
  log?: (line: string) => void;
}): Promise<void> {
  const scratch = join(tmpdir(), `lab-kpi-${process.pid}-${Date.now()}`);
  mkdirSync(scratch, {recursive: true});
  const duck = await openDuckDB({tempDirectory: scratch});
  try {
    const staged = await ingestKpiFiles({files, strict, options, mapping, truth, sink, scratchDir: scratch, log});
    const source = `(${staged.map((path, i) => `SELECT *, ${i + 1} AS _file_version_id FROM read_parquet(${quoteList([path])})`).join(" UNION ALL ")})`;
    await deriveKpiTables({duck, source, sink, seed, options, holidays, log});
  } finally {
    duck.close();
    rmSync(scratch, {recursive: true, force: true});
  }
}

/**
 * The tables of `runKpiTables` as `<table>.parquet` files in `outDir`, for a dataset (its name and
 * dataset.json options; default: files given one by one, no options).
 */
export async function runKpi({
  files,
  outDir,
  strict,
  seed,
  dataset = commandLineDataset("kpi"),
  mapping,
  log
}: {
  files: string[];
  outDir: string;
  strict: boolean;
  seed: number;
  dataset?: DatasetInfo;
  mapping?: KpiMapping;
  log?: (line: string) => void;
}) {
  const options = kpiDatasetOptions(dataset);
  const holidays = kpiHolidayCalendar({options, dataset});
  const sink = folderSink({outDir, dataset: dataset.name});
  await runKpiTables({files: files.map((path) => ({path})), strict, seed, options, holidays, mapping, sink, log});
  return sink.tables;
}

/** Simulated events as the CSV a source system would export. */
export function writeSimulatedEvents({path, sim}: {path: string; sim: SimulatedEvents}): void {
  writeFileSync(
    path,
    [
      "source,ts,metric,value",
      ...sim.events.map((e) => `${e.source},${e.ts.toISOString()},${e.metric},${e.value}`)
    ].join("\n") + "\n"
  );
}

export const kpiPipeline: Pipeline = {
  name: "kpi",
  usage:
    "lab run kpi --events FILE[,FILE…] [--strict] [--ts COL --value COL --metric NAME --source NAME] --out DIR   (or --dataset DIR with its dataset.json, --simulate [--days 730] [--seed N], or a *.sim.json KPI spec)",
  flags: [
    ...["events", "ts", "value", "metric", "source"].map(flag.string),
    flag.boolean("strict"),
    flag.boolean("simulate"),
    flag.count("days")
  ],
  async run({dataset, outDir, seed, flags, files, log}) {
    // Options first: a bad dataset.json fails before anything is simulated or read.
    const options = kpiDatasetOptions(dataset);
    const holidays = kpiHolidayCalendar({options, dataset});
    // A *.sim.json KPI spec runs what the catalog's simulation plugin runs for it.
    const specFile = files.find((f) => f.endsWith(".sim.json"));
    const inputs = [
      ...files.filter((f) => f !== specFile),
      ...(typeof flags.events === "string" ? flags.events.split(",") : [])
    ];
    let truth: SimulatedEvents["truth"] | undefined;
    if (flags.simulate || specFile || !inputs.length) {
      const spec = specFile
        ? (JSON.parse(readFileSync(specFile, "utf-8")) as {seed?: number; days?: number})
        : {seed, days: flags.days ? Number(flags.days) : undefined};
      const sim = simulateKpiEvents({rng: createRng(spec.seed ?? seed), days: spec.days});
      const path = join(outDir, "inputs", "simulated_events.csv");
      mkdirSync(join(outDir, "inputs"), {recursive: true});
      writeSimulatedEvents({path, sim});
      inputs.splice(0, inputs.length, path);
      truth = sim.truth;
      log(`simulated ${sim.events.length} events (seed ${seed}) → ${path}`);
    }
    const str = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
    const sink = folderSink({outDir, dataset: dataset.name});
    await runKpiTables({
      files: inputs.map((path) => ({path})),
      strict: Boolean(flags.strict),
      seed,
      options,
      holidays,
      mapping: {tsColumn: str("ts"), valueColumn: str("value"), metric: str("metric"), source: str("source")},
      truth,
      sink,
      log
    });
    return {tables: sink.tables};
  }
};
