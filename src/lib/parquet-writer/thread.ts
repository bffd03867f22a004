import {availableParallelism} from "node:os";
import type {Worker} from "node:worker_threads";
import {LabError} from "../core/errors.js";
import {startWorker} from "../core/worker.js";
import type {ColumnData, ColumnSpec, WriterState} from "./columns.js";
import type {PartitionSpec, PartitionedState} from "./partitioned.js";

type Reply = {id: number; slot?: number; error?: string};

/**
 * A ParquetWriter on its own thread, fed through shared slots: row-group buffers over
 * SharedArrayBuffers, handed to the thread once when it starts. A row group is then a message
 * naming a slot and a row count — nothing is copied or transferred — and the slot comes back to
 * be filled again once encoded, so encoding and disk writes run on another core while the caller
 * keeps computing. (Buffers transferred back and forth instead would each return as a new
 * external allocation of the caller's heap, and cost it full garbage collections.)
 */
export class ParquetWriterThread {
  private readonly worker: Worker;
  private next = 0;
  private readonly waiting = new Map<number, {resolve: (r: Reply) => void; reject: (e: Error) => void}>();
  private readonly free: number[] = [];
  private wakeTaker: (() => void) | undefined;
  private failure: Error | undefined;
  /** Given back to the idle threads (after a clean close): not this writer's to stop any more. */
  private released = false;
  private readonly onMessage = (m: Reply) => {
    if (m.slot !== undefined) {
      this.free.push(m.slot);
      this.wakeTaker?.();
    }
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if (m.error) w.reject(new Error(m.error));
    else w.resolve(m);
  };
  private readonly onError = (e: Error) => {
    this.failure = e;
    this.wakeTaker?.();
  };

  /**
   * `slots`: each a row group's columns (in `columns` order) over SharedArrayBuffers; all are
   * free to fill at first. The thread is one a writer of this process closed before, if one is
   * idle: its encoder is compiled and warm already, where a new thread compiles it again and runs
   * slowly until it has — so the writers of one process, one after another, share a thread.
   * With `partition`, rows go to a file a day under its folder (see PartitionSpec) and `path` is
   * not used.
   */
  constructor(
    path: string,
    columns: ColumnSpec[],
    resume: WriterState | PartitionedState | undefined,
    slots: ColumnData[][],
    partition?: PartitionSpec
  ) {
    for (const slot of slots) {
      for (const d of slot)
        if (!(d.buffer instanceof SharedArrayBuffer))
          throw new LabError({
            reason: "ParquetWriterThread: slot columns must be views of SharedArrayBuffers",
            hint: "allocate each slot column as new Float64Array(new SharedArrayBuffer(8 * rows)) (Uint8Array for codes)"
          });
    }
    this.free.push(...slots.map((_, k) => k));
    this.worker = idleThreads.pop() ?? startThread();
    this.worker.ref();
    this.worker.on("message", this.onMessage);
    this.worker.on("error", this.onError);
    this.request({type: "open", path, columns, resume, slots, partition}).catch((e: Error) => (this.failure = e));
  }

  /** The thread's id (the same for writers that share an idle thread one after another). */
  get threadId(): number {
    return this.worker.threadId;
  }

  private request(message: object): Promise<Reply> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {resolve, reject});
      this.worker.postMessage({id, ...message});
    });
  }

  /** A slot free to fill (waits while every slot is with the writer). */
  async take(): Promise<number> {
    while (!this.free.length && !this.failure) await new Promise<void>((r) => (this.wakeTaker = r));
    this.wakeTaker = undefined;
    if (this.failure) throw this.failure;
    return this.free.shift()!;
  }

  /** Hands rows [0, n) of slot k to the writer: the slot is not to be touched until `take` gives it back. */
  write(slot: number, n: number): void {
    if (this.failure) throw this.failure;
    this.request({type: "rowGroup", slot, n}).catch((e: Error) => {
      this.failure = e;
      this.wakeTaker?.();
    });
  }

  /**
   * A checkpoint that does not hold the caller up: once every row group handed over so far is on
   * disk (fsynced), the thread writes `record` with its progress as `writer` — JSON, to `path`
   * through a temporary file and a rename, so a reader sees all of it or none. Resolves when the
   * file is in place; the caller may go on filling slots meanwhile.
   */
  checkpoint(path: string, record: object): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.request({type: "checkpoint", path, record}).then(
      () => {
        if (this.failure) throw this.failure;
      },
      (e: Error) => {
        // The writer is broken: whatever the caller does next fails with this.
        this.failure = e;
        this.wakeTaker?.();
        throw e;
      }
    );
  }

  /** Finishes the file (footer, fsync, rename); the thread then waits, idle, for the next writer. */
  async close(): Promise<void> {
    await this.request({type: "close"});
    if (this.failure) throw this.failure;
    this.worker.off("message", this.onMessage);
    this.worker.off("error", this.onError);
    this.released = true;
    if (idleThreads.length < MAX_IDLE) {
      // An idle thread does not keep the process alive.
      this.worker.unref();
      idleThreads.push(this.worker);
    } else await this.worker.terminate();
  }

  /** Stops the thread whatever its state (a caller that failed half-way); nothing once closed. */
  async terminate(): Promise<void> {
    if (!this.released) await this.worker.terminate();
  }

  async abort(): Promise<void> {
    await this.request({type: "abort"}).catch(() => {});
    await this.terminate();
  }
}

/** Threads whose writer closed cleanly, waiting for the next one (at most MAX_IDLE: one a core). */
const idleThreads: Worker[] = [];
const MAX_IDLE = Math.max(1, availableParallelism());

/**
 * A new writer thread, bundled (no TypeScript loader to start in it: see `startWorker`). An idle
 * thread that exits or fails leaves the idle list.
 */
function startThread(): Worker {
  const worker = startWorker({module: new URL("./thread-worker.ts", import.meta.url), bundle: true});
  const leave = () => {
    const k = idleThreads.indexOf(worker);
    if (k >= 0) idleThreads.splice(k, 1);
  };
  worker.on("exit", leave);
  worker.on("error", leave);
  return worker;
}
