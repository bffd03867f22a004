import {readFileSync} from "node:fs";
import {LabError} from "../core/errors.js";
import {createRng} from "../core/random.js";
import type {Plugin} from "../catalog/plugin.js";
import {randomWalkColumns} from "./pipeline.js";
import {randomWalks} from "./random-walks.js";

interface RandomWalkSpec {
  simulation: "random-walks";
  seed: number;
  walks: number;
  steps: number;
  stepSd?: number;
}

/** Runs a `*.sim.json` spec for the random-walk demo into the `random_walks` topic. */
export const demoPlugin: Plugin = {
  name: "demo-random-walks",
  tags: ["sim:random-walks"],
  topics: ["random_walks"],
  version: 1,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as RandomWalkSpec;
    for (const key of ["seed", "walks", "steps"] as const) {
      if (typeof spec[key] !== "number")
        throw new LabError({file: file.relPath, column: key, reason: `"${key}" must be a number`});
    }
    const rows = await ctx.publish("random_walks", {
      columns: randomWalkColumns,
      rows: randomWalks({rng: createRng(spec.seed), walks: spec.walks, steps: spec.steps, stepSd: spec.stepSd})
    });
    ctx.log(`${file.relPath}: ${rows} steps`);
  }
};
