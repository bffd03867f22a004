import {readFileSync} from "node:fs";
import type {Plugin} from "../catalog/plugin.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {runMetersTables, type MeterFleetSpec} from "./pipeline.js";
import {metersTables} from "./tables.js";

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
