import type {Column, RowSource} from "../core/parquet-write.js";
import type {DatasetInfo} from "../core/dataset.js";
import type {Rng} from "../core/random.js";

/** What `publishArrow` needs of an apache-arrow Table (kept structural so plugins pick their Arrow). */
export interface ArrowTableLike extends Iterable<object> {
  schema: {fields: {name: string; type: {typeId: number; bitWidth?: number; unit?: number; toString(): string}}[]};
}

/** The file a job processes: one immutable version of a file, as found at one location. */
export interface CatalogFile {
  /** Absolute path where the content was found. */
  path: string;
  /** Path relative to its source root (what routing globs match). */
  relPath: string;
  contentHash: string;
  size: number;
  mtime: Date;
  tag: string;
  /** The dataset the file belongs to (its folder under the source root) and its dataset.json options. */
  dataset: DatasetInfo;
}

export interface PluginContext {
  jobId: number;
  fileId: number;
  fileVersionId: number;
  /** Seeded from the content hash: reruns of the same content draw the same numbers. */
  rng: Rng;
  log(line: string): void;
  /** Stages rows for a topic; every row gets the file's \`dataset\` and the lineage columns. Visible only when the job commits. */
  publish(topic: string, data: {columns: Column[]; rows: RowSource}): Promise<number>;
  /** Stages an Apache Arrow table (column types mapped from its schema) for a topic. */
  publishArrow(topic: string, table: ArrowTableLike): Promise<number>;
  /** Stages the result of a DuckDB query (run in the job's own in-memory database) for a topic. */
  publishQuery(topic: string, sql: string): Promise<number>;
  /** A scratch folder of the job's own, removed after it ends. */
  scratchDir: string;
}

/**
 * A plugin turns files with some tags into rows of some topics. A module exports one as
 * `default` (user plugins in `plugins/`) or by name (built-ins).
 */
export interface Plugin {
  name: string;
  /** Routing tags it subscribes to. */
  tags: string[];
  /** Topics it may publish to; a trailing `*` declares a family (`raw_*`). */
  topics: string[];
  /** Bump to reprocess every file this plugin already handled. */
  version?: number;
  execute(ctx: PluginContext, file: CatalogFile): Promise<void>;
}

/** Where a plugin lives, so worker threads can load it too. */
export interface PluginRef {
  name: string;
  module: string;
  exportName: string;
  tags: string[];
  topics: string[];
  version: number;
  source: "builtin" | "user";
}

export function isPlugin(value: unknown): value is Plugin {
  const p = value as Plugin;
  return (
    !!p &&
    typeof p.name === "string" &&
    Array.isArray(p.tags) &&
    Array.isArray(p.topics) &&
    typeof p.execute === "function"
  );
}

export function topicAllowed({plugin, topic}: {plugin: {topics: string[]}; topic: string}): boolean {
  return plugin.topics.some((t) => (t.endsWith("*") ? topic.startsWith(t.slice(0, -1)) : t === topic));
}
