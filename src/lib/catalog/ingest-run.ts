/** What the coordinator keeps per worker thread and per run of jobs (ingest.ts). */
import type {Worker} from "node:worker_threads";
import type {Progress} from "../core/progress.js";
import type {IngestSummary} from "./ingest-summary.js";
import type {StagedJob} from "./job-store.js";

export interface Slot {
  worker: Worker;
  id: string;
  job?: StagedJob;
  /** Set while a claim for this slot is in flight, so concurrent fills never double-book it. */
  claiming?: boolean;
  /** When its job was handed to the thread (performance.now()); unset once the thread has answered. */
  sentAt?: number;
  /** The thread's last sign of life: loaded, or a message about its job. */
  beatAt: number;
  /** The thread has loaded (its start-up is not held against a job). */
  ready: boolean;
  /** Why the thread crashed (its exit follows). */
  crash?: string;
  /** Its row in the workers table is written. */
  recorded?: Promise<unknown>;
}

/** One runJobs call: its summary, and how it settles. */
export interface JobRun {
  summary: IngestSummary;
  progress: Progress;
  /** Jobs claimed and not yet settled. */
  active: number;
  finish(): void;
  abort(error: unknown): void;
}
