import {mkdirSync} from "node:fs";
import {availableParallelism} from "node:os";
import {join} from "node:path";
import type {Rng} from "../core/random.js";
import type {EmissionPattern, MeterConfig} from "./config.js";
import {SEGMENTS, type Fleet} from "./fleet.js";
import {PartWriterPool, type PartColumns} from "./part-writer-pool.js";
import {generateIntervals} from "./readings.js";

/**
 * The fast path for big fleets: readings generated as columns and written as Parquet parts
 * (`part-00001.parquet` …, about `rowsPerPart` rows each, 250k by default) by a pool of writer threads, while the
 * main thread generates the next part. Memory holds a few parts, whatever the fleet size or the
 * number of days. Every meter reports (the UNIFORM pattern): delivery effects live in bronze.
 */
export async function writeReadingsColumnar({
  rng,
  fleet,
  start,
  days,
  config,
  outDir,
  pattern = "UNIFORM",
  rowsPerPart = 250_000,
  threads = Math.max(1, availableParallelism())
}: {
  rng: Rng;
  fleet: Fleet;
  start: Date;
  days: number;
  config: MeterConfig;
  outDir: string;
  pattern?: EmissionPattern;
  rowsPerPart?: number;
  threads?: number;
}): Promise<{parts: string[]; rows: number}> {
  mkdirSync(outDir, {recursive: true});
  const n = fleet.length;
  const meterIndex = Int32Array.from({length: n}, (_, i) => i);
  const segmentIndex = Int32Array.from(fleet.segment);
  const intervalsPerPart = Math.max(1, Math.floor(rowsPerPart / n));
  // Filled parts travel to a writer thread and come back empty (transferred both ways).
  const free: PartColumns[] = [];
  const pool = new PartWriterPool({
    ids: fleet.idBytes(),
    dictionaries: {customer_segment: SEGMENTS, emission_pattern: [pattern]},
    reuse: (columns) => {
      if (columns.meter.length === intervalsPerPart * n) free.push(columns);
    },
    threads
  });
  const parts: string[] = [];
  let rows = 0;
  let part: PartColumns | undefined;
  let filled = 0;
  const newPart = (): PartColumns => {
    const reused = free.pop();
    if (reused) {
      reused.outage.fill(0);
      return reused;
    }
    const total = intervalsPerPart * n;
    return {
      meter: new Int32Array(total),
      ts: new BigInt64Array(total),
      usage: new Float64Array(total),
      voltage: new Float64Array(total),
      powerFactor: new Float64Array(total),
      segment: new Int32Array(total),
      pattern: new Int32Array(total),
      outage: new Uint8Array(Math.ceil(total / 8))
    };
  };
  // Each interval is copied into the part being filled at once, so the generator can reuse its arrays.
  const add = (iv: {
    ts: Date;
    usage: Float64Array;
    voltage: Float64Array;
    powerFactor: Float64Array;
    outage: Uint8Array;
  }) => {
    part ??= newPart();
    const off = filled * n;
    part.meter.set(meterIndex, off);
    part.segment.set(segmentIndex, off);
    part.ts.fill(BigInt(iv.ts.getTime()) * 1000n, off, off + n);
    part.usage.set(iv.usage, off);
    part.voltage.set(iv.voltage, off);
    part.powerFactor.set(iv.powerFactor, off);
    for (let i = 0; i < n; i++) if (iv.outage[i]) part.outage[(off + i) >> 3]! |= 1 << ((off + i) & 7);
    filled++;
  };
  const flush = async () => {
    if (!part || !filled) return;
    const total = filled * n;
    // The last part may be short: trim its columns to what was filled.
    const trim = <T extends {length: number; slice(a: number, b: number): T}>(a: T, size: number): T =>
      a.length === size ? a : a.slice(0, size);
    const columns: PartColumns = {
      meter: trim(part.meter, total),
      ts: trim(part.ts, total),
      usage: trim(part.usage, total),
      voltage: trim(part.voltage, total),
      powerFactor: trim(part.powerFactor, total),
      segment: trim(part.segment, total),
      pattern: trim(part.pattern, total),
      outage: trim(part.outage, Math.ceil(total / 8))
    };
    part = undefined;
    filled = 0;
    const id = parts.length;
    const path = join(outDir, `part-${String(id + 1).padStart(5, "0")}.parquet`);
    parts.push(path);
    rows += total;
    await pool.write({id, path, rows: total, columns});
  };
  try {
    for (const interval of generateIntervals({rng, fleet, start, days, config, reuseBuffers: true})) {
      add(interval);
      if (filled >= intervalsPerPart) await flush();
    }
    await flush();
    await pool.finish();
    return {parts, rows};
  } finally {
    await pool.close();
  }
}
