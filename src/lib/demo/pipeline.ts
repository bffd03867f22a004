import {readFileSync} from "node:fs";
import {LabError} from "../core/errors.js";
import {flag} from "../core/flags.js";
import type {Pipeline} from "../core/pipeline.js";
import {createRng} from "../core/random.js";
import {folderSink, type TableSink} from "../core/table-sink.js";
import {randomWalks} from "./random-walks.js";
import {demoTables} from "./tables.js";

export interface RandomWalkSpec {
  seed: number;
  walks: number;
  steps: number;
  stepSd?: number;
}

/** The demo's one table: seeded random walks into `random_walks`. */
export async function runDemoTables({spec, sink}: {spec: RandomWalkSpec; sink: TableSink}): Promise<number> {
  for (const key of ["seed", "walks", "steps"] as const)
    if (!Number.isFinite(spec[key])) throw new LabError({column: key, reason: `"${key}" must be a number`});
  return sink.write("random_walks", {
    columns: demoTables[0]!.columns,
    rows: randomWalks({rng: createRng(spec.seed), walks: spec.walks, steps: spec.steps, stepSd: spec.stepSd})
  });
}

export const demoPipeline: Pipeline = {
  name: "demo",
  usage:
    "lab run demo [--walks 3] [--steps 500] [--step-sd 1] [--seed 1] --out DIR   (or a *.sim.json random-walk spec)",
  flags: [flag.count("walks"), flag.count("steps"), flag.range("step-sd", 0)],
  async run({dataset, files, outDir, seed, flags, log}) {
    const sink = folderSink({outDir, dataset: dataset.name});
    const specFile = files.find((f) => f.endsWith(".json"));
    const spec: RandomWalkSpec = specFile
      ? (JSON.parse(readFileSync(specFile, "utf-8")) as RandomWalkSpec)
      : {
          seed,
          walks: Number(flags.walks ?? 3),
          steps: Number(flags.steps ?? 500),
          stepSd: flags["step-sd"] === undefined ? undefined : Number(flags["step-sd"])
        };
    const rows = await runDemoTables({spec, sink});
    log(`random_walks: ${rows} rows → ${sink.tables[0]!.path}`);
    return {tables: sink.tables};
  }
};
