import {join} from "node:path";
import type {Derivation, DerivedOutput} from "../catalog/derivation.js";
import {folderSink} from "../core/table-sink.js";
import {kpiDatasetOptions, kpiHolidayCalendar} from "./dataset-options.js";
import {DERIVE_VERSION} from "./derive.js";
import {deriveKpiTables} from "./pipeline.js";

/**
 * KPIs across every ingested event file of one dataset: stage two of the KPI pipeline
 * (`deriveKpiTables`) over that dataset's `clean_events`, with its options (metrics'
 * aggregations, holiday calendar), each metric cached under the hash of its daily series in the
 * dataset's own cache folder — a new file that touches one metric refits only that metric, and a
 * metric named alike in two datasets (a user's `orders`, the simulation's) never shares a result.
 */
export const kpiDerivation: Derivation = {
  name: "kpi",
  module: import.meta.url,
  exportName: "kpiDerivation",
  version: DERIVE_VERSION,
  inputs: ["clean_events"],
  outputs: ["metric_daily", "anomalies", "forecasts", "reliability"],
  async run({dataset, paths, duck, outDir, outRel, cacheDir, log}): Promise<DerivedOutput[]> {
    const options = kpiDatasetOptions(dataset);
    const holidays = kpiHolidayCalendar({
      options,
      dataset,
      roots: [paths.projectDir, join(paths.projectDir, "datasets"), process.cwd()]
    });
    const sink = folderSink({outDir, duck, dataset: dataset.name});
    const result = await deriveKpiTables({
      duck,
      source: "clean_events",
      sink,
      seed: "catalog",
      options,
      holidays,
      cacheDir: join(cacheDir, dataset.name),
      log
    });
    if (result.computed.length || result.reused.length)
      log(
        `kpi: ${result.computed.length} metric(s) derived${result.computed.length ? ` (${result.computed.join(", ")})` : ""}, ${result.reused.length} unchanged and reused`
      );
    return sink.tables.map((t) => ({
      topic: t.name,
      path: `${outRel}/${t.name}.parquet`,
      rows: t.rows,
      schema: t.schema
    }));
  }
};
