import {mkdirSync, rmSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";
import type {DatasetInfo} from "../core/dataset.js";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {appendRows} from "../core/parquet-write.js";
import {quoteIdent} from "../core/sql.js";
import type {TableSink} from "../core/table-sink.js";
import {metersDatasetOptions, type MetersDatasetOptions} from "./dataset-options.js";
import {readReadingsFile} from "./readings-file.js";
import {buildReadingsMedallion} from "./readings-medallion.js";
import {READINGS_ROW_COLUMNS} from "./tables.js";

/** Streams readings files into a DuckDB table of readings_rows; returns the rows read. */
export async function loadReadingFiles({
  duck,
  files,
  options,
  table = "readings_rows",
  log = () => {}
}: {
  duck: Duck;
  files: {path: string; label: string}[];
  options: MetersDatasetOptions;
  table?: string;
  log?: (line: string) => void;
}): Promise<number> {
  await duck.run(
    `CREATE OR REPLACE TABLE ${quoteIdent(table)} (${READINGS_ROW_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")})`
  );
  let total = 0;
  for (const {path, label} of files) {
    const rows = await appendRows({
      duck,
      table,
      columns: READINGS_ROW_COLUMNS,
      rows: readReadingsFile({path, file: label, options})
    });
    log(`${label}: ${rows.toLocaleString("en-US")} rows`);
    total += rows;
  }
  return total;
}

/**
 * `lab run meters --dataset DIR` on real readings: every file streamed into a DuckDB database on
 * disk (it spills past its memory limit, so a dataset larger than memory still runs), then bronze
 * (`readings_rows`), silver and gold through the sink. Rows name their file relative to the
 * dataset's folder.
 */
export async function runReadingsDataset({
  files,
  dataset,
  sink,
  scratchDir,
  log = () => {}
}: {
  files: string[];
  dataset: DatasetInfo;
  sink: (duck: Duck) => TableSink;
  scratchDir: string;
  log?: (line: string) => void;
}): Promise<{rows: number; options: MetersDatasetOptions}> {
  const options = metersDatasetOptions(dataset);
  const root = dirname(resolve(dataset.optionsFile));
  mkdirSync(scratchDir, {recursive: true});
  const duck = await openDuckDB({
    path: join(scratchDir, "readings.duckdb"),
    tempDirectory: scratchDir,
    memoryLimit: "1GB"
  });
  try {
    const rows = await loadReadingFiles({
      duck,
      files: files.map((path) => ({path, label: relative(root, resolve(path)) || path})),
      options,
      log
    });
    const out = sink(duck);
    await out.writeQuery("readings_rows", "SELECT * FROM readings_rows ORDER BY file, line");
    await buildReadingsMedallion({duck, source: "readings_rows", options, sink: out});
    return {rows, options};
  } finally {
    duck.close();
    rmSync(scratchDir, {recursive: true, force: true});
  }
}
