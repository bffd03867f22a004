import {mkdirSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import type {Pipeline} from "../core/pipeline.js";
import {copyQueryToParquet, writeParquet} from "../core/parquet-write.js";
import {createRng} from "../core/random.js";
import {deriveAll, derivedRows, DERIVED_COLUMNS, type DerivedTable} from "./derived-tables.js";
import {ingestEvents, type CleanEvent, type EventProblem} from "./ingest-events.js";
import {simulateKpiEvents} from "./simulate.js";

export const CLEAN_EVENT_COLUMNS = [
  {name: "source", type: "VARCHAR"},
  {name: "ts", type: "TIMESTAMP"},
  {name: "metric", type: "VARCHAR"},
  {name: "value", type: "DOUBLE"},
  {name: "attributes", type: "JSON"}
];
export const QUARANTINE_COLUMNS = [
  {name: "file", type: "VARCHAR"},
  {name: "line", type: "INTEGER"},
  {name: "column", type: "VARCHAR"},
  {name: "reason", type: "VARCHAR"},
  {name: "raw", type: "VARCHAR"}
];

export interface RunKpiOptions {
  files: string[];
  outDir: string;
  strict: boolean;
  seed: number;
  mapping?: {tsColumn?: string; valueColumn?: string; metric?: string; source?: string};
  log?: (line: string) => void;
}

/**
 * Events → `clean_events` → `metric_daily` (SQL) → per metric (`deriveMetric`): `anomalies`
 * (trailing z-score and Isolation Forest over the daily sum), `forecasts` (SARIMAX or its
 * recorded fallback, 28 days, 80%/95% intervals) and `reliability` (the backtest per model). In tolerant mode the bad rows go to `quarantine`; in
 * strict mode any problem fails the run with every problem listed.
 */
export async function runKpi({files, outDir, strict, seed, mapping = {}, log = () => {}}: RunKpiOptions) {
  mkdirSync(outDir, {recursive: true});
  const events: CleanEvent[] = [];
  const problems: EventProblem[] = [];
  for (const path of files) {
    const result = ingestEvents({path, strict, ...mapping});
    // Loops, not push(...spread): a file can hold millions of rows.
    for (const p of result.problems) problems.push(p);
    for (const e of result.events) events.push(e);
    log(
      `${path}: ${result.counts.read} read, ${result.counts.kept} kept, ${result.counts.quarantined} quarantined${result.rejected ? " (file rejected)" : ""}`
    );
  }
  if (strict && problems.length) {
    throw new LabError({
      reason: `${problems.length} problem(s); strict mode keeps nothing:\n${problems.map((p) => `  ${p.file}:${p.line}${p.column ? `:${p.column}` : ""}: ${p.reason}`).join("\n")}`,
      hint: "fix the files, or run without --strict to keep the good rows"
    });
  }
  const tables: {name: string; path: string; rows: number}[] = [];
  const write = async (name: string, columns: {name: string; type: string}[], rows: Iterable<object>) => {
    const path = join(outDir, `${name}.parquet`);
    tables.push({name, path, rows: (await writeParquet({path, columns, rows})).rows});
  };
  await write("clean_events", CLEAN_EVENT_COLUMNS, events);
  if (!strict) await write("quarantine", QUARANTINE_COLUMNS, problems);
  const scratch = join(tmpdir(), `lab-kpi-${process.pid}`);
  mkdirSync(scratch, {recursive: true});
  const duck = await openDuckDB({tempDirectory: scratch});
  try {
    await duck.run(`CREATE TABLE daily AS
      SELECT metric, ts::DATE AS day, sum(value) AS value_sum, count(*) AS value_count, avg(value) AS value_avg, count(DISTINCT value) AS value_distinct
      FROM read_parquet('${join(outDir, "clean_events.parquet")}') GROUP BY ALL ORDER BY metric, day`);
    const path = join(outDir, "metric_daily.parquet");
    tables.push({name: "metric_daily", path, rows: await copyQueryToParquet({duck, sql: "SELECT * FROM daily", path})});
    const daily = await duck.all<{metric: string; day: Date; value_sum: number}>(
      "SELECT metric, day, value_sum FROM daily ORDER BY metric, day"
    );
    const derived = deriveAll({
      daily: daily.map((d) => ({metric: d.metric, day: d.day.toISOString().slice(0, 10), value: d.value_sum})),
      seed,
      log
    });
    for (const [name, rows] of Object.entries(derivedRows(derived)))
      await write(name, DERIVED_COLUMNS[name as DerivedTable], rows);
  } finally {
    duck.close();
    rmSync(scratch, {recursive: true, force: true});
  }
  return tables;
}

export const kpiPipeline: Pipeline = {
  name: "kpi",
  title: "Event KPIs",
  summary:
    "Event files into daily KPIs, two anomaly detectors, and SARIMAX forecasts with a backtested reliability score.",
  page: "/pages/kpi/",
  usage:
    "lab run kpi --events FILE[,FILE…] [--strict] [--ts COL --value COL --metric NAME --source NAME] --out DIR   (or --simulate [--seed N])",
  tables: [
    {name: "clean_events", description: "one row per (source, ts, metric), extra columns as JSON"},
    {name: "metric_daily", description: "per metric and day: sum, count, average, distinct values"},
    {name: "anomalies", description: "per metric, day and method: the score and whether it is an anomaly"},
    {
      name: "forecasts",
      description: "per metric, the next 28 days: the chosen model's forecast with 80% and 95% intervals"
    },
    {
      name: "reliability",
      description:
        "per metric and model: backtest MAPE, sMAPE, MASE and the reliability score; which model was chosen and why"
    }
  ],
  async run({outDir, seed, flags, files, log}) {
    let inputs = [...files, ...(typeof flags.events === "string" ? flags.events.split(",") : [])];
    if (flags.simulate || !inputs.length) {
      const sim = simulateKpiEvents({rng: createRng(seed)});
      const path = join(outDir, "inputs", "simulated_events.csv");
      mkdirSync(join(outDir, "inputs"), {recursive: true});
      const {writeFileSync} = await import("node:fs");
      writeFileSync(
        path,
        [
          "source,ts,metric,value",
          ...sim.events.map((e) => `${e.source},${e.ts.toISOString()},${e.metric},${e.value}`)
        ].join("\n") + "\n"
      );
      await writeParquet({
        path: join(outDir, "truth_anomalies.parquet"),
        columns: [
          {name: "metric", type: "VARCHAR"},
          {name: "day", type: "DATE"},
          {name: "kind", type: "VARCHAR"},
          {name: "factor", type: "DOUBLE"}
        ],
        rows: sim.truth
      });
      inputs = [path];
      log(`simulated ${sim.events.length} events for 4 metrics (seed ${seed}) → ${path}`);
    }
    const str = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
    const tables = await runKpi({
      files: inputs,
      outDir,
      strict: Boolean(flags.strict),
      seed,
      mapping: {tsColumn: str("ts"), valueColumn: str("value"), metric: str("metric"), source: str("source")},
      log
    });
    return {tables};
  }
};
