import {readFileSync} from "node:fs";
import {join} from "node:path";
import {openDuckDB} from "../core/duckdb.js";
import {copyQueryToParquet} from "../core/parquet-write.js";
import {quoteString} from "../core/sql.js";
import type {Plugin} from "../catalog/plugin.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {metersDatasetOptions} from "./dataset-options.js";
import {runMetersTables, type MeterFleetSpec} from "./pipeline.js";
import {loadReadingFiles} from "./readings-load.js";
import {metersTables, READINGS_ONLY_TABLES} from "./tables.js";

/**
 * Runs a `*.sim.json` AMI fleet spec: the same fleet (same seed) once per emission pattern, so
 * pages can compare data quality across patterns (see runMetersTables).
 */
export const metersSimulationPlugin: Plugin = {
  name: "meters-simulation",
  tags: ["sim:ami-fleet"],
  topics: metersTables.map((t) => t.name).filter((t) => !READINGS_ONLY_TABLES.includes(t)),
  version: 1,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as MeterFleetSpec;
    const run = await runMetersTables({
      spec,
      scratchDir: ctx.scratchDir,
      sink: pluginSink(ctx),
      log: ctx.log,
      file: file.relPath
    });
    ctx.log(`${file.relPath}: ${run.patterns.length} pattern(s) × ${run.meters} meters × ${run.days} days`);
  }
};

/**
 * A readings file of a real dataset (`datasets/meters/<dataset>/*.csv|.csv.gz|.parquet`), read with
 * its dataset.json's options into `readings_rows` (bronze), streamed through an on-disk DuckDB.
 * Silver and gold need every file of the dataset at once (duplicates and gaps cross files): the
 * `meters-readings` derivation builds them per dataset after the pass.
 */
export const metersReadingsPlugin: Plugin = {
  name: "meters-readings",
  tags: ["meters:readings"],
  topics: ["readings_rows"],
  version: 1,
  async execute(ctx, file) {
    const options = metersDatasetOptions(file.dataset);
    const duck = await openDuckDB({
      path: join(ctx.scratchDir, "rows.duckdb"),
      tempDirectory: ctx.scratchDir,
      memoryLimit: "512MB"
    });
    const path = join(ctx.scratchDir, "readings_rows.parquet");
    try {
      await loadReadingFiles({duck, files: [{path: file.path, label: file.relPath}], options});
      await copyQueryToParquet({duck, sql: "SELECT * FROM readings_rows ORDER BY line", path});
    } finally {
      duck.close();
    }
    const rows = await ctx.publishQuery("readings_rows", `SELECT * FROM read_parquet(${quoteString(path)})`);
    ctx.log(`${file.relPath}: ${rows} rows`);
  }
};
