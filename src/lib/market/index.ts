import type {Domain} from "../domain.js";
import {marketPipeline} from "./pipeline.js";
import {marketSimulationPlugin} from "./plugin.js";
import {marketTables} from "./tables.js";

export {marketSimulationPlugin};

export const marketDomain: Domain = {
  name: "market",
  title: "Market replay",
  summary:
    "A simulated L2 market and a crash-safe order-book reconstruction from Crypto Lake-style history, measured against the truth.",
  page: "/pages/market/",
  module: import.meta.url,
  pipeline: marketPipeline,
  plugins: {marketSimulationPlugin},
  derivations: [],
  tables: marketTables,
  routing: [{glob: "market/**/*.sim.json", tag: "sim:market"}]
};
