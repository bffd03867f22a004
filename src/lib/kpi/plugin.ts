import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {LabError} from "../core/errors.js";
import {quoteList} from "../core/sql.js";
import {createRng} from "../core/random.js";
import type {Plugin} from "../catalog/plugin.js";
import {runKpi} from "./pipeline.js";
import {simulateKpiEvents} from "./simulate.js";

const TABLES = ["clean_events", "quarantine", "metric_daily", "anomalies"];

/** Runs the KPI pipeline in tolerant mode on one event file, publishing its tables. */
async function publishRun(ctx: Parameters<Plugin["execute"]>[0], files: string[], seed: number): Promise<void> {
  const outDir = join(ctx.scratchDir, "kpi");
  const tables = await runKpi({files, outDir, strict: false, seed, log: ctx.log});
  for (const t of tables) await ctx.publishQuery(t.name, `SELECT * FROM read_parquet(${quoteList([t.path])})`);
}

/** A `*.sim.json` KPI spec: simulated events (with the anomaly truth table) through the pipeline. */
export const kpiSimulationPlugin: Plugin = {
  name: "kpi-simulation",
  tags: ["sim:kpi-events"],
  topics: [...TABLES, "kpi_truth"],
  version: 1,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as {seed?: unknown; days?: unknown};
    if (typeof spec.seed !== "number") throw new LabError({file: file.relPath, column: "seed", reason: '"seed" must be a number'});
    const sim = simulateKpiEvents({rng: createRng(spec.seed), days: spec.days === undefined ? 730 : Number(spec.days)});
    const path = join(ctx.scratchDir, "events.csv");
    writeFileSync(path, ["source,ts,metric,value", ...sim.events.map((e) => `${e.source},${e.ts.toISOString()},${e.metric},${e.value}`)].join("\n") + "\n");
    await publishRun(ctx, [path], spec.seed);
    await ctx.publish("kpi_truth", {columns: [{name: "metric", type: "VARCHAR"}, {name: "day", type: "DATE"}, {name: "kind", type: "VARCHAR"}, {name: "factor", type: "DOUBLE"}], rows: sim.truth});
  }
};

/** Event exports dropped into `datasets/kpi/` (CSV, JSON, JSON Lines), ingested tolerantly. */
export const kpiEventsPlugin: Plugin = {
  name: "kpi-events",
  tags: ["kpi:events"],
  topics: TABLES,
  version: 1,
  async execute(ctx, file) {
    await publishRun(ctx, [file.path], 1);
  }
};
