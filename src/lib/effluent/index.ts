import type {Domain} from "../domain.js";
import {effluentPipeline} from "./pipeline.js";
import {effluentDatasetOptions} from "./dataset-options.js";
import {effluentDerivation} from "./derivation.js";
import {effluentCsvPlugin, effluentSimulationPlugin, effluentTrialTruthPlugin} from "./plugin.js";
import {effluentTables} from "./tables.js";

export {effluentCsvPlugin, effluentDerivation, effluentSimulationPlugin, effluentTrialTruthPlugin};

export const effluentDomain: Domain = {
  name: "effluent",
  title: "Effluent shocks",
  summary: "CETP inlet COD shocks attributed to the factory that caused them; sensor tampering detected.",
  page: "/pages/effluent/",
  module: import.meta.url,
  pipeline: effluentPipeline,
  plugins: {effluentSimulationPlugin, effluentCsvPlugin, effluentTrialTruthPlugin},
  derivations: [effluentDerivation],
  tables: effluentTables,
  datasetOptions: effluentDatasetOptions,
  routing: [
    {glob: "effluent/**/*.sim.json", tag: "sim:cetp-plant"},
    // A trial site's truth: the shocks injected into its export (lab simulate effluent --on-export).
    {glob: "effluent/**/*.truth.json", tag: "effluent:trial-truth"},
    // A site folder's CSVs: its MPCB export(s) and factory feeds, told apart by their headers.
    {glob: "effluent/**/*.{csv,csv.gz}", tag: "effluent:csv"}
  ]
};
