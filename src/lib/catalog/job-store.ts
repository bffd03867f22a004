/**
 * The catalog's job records: what the coordinator writes to the catalog database about plugins,
 * queued jobs, claims, commits and failures. Every function runs on the one catalog connection;
 * the coordinator serialises calls (see Coordinator.exclusive).
 */
import {mkdirSync, renameSync, rmSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import type {Duck} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {quoteString} from "../core/sql.js";
import type {JobRow} from "./catalog-db.js";
import {STALE_FILE_REASON} from "./content-check.js";
import {datasetRef, presentDatasets, type DatasetRef} from "./datasets.js";
import type {RoutingRule} from "./config.js";
import type {StagedOutput} from "./job-worker.js";
import type {LabPaths} from "./paths.js";
import type {CatalogFile, PluginRef} from "./plugin.js";
import type {BrokenPlugin} from "./plugin-loader.js";
import {agePriority, routeTag} from "./routing.js";
import {formatSchemaDiff} from "./schema-diff.js";
import {schemaFingerprint} from "./warehouse.js";
import {outputPath} from "./warehouse-layout.js";

export type ClaimedJob = JobRow & {attempt: number};
export type StagedJob = ClaimedJob & {stageDir: string};

/**
 * Records this run's routing and plugins, and takes over from a dead coordinator: any RUNNING job
 * is requeued (only one coordinator runs at a time, so it belonged to a dead one). Returns how
 * many jobs were requeued.
 */
export async function recordSetup({
  catalog,
  routing,
  plugins,
  broken,
  coordinatorId,
  at
}: {
  catalog: Duck;
  routing: RoutingRule[];
  plugins: PluginRef[];
  broken: BrokenPlugin[];
  coordinatorId: string;
  at: Date;
}): Promise<number> {
  await catalog.run("BEGIN TRANSACTION");
  await catalog.run("DELETE FROM routing_rules");
  for (const [i, rule] of routing.entries())
    await catalog.run("INSERT INTO routing_rules VALUES (?, ?, ?)", [i, rule.glob, rule.tag]);
  await catalog.run("DELETE FROM plugins");
  for (const p of plugins)
    await catalog.run(
      `INSERT INTO plugins VALUES (?, ?, ?, ${sqlList(p.tags)}, ${sqlList(p.topics)}, ?, 'OK', NULL, ?::TIMESTAMP, ?)`,
      [p.name, p.source, p.module, p.version, at, p.paramsHash]
    );
  for (const b of broken)
    await catalog.run(`INSERT INTO plugins VALUES (?, 'user', ?, [], [], NULL, 'BROKEN', ?, ?::TIMESTAMP, '')`, [
      b.module,
      b.module,
      b.error,
      at
    ]);
  const requeued = await catalog.all<{job_id: number}>(
    `UPDATE jobs SET status = 'QUEUED', worker_id = NULL, error = 'requeued: its worker died (heartbeat stopped)' WHERE status = 'RUNNING' RETURNING job_id`
  );
  await catalog.run("DELETE FROM workers");
  await catalog.run(`INSERT INTO workers VALUES (?, ?, ?::TIMESTAMP, ?::TIMESTAMP, 'COORDINATOR')`, [
    coordinatorId,
    process.pid,
    at,
    at
  ]);
  await catalog.run("COMMIT");
  return requeued.length;
}

/**
 * A job's identity: the same plugin (version, parameters) never processes the same content twice
 * for the same route (tag and route key) within one dataset and options.
 */
export function jobKey(job: {
  plugin: string;
  plugin_version: number;
  params_hash: string;
  file_version_id: number;
  dataset_folder: string;
  options_hash: string;
  tag: string;
  route_key: string;
}): string {
  return [
    `${job.plugin}@${job.plugin_version}`,
    job.params_hash,
    job.file_version_id,
    job.dataset_folder,
    job.options_hash,
    job.tag,
    job.route_key
  ].join("#");
}

/** A location's route for a plugin: its tag and the part of its path the plugin's outputs depend on. */
export type RouteKeyOf = (o: {plugin: string; relPath: string; tag: string}) => string;

/**
 * One job per (plugin, version, parameters, file version, dataset, dataset options, route) whose
 * tag the plugin subscribes to: identical files in two datasets are processed once each, so are
 * identical files at two paths of one dataset whose route keys differ (a plugin whose topic
 * depends on the path), and an edited dataset.json or plugin parameter reprocesses its files.
 * Also records each present location's route per plugin (location_routes), which the current
 * view follows: a deleted path retracts the outputs of its own route and no other.
 */
export async function enqueueJobs({
  catalog,
  routing,
  plugins,
  routeKeyOf,
  pipelines,
  at
}: {
  catalog: Duck;
  routing: RoutingRule[];
  plugins: PluginRef[];
  routeKeyOf: RouteKeyOf;
  pipelines: readonly string[];
  at: Date;
}): Promise<number> {
  const {locations, optionsHash} = await presentDatasets({catalog, pipelines});
  const existing = new Set(
    (
      await catalog.all<Parameters<typeof jobKey>[0]>(
        // A job failed as stale read other bytes than its version's, and a collected job's files
        // are gone: if a location holds that version again, it is due again.
        `SELECT plugin, plugin_version, params_hash, file_version_id, dataset_folder, options_hash, tag, route_key FROM jobs WHERE status <> 'COLLECTED' AND NOT (status = 'FAILED' AND rows IS NULL AND contains(coalesce(error, ''), ${quoteString(STALE_FILE_REASON)}))`
      )
    ).map(jobKey)
  );
  const values: string[] = [];
  const routes = new Map<string, {fileId: number; plugin: string; route: string}>();
  for (const loc of locations) {
    const tag = routeTag({relPath: loc.rel_path, rules: routing});
    if (!tag) continue;
    const options = optionsHash.get(loc.folder) ?? "";
    for (const plugin of plugins.filter((p) => p.tags.includes(tag))) {
      const route = routeKeyOf({plugin: plugin.name, relPath: loc.rel_path, tag});
      routes.set(`${loc.file_id}\0${plugin.name}`, {fileId: loc.file_id, plugin: plugin.name, route});
      const key = jobKey({
        plugin: plugin.name,
        plugin_version: plugin.version,
        params_hash: plugin.paramsHash,
        file_version_id: loc.current_version_id,
        dataset_folder: loc.folder,
        options_hash: options,
        tag,
        route_key: route
      });
      if (existing.has(key)) continue;
      existing.add(key);
      values.push(
        `(${quoteString(plugin.name)}, ${plugin.version}, ${loc.current_version_id}, ${loc.file_id}, ${quoteString(tag)}, ${quoteString(loc.folder)}, ${quoteString(options)}, ${quoteString(route)}, ${quoteString(plugin.paramsHash)}, 'QUEUED', ${agePriority({mtime: loc.mtime, now: at})}, ${quoteString(at.toISOString())}::TIMESTAMP)`
      );
    }
  }
  await catalog.run("BEGIN TRANSACTION");
  try {
    await recordRoutes({catalog, plugins, routes});
    for (let i = 0; i < values.length; i += 500)
      await catalog.run(
        `INSERT INTO jobs (plugin, plugin_version, file_version_id, file_id, tag, dataset_folder, options_hash, route_key, params_hash, status, priority, created_at) VALUES ${values.slice(i, i + 500).join(",")}`
      );
    await catalog.run("COMMIT");
  } catch (error) {
    await catalog.run("ROLLBACK");
    throw error;
  }
  return values.length;
}

/** Takes the next due job (highest priority first) for a worker, or undefined when none is due. */
export async function claimJob({
  catalog,
  workerId,
  at
}: {
  catalog: Duck;
  workerId: string;
  at: Date;
}): Promise<ClaimedJob | undefined> {
  const [job] = await catalog.all<JobRow>(
    `UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, worker_id = ?, started_at = ?::TIMESTAMP, heartbeat_at = ?::TIMESTAMP
     WHERE job_id = (SELECT job_id FROM jobs WHERE status = 'QUEUED' AND (not_before IS NULL OR not_before <= ?::TIMESTAMP) ORDER BY priority DESC, job_id LIMIT 1)
     RETURNING *`,
    [workerId, at, at, at]
  );
  return job ? {...job, attempt: job.attempts} : undefined;
}

/** The file version a job processes, where it was found, and its dataset. */
export async function jobFile({
  catalog,
  paths,
  job,
  pipelines
}: {
  catalog: Duck;
  paths: LabPaths;
  job: JobRow;
  pipelines: readonly string[];
}): Promise<{file: Omit<CatalogFile, "dataset">; dataset: DatasetRef}> {
  const row = await catalog.one<{root: string; rel_path: string; content_hash: string; size: bigint; mtime: Date}>(
    `SELECT r.path AS root, l.rel_path, v.content_hash, v.size, v.mtime FROM file_locations l JOIN source_roots r USING (root_id) JOIN file_versions v ON v.file_version_id = ? WHERE l.file_id = ?`,
    [job.file_version_id, job.file_id]
  );
  return {
    file: {
      path: resolve(paths.projectDir, row.root, row.rel_path),
      relPath: row.rel_path,
      contentHash: row.content_hash,
      size: Number(row.size),
      mtime: row.mtime,
      tag: job.tag
    },
    dataset: datasetRef({paths, root: row.root, folder: job.dataset_folder, pipelines})
  };
}

/**
 * Checks the outputs' schemas against their topics, moves the staged files into the warehouse
 * and marks the job COMPLETED, in one transaction. Returns the rows written. A `rejected` job
 * (the file failed as a whole, its good rows kept) is committed the same way but marked FAILED
 * with the reason; the current view takes any committed job (one with `rows`).
 */
export async function commitJob({
  catalog,
  paths,
  job,
  outputs,
  dataset,
  rejected,
  codeVersion,
  now
}: {
  catalog: Duck;
  paths: LabPaths;
  job: StagedJob;
  outputs: StagedOutput[];
  /** The dataset's name: the outputs' `dataset=` folder. */
  dataset: string;
  rejected?: string;
  /** The code that ran the job (code-version.ts), as the worker reported it. */
  codeVersion?: string;
  now: () => Date;
}): Promise<number> {
  const known = new Map(
    (await catalog.all<{topic: string; fingerprint: string; schema_json: string}>("SELECT * FROM topics")).map((t) => [
      t.topic,
      t
    ])
  );
  const fresh = new Map<string, {fingerprint: string; schema: StagedOutput["schema"]}>();
  const evolved = new Map<string, {fingerprint: string; schema: StagedOutput["schema"]}>();
  for (const output of outputs) {
    const fingerprint = schemaFingerprint(output.schema);
    const existing = evolved.get(output.topic) ?? fresh.get(output.topic) ?? known.get(output.topic);
    if (existing && existing.fingerprint !== fingerprint && "schema_json" in existing) {
      if (await newerVersionOfSoleWriter({catalog, job, topic: output.topic})) {
        evolved.set(output.topic, {fingerprint, schema: output.schema});
        continue;
      }
    }
    if (existing && existing.fingerprint !== fingerprint) {
      const expected = "schema_json" in existing ? JSON.parse(existing.schema_json) : existing.schema;
      throw new LabError({
        reason: `schema of topic ${output.topic} changed; the job's output does not match the topic:\n${formatSchemaDiff({expected, actual: output.schema})}`,
        hint: "a plugin that changes its tables' columns raises its version (its files are then processed afresh); else rename the topic, or clear the warehouse (.lab/) to start it afresh"
      });
    }
    if (!existing) fresh.set(output.topic, {fingerprint, schema: output.schema});
  }
  const promoted = outputs.map((o, n) => ({
    ...o,
    rel: outputPath({topic: o.topic, dataset, jobId: job.job_id, attempt: job.attempt, n})
  }));
  for (const p of promoted) {
    mkdirSync(dirname(join(paths.warehouseDir, p.rel)), {recursive: true});
    renameSync(p.path, join(paths.warehouseDir, p.rel)); // invisible until the manifest names it
  }
  const rows = outputs.reduce((n, o) => n + o.rows, 0);
  await catalog.run("BEGIN TRANSACTION");
  try {
    for (const p of promoted)
      await catalog.run("INSERT INTO job_outputs VALUES (?, ?, ?, ?)", [job.job_id, p.topic, p.rel, p.rows]);
    for (const [topic, t] of evolved)
      await catalog.run("UPDATE topics SET fingerprint = ?, schema_json = ? WHERE topic = ?", [
        t.fingerprint,
        JSON.stringify(t.schema),
        topic
      ]);
    for (const [topic, t] of fresh)
      await catalog.run("INSERT INTO topics VALUES (?, ?, ?, ?::TIMESTAMP)", [
        topic,
        t.fingerprint,
        JSON.stringify(t.schema),
        now()
      ]);
    await catalog.run(
      `UPDATE jobs SET status = ?, error = ?, finished_at = ?::TIMESTAMP, rows = ?, code_version = ? WHERE job_id = ?`,
      [rejected ? "FAILED" : "COMPLETED", rejected ?? null, now(), rows, codeVersion ?? null, job.job_id]
    );
    await catalog.run("COMMIT");
  } catch (error) {
    await catalog.run("ROLLBACK");
    throw error;
  }
  rmSync(job.stageDir, {recursive: true, force: true});
  return rows;
}

/**
 * A failed attempt: requeued with exponential backoff while attempts remain, unless the input is
 * bad (that fails the same way every time); else marked FAILED. Returns which it was.
 */
export async function recordJobFailure({
  catalog,
  job,
  error,
  badInput,
  retry,
  now
}: {
  catalog: Duck;
  job: StagedJob;
  error: string;
  badInput: boolean;
  retry: {maxAttempts: number; backoffMs: number};
  now: () => Date;
}): Promise<"retried" | "failed"> {
  rmSync(job.stageDir, {recursive: true, force: true});
  if (!badInput && job.attempt < retry.maxAttempts) {
    const notBefore = new Date(now().getTime() + retry.backoffMs * 2 ** (job.attempt - 1));
    await catalog.run(
      `UPDATE jobs SET status = 'QUEUED', error = ?, worker_id = NULL, not_before = ?::TIMESTAMP WHERE job_id = ?`,
      [error, notBefore, job.job_id]
    );
    return "retried";
  }
  await catalog.run(`UPDATE jobs SET status = 'FAILED', error = ?, finished_at = ?::TIMESTAMP WHERE job_id = ?`, [
    error,
    now(),
    job.job_id
  ]);
  // Stale work: the next scan re-hashes the location even if its size and mtime look unchanged.
  if (error.includes(STALE_FILE_REASON))
    await catalog.run(`UPDATE file_locations SET mtime_ms = -1 WHERE file_id = ?`, [job.file_id]);
  return "failed";
}

/**
 * Brings location_routes to `routes` for the loaded plugins, writing only what changed (a watch
 * pass over thousands of unchanged files writes nothing). A plugin not loaded now (broken for a
 * moment) keeps its routes, and so its rows in the view.
 */
async function recordRoutes({
  catalog,
  plugins,
  routes
}: {
  catalog: Duck;
  plugins: PluginRef[];
  routes: Map<string, {fileId: number; plugin: string; route: string}>;
}): Promise<void> {
  if (!plugins.length) return;
  // One string rather than a row object per location: converting thousands of rows dominates.
  const {listing} = await catalog.one<{listing: string | null}>(
    `SELECT string_agg(file_id::VARCHAR || chr(0) || plugin || chr(0) || route_key, chr(1)) AS listing FROM location_routes WHERE plugin IN (${plugins.map((p) => quoteString(p.name)).join(", ")})`
  );
  const have = (listing ? listing.split("\x01") : []).map((line) => {
    const [fileId = "", plugin = "", route = ""] = line.split("\0");
    return {file_id: Number(fileId), plugin, route_key: route};
  });
  // A location's route is kept when it is recorded once and unchanged; else its rows are rewritten.
  const seen = new Map<string, {plugin: string; fileId: number; same: boolean; n: number}>();
  for (const r of have) {
    const key = `${r.file_id}\0${r.plugin}`;
    const entry = seen.get(key) ?? {plugin: r.plugin, fileId: r.file_id, same: true, n: 0};
    entry.n++;
    entry.same &&= routes.get(key)?.route === r.route_key;
    seen.set(key, entry);
  }
  const kept = new Set<string>();
  const stale = new Map<string, number[]>();
  for (const [key, e] of seen) {
    if (e.same && e.n === 1) kept.add(key);
    else
      stale
        .set(e.plugin, stale.get(e.plugin) ?? [])
        .get(e.plugin)!
        .push(e.fileId);
  }
  for (const [plugin, ids] of stale)
    for (let i = 0; i < ids.length; i += 500)
      await catalog.run(
        `DELETE FROM location_routes WHERE plugin = ${quoteString(plugin)} AND file_id IN (${ids.slice(i, i + 500).join(",")})`
      );
  const fresh = [...routes]
    .filter(([key]) => !kept.has(key))
    .map(([, r]) => `(${r.fileId}, ${quoteString(r.plugin)}, ${quoteString(r.route)})`);
  for (let i = 0; i < fresh.length; i += 500)
    await catalog.run(`INSERT INTO location_routes VALUES ${fresh.slice(i, i + 500).join(",")}`);
}

function sqlList(items: string[]): string {
  return `[${items.map(quoteString).join(", ")}]::VARCHAR[]`;
}

/**
 * Whether this job's plugin, at a newer version, is the only writer the topic has had: a new
 * version reprocesses all its files, so its columns replace the old ones (readers take the
 * topic's files by column name meanwhile). Two plugins sharing a topic must agree on it.
 */
async function newerVersionOfSoleWriter({
  catalog,
  job,
  topic
}: {
  catalog: Duck;
  job: StagedJob;
  topic: string;
}): Promise<boolean> {
  const writers = await catalog.all<{plugin: string; version: number}>(
    "SELECT DISTINCT j.plugin, j.plugin_version AS version FROM job_outputs o JOIN jobs j USING (job_id) WHERE o.topic = ?",
    [topic]
  );
  return writers.every((w) => w.plugin === job.plugin && w.version < job.plugin_version);
}
