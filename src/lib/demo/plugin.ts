import {readFileSync} from "node:fs";
import type {Plugin} from "../catalog/plugin.js";
import {LabError} from "../core/errors.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {runDemoTables, type RandomWalkSpec} from "./pipeline.js";

/** Runs a `*.sim.json` spec for the random-walk demo into the `random_walks` topic. */
export const demoPlugin: Plugin = {
  name: "demo-random-walks",
  tags: ["sim:random-walks"],
  topics: ["random_walks"],
  version: 1,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as RandomWalkSpec;
    for (const key of ["seed", "walks", "steps"] as const)
      if (typeof spec[key] !== "number")
        throw new LabError({file: file.relPath, column: key, reason: `"${key}" must be a number`});
    const rows = await runDemoTables({spec, sink: pluginSink(ctx)});
    ctx.log(`${file.relPath}: ${rows} steps`);
  }
};
