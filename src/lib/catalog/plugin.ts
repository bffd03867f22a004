import type {Column, RowSource} from "../core/parquet-write.js";
import type {DatasetInfo, OptionReader} from "../core/dataset.js";
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

export interface PluginContext<P extends object = Record<string, unknown>> {
  jobId: number;
  /** The plugin's parameters from lab.config.ts `plugins.<name>`, as its `params` read them ({} without). */
  params: P;
  fileId: number;
  fileVersionId: number;
  /** Seeded from the content hash: reruns of the same content draw the same numbers. */
  rng: Rng;
  log(line: string): void;
  /** Stages rows for a topic; every row gets the file's `dataset` and the lineage columns. Visible only when the job commits. */
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
export interface Plugin<P extends object = Record<string, unknown>> {
  name: string;
  /** Routing tags it subscribes to. */
  tags: string[];
  /** Topics it may publish to; a trailing `*` declares a family (`raw_*`). */
  topics: string[];
  /** Bump to reprocess every file this plugin already handled. */
  version?: number;
  /**
   * Reads the plugin's parameters (lab.config.ts `plugins: {"<name>": {…}}`) key by key; the
   * catalog then refuses any key it did not read, naming lab.config.ts and the key. Without it the
   * plugin takes no parameters. What it returns is `ctx.params`.
   */
  params?(reader: OptionReader): P;
  /**
   * The part of a file's path its outputs depend on (a topic named after a folder, a column
   * holding the file name). Identical bytes at two paths of one dataset with the same route key
   * are processed once; with different keys, once each. Default: the whole path (every path is
   * processed on its own), the safe choice for a plugin that reads `file.path` or `file.relPath`.
   */
  routeKey?(file: {relPath: string; tag: string}): string;
  execute(ctx: PluginContext<P>, file: CatalogFile): Promise<void>;
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
  /** Its parameters as lab.config.ts gives them (checked by the plugin's `params`); {} without. */
  params: Record<string, unknown>;
  /** A hash of `params`, part of every job's key ("" without parameters). */
  paramsHash: string;
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
