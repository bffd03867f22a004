import {rmSync} from "node:fs";
import {join, relative} from "node:path";
import type {Duck} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {createProgress, defaultProgressOutput, type Progress, type ProgressOutput} from "../core/progress.js";
import {startWorker} from "../core/worker.js";
import {noBuiltins, type CatalogBuiltins} from "./builtins.js";
import {openCatalog, type JobRow} from "./catalog-db.js";
import {loadConfig, type LabConfig} from "./config.js";
import {
  claimJob,
  commitJob,
  enqueueJobs,
  jobFile,
  recordJobFailure,
  recordSetup,
  type ClaimedJob,
  type StagedJob
} from "./job-store.js";
import type {RunJobMessage, StagedOutput, WorkerReply} from "./job-worker.js";
import {acquireIngestLock} from "./lock.js";
import {labPaths, type LabPaths} from "./paths.js";
import type {CatalogFile, Plugin, PluginRef} from "./plugin.js";
import {formatSummary, type IngestSummary} from "./ingest-summary.js";
import type {IngestOptions} from "./ingest-options.js";
import {loadPlugins, type BrokenPlugin} from "./plugin-loader.js";
import {LabQueue} from "./pg-queue.js";
import {mirrorTopics} from "./pg-sink.js";
import {publishManifest} from "./publish-manifest.js";
import {redactUrl} from "./queue-status.js";
import {DEFAULT_QUEUE_SCHEMA, resolveQueueUrl} from "./queue-url.js";
import {unitsSetting, type UnitsSetting} from "./units.js";
import {runRemoteJobs} from "./remote-jobs.js";
import type {JobRun, Slot} from "./ingest-run.js";
import {scout} from "./scout.js";
import {readManifest, removeOrphans} from "./warehouse.js";
import {watchSourceRoots} from "./watch-roots.js";
import {SUPERSEDED_DIR, tidyWarehouse} from "./warehouse-layout.js";

export type {IngestOptions, IngestSummary};

const missingPlugin = (job: {plugin: string}) => `plugin ${job.plugin} is not available (removed or broken)`;

/** A thread that has not loaded yet gets this long (or the heartbeat timeout, if longer) to start. */
const STARTUP_GRACE_MS = 60_000;

/**
 * Ingests the source roots: scout (hash, version), route to plugins, run the jobs on worker
 * threads, and promote their staged Parquet into the warehouse atomically. In watch mode it keeps
 * going, processing a dropped or changed file within about a second.
 */
export async function ingest(options: IngestOptions = {}): Promise<IngestSummary> {
  const paths = options.paths ?? labPaths({projectDir: options.projectDir});
  const builtins = options.builtins ?? noBuiltins;
  const config = options.config ?? (await loadConfig({projectDir: paths.projectDir, builtinRouting: builtins.routing}));
  const log = options.log ?? ((line: string) => console.log(line));
  const output = options.output ?? defaultProgressOutput();
  const now = options.now ?? (() => new Date());
  const queueUrl = resolveQueueUrl({given: options.queueUrl, setting: config.queue, projectDir: paths.projectDir});
  // The queue first: a database that cannot be reached fails before the catalog is locked.
  const queue = queueUrl
    ? await LabQueue.open({url: queueUrl, schema: config.queue?.schema ?? DEFAULT_QUEUE_SCHEMA})
    : undefined;
  let release: () => void;
  try {
    release = acquireIngestLock(paths.lockPath);
  } catch (error) {
    await queue?.close();
    throw error;
  }
  const catalog = await openCatalog({path: paths.catalogPath});
  await queue?.dropStale();
  const units = unitsSetting({config, queueUrl});
  const queueAt = queueUrl && redactUrl(queueUrl);
  const coordinator = new Coordinator({
    paths,
    config,
    builtins,
    catalog,
    log,
    output,
    now,
    queue,
    queueAt,
    signal: options.signal,
    units
  });
  try {
    await coordinator.prepare();
    let summary = await coordinator.pass();
    options.onPass?.(summary);
    if (options.watch) summary = await coordinator.watch({signal: options.signal, onPass: options.onPass});
    return summary;
  } finally {
    await coordinator.close();
    await queue?.close();
    catalog.close();
    release();
  }
}

class Coordinator {
  private plugins: PluginRef[] = [];
  private objects = new Map<string, Plugin>();
  private broken: BrokenPlugin[] = [];
  private slots: Slot[] = [];
  private readonly coordinatorId = `coordinator-${process.pid}`;
  /** Threads started so far: each gets an id of its own, a replacement too. */
  private spawned = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** The first pass derives even when nothing changed: prepare() republished without deriving. */
  private deriveDue = true;
  /** Derivations that failed, by the input key they failed on (not rerun until it changes). */
  private readonly derivationFailures = new Map<string, string>();

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
      builtins: CatalogBuiltins;
      catalog: Duck;
      log: (line: string) => void;
      output: ProgressOutput;
      now: () => Date;
      /** Run jobs through this PostgreSQL queue (`lab worker` processes) instead of local threads, at `queueAt`. */
      queue?: LabQueue;
      queueAt?: string;
      signal?: AbortSignal;
      /** Where derivations run their units: the same queue, or local threads. */
      units?: UnitsSetting;
    }
  ) {}

  /** Loads plugins, records config, and recovers from whatever a killed run left behind. */
  async prepare(): Promise<void> {
    const {catalog, config, paths, now} = this.o;
    ({
      plugins: this.plugins,
      broken: this.broken,
      objects: this.objects
    } = await loadPlugins({
      projectDir: paths.projectDir,
      pluginsDir: config.pluginsDir,
      builtins: this.o.builtins.plugins,
      params: config.plugins
    }));
    for (const b of this.broken) this.o.log(`plugin ${b.module} skipped: ${b.error}`);
    const requeued = await recordSetup({
      catalog,
      routing: config.routing,
      plugins: this.plugins,
      broken: this.broken,
      coordinatorId: this.coordinatorId,
      at: now()
    });
    if (requeued) this.o.log(`requeued ${requeued} job(s) held by a dead worker`);
    rmSync(paths.stagingDir, {recursive: true, force: true});
    const keep = new Set<string>();
    for (const {path} of await catalog.all<{path: string}>("SELECT path FROM job_outputs"))
      (keep.add(path), keep.add(`${SUPERSEDED_DIR}/${path}`));
    for (const f of Object.values(readManifest(paths).topics).flatMap((t) => t.files)) keep.add(f.path);
    const orphans = removeOrphans({paths, keep});
    if (orphans.length) this.o.log(`removed ${orphans.length} uncommitted file(s) left by an interrupted job`);
    // No deriving here: until the scan has run, the view still holds files deleted since the last
    // run, and a derivation over them could be the very thing that brought the last run down.
    await this.publishManifest();
    const retentionMs = config.supersededRetentionMs;
    const collected = await tidyWarehouse({catalog, paths, retentionMs, now: now()});
    if (collected) this.o.log(`collected the superseded outputs of ${collected} job(s)`);
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
    const changed =
      scouted.changed || scouted.missing || summary.jobsCompleted || summary.jobsFailed || summary.jobsRetried;
    if (changed || this.deriveDue) await this.publishManifest({derive: true});
    this.deriveDue = false;
    if (config.topicSinks)
      summary.sinks = await mirrorTopics({
        paths,
        manifest: readManifest(paths),
        sinks: config.topicSinks,
        log: this.o.log
      });
    summary.seconds = (performance.now() - started) / 1000;
    if (scouted.changed || summary.jobsCompleted || summary.jobsFailed || scouted.missing)
      for (const line of formatSummary(summary)) this.o.log(line);
    return summary;
  }

  private enqueue(): Promise<number> {
    const {catalog, config, now} = this.o;
    return enqueueJobs({
      catalog,
      routing: config.routing,
      plugins: this.plugins,
      routeKeyOf: ({plugin, relPath, tag}) => this.objects.get(plugin)?.routeKey?.({relPath, tag}) ?? relPath,
      pipelines: this.o.builtins.pipelines,
      at: now()
    });
  }

  private claim(workerId: string): Promise<ClaimedJob | undefined> {
    return claimJob({catalog: this.o.catalog, workerId, at: this.o.now()});
  }

  private fileFor(job: JobRow): ReturnType<typeof jobFile> {
    return jobFile({catalog: this.o.catalog, paths: this.o.paths, job, pipelines: this.o.builtins.pipelines});
  }

  /** A fresh worker thread for slot `index`, recorded in the catalog's workers table. */
  private spawn(index: number): Slot {
    const worker = startWorker({module: new URL("./job-worker.ts", import.meta.url)});
    const slot: Slot = {worker, id: `worker-${process.pid}-${index}-${++this.spawned}`, beatAt: 0, ready: false};
    const at = this.o.now();
    slot.recorded = this.exclusive(() =>
      this.o.catalog.run(`INSERT INTO workers VALUES (?, ?, ?::TIMESTAMP, ?::TIMESTAMP, 'WORKER')`, [
        slot.id,
        process.pid,
        at,
        at
      ])
    );
    return slot;
  }

  private async runJobs(summary: IngestSummary): Promise<void> {
    const {catalog, config} = this.o;
    const {n} = await catalog.one<{n: bigint}>(`SELECT count(*) AS n FROM jobs WHERE status IN ('QUEUED', 'RUNNING')`);
    if (!Number(n)) return;
    const progress = createProgress({label: "jobs", total: Number(n), unit: "jobs", output: this.o.output});
    if (this.o.queue) {
      await this.runQueued({queue: this.o.queue, summary, progress});
      return progress.done(`${summary.jobsCompleted} completed, ${summary.jobsFailed} failed`);
    }
    while (this.slots.length < config.workers) this.slots.push(this.spawn(this.slots.length));
    await Promise.all(this.slots.map((s) => s.recorded));
    let watchdog: ReturnType<typeof setInterval> | undefined;
    try {
      await new Promise<void>((finish, abort) => {
        const run: JobRun = {summary, progress, active: 0, finish, abort};
        for (const slot of this.slots) (slot.worker.removeAllListeners(), this.listen(slot, run));
        watchdog = this.watchdog(run);
        this.refill(run);
      });
    } finally {
      clearInterval(watchdog);
    }
    progress.done(`${summary.jobsCompleted} completed, ${summary.jobsFailed} failed`);
  }

  private refill(run: JobRun): void {
    this.fill(run).catch(run.abort);
  }

  /** Hands a due job to every idle thread; settles the run when nothing is running or due. */
  private async fill(run: JobRun): Promise<void> {
    const {catalog, config} = this.o;
    for (const slot of this.slots) {
      if (slot.job || slot.claiming) continue;
      slot.claiming = true;
      const job = await this.exclusive(() => this.claim(slot.id)).finally(() => (slot.claiming = false));
      if (!job) break;
      const stageDir = join(this.o.paths.stagingDir, `job-${job.job_id}-a${job.attempt}`);
      slot.job = {...job, stageDir};
      run.active++;
      const message = await this.message(slot.job);
      if (!message) {
        await this.fail({slot, error: missingPlugin(job), badInput: true, run});
        continue;
      }
      slot.sentAt = slot.beatAt = performance.now();
      slot.worker.postMessage(message);
    }
    if (run.active === 0 && !this.slots.some((s) => s.claiming)) {
      const [next] = await this.exclusive(() =>
        catalog.all<{at: Date | null}>(`SELECT min(not_before) AS at FROM jobs WHERE status = 'QUEUED'`)
      );
      if (next?.at) setTimeout(() => this.refill(run), Math.max(10, next.at.getTime() - this.o.now().getTime()));
      else run.finish();
    }
  }

  /** What a worker thread runs for a job; undefined when its plugin is gone (removed or broken). */
  private async message(job: StagedJob): Promise<RunJobMessage | undefined> {
    const {file, dataset} = await this.exclusive(() => this.fileFor(job));
    const plugin = this.plugins.find((p) => p.name === job.plugin);
    if (!plugin) return undefined;
    return {
      type: "run",
      jobId: job.job_id,
      fileId: job.file_id,
      fileVersionId: job.file_version_id,
      attempt: job.attempt,
      plugin,
      file,
      fileLabel: relative(this.o.paths.projectDir, file.path),
      dataset,
      stageDir: job.stageDir,
      heartbeatMs: this.o.config.heartbeatMs
    };
  }

  /** Runs the due jobs through the PostgreSQL queue (`lab worker` processes) instead of local threads. */
  private async runQueued({queue, summary, progress}: {queue: LabQueue; summary: IngestSummary; progress: Progress}) {
    const {catalog, config, paths, now} = this.o;
    await runRemoteJobs({
      queue,
      stagingDir: paths.stagingDir,
      heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      now,
      signal: this.o.signal,
      noWorker: {
        where: `${this.o.queueAt} (schema ${config.queue?.schema ?? DEFAULT_QUEUE_SCHEMA})`,
        log: (line) => progress.log(line),
        giveUpMs: config.queue?.workerWaitMs ?? 300_000
      },
      claim: () => this.exclusive(() => this.claim("queue")),
      message: async (job) => {
        const message = await this.message(job);
        if (!message)
          await this.exclusive(() =>
            this.recordFailure({job, error: missingPlugin(job), badInput: true, summary, progress})
          );
        return message;
      },
      commit: async ({job, outputs, rejected, codeVersion}) => {
        await this.exclusive(() => this.commit({job, outputs, rejected, codeVersion, summary}));
        progress.tick();
      },
      fail: ({job, error, badInput}) =>
        this.exclusive(() => this.recordFailure({job, error, badInput, summary, progress})),
      nextDue: async () => {
        const [next] = await catalog.all<{at: Date | null; n: bigint}>(
          `SELECT min(coalesce(not_before, TIMESTAMP '1970-01-01')) AS at, count(*) AS n FROM jobs WHERE status = 'QUEUED'`
        );
        return Number(next?.n) ? (next?.at ?? now()) : undefined;
      }
    });
  }

  private listen(slot: Slot, run: JobRun): void {
    slot.worker.on("message", (reply: WorkerReply) => {
      if (reply.type === "ready") return void ((slot.ready = true), (slot.beatAt = performance.now()));
      if (!slot.job || reply.jobId !== slot.job.job_id) return;
      slot.beatAt = performance.now();
      this.onReply({slot, reply, run}).catch(run.abort);
    });
    slot.worker.on("error", (error) => (slot.crash = `worker crashed: ${error.message}`));
    // A thread that crashed or exited fails its job (retried) and is replaced.
    slot.worker.on("exit", (code) =>
      this.replace({slot, run, error: slot.crash ?? `worker exited with code ${code}`}).catch(run.abort)
    );
  }

  private async onReply({slot, reply, run}: {slot: Slot; reply: WorkerReply; run: JobRun}): Promise<void> {
    const {catalog} = this.o;
    if (reply.type === "heartbeat") {
      const at = this.o.now();
      return this.exclusive(async () => {
        await catalog.run(`UPDATE jobs SET heartbeat_at = ?::TIMESTAMP WHERE job_id = ?`, [at, reply.jobId]);
        await catalog.run(`UPDATE workers SET heartbeat_at = ?::TIMESTAMP WHERE worker_id = ?`, [at, slot.id]);
      });
    }
    if (reply.type === "log") return run.progress.log(`  ${reply.line}`);
    if (reply.type !== "done" && reply.type !== "failed") return;
    const job = slot.job!;
    slot.sentAt = undefined; // the thread's part is over: committing is not held against its heartbeat
    if (reply.type === "failed") return this.fail({slot, error: reply.error, badInput: reply.badInput, run});
    try {
      await this.exclusive(() => this.commit({job, ...reply, summary: run.summary}));
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return this.fail({slot, error: text, badInput: error instanceof LabError, run});
    }
    run.progress.tick();
    slot.job = undefined;
    run.active--;
    this.refill(run);
  }

  /**
   * Takes a job back from a thread that went silent: a plugin stuck in a loop or blocked (say, in
   * Atomics.wait) keeps its thread's event loop from sending heartbeats. Its thread is terminated
   * and replaced, and the job fails like any other attempt (retried until the limit). A thread's
   * start-up (loading TypeScript) is not held against the job it was handed.
   */
  private watchdog(run: JobRun): ReturnType<typeof setInterval> {
    const {heartbeatTimeoutMs: timeout, heartbeatMs} = this.o.config;
    return setInterval(
      () => {
        const now = performance.now();
        for (const slot of this.slots) {
          if (slot.sentAt === undefined) continue;
          const since = slot.ready ? slot.beatAt : slot.sentAt;
          if (now - since < (slot.ready ? timeout : Math.max(timeout, STARTUP_GRACE_MS))) continue;
          slot.sentAt = undefined;
          const silent = ((now - since) / 1000).toFixed(1);
          this.replace({
            slot,
            run,
            error: `no heartbeat for ${silent} s (heartbeatTimeoutMs ${timeout}): its worker thread was stopped`
          }).catch(run.abort);
          slot.worker.terminate().catch(() => {});
        }
      },
      Math.max(10, Math.min(heartbeatMs, timeout / 4))
    );
  }

  /** Puts a fresh thread in a dead or stopped thread's place, and fails the job it held. */
  private async replace({slot, run, error}: {slot: Slot; run: JobRun; error: string}): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    slot.worker.removeAllListeners();
    const fresh = this.spawn(index);
    this.slots[index] = fresh;
    this.listen(fresh, run);
    await fresh.recorded;
    await this.exclusive(() =>
      this.o.catalog.run(`UPDATE workers SET status = 'STOPPED' WHERE worker_id = ?`, [slot.id])
    );
    if (slot.job) await this.fail({slot, error, badInput: false, run});
    else this.refill(run);
  }

  /** Records a failed attempt of the slot's job and frees the slot for the next one. */
  private async fail({
    slot,
    error,
    badInput,
    run
  }: {
    slot: Slot;
    error: string;
    badInput: boolean;
    run: JobRun;
  }): Promise<void> {
    const job = slot.job!;
    slot.job = slot.sentAt = undefined;
    await this.exclusive(() =>
      this.recordFailure({job, error, badInput, summary: run.summary, progress: run.progress})
    );
    run.active--;
    this.refill(run);
  }

  private async recordFailure({
    job,
    error,
    badInput,
    summary,
    progress
  }: {
    job: StagedJob;
    error: string;
    badInput: boolean;
    summary: IngestSummary;
    progress: {tick(): void};
  }): Promise<void> {
    const {catalog, config, now} = this.o;
    const outcome = await recordJobFailure({catalog, job, error, badInput, retry: config.retry, now});
    if (outcome === "retried") return void summary.jobsRetried++;
    const {file} = await this.fileFor(job);
    summary.jobsFailed++;
    summary.failures.push({path: relative(this.o.paths.projectDir, file.path), plugin: job.plugin, error});
    progress.tick();
  }

  /**
   * Commits a finished job (see commitJob) and republishes the manifest so its rows show. A
   * rejected file's job commits its good rows but counts, and is recorded, as failed.
   */
  private async commit({
    job,
    outputs,
    rejected,
    codeVersion,
    summary
  }: {
    job: StagedJob;
    outputs: StagedOutput[];
    rejected?: string;
    codeVersion?: string;
    summary: IngestSummary;
  }): Promise<void> {
    const {catalog, paths, now} = this.o;
    const {file, dataset} = await this.fileFor(job);
    await commitJob({catalog, paths, job, outputs, dataset: dataset.name, rejected, codeVersion, now});
    await this.publishManifest();
    if (rejected) {
      summary.jobsFailed++;
      summary.failures.push({path: relative(paths.projectDir, file.path), plugin: job.plugin, error: rejected});
    } else summary.jobsCompleted++;
    for (const o of outputs) summary.rowsByTopic[o.topic] = (summary.rowsByTopic[o.topic] ?? 0) + o.rows;
  }

  /** See publishManifest; `derive` also recomputes derivations whose inputs changed. */
  async publishManifest({derive = false}: {derive?: boolean} = {}): Promise<void> {
    const {catalog, paths, config, builtins, now, log} = this.o;
    await publishManifest({
      catalog,
      paths,
      pipelines: builtins.pipelines,
      derivations: builtins.derivations,
      derive,
      duckdbSink: config.sinks.includes("duckdb"),
      derivationMemoryMb: config.derivationMemoryMb,
      derivationFailures: this.derivationFailures,
      units: this.o.units,
      now,
      log
    });
  }

  /** Watch mode (see watchSourceRoots). */
  watch({signal, onPass}: {signal?: AbortSignal; onPass?: (s: IngestSummary) => void}): Promise<IngestSummary> {
    return watchSourceRoots({
      config: this.o.config,
      paths: this.o.paths,
      log: this.o.log,
      signal,
      onPass,
      pass: () => this.pass()
    });
  }

  async close(): Promise<void> {
    for (const s of this.slots) s.worker.removeAllListeners();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}
