/**
 * `lab worker`: serves the PostgreSQL queue's jobs on this host. Each of `threads` slots fetches a
 * job, runs it on a job worker thread of its own (the same thread code as local ingest: it stages
 * Parquet where the coordinator told it, under the shared lab folder), turns the thread's
 * heartbeats into heartbeat rows the coordinator watches, and sends the result back. A thread
 * silent for the job's heartbeat timeout is terminated and replaced (its job is reported failed;
 * the coordinator retries it).
 */
import {hostname} from "node:os";
import type {Worker} from "node:worker_threads";
import {startWorker} from "../core/worker.js";
import type {WorkerReply} from "./job-worker.js";
import {ANNOUNCE_MS, type JobResult, type LabQueue, type QueuedJob} from "./pg-queue.js";
import type {UnitQueue} from "./unit-queue.js";
import {serveOneUnit} from "./unit-serve.js";
import {UnitSlot} from "./unit-slot.js";

export interface ServeQueueOptions {
  queue: LabQueue;
  /** Also serve units (a market history's symbol-days, a fleet's shards) when no catalog job waits. */
  units?: UnitQueue;
  threads: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** How often an idle slot asks the queue for work. */
  pollMs?: number;
}

/** Serves jobs until the signal aborts; resolves with how many jobs this process ran. */
export async function serveQueue({queue, units, threads, signal, log = () => {}, pollMs = 200}: ServeQueueOptions) {
  let served = 0;
  const slots = Array.from({length: threads}, (_, i) => i);
  // Announced while serving, so `lab status` lists this process and `lab ingest` knows one is alive.
  const processId = `${hostname()}-${process.pid}`;
  await queue.announce({workerId: processId, threads});
  const presence = setInterval(() => void queue.announce({workerId: processId, threads}).catch(() => {}), ANNOUNCE_MS);
  await Promise.all(
    slots.map(async (i) => {
      const workerId = `${hostname()}-${process.pid}-${i}`;
      let thread = startJobThread();
      let unitSlot: UnitSlot | undefined;
      while (!signal?.aborted) {
        const fetched = await queue.fetchJob();
        if (!fetched) {
          if (units && (await serveOneUnit({units, slot: () => (unitSlot ??= new UnitSlot()), workerId, log}))) {
            served++;
            continue;
          }
          await new Promise((r) => setTimeout(r, pollMs));
          continue;
        }
        const {message} = fetched.job;
        log(`${workerId}: job ${message.jobId} (attempt ${message.attempt}) ${message.fileLabel}`);
        const outcome = await runOnThread({thread, queued: fetched.job, queueId: fetched.id, workerId, queue, log});
        if (outcome.replace) (void thread.worker.terminate().catch(() => {}), (thread = startJobThread()));
        await queue.report(outcome.result);
        log(`${workerId}: job ${message.jobId} ${outcome.result.type}`);
        served++;
      }
      await thread.worker.terminate();
      await unitSlot?.close();
    })
  ).finally(() => clearInterval(presence));
  await queue.retire(processId);
  return served;
}

interface JobThread {
  worker: Worker;
  /** It has loaded: its start-up (up to a minute) is not held against a job. */
  ready: boolean;
}

function startJobThread(): JobThread {
  const thread: JobThread = {worker: startWorker({module: new URL("./job-worker.ts", import.meta.url)}), ready: false};
  thread.worker.once("message", () => (thread.ready = true));
  return thread;
}

/** Runs one job on `thread`; `replace` when the thread crashed or went silent. */
function runOnThread({
  thread,
  queued,
  queueId,
  workerId,
  queue,
  log
}: {
  thread: JobThread;
  queued: QueuedJob;
  queueId: string;
  workerId: string;
  queue: LabQueue;
  log: (line: string) => void;
}): Promise<{result: JobResult; replace: boolean}> {
  const {message, heartbeatTimeoutMs} = queued;
  const base = {queueId, jobId: message.jobId, attempt: message.attempt, workerId};
  return new Promise((resolve) => {
    let beatAt = performance.now();
    const {worker} = thread;
    const settle = (result: JobResult, replace = false) => {
      clearInterval(watchdog);
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      resolve({result, replace});
    };
    const failed = (error: string) => settle({...base, type: "failed", error, badInput: false}, true);
    const watchdog = setInterval(
      () => {
        const silent = performance.now() - beatAt;
        if (silent > (thread.ready ? heartbeatTimeoutMs : Math.max(heartbeatTimeoutMs, 60_000)))
          failed(
            `no heartbeat for ${(silent / 1000).toFixed(1)} s (heartbeatTimeoutMs ${heartbeatTimeoutMs}): its worker thread was stopped`
          );
      },
      Math.max(10, Math.min(message.heartbeatMs, heartbeatTimeoutMs / 4))
    );
    void queue.beat({id: queueId, workerId}).catch(() => {});
    const onMessage = (reply: WorkerReply) => {
      if (reply.type === "ready") return void (beatAt = performance.now());
      if (reply.jobId !== message.jobId) return;
      beatAt = performance.now();
      if (reply.type === "heartbeat") return void queue.beat({id: queueId, workerId}).catch(() => {});
      if (reply.type === "log") return log(`${workerId}: ${reply.line}`);
      if (reply.type === "done")
        settle({
          ...base,
          type: "done",
          outputs: reply.outputs,
          rejected: reply.rejected,
          codeVersion: reply.codeVersion
        });
      else if (reply.type === "failed") settle({...base, type: "failed", error: reply.error, badInput: reply.badInput});
    };
    const onError = (error: Error) => failed(`worker crashed: ${error.message}`);
    const onExit = (code: number) => failed(`worker exited with code ${code}`);
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    worker.postMessage(message);
  });
}
