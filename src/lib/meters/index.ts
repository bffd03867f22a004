import type {Domain} from "../domain.js";
import {metersPipeline} from "./pipeline.js";
import {metersSimulationPlugin} from "./plugin.js";
import {metersTables} from "./tables.js";

export {metersSimulationPlugin};

export const metersDomain: Domain = {
  name: "meters",
  title: "Smart meters (AMI)",
  summary: "A realistic metering fleet, every delivery in bronze, validated silver readings and gold rollups.",
  page: "/pages/meters/",
  module: import.meta.url,
  pipeline: metersPipeline,
  plugins: {metersSimulationPlugin},
  derivations: [],
  tables: metersTables,
  routing: [{glob: "meters/**/*.sim.json", tag: "sim:ami-fleet"}]
};
