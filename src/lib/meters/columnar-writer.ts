import {mkdirSync} from "node:fs";
import {availableParallelism} from "node:os";
import {join} from "node:path";
import {Worker} from "node:worker_threads";
import type {Rng} from "../core/random.js";
import type {EmissionPattern, MeterConfig, Segment} from "./config.js";
import type {Meter} from "./fleet.js";
import {generateIntervals} from "./readings.js";

const SEGMENTS: Segment[] = ["RESIDENTIAL", "COMMERCIAL", "INDUSTRIAL"];

/**
 * The fast path for big fleets: readings generated as columns and written as Parquet parts
 * (`part-00001.parquet` …, about `rowsPerPart` rows each, 250k by default) by a pool of writer threads, while the
 * main thread generates the next part. Memory holds a few parts, whatever the fleet size or the
 * number of days. Every meter reports (the UNIFORM pattern): delivery effects live in bronze.
 */
export async function writeReadingsColumnar({rng, fleet, start, days, config, outDir, pattern = "UNIFORM", rowsPerPart = 250_000, threads = Math.max(1, availableParallelism())}: {rng: Rng; fleet: Meter[]; start: Date; days: number; config: MeterConfig; outDir: string; pattern?: EmissionPattern; rowsPerPart?: number; threads?: number}): Promise<{parts: string[]; rows: number}> {
  mkdirSync(outDir, {recursive: true});
  const n = fleet.length;
  const meterIndex = Int32Array.from(fleet, (_, i) => i);
  const segmentIndex = Int32Array.from(fleet, (m) => SEGMENTS.indexOf(m.customer_segment));
  const workers = Array.from({length: threads}, () => new Worker(new URL("./part-writer-worker.mjs", import.meta.url)));
  for (const w of workers) w.postMessage({type: "init", dictionaries: {meter_id: fleet.map((m) => m.meter_id), customer_segment: SEGMENTS, emission_pattern: [pattern]}});
  const idle = [...workers];
  const waiting: (() => void)[] = [];
  const pending = new Map<number, {resolve: () => void; reject: (e: Error) => void}>();
  for (const w of workers) {
    w.on("message", (m: {id: number; error?: string}) => {
      const p = pending.get(m.id)!;
      pending.delete(m.id);
      idle.push(w);
      waiting.shift()?.();
      if (m.error) p.reject(new Error(m.error));
      else p.resolve();
    });
  }
  const parts: string[] = [];
  const inFlight: Promise<void>[] = [];
  let rows = 0;
  const intervalsPerPart = Math.max(1, Math.floor(rowsPerPart / n));
  let buffer: ReturnType<typeof generateIntervals> extends Generator<infer T> ? T[] : never = [];
  const flush = async () => {
    if (!buffer.length) return;
    const intervals = buffer;
    buffer = [];
    const total = intervals.length * n;
    const columns = {
      meter: new Int32Array(total),
      ts: new BigInt64Array(total),
      usage: new Float64Array(total),
      voltage: new Float64Array(total),
      powerFactor: new Float64Array(total),
      segment: new Int32Array(total),
      pattern: new Int32Array(total),
      outage: new Uint8Array(Math.ceil(total / 8))
    };
    intervals.forEach((iv, j) => {
      const off = j * n;
      columns.meter.set(meterIndex, off);
      columns.segment.set(segmentIndex, off);
      columns.ts.fill(BigInt(iv.ts.getTime()) * 1000n, off, off + n);
      columns.usage.set(iv.usage, off);
      columns.voltage.set(iv.voltage, off);
      columns.powerFactor.set(iv.powerFactor, off);
      for (let i = 0; i < n; i++) if (iv.outage[i]) columns.outage[(off + i) >> 3]! |= 1 << ((off + i) & 7);
    });
    while (!idle.length) await new Promise<void>((r) => waiting.push(r));
    const worker = idle.pop()!;
    const id = parts.length;
    const path = join(outDir, `part-${String(id + 1).padStart(5, "0")}.parquet`);
    parts.push(path);
    rows += total;
    inFlight.push(new Promise<void>((resolve, reject) => pending.set(id, {resolve, reject})));
    worker.postMessage({type: "part", id, path, n: total, ...columns}, Object.values(columns).map((c) => c.buffer));
  };
  try {
    for (const interval of generateIntervals({rng, fleet, start, days, config})) {
      buffer.push(interval);
      if (buffer.length >= intervalsPerPart) await flush();
    }
    await flush();
    await Promise.all(inFlight);
    return {parts, rows};
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
