/**
 * A job worker thread: runs plugin jobs sent by the coordinator and stages their output as
 * Parquet. It never touches the catalog database or the warehouse: it reports the staged files,
 * and the coordinator promotes them when it commits the job.
 */
import {mkdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {parentPort} from "node:worker_threads";
import {openDuckDB} from "../core/duckdb.js";
import {isLabError, isRejectedInput} from "../core/errors.js";
import {DATASET_COLUMN, withDataset} from "../core/table-sink.js";
import {codeVersion} from "./code-version.js";
import {assertScannedContent, assertStillUnchanged} from "./content-check.js";
import {loadDataset, type DatasetRef} from "./datasets.js";
import {parquetSchema} from "../core/parquet-read.js";
import {writeParquet} from "../core/parquet-write.js";
import {createRng} from "../core/random.js";
import {quoteString} from "../core/sql.js";
import {readPluginParams} from "./plugin-params.js";
import {
  isPlugin,
  topicAllowed,
  type ArrowTableLike,
  type CatalogFile,
  type Plugin,
  type PluginContext,
  type PluginRef
} from "./plugin.js";

export interface RunJobMessage {
  type: "run";
  jobId: number;
  fileId: number;
  fileVersionId: number;
  attempt: number;
  plugin: PluginRef;
  file: Omit<CatalogFile, "dataset">;
  /** The file as messages name it (relative to the project). */
  fileLabel: string;
  /** The worker reads the dataset's options itself: a bad dataset.json fails this job alone. */
  dataset: DatasetRef;
  stageDir: string;
  heartbeatMs: number;
}

export interface StagedOutput {
  topic: string;
  path: string;
  rows: number;
  schema: {name: string; type: string}[];
}

export type WorkerReply =
  /** Sent once the thread has loaded. */
  | {type: "ready"}
  | {type: "heartbeat"; jobId: number}
  | {type: "log"; jobId: number; line: string}
  /**
   * `rejected`: the file failed as a whole (RejectedInput) but its published rows stay.
   * `codeVersion`: the code this thread ran (code-version.ts), for the job's lineage.
   */
  | {type: "done"; jobId: number; outputs: StagedOutput[]; rejected?: string; codeVersion?: string}
  | {type: "failed"; jobId: number; error: string; badInput: boolean};

const LINEAGE = [
  {name: "_job_id", type: "BIGINT"},
  {name: "_file_version_id", type: "BIGINT"},
  {name: "_file_id", type: "BIGINT"}
];

const plugins = new Map<string, Plugin>();

/** DuckDB column types for an Arrow schema (apache-arrow Type ids; unknown types become JSON text). */
export function arrowColumns(table: ArrowTableLike): {name: string; type: string}[] {
  return table.schema.fields.map(({name, type}) => {
    switch (type.typeId) {
      case 2: // Int
        return {name, type: (type.bitWidth ?? 64) > 32 ? "BIGINT" : "INTEGER"};
      case 3: // Float
        return {name, type: "DOUBLE"};
      case 5: // Utf8
      case -1: // Dictionary (of strings, in practice)
        return {name, type: "VARCHAR"};
      case 6: // Bool
        return {name, type: "BOOLEAN"};
      case 8: // Date
        return {name, type: "DATE"};
      case 10: // Timestamp
        return {name, type: "TIMESTAMP"};
      default:
        return {name, type: "JSON"};
    }
  });
}

async function loadPlugin(ref: PluginRef): Promise<Plugin> {
  const key = `${ref.module}#${ref.exportName}`;
  let plugin = plugins.get(key);
  if (!plugin) {
    const module = (await import(ref.module)) as Record<string, unknown>;
    const candidate = module[ref.exportName];
    if (!isPlugin(candidate)) throw new Error(`${ref.module} does not export a plugin as ${ref.exportName}`);
    plugins.set(key, (plugin = candidate));
  }
  return plugin;
}

async function run(message: RunJobMessage): Promise<{outputs: StagedOutput[]; rejected?: string}> {
  const plugin = await loadPlugin(message.plugin);
  const source = {path: message.file.path, file: message.fileLabel};
  const stamp = await assertScannedContent({...source, contentHash: message.file.contentHash});
  const dataset = loadDataset(message.dataset);
  const params = readPluginParams({plugin, raw: message.plugin.params ?? {}});
  mkdirSync(message.stageDir, {recursive: true});
  const scratchDir = join(message.stageDir, "scratch");
  mkdirSync(scratchDir, {recursive: true});
  const outputs: StagedOutput[] = [];
  const ids = {_job_id: message.jobId, _file_version_id: message.fileVersionId, _file_id: message.fileId};
  const duck = await openDuckDB({tempDirectory: scratchDir});
  const stagedPath = (topic: string) => {
    if (!/^[a-z][a-z0-9_]*$/.test(topic)) throw new Error(`invalid topic name "${topic}": use lower-case snake_case`);
    if (!topicAllowed({plugin, topic}))
      throw new Error(
        `plugin ${plugin.name} published to "${topic}", which it does not declare (topics: ${plugin.topics.join(", ")})`
      );
    return join(message.stageDir, `${topic}-${outputs.length}.parquet`);
  };
  const record = async (topic: string, path: string, rows: number) => {
    outputs.push({topic, path, rows, schema: await parquetSchema({path})});
    return rows;
  };
  const ctx: PluginContext = {
    jobId: message.jobId,
    params: params as Record<string, unknown>,
    fileId: message.fileId,
    fileVersionId: message.fileVersionId,
    rng: createRng(message.file.contentHash),
    scratchDir,
    log: (line) => parentPort!.postMessage({type: "log", jobId: message.jobId, line} satisfies WorkerReply),
    async publish(topic, {columns, rows}) {
      const path = stagedPath(topic);
      const result = await writeParquet({
        path,
        columns,
        rows,
        constants: [
          ...(columns.some((c) => c.name === DATASET_COLUMN.name) ? [] : [{...DATASET_COLUMN, value: dataset.name}]),
          ...LINEAGE.map((c) => ({...c, value: BigInt(ids[c.name as keyof typeof ids])}))
        ]
      });
      return record(topic, path, result.rows);
    },
    async publishArrow(topic, table) {
      return ctx.publish(topic, {columns: arrowColumns(table), rows: table});
    },
    async publishQuery(topic, sql) {
      const path = stagedPath(topic);
      const rows = await duck.run(
        `COPY (SELECT *, ${message.jobId}::BIGINT AS _job_id, ${message.fileVersionId}::BIGINT AS _file_version_id, ${message.fileId}::BIGINT AS _file_id FROM (${await withDataset(duck, sql, dataset.name)})) TO ${quoteString(path)} (FORMAT parquet, COMPRESSION zstd)`
      );
      return record(topic, path, rows);
    }
  };
  try {
    let rejected: string | undefined;
    try {
      await plugin.execute(ctx, {...message.file, mtime: new Date(message.file.mtime), dataset});
    } catch (error) {
      if (!isRejectedInput(error)) throw error;
      rejected = error.message;
    }
    assertStillUnchanged({...source, stamp});
    return {outputs, rejected};
  } finally {
    duck.close();
    rmSync(scratchDir, {recursive: true, force: true});
  }
}

parentPort!.on("message", async (message: RunJobMessage) => {
  parentPort!.postMessage({type: "heartbeat", jobId: message.jobId} satisfies WorkerReply);
  const heartbeat = setInterval(
    () => parentPort!.postMessage({type: "heartbeat", jobId: message.jobId} satisfies WorkerReply),
    message.heartbeatMs
  );
  try {
    const {outputs, rejected} = await run(message);
    parentPort!.postMessage({
      type: "done",
      jobId: message.jobId,
      outputs,
      rejected,
      codeVersion: codeVersion()
    } satisfies WorkerReply);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    parentPort!.postMessage({
      type: "failed",
      jobId: message.jobId,
      error: text,
      badInput: isLabError(error)
    } satisfies WorkerReply);
  } finally {
    clearInterval(heartbeat);
  }
});

parentPort!.postMessage({type: "ready"} satisfies WorkerReply);
