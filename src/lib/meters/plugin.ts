import {readFileSync} from "node:fs";
import type {Plugin} from "../catalog/plugin.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {metersDatasetOptions} from "./dataset-options.js";
import {runMetersTables, type MeterFleetSpec} from "./pipeline.js";
import {readReadingsFile} from "./readings-file.js";
import {metersTables, READINGS_ROW_COLUMNS} from "./tables.js";

/**
 * Runs a `*.sim.json` AMI fleet spec: the same fleet (same seed) once per emission pattern, so
 * pages can compare data quality across patterns (see runMetersTables).
 */
export const metersSimulationPlugin: Plugin = {
  name: "meters-simulation",
  tags: ["sim:ami-fleet"],
  topics: metersTables.map((t) => t.name),
  version: 1,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as MeterFleetSpec;
    const run = await runMetersTables({
      spec,
      scratchDir: ctx.scratchDir,
      sink: pluginSink(ctx),
      log: ctx.log,
      file: file.relPath
    });
    ctx.log(`${file.relPath}: ${run.patterns.length} pattern(s) × ${run.meters} meters × ${run.days} days`);
  }
};

/**
 * A readings file of a real dataset (`datasets/meters/<dataset>/*.csv|.csv.gz|.parquet`), read with
 * its dataset.json's options into `readings_rows` (bronze), streamed. Silver and gold need every
 * file of the dataset at once (duplicates and gaps cross files): the `meters-readings` derivation
 * builds them per dataset after the pass.
 */
export const metersReadingsPlugin: Plugin = {
  name: "meters-readings",
  tags: ["meters:readings"],
  topics: ["readings_rows"],
  version: 1,
  async execute(ctx, file) {
    const options = metersDatasetOptions(file.dataset);
    const rows = await ctx.publish("readings_rows", {
      columns: READINGS_ROW_COLUMNS,
      rows: readReadingsFile({path: file.path, file: file.relPath, options})
    });
    ctx.log(`${file.relPath}: ${rows} rows`);
  }
};
