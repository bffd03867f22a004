import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {LabError} from "../core/errors.js";
import {createRng} from "../core/random.js";
import type {Plugin} from "../catalog/plugin.js";
import {ingestEvents} from "./ingest-events.js";
import {CLEAN_EVENT_COLUMNS, QUARANTINE_COLUMNS} from "./pipeline.js";
import {simulateKpiEvents} from "./simulate.js";

const TABLES = ["clean_events", "quarantine"];

/**
 * Ingests one event file tolerantly into `clean_events` (bad rows into `quarantine`). The KPIs,
 * anomalies and forecasts are not per file: the catalog's `kpi` derivation computes them over
 * every file's events after the pass (src/lib/kpi/derivation.ts).
 */
async function publishEvents(ctx: Parameters<Plugin["execute"]>[0], path: string, relPath: string): Promise<void> {
  const result = ingestEvents({path, file: relPath, strict: false});
  ctx.log(
    `${relPath}: ${result.counts.read} read, ${result.counts.kept} kept, ${result.counts.quarantined} quarantined`
  );
  await ctx.publish("clean_events", {columns: CLEAN_EVENT_COLUMNS, rows: result.events});
  await ctx.publish("quarantine", {columns: QUARANTINE_COLUMNS, rows: result.problems});
}

/** A `*.sim.json` KPI spec: simulated events (with the anomaly truth table) through the pipeline. */
export const kpiSimulationPlugin: Plugin = {
  name: "kpi-simulation",
  tags: ["sim:kpi-events"],
  topics: [...TABLES, "kpi_truth"],
  version: 2,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as {seed?: unknown; days?: unknown};
    if (typeof spec.seed !== "number")
      throw new LabError({file: file.relPath, column: "seed", reason: '"seed" must be a number'});
    const sim = simulateKpiEvents({rng: createRng(spec.seed), days: spec.days === undefined ? 730 : Number(spec.days)});
    const path = join(ctx.scratchDir, "events.csv");
    writeFileSync(
      path,
      [
        "source,ts,metric,value",
        ...sim.events.map((e) => `${e.source},${e.ts.toISOString()},${e.metric},${e.value}`)
      ].join("\n") + "\n"
    );
    await publishEvents(ctx, path, file.relPath);
    await ctx.publish("kpi_truth", {
      columns: [
        {name: "metric", type: "VARCHAR"},
        {name: "day", type: "DATE"},
        {name: "kind", type: "VARCHAR"},
        {name: "factor", type: "DOUBLE"}
      ],
      rows: sim.truth
    });
  }
};

/** Event exports dropped into `datasets/kpi/` (CSV, JSON, JSON Lines), ingested tolerantly. */
export const kpiEventsPlugin: Plugin = {
  name: "kpi-events",
  tags: ["kpi:events"],
  topics: TABLES,
  version: 2,
  async execute(ctx, file) {
    await publishEvents(ctx, file.path, file.relPath);
  }
};
