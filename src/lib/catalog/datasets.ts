/**
 * Datasets in the catalog: which dataset each present file belongs to (src/lib/core/dataset.ts
 * says the convention), and the content hash of each dataset's dataset.json. A job is keyed by
 * (plugin, version, file version, dataset folder, options hash): the same bytes in two datasets
 * are two jobs, and editing a dataset.json reprocesses exactly that dataset's files.
 */
import {existsSync} from "node:fs";
import {join, resolve} from "node:path";
import {
  DATASET_OPTIONS_FILE,
  DEFAULT_DATASET,
  datasetOf,
  isDatasetOptionsFile,
  parseDatasetOptions,
  type DatasetInfo
} from "../core/dataset.js";
import type {Duck} from "../core/duckdb.js";
import {quoteString} from "../core/sql.js";
import {readTextFile} from "../core/text-file.js";
import type {LabPaths} from "./paths.js";

/** Where a job's dataset lives, as the coordinator tells a worker (which reads the options itself). */
export interface DatasetRef {
  pipeline?: string;
  name: string;
  /** Relative to the source root (`kpi/shop`; `kpi` for the loose files' `default`; "" at the root). */
  folder: string;
  /** The dataset.json's absolute path, when the dataset has one. */
  optionsPath?: string;
  /** The same path as a user writes it (relative to the project), for messages. */
  optionsFile: string;
}

export interface PresentLocation {
  file_id: number;
  root: string;
  rel_path: string;
  current_version_id: number;
  mtime: Date;
  folder: string;
}

/** The options file's path relative to its source root for a dataset folder. */
export function optionsRelPath(folder: string): string {
  return folder ? `${folder}/${DATASET_OPTIONS_FILE}` : DATASET_OPTIONS_FILE;
}

/**
 * Every present file location with its dataset folder, and each folder's options hash (the
 * content hash of its dataset.json, "" without one). dataset.json files themselves are options,
 * not data: they are left out of `locations`.
 */
export async function presentDatasets({catalog, pipelines}: {catalog: Duck; pipelines: readonly string[]}): Promise<{
  locations: PresentLocation[];
  optionsHash: Map<string, string>;
}> {
  const rows = await catalog.all<{
    file_id: number;
    root: string;
    rel_path: string;
    current_version_id: number;
    mtime: Date;
    content_hash: string;
  }>(
    `SELECT l.file_id, r.path AS root, l.rel_path, l.current_version_id, v.mtime, v.content_hash
     FROM file_locations l JOIN source_roots r USING (root_id) JOIN file_versions v ON v.file_version_id = l.current_version_id
     WHERE NOT l.missing ORDER BY l.file_id`
  );
  const optionsHash = new Map<string, string>();
  const locations: PresentLocation[] = [];
  for (const row of rows) {
    if (isDatasetOptionsFile(row.rel_path)) {
      const folder = row.rel_path.slice(0, -DATASET_OPTIONS_FILE.length).replace(/\/$/, "");
      optionsHash.set(folder, row.content_hash);
      continue;
    }
    locations.push({...row, folder: datasetOf({relPath: row.rel_path, pipelines}).folder});
  }
  return {locations, optionsHash};
}

/** The dataset a folder names, with where its options file is (if it has one). */
export function datasetRef({
  paths,
  root,
  folder,
  pipelines
}: {
  paths: LabPaths;
  root: string;
  folder: string;
  pipelines: readonly string[];
}): DatasetRef {
  const [top = "", second] = folder.split("/");
  const pipeline = pipelines.includes(top) ? top : undefined;
  const name = !folder ? DEFAULT_DATASET : pipeline ? (second ?? DEFAULT_DATASET) : top;
  const optionsFile = join(root, optionsRelPath(folder));
  const optionsPath = resolve(paths.projectDir, optionsFile);
  return {
    pipeline,
    name,
    folder,
    optionsPath: existsSync(optionsPath) ? optionsPath : undefined,
    optionsFile
  };
}

/** Reads a dataset's options (in the job's worker, so a bad dataset.json fails the job, not the ingest). */
export function loadDataset(ref: DatasetRef): DatasetInfo {
  const options = ref.optionsPath
    ? parseDatasetOptions({text: readTextFile({path: ref.optionsPath}), file: ref.optionsFile})
    : {};
  return {pipeline: ref.pipeline, name: ref.name, options, optionsFile: ref.optionsFile};
}

/**
 * SQL for a location's dataset folder from `rel_path` (the same rule as datasetOf), for the
 * catalog's snapshots.
 */
export function datasetFolderSql({relPath, pipelines}: {relPath: string; pipelines: readonly string[]}): string {
  const top = `split_part(${relPath}, '/', 1)`;
  const depth = `len(string_split(${relPath}, '/'))`;
  const inPipeline = pipelines.length ? `${top} IN (${pipelines.map(quoteString).join(", ")})` : "false";
  return `CASE WHEN ${inPipeline} THEN (CASE WHEN ${depth} <= 2 THEN ${top} ELSE ${top} || '/' || split_part(${relPath}, '/', 2) END)
    ELSE (CASE WHEN ${depth} <= 1 THEN '' ELSE ${top} END) END`;
}
