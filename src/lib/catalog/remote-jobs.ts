/**
 * The coordinator's side of the PostgreSQL queue: every due job claimed in the catalog is sent to
 * the queue, results are committed (or recorded as failures) as they come back, and a job whose
 * worker went silent for the heartbeat timeout (killed, hung, cut off) is taken back — cancelled
 * in the queue, so the silent worker can no longer complete it — and fails that attempt, to be
 * retried by whichever worker fetches it next. Only the result of the attempt in flight is
 * committed, so each job's outputs are committed exactly once.
 */
import {join} from "node:path";
import {LabError} from "../core/errors.js";
import type {ClaimedJob, StagedJob} from "./job-store.js";
import type {RunJobMessage, StagedOutput} from "./job-worker.js";
import type {LabQueue} from "./pg-queue.js";
import {WORKER_ALIVE_MS} from "./queue-status.js";

export interface RemoteJobsOptions {
  queue: LabQueue;
  stagingDir: string;
  heartbeatTimeoutMs: number;
  /** Claims the next due job in the catalog. */
  claim(): Promise<ClaimedJob | undefined>;
  /** The message a worker thread runs (undefined: the job cannot run here, already failed). */
  message(job: StagedJob): Promise<RunJobMessage | undefined>;
  commit(o: {job: StagedJob; outputs: StagedOutput[]; rejected?: string; codeVersion?: string}): Promise<void>;
  fail(o: {job: StagedJob; error: string; badInput: boolean}): Promise<void>;
  /** When the next queued job is due (retries wait their backoff), or undefined when none is queued. */
  nextDue(): Promise<Date | undefined>;
  now(): Date;
  pollMs?: number;
  /** With jobs in flight and no worker alive, say so (see watchWorkers). */
  noWorker?: NoWorkerOptions;
  /** Stops waiting: the jobs in flight are taken back (the next ingest runs them). */
  signal?: AbortSignal;
}

export interface NoWorkerOptions {
  /** Where the queue is, for the message (no password). */
  where: string;
  log(line: string): void;
  /** Say so after this long without a live worker (10 s). */
  noticeMs?: number;
  /** Give up after this long (queue.workerWaitMs). */
  giveUpMs: number;
}

/** Runs every due job through the queue until none is queued or in flight. */
export async function runRemoteJobs(o: RemoteJobsOptions): Promise<void> {
  const inFlight = new Map<string, StagedJob>();
  const pollMs = o.pollMs ?? 100;
  const watch = o.noWorker && watchWorkers({queue: o.queue, ...o.noWorker});
  const stop = async (reason: string, hint?: string) => {
    for (const id of inFlight.keys()) await o.queue.cancel(id);
    const taken = `${inFlight.size} job(s) taken back from the queue`;
    throw new LabError({reason: `${reason}; ${taken}: the jobs not done run at the next ingest`, hint});
  };
  for (;;) {
    if (o.signal?.aborted) await stop("interrupted");
    for (let job = await o.claim(); job; job = await o.claim()) {
      const staged: StagedJob = {...job, stageDir: join(o.stagingDir, `job-${job.job_id}-a${job.attempt}`)};
      const message = await o.message(staged);
      if (!message) continue;
      const id = await o.queue.sendJob({
        job: {message, heartbeatTimeoutMs: o.heartbeatTimeoutMs},
        priority: job.priority
      });
      inFlight.set(id, staged);
    }
    const results = await o.queue.takeResults();
    if (watch && (await watch({inFlight: inFlight.size, progressed: results.length > 0})) === "give up")
      await stop(
        `no worker served the queue for ${(o.noWorker!.giveUpMs / 1000).toFixed(0)} s`,
        `start \`npm run lab -- worker\` on a host that reaches ${o.noWorker!.where}, or raise queue.workerWaitMs in lab.config.ts`
      );
    for (const result of results) {
      const job = inFlight.get(result.queueId);
      // A late answer from a worker whose attempt was taken back: that attempt is already settled.
      if (!job || job.attempt !== result.attempt) continue;
      inFlight.delete(result.queueId);
      if (result.type === "done") {
        try {
          await o.commit({job, outputs: result.outputs, rejected: result.rejected, codeVersion: result.codeVersion});
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          await o.fail({job, error: text, badInput: error instanceof LabError});
        }
      } else await o.fail({job, error: result.error, badInput: result.badInput});
    }
    for (const lost of await o.queue.lostJobs({ids: [...inFlight.keys()], timeoutMs: o.heartbeatTimeoutMs})) {
      const job = inFlight.get(lost.id)!;
      inFlight.delete(lost.id);
      await o.queue.cancel(lost.id);
      await o.fail({
        job,
        error: `no heartbeat for ${lost.silentS.toFixed(1)} s (heartbeatTimeoutMs ${o.heartbeatTimeoutMs}): its worker went silent`,
        badInput: false
      });
    }
    if (!inFlight.size) {
      const due = await o.nextDue();
      if (!due) return;
      await sleep(Math.max(10, Math.min(due.getTime() - o.now().getTime(), 1000)));
    } else await sleep(pollMs);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Watches for the case where jobs wait and no `lab worker` is alive (none announced itself
 * lately): says so on the log after `noticeMs`, again every minute, and answers "give up" after
 * `giveUpMs`. A live worker, or a result arriving, restarts the clock. Checks the queue once a second.
 */
function watchWorkers({
  queue,
  where,
  log,
  noticeMs = 10_000,
  giveUpMs
}: NoWorkerOptions & {queue: LabQueue}): (o: {inFlight: number; progressed: boolean}) => Promise<"wait" | "give up"> {
  let quietSince = performance.now();
  let checkedAt = 0;
  let noticedAt: number | undefined;
  const reset = (now: number) => ((quietSince = now), (noticedAt = undefined), "wait" as const);
  return async ({inFlight, progressed}) => {
    const now = performance.now();
    if (progressed || !inFlight) return reset(now);
    if (now - checkedAt < 1000) return "wait";
    checkedAt = now;
    if (await queue.liveWorkers({withinMs: WORKER_ALIVE_MS})) return reset(now);
    const quiet = now - quietSince;
    if (quiet >= giveUpMs) return "give up";
    if (quiet >= Math.min(noticeMs, giveUpMs / 2) && (noticedAt === undefined || now - noticedAt >= 60_000)) {
      noticedAt = now;
      log(
        `no worker has taken a job for ${(quiet / 1000).toFixed(0)} s: start \`npm run lab -- worker\` on a host that can reach ${where} and the same paths; waiting up to ${(giveUpMs / 1000).toFixed(0)} s in all (queue.workerWaitMs), Ctrl-C to stop`
      );
    }
    return "wait";
  };
}
