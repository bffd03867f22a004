import type {LabConfig} from "./config.js";
import {DEFAULT_QUEUE_SCHEMA} from "./queue-url.js";

/**
 * Units: pieces of one big computation (a market history's symbol-days, a meter fleet's shards)
 * that a coordinator spreads and then assembles. A unit names a handler by module and export (as
 * derivations are named), takes JSON input and writes its files into a folder of its own; its
 * result is JSON. The same units run on local worker threads, or through the PostgreSQL queue on
 * `lab worker` processes (unit-queue.ts) — one code path either way, so both give the same files.
 */

/** The catalog's setting for units: its queue if it has one, else its own thread count; its heartbeat and retry limits. */
export function unitsSetting({
  config,
  queueUrl
}: {
  config: Pick<LabConfig, "workers" | "heartbeatMs" | "heartbeatTimeoutMs" | "retry" | "queue">;
  queueUrl?: string;
}): UnitsSetting {
  return {
    ...(queueUrl ? {queue: {url: queueUrl, schema: config.queue?.schema ?? DEFAULT_QUEUE_SCHEMA}} : {}),
    threads: config.workers,
    heartbeatMs: config.heartbeatMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    maxAttempts: config.retry.maxAttempts
  };
}

/** What runs a unit: exported by a module under a name (the thread imports it). */
export interface UnitHandler<I = unknown, O = unknown> {
  name: string;
  run(input: I, ctx: UnitContext): Promise<O>;
}

export interface UnitContext {
  /** The unit's own empty folder (per attempt): write its files here. */
  outDir: string;
  log(line: string): void;
}

/** One unit to run. */
export interface UnitTask {
  /** Unique within its batch; names the unit's folder, so keep it a plain name (`BTCUSDT-2024-03-01`). */
  id: string;
  /** The handler's module URL (`import.meta.url`) and export name. */
  module: string;
  exportName: string;
  input: unknown;
}

/** A unit's accepted result: the attempt whose output counts, and where its files are. */
export interface UnitResult<O = unknown> {
  id: string;
  output: O;
  outDir: string;
  attempt: number;
  /** `local-<thread>` or the `lab worker` slot that ran it (`host-pid-slot`). */
  workerId: string;
}

/** How units run: where, how many at once, and how lost or failed ones are retried. */
export interface UnitsSetting {
  /** Through this PostgreSQL queue (served by `lab worker`); absent: local worker threads. */
  queue?: {url: string; schema: string};
  /** Local threads at once (ignored with a queue: the workers decide). */
  threads: number;
  heartbeatMs: number;
  /** A unit whose thread or worker is silent this long is taken back and retried. */
  heartbeatTimeoutMs: number;
  /** Tries per unit (a failure or a lost worker counts one). */
  maxAttempts: number;
}

export function isUnitHandler(value: unknown): value is UnitHandler {
  const h = value as Partial<UnitHandler> | undefined;
  return typeof h === "object" && h !== null && typeof h.name === "string" && typeof h.run === "function";
}

/** A unit's folder for one attempt under the batch's work folder. */
export function unitDir({workDir, id, attempt}: {workDir: string; id: string; attempt: number}): string {
  return `${workDir}/${id.replace(/[^A-Za-z0-9_.=-]+/g, "-")}-a${attempt}`;
}
