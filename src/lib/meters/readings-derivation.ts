import type {Derivation, DerivedOutput} from "../catalog/derivation.js";
import {folderSink} from "../core/table-sink.js";
import {metersDatasetOptions} from "./dataset-options.js";
import {buildReadingsMedallion, READINGS_DATASET_TABLES} from "./readings-medallion.js";

/**
 * Silver and gold of one real readings dataset from its `readings_rows` (every file's rows: a
 * duplicate or a gap may cross files), run once per dataset whose files changed, with the same
 * code `lab run meters --dataset DIR` runs.
 */
export const metersReadingsDerivation: Derivation = {
  name: "meters-readings",
  module: import.meta.url,
  exportName: "metersReadingsDerivation",
  version: 1,
  inputs: ["readings_rows"],
  outputs: [...READINGS_DATASET_TABLES],
  async run({dataset, duck, outDir, outRel, log}): Promise<DerivedOutput[]> {
    const options = metersDatasetOptions(dataset);
    const sink = folderSink({outDir, duck, dataset: dataset.name});
    await buildReadingsMedallion({duck, source: "readings_rows", options, sink});
    log(`meters: ${dataset.name}: ${sink.tables.map((t) => `${t.name} ${t.rows}`).join(", ")}`);
    return sink.tables.map((t) => ({
      topic: t.name,
      path: `${outRel}/${t.name}.parquet`,
      rows: t.rows,
      schema: t.schema
    }));
  }
};
