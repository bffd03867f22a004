import {readFileSync} from "node:fs";
import {join} from "node:path";
import {LabError} from "../core/errors.js";
import {createRng} from "../core/random.js";
import type {Plugin} from "../catalog/plugin.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {kpiDatasetOptions} from "./dataset-options.js";
import {ingestKpiFiles, writeSimulatedEvents} from "./pipeline.js";
import {simulateKpiEvents} from "./simulate.js";

/**
 * Stage one of the KPI pipeline for one file, tolerantly: `clean_events` and `quarantine`. The
 * KPIs, anomalies and forecasts are not per file: the catalog's `kpi` derivation (stage two)
 * computes them over every file's events after the pass.
 */
export const kpiSimulationPlugin: Plugin = {
  name: "kpi-simulation",
  tags: ["sim:kpi-events"],
  topics: ["clean_events", "quarantine", "kpi_truth"],
  version: 3,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as {seed?: unknown; days?: unknown};
    if (typeof spec.seed !== "number")
      throw new LabError({file: file.relPath, column: "seed", reason: '"seed" must be a number'});
    const sim = simulateKpiEvents({rng: createRng(spec.seed), days: spec.days === undefined ? 730 : Number(spec.days)});
    const path = join(ctx.scratchDir, "events.csv");
    writeSimulatedEvents({path, sim});
    await ingestKpiFiles({
      files: [{path, label: file.relPath}],
      strict: false,
      truth: sim.truth,
      sink: pluginSink(ctx),
      scratchDir: ctx.scratchDir,
      log: ctx.log
    });
  }
};

/**
 * Event exports dropped into `datasets/kpi/<dataset>/` (CSV, JSON, JSON Lines), ingested
 * tolerantly with the dataset's dataset.json options (columns, metrics, key, time zone and format,
 * plausible window). A file that keeps no row, or loses more than half, fails its job.
 */
export const kpiEventsPlugin: Plugin = {
  name: "kpi-events",
  tags: ["kpi:events"],
  topics: ["clean_events", "quarantine"],
  version: 3,
  async execute(ctx, file) {
    await ingestKpiFiles({
      files: [{path: file.path, label: file.relPath}],
      strict: false,
      options: kpiDatasetOptions(file.dataset),
      sink: pluginSink(ctx),
      scratchDir: ctx.scratchDir,
      log: ctx.log
    });
  }
};
