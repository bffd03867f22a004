import {mkdirSync, rmSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";
import type {DatasetInfo} from "../core/dataset.js";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import type {TableSink} from "../core/table-sink.js";
import {metersDatasetOptions, type MetersDatasetOptions} from "./dataset-options.js";
import {loadReadingFiles} from "./readings-load.js";
import {buildReadingsMedallion} from "./readings-medallion.js";

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
