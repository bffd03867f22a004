import {mkdirSync, renameSync, rmSync, watch, type FSWatcher} from "node:fs";
import {join, relative, resolve} from "node:path";
import type {Worker} from "node:worker_threads";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {createProgress, defaultProgressOutput, type ProgressOutput} from "../core/progress.js";
import {quoteIdent, quoteString} from "../core/sql.js";
import {interruptibleWait} from "../core/wait.js";
import {startWorker} from "../core/worker.js";
import {openCatalog, type JobRow} from "./catalog-db.js";
import {loadConfig, type LabConfig} from "./config.js";
import type {RunJobMessage, StagedOutput, WorkerReply} from "./job-worker.js";
import {acquireIngestLock} from "./lock.js";
import {labPaths, type LabPaths} from "./paths.js";
import type {CatalogFile, PluginRef} from "./plugin.js";
import {loadPlugins, type BrokenPlugin} from "./plugin-loader.js";
import {agePriority, routeTag} from "./routing.js";
import {formatSchemaDiff} from "./schema-diff.js";
import {scout, type ScoutResult} from "./scout.js";
import {
  readManifest,
  removeOrphans,
  schemaFingerprint,
  topicSource,
  writeManifest,
  type Manifest
} from "./warehouse.js";
import type {Derivation} from "./derivation.js";
import {kpiDerivation} from "../kpi/derivation.js";
import {createHash} from "node:crypto";

/** Derivations run after ingest, in order (a later one may read an earlier one's outputs). */
export const DERIVATIONS: Derivation[] = [kpiDerivation];

export interface IngestOptions {
  projectDir?: string;
  paths?: LabPaths;
  config?: LabConfig;
  /** Keep watching the source roots and process new files as they land, until `signal` aborts. */
  watch?: boolean;
  signal?: AbortSignal;
  /** Progress bar (terminal) or periodic lines (CI); stderr by default. */
  output?: ProgressOutput;
  /** Plain log lines (summaries, errors); stdout by default. */
  log?: (line: string) => void;
  now?: () => Date;
  /** Called after every pass (watch mode calls it once per batch of changes). */
  onPass?: (summary: IngestSummary) => void;
}

export interface IngestSummary {
  scout: ScoutResult;
  jobsQueued: number;
  jobsCompleted: number;
  jobsFailed: number;
  jobsRetried: number;
  rowsByTopic: Record<string, number>;
  failures: {path: string; plugin: string; error: string}[];
  brokenPlugins: BrokenPlugin[];
  seconds: number;
}

interface Slot {
  worker: Worker;
  id: string;
  job?: JobRow & {attempt: number; stageDir: string};
  /** Set while a claim for this slot is in flight, so concurrent fills never double-book it. */
  claiming?: boolean;
}

const CATALOG_SNAPSHOTS: Record<string, string> = {
  catalog_files: `SELECT l.file_id, r.path AS source_root, l.rel_path, l.size, l.current_version_id AS file_version_id, v.content_hash, l.first_seen, l.last_seen, l.missing FROM file_locations l JOIN source_roots r USING (root_id) LEFT JOIN file_versions v ON v.file_version_id = l.current_version_id`,
  catalog_versions: `SELECT file_version_id, content_hash, size, mtime, first_seen FROM file_versions`,
  catalog_location_versions: `SELECT lv.file_id, r.path || '/' || l.rel_path AS path, lv.file_version_id, v.content_hash, lv.seen_at FROM location_versions lv JOIN file_locations l USING (file_id) JOIN source_roots r USING (root_id) JOIN file_versions v USING (file_version_id)`,
  catalog_jobs: `SELECT j.job_id, j.plugin, j.plugin_version, j.file_version_id, j.file_id, r.path || '/' || l.rel_path AS path, j.tag, j.status, j.priority, j.attempts, j.error, j.created_at, j.started_at, j.finished_at, j.rows FROM jobs j JOIN file_locations l USING (file_id) JOIN source_roots r USING (root_id)`,
  catalog_outputs: `SELECT o.job_id, o.topic, o.path, o.rows FROM job_outputs o`,
  catalog_plugins: `SELECT name, source, module, tags, topics, version, status, error, loaded_at FROM plugins`
};

/**
 * Ingests the source roots: scout (hash, version), route to plugins, run the jobs on worker
 * threads, and promote their staged Parquet into the warehouse atomically. In watch mode it keeps
 * going, processing a dropped or changed file within about a second.
 */
export async function ingest(options: IngestOptions = {}): Promise<IngestSummary> {
  const paths = options.paths ?? labPaths({projectDir: options.projectDir});
  const config = options.config ?? (await loadConfig({projectDir: paths.projectDir}));
  const log = options.log ?? ((line: string) => console.log(line));
  const output = options.output ?? defaultProgressOutput();
  const now = options.now ?? (() => new Date());
  const release = acquireIngestLock(paths.lockPath);
  const catalog = await openCatalog({path: paths.catalogPath});
  const coordinator = new Coordinator({paths, config, catalog, log, output, now});
  try {
    await coordinator.prepare();
    let summary = await coordinator.pass();
    options.onPass?.(summary);
    if (options.watch) summary = await coordinator.watch({signal: options.signal, onPass: options.onPass});
    return summary;
  } finally {
    await coordinator.close();
    catalog.close();
    release();
  }
}

class Coordinator {
  private plugins: PluginRef[] = [];
  private broken: BrokenPlugin[] = [];
  private slots: Slot[] = [];
  private readonly coordinatorId = `coordinator-${process.pid}`;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Runs catalog work one piece at a time: worker messages arrive concurrently, but the catalog
   * is one connection, and a commit's transaction must not interleave with another job's update.
   */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  constructor(
    private readonly o: {
      paths: LabPaths;
      config: LabConfig;
      catalog: Duck;
      log: (line: string) => void;
      output: ProgressOutput;
      now: () => Date;
    }
  ) {}

  /** Loads plugins, records config, and recovers from whatever a killed run left behind. */
  async prepare(): Promise<void> {
    const {catalog, config, paths, now} = this.o;
    ({plugins: this.plugins, broken: this.broken} = await loadPlugins({
      projectDir: paths.projectDir,
      pluginsDir: config.pluginsDir
    }));
    for (const b of this.broken) this.o.log(`plugin ${b.module} skipped: ${b.error}`);
    const at = now();
    await catalog.run("BEGIN TRANSACTION");
    await catalog.run("DELETE FROM routing_rules");
    for (const [i, rule] of config.routing.entries())
      await catalog.run("INSERT INTO routing_rules VALUES (?, ?, ?)", [i, rule.glob, rule.tag]);
    await catalog.run("DELETE FROM plugins");
    for (const p of this.plugins)
      await catalog.run(
        `INSERT INTO plugins VALUES (?, ?, ?, ${sqlList(p.tags)}, ${sqlList(p.topics)}, ?, 'OK', NULL, ?::TIMESTAMP)`,
        [p.name, p.source, p.module, p.version, at]
      );
    for (const b of this.broken)
      await catalog.run(`INSERT INTO plugins VALUES (?, 'user', ?, [], [], NULL, 'BROKEN', ?, ?::TIMESTAMP)`, [
        b.module,
        b.module,
        b.error,
        at
      ]);
    // Only one coordinator runs at a time (the lock), so any RUNNING job belongs to a dead one.
    const requeued = await catalog.all<{job_id: number}>(
      `UPDATE jobs SET status = 'QUEUED', worker_id = NULL, error = 'requeued: its worker died (heartbeat stopped)' WHERE status = 'RUNNING' RETURNING job_id`
    );
    await catalog.run("DELETE FROM workers");
    await catalog.run(`INSERT INTO workers VALUES (?, ?, ?::TIMESTAMP, ?::TIMESTAMP, 'COORDINATOR')`, [
      this.coordinatorId,
      process.pid,
      at,
      at
    ]);
    await catalog.run("COMMIT");
    if (requeued.length) this.o.log(`requeued ${requeued.length} job(s) held by a dead worker`);
    rmSync(paths.stagingDir, {recursive: true, force: true});
    const keep = new Set((await catalog.all<{path: string}>("SELECT path FROM job_outputs")).map((r) => r.path));
    for (const f of Object.values(readManifest(paths).topics).flatMap((t) => t.files)) keep.add(f.path);
    const orphans = removeOrphans({paths, keep});
    if (orphans.length) this.o.log(`removed ${orphans.length} uncommitted file(s) left by an interrupted job`);
    await this.publishManifest({derive: true});
  }

  async pass(): Promise<IngestSummary> {
    const started = performance.now();
    const {catalog, config, paths} = this.o;
    const hashing = createProgress({label: "scan", unit: "bytes", output: this.o.output});
    const scouted = await scout({
      catalog,
      projectDir: paths.projectDir,
      sourceRoots: config.sourceRoots,
      stableWaitMs: config.stableWaitMs,
      hashThreads: config.workers,
      now: this.o.now,
      log: (l) => hashing.log(l),
      onHashed: (bytes) => hashing.tick(bytes)
    });
    if (scouted.changed || scouted.unstable.length)
      hashing.done(
        `${scouted.filesSeen} files, ${scouted.changed} new or changed, ${scouted.newVersions} new versions`
      );
    const queued = await this.enqueue();
    const summary: IngestSummary = {
      scout: scouted,
      jobsQueued: queued,
      jobsCompleted: 0,
      jobsFailed: 0,
      jobsRetried: 0,
      rowsByTopic: {},
      failures: [],
      brokenPlugins: this.broken,
      seconds: 0
    };
    await this.runJobs(summary);
    // Republishing only on change keeps the view's fingerprints (and the loaders keyed on them) still.
    if (scouted.changed || scouted.missing || summary.jobsCompleted || summary.jobsFailed || summary.jobsRetried)
      await this.publishManifest({derive: true});
    summary.seconds = (performance.now() - started) / 1000;
    if (scouted.changed || summary.jobsCompleted || summary.jobsFailed || scouted.missing) this.report(summary);
    return summary;
  }

  private report(s: IngestSummary): void {
    const topics = Object.entries(s.rowsByTopic)
      .map(([t, n]) => `${t} +${n.toLocaleString("en-US")}`)
      .join(", ");
    this.o.log(
      `ingest: ${s.scout.filesSeen} files seen, ${s.scout.changed} new or changed (${s.scout.newVersions} new versions), ${s.scout.missing} gone; jobs ${s.jobsCompleted} completed, ${s.jobsFailed} failed, ${s.jobsRetried} retried${topics ? `; rows ${topics}` : ""} in ${s.seconds.toFixed(1)}s`
    );
    for (const f of s.failures) this.o.log(`  FAILED ${f.plugin} on ${f.path}: ${f.error}`);
  }

  /** One job per (plugin, plugin version, file version) whose tag the plugin subscribes to. */
  private async enqueue(): Promise<number> {
    const {catalog, config, now} = this.o;
    const locations = await catalog.all<{file_id: number; rel_path: string; current_version_id: number; mtime: Date}>(
      `SELECT l.file_id, l.rel_path, l.current_version_id, v.mtime FROM file_locations l JOIN file_versions v ON v.file_version_id = l.current_version_id WHERE NOT l.missing ORDER BY l.file_id`
    );
    const existing = new Set(
      (
        await catalog.all<{k: string}>(
          `SELECT plugin || '@' || plugin_version || '#' || file_version_id AS k FROM jobs`
        )
      ).map((r) => r.k)
    );
    const values: string[] = [];
    const at = now();
    for (const loc of locations) {
      const tag = routeTag({relPath: loc.rel_path, rules: config.routing});
      if (!tag) continue;
      for (const plugin of this.plugins.filter((p) => p.tags.includes(tag))) {
        const key = `${plugin.name}@${plugin.version}#${loc.current_version_id}`;
        if (existing.has(key)) continue; // same content, same plugin: never processed twice
        existing.add(key);
        values.push(
          `(${quoteString(plugin.name)}, ${plugin.version}, ${loc.current_version_id}, ${loc.file_id}, ${quoteString(tag)}, 'QUEUED', ${agePriority({mtime: loc.mtime, now: at})}, ${quoteString(at.toISOString())}::TIMESTAMP)`
        );
      }
    }
    for (let i = 0; i < values.length; i += 500)
      await catalog.run(
        `INSERT INTO jobs (plugin, plugin_version, file_version_id, file_id, tag, status, priority, created_at) VALUES ${values.slice(i, i + 500).join(",")}`
      );
    return values.length;
  }

  private async claim(workerId: string): Promise<(JobRow & {attempt: number}) | undefined> {
    const at = this.o.now();
    const [job] = await this.o.catalog.all<JobRow>(
      `UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, worker_id = ?, started_at = ?::TIMESTAMP, heartbeat_at = ?::TIMESTAMP
       WHERE job_id = (SELECT job_id FROM jobs WHERE status = 'QUEUED' AND (not_before IS NULL OR not_before <= ?::TIMESTAMP) ORDER BY priority DESC, job_id LIMIT 1)
       RETURNING *`,
      [workerId, at, at, at]
    );
    return job ? {...job, attempt: job.attempts} : undefined;
  }

  private async fileFor(job: JobRow): Promise<CatalogFile> {
    const [row] = await this.o.catalog.all<{
      root: string;
      rel_path: string;
      content_hash: string;
      size: bigint;
      mtime: Date;
    }>(
      `SELECT r.path AS root, l.rel_path, v.content_hash, v.size, v.mtime FROM file_locations l JOIN source_roots r USING (root_id) JOIN file_versions v ON v.file_version_id = ? WHERE l.file_id = ?`,
      [job.file_version_id, job.file_id]
    );
    return {
      path: resolve(this.o.paths.projectDir, row!.root, row!.rel_path),
      relPath: row!.rel_path,
      contentHash: row!.content_hash,
      size: Number(row!.size),
      mtime: row!.mtime,
      tag: job.tag
    };
  }

  private spawn(index: number): Slot {
    const worker = startWorker({module: new URL("./job-worker.ts", import.meta.url)});
    return {worker, id: `worker-${process.pid}-${index}`};
  }

  private async runJobs(summary: IngestSummary): Promise<void> {
    const {catalog, config} = this.o;
    const {n} = await catalog.one<{n: bigint}>(`SELECT count(*) AS n FROM jobs WHERE status IN ('QUEUED', 'RUNNING')`);
    if (!Number(n)) return;
    const progress = createProgress({label: "jobs", total: Number(n), unit: "jobs", output: this.o.output});
    while (this.slots.length < config.workers) {
      const slot = this.spawn(this.slots.length);
      this.slots.push(slot);
      const at = this.o.now();
      await this.exclusive(() =>
        catalog.run(`INSERT INTO workers VALUES (?, ?, ?::TIMESTAMP, ?::TIMESTAMP, 'WORKER')`, [
          slot.id,
          process.pid,
          at,
          at
        ])
      );
    }
    await new Promise<void>((resolveAll, rejectAll) => {
      let active = 0;
      const fill = async (): Promise<void> => {
        for (const slot of this.slots) {
          if (slot.job || slot.claiming) continue;
          slot.claiming = true;
          const job = await this.exclusive(() => this.claim(slot.id)).finally(() => (slot.claiming = false));
          if (!job) break;
          const stageDir = join(this.o.paths.stagingDir, `job-${job.job_id}-a${job.attempt}`);
          slot.job = {...job, stageDir};
          active++;
          const file = await this.exclusive(() => this.fileFor(job));
          const plugin = this.plugins.find((p) => p.name === job.plugin);
          if (!plugin) {
            await this.fail({
              slot,
              error: `plugin ${job.plugin} is not available (removed or broken)`,
              badInput: true,
              summary,
              progress
            });
            continue;
          }
          const message: RunJobMessage = {
            type: "run",
            jobId: job.job_id,
            fileId: job.file_id,
            fileVersionId: job.file_version_id,
            attempt: job.attempt,
            plugin,
            file,
            stageDir,
            heartbeatMs: config.heartbeatMs
          };
          slot.worker.postMessage(message);
        }
        if (active === 0 && !this.slots.some((s) => s.claiming)) {
          const [next] = await this.exclusive(() =>
            catalog.all<{at: Date | null}>(`SELECT min(not_before) AS at FROM jobs WHERE status = 'QUEUED'`)
          );
          if (next?.at)
            setTimeout(() => fill().catch(rejectAll), Math.max(10, next.at.getTime() - this.o.now().getTime()));
          else resolveAll();
        }
      };
      for (const slot of this.slots) {
        slot.worker.removeAllListeners();
        slot.worker.on("message", (reply: WorkerReply) => {
          (async () => {
            if (!slot.job || reply.jobId !== slot.job.job_id) return;
            if (reply.type === "heartbeat") {
              const at = this.o.now();
              await this.exclusive(async () => {
                await catalog.run(`UPDATE jobs SET heartbeat_at = ?::TIMESTAMP WHERE job_id = ?`, [at, reply.jobId]);
                await catalog.run(`UPDATE workers SET heartbeat_at = ?::TIMESTAMP WHERE worker_id = ?`, [at, slot.id]);
              });
              return;
            }
            if (reply.type === "log") return progress.log(`  ${reply.line}`);
            if (reply.type === "done") {
              try {
                const job = slot.job;
                await this.exclusive(() => this.commit({job, outputs: reply.outputs, summary}));
                progress.tick();
              } catch (error) {
                await this.fail({
                  slot,
                  error: error instanceof Error ? error.message : String(error),
                  badInput: error instanceof LabError,
                  summary,
                  progress
                });
                return void (active--, fill().catch(rejectAll));
              }
            } else {
              await this.fail({slot, error: reply.error, badInput: reply.badInput, summary, progress});
              return void (active--, fill().catch(rejectAll));
            }
            slot.job = undefined;
            active--;
            await fill();
          })().catch(rejectAll);
        });
        slot.worker.on("error", (error) => {
          // A crashed worker thread fails its job (retried) and is replaced.
          const index = this.slots.indexOf(slot);
          (async () => {
            if (slot.job)
              (await this.fail({slot, error: `worker crashed: ${error.message}`, badInput: false, summary, progress}),
                active--);
            this.slots[index] = this.spawn(index);
            await fill();
          })().catch(rejectAll);
        });
      }
      fill().catch(rejectAll);
    });
    progress.done(`${summary.jobsCompleted} completed, ${summary.jobsFailed} failed`);
  }

  private async fail(options: {
    slot: Slot;
    error: string;
    badInput: boolean;
    summary: IngestSummary;
    progress: {tick(): void};
  }): Promise<void> {
    const job = options.slot.job!;
    options.slot.job = undefined;
    return this.exclusive(() => this.recordFailure({...options, job}));
  }

  private async recordFailure({
    job,
    error,
    badInput,
    summary,
    progress
  }: {
    job: JobRow & {attempt: number; stageDir: string};
    error: string;
    badInput: boolean;
    summary: IngestSummary;
    progress: {tick(): void};
  }): Promise<void> {
    rmSync(job.stageDir, {recursive: true, force: true});
    const {maxAttempts, backoffMs} = this.o.config.retry;
    // Bad input fails the same way every time: no retry. Anything else may be transient.
    if (!badInput && job.attempt < maxAttempts) {
      const notBefore = new Date(this.o.now().getTime() + backoffMs * 2 ** (job.attempt - 1));
      await this.o.catalog.run(
        `UPDATE jobs SET status = 'QUEUED', error = ?, worker_id = NULL, not_before = ?::TIMESTAMP WHERE job_id = ?`,
        [error, notBefore, job.job_id]
      );
      summary.jobsRetried++;
      return;
    }
    await this.o.catalog.run(
      `UPDATE jobs SET status = 'FAILED', error = ?, finished_at = ?::TIMESTAMP WHERE job_id = ?`,
      [error, this.o.now(), job.job_id]
    );
    const file = await this.fileFor(job);
    summary.jobsFailed++;
    summary.failures.push({path: relative(this.o.paths.projectDir, file.path), plugin: job.plugin, error});
    progress.tick();
  }

  /** Checks schemas, moves staged files into the warehouse and marks the job COMPLETED. */
  private async commit({
    job,
    outputs,
    summary
  }: {
    job: JobRow & {attempt: number; stageDir: string};
    outputs: StagedOutput[];
    summary: IngestSummary;
  }): Promise<void> {
    const {catalog, paths, now} = this.o;
    const known = new Map(
      (await catalog.all<{topic: string; fingerprint: string; schema_json: string}>("SELECT * FROM topics")).map(
        (t) => [t.topic, t]
      )
    );
    const fresh = new Map<string, {fingerprint: string; schema: StagedOutput["schema"]}>();
    for (const output of outputs) {
      const fingerprint = schemaFingerprint(output.schema);
      const existing = known.get(output.topic) ?? fresh.get(output.topic);
      if (existing && existing.fingerprint !== fingerprint) {
        const expected = "schema_json" in existing ? JSON.parse(existing.schema_json) : existing.schema;
        throw new LabError({
          reason: `schema of topic ${output.topic} changed; the job's output does not match the topic:\n${formatSchemaDiff({expected, actual: output.schema})}`,
          hint: "rename the topic, or clear the warehouse (.lab/) to start the topic afresh"
        });
      }
      if (!existing) fresh.set(output.topic, {fingerprint, schema: output.schema});
    }
    const promoted = outputs.map((o, n) => ({...o, rel: `${o.topic}/job-${job.job_id}-a${job.attempt}-${n}.parquet`}));
    for (const p of promoted) {
      mkdirSync(join(paths.warehouseDir, p.topic), {recursive: true});
      renameSync(p.path, join(paths.warehouseDir, p.rel)); // invisible until the manifest names it
    }
    const rows = outputs.reduce((n, o) => n + o.rows, 0);
    await catalog.run("BEGIN TRANSACTION");
    try {
      for (const p of promoted)
        await catalog.run("INSERT INTO job_outputs VALUES (?, ?, ?, ?)", [job.job_id, p.topic, p.rel, p.rows]);
      for (const [topic, t] of fresh)
        await catalog.run("INSERT INTO topics VALUES (?, ?, ?, ?::TIMESTAMP)", [
          topic,
          t.fingerprint,
          JSON.stringify(t.schema),
          now()
        ]);
      await catalog.run(
        `UPDATE jobs SET status = 'COMPLETED', error = NULL, finished_at = ?::TIMESTAMP, rows = ? WHERE job_id = ?`,
        [now(), rows, job.job_id]
      );
      await catalog.run("COMMIT");
    } catch (error) {
      await catalog.run("ROLLBACK");
      throw error;
    }
    rmSync(job.stageDir, {recursive: true, force: true});
    await this.publishManifest();
    summary.jobsCompleted++;
    for (const o of outputs) summary.rowsByTopic[o.topic] = (summary.rowsByTopic[o.topic] ?? 0) + o.rows;
  }

  /**
   * Rebuilds the manifest from the catalog: for every file version that some present location
   * holds now, the outputs of its latest completed job per plugin. Superseded versions drop out of
   * the view (their files and lineage stay), and the catalog tables are published as topics too.
   */
  async publishManifest({derive = false}: {derive?: boolean} = {}): Promise<void> {
    const {catalog, paths} = this.o;
    const topics = await catalog.all<{topic: string; fingerprint: string; schema_json: string}>(
      "SELECT * FROM topics ORDER BY topic"
    );
    const files = await catalog.all<{
      topic: string;
      path: string;
      rows: bigint;
      job_id: number;
      file_version_id: number;
      file_id: number;
    }>(`
      WITH latest AS (
        SELECT * FROM jobs WHERE status = 'COMPLETED'
          AND file_version_id IN (SELECT current_version_id FROM file_locations WHERE NOT missing)
        QUALIFY row_number() OVER (PARTITION BY plugin, file_version_id ORDER BY plugin_version DESC) = 1
      )
      SELECT o.topic, o.path, o.rows, j.job_id, j.file_version_id, j.file_id FROM job_outputs o JOIN latest j USING (job_id) ORDER BY o.topic, j.job_id, o.path`);
    const manifest: Manifest = {generated_at: this.o.now().toISOString(), topics: {}};
    for (const t of topics)
      manifest.topics[t.topic] = {fingerprint: t.fingerprint, schema: JSON.parse(t.schema_json), files: []};
    for (const f of files)
      manifest.topics[f.topic]?.files.push({
        path: f.path,
        job_id: f.job_id,
        file_version_id: f.file_version_id,
        file_id: f.file_id,
        rows: Number(f.rows)
      });
    const previous = readManifest(paths);
    const stamp = Date.now();
    mkdirSync(join(paths.warehouseDir, "_catalog"), {recursive: true});
    for (const [name, sql] of Object.entries(CATALOG_SNAPSHOTS)) {
      const rel = `_catalog/${name}-${stamp}.parquet`;
      const rows = await catalog.run(
        `COPY (${sql}) TO ${quoteString(join(paths.warehouseDir, rel))} (FORMAT parquet, COMPRESSION zstd)`
      );
      const schema = await catalog.all<{column_name: string; column_type: string}>(`DESCRIBE ${sql}`);
      const cols = schema.map((c) => ({name: c.column_name, type: c.column_type}));
      manifest.topics[name] = {
        fingerprint: schemaFingerprint(cols),
        schema: cols,
        files: [{path: rel, job_id: null, file_version_id: null, file_id: null, rows}]
      };
    }
    const replaced = await this.applyDerivations({manifest, previous, derive});
    writeManifest({paths, manifest});
    for (const name of Object.keys(CATALOG_SNAPSHOTS))
      for (const f of previous.topics[name]?.files ?? []) rmSync(join(paths.warehouseDir, f.path), {force: true});
    for (const dir of replaced) rmSync(join(paths.warehouseDir, dir), {recursive: true, force: true});
    if (this.o.config.sinks.includes("duckdb")) await this.syncDuckDBSink(manifest);
  }

  /**
   * Derived topics: each derivation's outputs are carried over from the previous manifest, and
   * recomputed (when `derive`) if its inputs' current files or its version changed. Outputs live
   * in `_derived/<name>-<stamp>/`; returns the folders the new manifest no longer names.
   */
  private async applyDerivations({
    manifest,
    previous,
    derive
  }: {
    manifest: Manifest;
    previous: Manifest;
    derive: boolean;
  }): Promise<string[]> {
    const {paths} = this.o;
    const replaced: string[] = [];
    manifest.derived = {...previous.derived};
    for (const d of DERIVATIONS) {
      const before = previous.derived?.[d.name];
      const carry = () => {
        for (const topic of d.outputs)
          if (previous.topics[topic] && before) manifest.topics[topic] = previous.topics[topic]!;
      };
      const present = d.inputs.filter((t) => manifest.topics[t]?.files.length);
      const inputKey = createHash("sha256")
        .update(JSON.stringify([d.version, d.inputs.map((t) => manifest.topics[t]?.files.map((f) => f.path) ?? [])]))
        .digest("hex")
        .slice(0, 20);
      if (!derive || before?.inputKey === inputKey) {
        carry();
        continue;
      }
      if (before) replaced.push(before.dir);
      if (present.length < d.inputs.length) {
        // No input rows (yet, or any more): the derived topics are gone too.
        delete manifest.derived[d.name];
        for (const topic of d.outputs) delete manifest.topics[topic];
        continue;
      }
      const dir = `_derived/${d.name}-${Date.now()}`;
      const duck = await openDuckDB();
      try {
        for (const topic of d.inputs)
          await duck.run(`CREATE VIEW ${quoteIdent(topic)} AS ${topicSource({paths, entry: manifest.topics[topic]!})}`);
        const started = performance.now();
        const outputs = await d.run({
          paths,
          duck,
          outDir: join(paths.warehouseDir, dir),
          outRel: dir,
          cacheDir: join(paths.labDir, "cache", `derive-${d.name}`),
          log: this.o.log
        });
        for (const o of outputs)
          manifest.topics[o.topic] = {
            fingerprint: schemaFingerprint(o.schema),
            schema: o.schema,
            files: [{path: o.path, job_id: null, file_version_id: null, file_id: null, rows: o.rows}]
          };
        manifest.derived[d.name] = {
          inputKey,
          dir,
          at: this.o.now().toISOString(),
          seconds: +((performance.now() - started) / 1000).toFixed(2)
        };
      } catch (error) {
        // A failed derivation keeps its previous outputs visible and says why.
        this.o.log(`derivation ${d.name} failed: ${(error as Error).message}`);
        rmSync(join(paths.warehouseDir, dir), {recursive: true, force: true});
        if (before) replaced.pop();
        carry();
      } finally {
        duck.close();
      }
    }
    return replaced;
  }

  /** The DuckDB table sink: each topic replaced inside one transaction, so readers see whole states. */
  private async syncDuckDBSink(manifest: Manifest): Promise<void> {
    const duck = await openDuckDB({path: this.o.paths.warehouseDbPath});
    try {
      await duck.run("BEGIN TRANSACTION");
      for (const [name, entry] of Object.entries(manifest.topics)) {
        await duck.run(`CREATE OR REPLACE TABLE ${quoteIdent(name)} AS ${topicSource({paths: this.o.paths, entry})}`);
      }
      await duck.run("COMMIT");
    } finally {
      duck.close();
    }
  }

  /** Watch mode: file-system events (debounced) plus a periodic rescan, until aborted. */
  async watch({signal, onPass}: {signal?: AbortSignal; onPass?: (s: IngestSummary) => void}): Promise<IngestSummary> {
    const {config, paths} = this.o;
    let last: IngestSummary | undefined;
    // Start dirty: files that landed between the first pass and the watchers being set up count.
    let dirty = true;
    let wake: (() => void) | undefined;
    const poke = () => {
      dirty = true;
      wake?.();
    };
    const watchers: FSWatcher[] = [];
    for (const root of config.sourceRoots) {
      const abs = resolve(paths.projectDir, root);
      mkdirSync(abs, {recursive: true});
      watchers.push(watch(abs, {recursive: true}, poke));
    }
    const rescan = setInterval(poke, config.watchRescanMs);
    this.o.log(`watching ${config.sourceRoots.join(", ")} for new files (Ctrl-C to stop)`);
    try {
      while (!signal?.aborted) {
        if (!dirty) {
          const wait = interruptibleWait(signal);
          wake = wait.wake;
          await wait.done;
          wake = undefined;
          continue;
        }
        dirty = false;
        await new Promise((r) => setTimeout(r, 100)); // let a burst of events settle
        last = await this.pass();
        onPass?.(last);
        if (last.scout.unstable.length) setTimeout(poke, config.stableWaitMs);
      }
    } finally {
      clearInterval(rescan);
      for (const w of watchers) w.close();
    }
    return last!;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}

function sqlList(items: string[]): string {
  return `[${items.map(quoteString).join(", ")}]::VARCHAR[]`;
}
