import {existsSync} from "node:fs";
import {availableParallelism} from "node:os";
import {join} from "node:path";
import {pathToFileURL} from "node:url";
import type {TopicSinks} from "./pg-sink.js";
import type {QueueSetting} from "./queue-url.js";

/** A routing rule: files whose path (relative to their source root) matches `glob` get `tag`. */
export interface RoutingRule {
  glob: string;
  tag: string;
}

/** The generic plugin's routing: the last rules, so any pipeline's rule for a CSV wins. */
export const genericRouting: RoutingRule[] = [
  {glob: "**/*.csv", tag: "csv"},
  {glob: "**/*.{jsonl,ndjson}", tag: "jsonl"}
];

/** Everything a user may tune about ingestion; `lab.config.ts` at the project root overrides it. */
export interface LabConfig {
  /** Folders scouted for files, relative to the project. */
  sourceRoots: string[];
  /**
   * Ordered: the first rule that matches a path decides its tag (like a routing table). In
   * lab.config.ts, the project's own rules: loadConfig puts them before the pipelines' defaults
   * and the generic catch-alls, so they add to and override both.
   */
  routing: RoutingRule[];
  /** Folder of user plugins (TypeScript modules), relative to the project. */
  pluginsDir: string;
  /** Worker threads running plugin jobs. */
  workers: number;
  retry: {maxAttempts: number; backoffMs: number};
  /** A new or changed file must keep its size and mtime this long before it is hashed. */
  stableWaitMs: number;
  /** How often a busy worker reports that it is alive. */
  heartbeatMs: number;
  /**
   * A worker silent this long (a plugin stuck in a loop or blocked in Atomics.wait, a thread that
   * died) loses its job: the thread is terminated and replaced, and the job retried like any failure.
   */
  heartbeatTimeoutMs: number;
  /** Watch mode: a full rescan this often, behind the file-system events. */
  watchRescanMs: number;
  /**
   * Each derivation runs in a worker thread with this much heap (and as much for its DuckDB): one
   * that needs more fails, logged, and keeps its previous outputs instead of taking the process down.
   */
  derivationMemoryMb: number;
  /**
   * Files that left the current view wait under warehouse/_superseded/ this long (counted from when
   * they left) before an ingest's start deletes them.
   */
  supersededRetentionMs: number;
  /**
   * Run jobs through a PostgreSQL queue served by `lab worker` processes (on any host that reaches
   * the database and the same paths); absent, jobs run on local threads. LAB_QUEUE_URL also switches.
   */
  queue?: QueueSetting;
  /** Where promoted tables go: Parquet always; "duckdb" also keeps each topic as a table. */
  sinks: ("parquet" | "duckdb")[];
  /**
   * Per topic, more places its current view is mirrored to after each ingest pass:
   * `{metric_daily: {postgres: {urlEnv: "LAB_PG_SINK_URL", schema: "lab"}}}` (see pg-sink.ts).
   */
  topicSinks?: TopicSinks;
  /**
   * Each plugin's parameters, by plugin name: handed to it as `ctx.params` after its own
   * `params(reader)` checked them; changing them reprocesses the plugin's files.
   */
  plugins?: Record<string, Record<string, unknown>>;
}

export const defaultConfig: LabConfig = {
  sourceRoots: ["datasets"],
  routing: genericRouting,
  pluginsDir: "plugins",
  workers: Math.max(1, availableParallelism()),
  retry: {maxAttempts: 3, backoffMs: 500},
  stableWaitMs: 250,
  heartbeatMs: 1000,
  heartbeatTimeoutMs: 30_000,
  watchRescanMs: 5000,
  derivationMemoryMb: 2048,
  supersededRetentionMs: 24 * 3_600_000,
  sinks: ["parquet"]
};

/**
 * The project's `lab.config.ts` (default export, partial) over the defaults. Routing is the
 * project's rules, then `builtinRouting` (the pipelines' defaults, from the registry), then the
 * generic plugin's catch-alls: the first match wins, so a project rule overrides a default.
 */
export async function loadConfig({
  projectDir,
  builtinRouting = []
}: {
  projectDir: string;
  builtinRouting?: RoutingRule[];
}): Promise<LabConfig> {
  const path = join(projectDir, "lab.config.ts");
  const user = existsSync(path)
    ? ((await import(pathToFileURL(path).href)) as {default?: Partial<LabConfig>}).default
    : undefined;
  return {
    ...defaultConfig,
    ...user,
    routing: [...(user?.routing ?? []), ...builtinRouting, ...genericRouting],
    retry: {...defaultConfig.retry, ...user?.retry}
  };
}
