import type {Domain} from "../domain.js";
import {effluentPipeline} from "./pipeline.js";
import {effluentDatasetOptions} from "./dataset-options.js";
import {effluentDerivation} from "./derivation.js";
import {effluentCsvPlugin, effluentSimulationPlugin} from "./plugin.js";
import {effluentTables} from "./tables.js";

export {effluentCsvPlugin, effluentDerivation, effluentSimulationPlugin};

export const effluentDomain: Domain = {
  name: "effluent",
  title: "Effluent shocks",
  summary: "CETP inlet COD shocks attributed to the factory that caused them; sensor tampering detected.",
  page: "/pages/effluent/",
  module: import.meta.url,
  pipeline: effluentPipeline,
  plugins: {effluentSimulationPlugin, effluentCsvPlugin},
  derivations: [effluentDerivation],
  tables: effluentTables,
  datasetOptions: effluentDatasetOptions,
  routing: [
    {glob: "effluent/**/*.sim.json", tag: "sim:cetp-plant"},
    // A site folder's CSVs: its MPCB export(s) and factory feeds, told apart by their headers.
    {glob: "effluent/**/*.{csv,csv.gz}", tag: "effluent:csv"}
  ]
};
