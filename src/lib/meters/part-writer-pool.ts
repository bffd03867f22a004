import {availableParallelism} from "node:os";
import {Worker} from "node:worker_threads";
import type {Fleet} from "./fleet.js";

/** The columns of one Parquet part of readings, as typed arrays (transferred to a writer and back). */
export interface PartColumns {
  meter: Int32Array;
  ts: BigInt64Array;
  usage: Float64Array;
  voltage: Float64Array;
  powerFactor: Float64Array;
  segment: Int32Array;
  pattern: Int32Array;
  outage: Uint8Array;
}

const COLUMN_ORDER = ["meter", "ts", "usage", "voltage", "powerFactor", "segment", "pattern", "outage"] as const;

/**
 * Writer threads for readings parts (`part-writer-worker.mjs`, parquet-wasm): `write` waits for an
 * idle thread and hands it a part's columns; the columns come back empty and are offered to
 * `reuse` when they have the full part size, so a run allocates a few parts in all.
 */
export class PartWriterPool {
  private readonly workers: Worker[];
  private readonly idle: Worker[];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<number, {resolve: () => void; reject: (e: Error) => void}>();
  private readonly inFlight: Promise<void>[] = [];

  constructor({
    ids,
    dictionaries,
    reuse,
    threads = Math.max(1, availableParallelism())
  }: {
    ids: ReturnType<Fleet["idBytes"]>;
    dictionaries: {customer_segment: readonly string[]; emission_pattern: readonly string[]};
    reuse: (columns: PartColumns) => void;
    threads?: number;
  }) {
    this.workers = Array.from(
      {length: threads},
      () => new Worker(new URL("./part-writer-worker.mjs", import.meta.url))
    );
    this.idle = [...this.workers];
    for (const w of this.workers) {
      w.postMessage({type: "init", ids, dictionaries});
      w.on("message", (m: {id: number; error?: string; columns?: PartColumns[keyof PartColumns][]}) => {
        if (m.columns)
          reuse(Object.fromEntries(COLUMN_ORDER.map((k, i) => [k, m.columns![i]])) as unknown as PartColumns);
        const p = this.pending.get(m.id)!;
        this.pending.delete(m.id);
        this.idle.push(w);
        this.waiting.shift()?.();
        if (m.error) p.reject(new Error(m.error));
        else p.resolve();
      });
    }
  }

  /** Queues part `id` for writing to `path`; resolves once a thread has taken it (not written it). */
  async write({
    id,
    path,
    rows,
    columns
  }: {
    id: number;
    path: string;
    rows: number;
    columns: PartColumns;
  }): Promise<void> {
    while (!this.idle.length) await new Promise<void>((r) => this.waiting.push(r));
    const worker = this.idle.pop()!;
    this.inFlight.push(new Promise<void>((resolve, reject) => this.pending.set(id, {resolve, reject})));
    worker.postMessage(
      {type: "part", id, path, n: rows, ...columns},
      Object.values(columns).map((c) => c.buffer as ArrayBuffer)
    );
  }

  /** Waits for every queued part to be written; rejects with the first writer's error. */
  async finish(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
