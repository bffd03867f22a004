import type {Domain} from "../domain.js";
import {demoPipeline} from "./pipeline.js";
import {demoPlugin} from "./plugin.js";
import {demoTables} from "./tables.js";

export {demoPlugin};

export const demoDomain: Domain = {
  name: "demo",
  title: "Demo: random walks",
  summary: "Seeded Gaussian random walks — the lab shell's end-to-end example.",
  page: "/pages/lab/sql-over-parquet",
  module: import.meta.url,
  pipeline: demoPipeline,
  plugins: {demoPlugin},
  derivations: [],
  tables: demoTables,
  routing: [{glob: "demo/**/*.sim.json", tag: "sim:random-walks"}]
};
