import type {Domain} from "../domain.js";
import {marketPipeline} from "./pipeline.js";
import {marketDatasetOptions, marketHistoryPlugin, marketReplayDerivation} from "./history-dataset.js";
import {marketSimulationPlugin} from "./plugin.js";
import {marketCalibrationDerivation} from "./calibration-dataset.js";
import {marketRecordingPlugin} from "./recording-dataset.js";
import {marketTables} from "./tables.js";

export {
  marketCalibrationDerivation,
  marketHistoryPlugin,
  marketRecordingPlugin,
  marketReplayDerivation,
  marketSimulationPlugin
};

export const marketDomain: Domain = {
  name: "market",
  title: "Market replay",
  summary:
    "A simulated L2 market and a crash-safe order-book reconstruction from Crypto Lake-style history, measured against the truth.",
  page: "/pages/market/",
  module: import.meta.url,
  pipeline: marketPipeline,
  plugins: {marketSimulationPlugin, marketHistoryPlugin, marketRecordingPlugin},
  derivations: [marketReplayDerivation, marketCalibrationDerivation],
  tables: marketTables,
  routing: [
    {glob: "market/**/*.sim.json", tag: "sim:market"},
    {glob: "market/**/*.{parquet,csv,csv.gz}", tag: "market:history"},
    // Captures (lab capture's JSON Lines) and `<local ns> <json>` recordings; the plugin reads which by content.
    {glob: "market/**/*.{jsonl,jsonl.gz,ndjson,ndjson.gz,txt,txt.gz,log,log.gz}", tag: "market:recording"}
  ],
  datasetOptions: marketDatasetOptions
};
