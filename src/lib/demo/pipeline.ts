import {join} from "node:path";
import type {Pipeline} from "../core/pipeline.js";
import {createRng} from "../core/random.js";
import {writeParquet} from "../core/parquet-write.js";
import {randomWalks} from "./random-walks.js";

export const randomWalkColumns = [
  {name: "walk", type: "VARCHAR"},
  {name: "step", type: "INTEGER"},
  {name: "value", type: "DOUBLE"}
];

/** The demo pipeline: seeded random walks into `random_walks.parquet`. */
export const demoPipeline: Pipeline = {
  name: "demo",
  title: "Demo: random walks",
  summary: "Seeded Gaussian random walks — the lab shell's end-to-end example.",
  page: "/pages/lab/sql-over-parquet",
  usage: "lab run demo [--walks 3] [--steps 500] [--seed 1] --out DIR",
  tables: [{name: "random_walks", description: "one row per walk and step: walk, step, value"}],
  async run({outDir, seed, flags, log}) {
    const walks = Number(flags.walks ?? 3);
    const steps = Number(flags.steps ?? 500);
    const path = join(outDir, "random_walks.parquet");
    const {rows} = await writeParquet({
      path,
      columns: randomWalkColumns,
      rows: randomWalks({rng: createRng(seed), walks, steps})
    });
    log(`random_walks: ${rows} rows → ${path}`);
    return {tables: [{name: "random_walks", path, rows}]};
  }
};
