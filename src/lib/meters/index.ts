import type {Domain} from "../domain.js";
import {metersDatasetOptions} from "./dataset-options.js";
import {metersPipeline} from "./pipeline.js";
import {metersReadingsPlugin, metersSimulationPlugin} from "./plugin.js";
import {metersReadingsDerivation} from "./readings-derivation.js";
import {metersTables} from "./tables.js";

export {metersReadingsDerivation, metersReadingsPlugin, metersSimulationPlugin};

export const metersDomain: Domain = {
  name: "meters",
  title: "Smart meters (AMI)",
  summary:
    "A realistic metering fleet or your own interval readings: every delivery in bronze, validated silver readings and gold rollups.",
  page: "/pages/meters/",
  module: import.meta.url,
  pipeline: metersPipeline,
  plugins: {metersSimulationPlugin, metersReadingsPlugin},
  derivations: [metersReadingsDerivation],
  tables: metersTables,
  datasetOptions: metersDatasetOptions,
  routing: [
    {glob: "meters/**/*.sim.json", tag: "sim:ami-fleet"},
    {glob: "meters/**/*.{csv,csv.gz,parquet}", tag: "meters:readings"}
  ]
};
