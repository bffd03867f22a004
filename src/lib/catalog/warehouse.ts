import {createHash} from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Dirent
} from "node:fs";
import {dirname, join} from "node:path";
import {openDuckDB, type Duck, type Row} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {noteLoaderInput} from "../core/loader-inputs.js";
import {quoteIdent, quoteList} from "../core/sql.js";
import {writeQueryAsParquetToStream} from "../core/stdout.js";
import {tempPathFor} from "../core/atomic-file.js";
import {labPaths, type LabPaths} from "./paths.js";

export interface ManifestFile {
  /** Relative to the warehouse folder. */
  path: string;
  job_id: number | null;
  file_version_id: number | null;
  file_id: number | null;
  /** The dataset folder its rows came from (src/lib/catalog/datasets.ts); absent for the catalog's own tables. */
  dataset_folder?: string;
  rows: number;
}

export interface ManifestTopic {
  fingerprint: string;
  schema: {name: string; type: string}[];
  files: ManifestFile[];
}

/**
 * The single source of truth for what readers see: the current files of every topic. It is
 * replaced atomically (temp file + rename) after each commit, so a reader sees the warehouse
 * before a job or after it, never in between — across all topics at once.
 */
export interface Manifest {
  generated_at: string;
  topics: Record<string, ManifestTopic>;
  /** Derived topics' bookkeeping: the inputs they were computed from and where they live. */
  derived?: Record<string, {inputKey: string; dir: string; at: string; seconds: number; codeVersion?: string}>;
}

export function readManifest(paths: LabPaths): Manifest {
  if (!existsSync(paths.manifestPath)) return {generated_at: new Date(0).toISOString(), topics: {}};
  return JSON.parse(readFileSync(paths.manifestPath, "utf-8")) as Manifest;
}

export function writeManifest({paths, manifest}: {paths: LabPaths; manifest: Manifest}): void {
  mkdirSync(dirname(paths.manifestPath), {recursive: true});
  const temp = tempPathFor(paths.manifestPath);
  writeFileSync(temp, JSON.stringify(manifest, null, 1));
  renameSync(temp, paths.manifestPath);
}

export function schemaFingerprint(schema: {name: string; type: string}[]): string {
  return createHash("sha256")
    .update(JSON.stringify(schema.map((c) => [c.name, c.type])))
    .digest("hex")
    .slice(0, 16);
}

export interface TopicInfo {
  topic: string;
  files: number;
  rows: number;
  bytes: number;
  updatedAt: Date | null;
  schema: {name: string; type: string}[];
}

/** Every topic in the current view with its size and last update. */
export function listTopics({
  projectDir = process.cwd(),
  paths = labPaths({projectDir})
}: {projectDir?: string; paths?: LabPaths} = {}): TopicInfo[] {
  const manifest = readManifest(paths);
  return Object.entries(manifest.topics)
    .map(([topic, entry]) => {
      const stats = entry.files.map((f) => statSync(join(paths.warehouseDir, f.path), {throwIfNoEntry: false}));
      const mtimes = stats.filter((s) => s).map((s) => s!.mtimeMs);
      return {
        topic,
        files: entry.files.length,
        rows: entry.files.reduce((n, f) => n + f.rows, 0),
        bytes: stats.reduce((n, s) => n + (s?.size ?? 0), 0),
        updatedAt: mtimes.length ? new Date(Math.max(...mtimes)) : null,
        schema: entry.schema
      };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic));
}

/** The absolute paths of a topic's current files. */
export function topicFiles({
  projectDir = process.cwd(),
  paths = labPaths({projectDir}),
  topic
}: {
  projectDir?: string;
  paths?: LabPaths;
  topic: string;
}): string[] {
  return (readManifest(paths).topics[topic]?.files ?? []).map((f) => join(paths.warehouseDir, f.path));
}

/** A fingerprint of a topic's current view (changes exactly when its visible files change). */
export function topicFingerprint({paths, topic}: {paths: LabPaths; topic: string}): string {
  const entry = readManifest(paths).topics[topic];
  return entry ? createHash("sha256").update(JSON.stringify(entry)).digest("hex") : "missing";
}

/** SQL that reads a topic's current rows (an empty, typed relation when it has no files). */
export function topicSource({paths, entry}: {paths: LabPaths; entry: ManifestTopic}): string {
  if (entry.files.length)
    return `SELECT * FROM read_parquet(${quoteList(entry.files.map((f) => join(paths.warehouseDir, f.path)))}, union_by_name = true)`;
  return emptyRelation(entry.schema);
}

/** SQL for an empty relation with these columns, typed. */
export function emptyRelation(columns: {name: string; type: string}[]): string {
  return `SELECT ${columns.map((c) => `NULL::${c.type} AS ${quoteIdent(c.name)}`).join(", ")} LIMIT 0`;
}

/**
 * Creates one view per topic (named after it) over its current Parquet files. A topic never
 * published is an error, unless `absent` gives the columns it reads with (an empty typed view).
 */
export async function registerTopics({
  duck,
  paths,
  topics,
  absent
}: {
  duck: Duck;
  paths: LabPaths;
  topics: string[];
  absent?: (topic: string) => {name: string; type: string}[];
}): Promise<void> {
  const manifest = readManifest(paths);
  for (const topic of topics) {
    const entry = manifest.topics[topic];
    if (!entry && absent) {
      await duck.run(`CREATE OR REPLACE VIEW ${quoteIdent(topic)} AS ${emptyRelation(absent(topic))}`);
      continue;
    }
    if (!entry) {
      const known = Object.keys(manifest.topics);
      throw new LabError({
        file: paths.manifestPath,
        reason: `topic "${topic}" is not in the warehouse`,
        hint: known.length
          ? `known topics: ${known.join(", ")}`
          : "nothing has been ingested yet: drop files into datasets/ and run `npm run lab -- ingest`"
      });
    }
    await duck.run(`CREATE OR REPLACE VIEW ${quoteIdent(topic)} AS ${topicSource({paths, entry})}`);
  }
}

/** Records warehouse topics as inputs of the running data loader (see core/loader-inputs.ts). */
export function noteTopics({paths, topics}: {paths: LabPaths; topics: string[]}): void {
  for (const topic of topics)
    noteLoaderInput({
      path: join(paths.warehouseDir, topic),
      projectDir: paths.projectDir,
      fingerprint: topicFingerprint({paths, topic}),
      topic
    });
}

export interface QueryWarehouseOptions {
  projectDir?: string;
  paths?: LabPaths;
  /** Topics the query reads; each becomes a view of the same name. */
  topics: string[];
  sql: string;
}

/** For data loaders: runs SQL over warehouse topics and returns the rows (recorded as loader inputs). */
export async function queryWarehouse({
  projectDir = process.cwd(),
  paths = labPaths({projectDir}),
  topics,
  sql
}: QueryWarehouseOptions): Promise<Row[]> {
  noteTopics({paths, topics});
  const duck = await openDuckDB();
  try {
    await registerTopics({duck, paths, topics});
    return await duck.all(sql);
  } finally {
    duck.close();
  }
}

/** Removes warehouse files no commit refers to (left by jobs that died before committing). */
export function removeOrphans({paths, keep}: {paths: LabPaths; keep: Set<string>}): string[] {
  const removed: string[] = [];
  if (!existsSync(paths.warehouseDir)) return removed;
  const visit = (dir: string, rel: string) => {
    for (const entry of readdirSafe(dir)) {
      const abs = join(dir, entry.name);
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(abs, r);
      else if (entry.name.endsWith(".parquet") && !keep.has(r)) (rmSync(abs, {force: true}), removed.push(r));
    }
  };
  visit(paths.warehouseDir, "");
  return removed;
}

function readdirSafe(dir: string): Dirent[] {
  try {
    return readdirSync(dir, {withFileTypes: true});
  } catch {
    return [];
  }
}
