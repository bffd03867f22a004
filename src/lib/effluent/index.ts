import type {Domain} from "../domain.js";
import {effluentPipeline} from "./pipeline.js";
import {effluentSimulationPlugin, mpcbExportPlugin} from "./plugin.js";
import {effluentTables} from "./tables.js";

export {effluentSimulationPlugin, mpcbExportPlugin};

export const effluentDomain: Domain = {
  name: "effluent",
  title: "Effluent shocks",
  summary: "CETP inlet COD shocks attributed to the factory that caused them; sensor tampering detected.",
  page: "/pages/effluent/",
  module: import.meta.url,
  pipeline: effluentPipeline,
  plugins: {effluentSimulationPlugin, mpcbExportPlugin},
  derivations: [],
  tables: effluentTables,
  routing: [
    {glob: "effluent/**/*.sim.json", tag: "sim:cetp-plant"},
    {glob: "effluent/**/*mpcb*.csv", tag: "effluent:mpcb"}
  ]
};
