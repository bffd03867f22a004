import {mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {flag} from "../core/flags.js";
import type {Pipeline} from "../core/pipeline.js";
import {writeParquet} from "../core/parquet-write.js";
import {createRng} from "../core/random.js";
import {quoteList} from "../core/sql.js";
import {DEFAULT_DATASET} from "../core/dataset.js";
import {folderSink, type TableSink} from "../core/table-sink.js";
import {deriveAll, derivedRows, DERIVED_COLUMNS, type DerivedTable} from "./derived-tables.js";
import {ingestEvents, type EventProblem} from "./ingest-events.js";
import {simulateKpiEvents, type SimulatedEvents} from "./simulate.js";
import {CLEAN_EVENT_COLUMNS, KPI_TRUTH_COLUMNS, QUARANTINE_COLUMNS} from "./tables.js";

export {CLEAN_EVENT_COLUMNS, QUARANTINE_COLUMNS} from "./tables.js";

export interface KpiMapping {
  tsColumn?: string;
  valueColumn?: string;
  metric?: string;
  source?: string;
}

/**
 * Per metric and day over `source` (a relation with the clean-event columns and an ordering
 * column `_file_version_id`). An event delivered in two files counts once: the copy from the
 * newest file version (the catalog) or the last file given (the command line) wins.
 */
export function metricDailySql(source: string): string {
  return `WITH events AS (SELECT * FROM ${source} QUALIFY row_number() OVER (PARTITION BY source, ts, metric ORDER BY _file_version_id DESC) = 1)
          SELECT metric, ts::DATE AS day, sum(value) AS value_sum, count(*) AS value_count, avg(value) AS value_avg, count(DISTINCT value) AS value_distinct
          FROM events GROUP BY ALL ORDER BY metric, day`;
}

/**
 * Stage one, per file: events into `clean_events`, the rows set aside into `quarantine`, and the
 * simulator's `kpi_truth` when given. Each file's clean events are staged in `scratchDir` first, so
 * strict mode can fail before any table is written; returns the staged files, in input order.
 */
export async function ingestKpiFiles({
  files,
  strict,
  mapping = {},
  truth,
  sink,
  scratchDir,
  log = () => {}
}: {
  files: {path: string; label?: string}[];
  strict: boolean;
  mapping?: KpiMapping;
  truth?: SimulatedEvents["truth"];
  sink: TableSink;
  scratchDir: string;
  log?: (line: string) => void;
}): Promise<string[]> {
  const staged: string[] = [];
  const problems: EventProblem[] = [];
  for (const [i, {path, label}] of files.entries()) {
    const result = ingestEvents({path, file: label ?? path, strict, ...mapping});
    // A loop, not push(...spread): a file can hold millions of rows.
    for (const p of result.problems) problems.push(p);
    const events = join(scratchDir, `clean-events-${i}.parquet`);
    await writeParquet({path: events, columns: CLEAN_EVENT_COLUMNS, rows: result.events});
    staged.push(events);
    log(
      `${label ?? path}: ${result.counts.read} read, ${result.counts.kept} kept, ${result.counts.quarantined} quarantined${result.rejected ? " (file rejected)" : ""}`
    );
  }
  if (strict && problems.length)
    throw new LabError({
      reason: `${problems.length} problem(s); strict mode keeps nothing:\n${problems.map((p) => `  ${p.file}:${p.line}${p.column ? `:${p.column}` : ""}: ${p.reason}`).join("\n")}`,
      hint: "fix the files, or run without --strict to keep the good rows"
    });
  await sink.writeQuery("clean_events", `SELECT * FROM read_parquet(${quoteList(staged)})`);
  await sink.write("quarantine", {columns: QUARANTINE_COLUMNS, rows: problems});
  if (truth) await sink.write("kpi_truth", {columns: KPI_TRUTH_COLUMNS, rows: truth});
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
  cacheDir,
  log = () => {}
}: {
  /** Where `source` can be read. */
  duck: Duck;
  /** A relation: a view name on `duck`, or a parenthesised query over Parquet files by path. */
  source: string;
  sink: TableSink;
  seed: number | string;
  cacheDir?: string;
  log?: (line: string) => void;
}): Promise<{computed: string[]; reused: string[]}> {
  // The sink may run its queries on another database: the query carries its source with it.
  await sink.writeQuery("metric_daily", metricDailySql(source));
  const daily = await duck.all<{metric: string; day: Date; value_sum: number}>(
    `SELECT metric, day, value_sum FROM (${metricDailySql(source)}) ORDER BY metric, day`
  );
  const result = deriveAll({
    daily: daily.map((d) => ({metric: d.metric, day: d.day.toISOString().slice(0, 10), value: d.value_sum})),
    seed,
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
  mapping,
  truth,
  sink,
  log = () => {}
}: {
  files: {path: string; label?: string}[];
  strict: boolean;
  seed: number | string;
  mapping?: KpiMapping;
  truth?: SimulatedEvents["truth"];
  sink: TableSink;
  log?: (line: string) => void;
}): Promise<void> {
  const scratch = join(tmpdir(), `lab-kpi-${process.pid}-${Date.now()}`);
  mkdirSync(scratch, {recursive: true});
  const duck = await openDuckDB({tempDirectory: scratch});
  try {
    const staged = await ingestKpiFiles({files, strict, mapping, truth, sink, scratchDir: scratch, log});
    const source = `(${staged.map((path, i) => `SELECT *, ${i + 1} AS _file_version_id FROM read_parquet(${quoteList([path])})`).join(" UNION ALL ")})`;
    await deriveKpiTables({duck, source, sink, seed, log});
  } finally {
    duck.close();
    rmSync(scratch, {recursive: true, force: true});
  }
}

/** The tables of `runKpiTables` as `<table>.parquet` files in `outDir`. */
export async function runKpi({
  files,
  outDir,
  strict,
  seed,
  mapping,
  log
}: {
  files: string[];
  outDir: string;
  strict: boolean;
  seed: number;
  mapping?: KpiMapping;
  log?: (line: string) => void;
}) {
  const sink = folderSink({outDir, dataset: DEFAULT_DATASET});
  await runKpiTables({files: files.map((path) => ({path})), strict, seed, mapping, sink, log});
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
    "lab run kpi --events FILE[,FILE…] [--strict] [--ts COL --value COL --metric NAME --source NAME] --out DIR   (or --simulate [--days 730] [--seed N], or a *.sim.json KPI spec)",
  flags: [
    ...["events", "ts", "value", "metric", "source"].map(flag.string),
    flag.boolean("strict"),
    flag.boolean("simulate"),
    flag.count("days")
  ],
  async run({dataset, outDir, seed, flags, files, log}) {
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
      mapping: {tsColumn: str("ts"), valueColumn: str("value"), metric: str("metric"), source: str("source")},
      truth,
      sink,
      log
    });
    return {tables: sink.tables};
  }
};
