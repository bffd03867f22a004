import type {Domain} from "../domain.js";
import {kpiDatasetOptions} from "./dataset-options.js";
import {kpiDerivation} from "./derivation.js";
import {kpiPipeline} from "./pipeline.js";
import {kpiEventsPlugin, kpiSimulationPlugin} from "./plugin.js";
import {kpiTables} from "./tables.js";

export {kpiEventsPlugin, kpiSimulationPlugin};

export const kpiDomain: Domain = {
  name: "kpi",
  title: "Event KPIs",
  summary:
    "Event files into daily KPIs, two anomaly detectors, and SARIMAX forecasts with a backtested reliability score.",
  page: "/pages/kpi/",
  module: import.meta.url,
  pipeline: kpiPipeline,
  plugins: {kpiSimulationPlugin, kpiEventsPlugin},
  derivations: [kpiDerivation],
  tables: kpiTables,
  datasetOptions: kpiDatasetOptions,
  routing: [
    {glob: "kpi/**/*.sim.json", tag: "sim:kpi-events"},
    {glob: "kpi/**/*.{csv,json,jsonl,ndjson}{,.gz}", tag: "kpi:events"}
  ]
};
