import {existsSync, mkdirSync, readdirSync, renameSync, rmSync} from "node:fs";
import {dirname, join, relative} from "node:path";
import {LabError} from "../core/errors.js";
import type {ColumnData, ColumnSpec, WriterState} from "./columns.js";
import {ParquetWriter} from "./writer.js";

/**
 * Output split by UTC day into a hive layout: `<dir>/<prefix>/day=YYYY-MM-DD/part-0.parquet`
 * (the prefix being e.g. `symbol=BTCUSDT`), one file a day, so that a reader of one day opens one
 * file and DuckDB's hive partitioning gives the `day` column. Rows arrive in replay order, which
 * is time order up to the inputs' disorder: a new day's file starts at the first row at or past
 * midnight, and a row a few milliseconds older that comes after it stays in the new day's file
 * (its own time is in `timeColumn`, which carries row-group statistics for exact time windows).
 */
export interface PartitionSpec {
  /** The table's folder (`<out>/market_events`). */
  dir: string;
  /** Folders between the table's and the day's (`symbol=BTCUSDT`). */
  prefix: string;
  /** The INT64 nanosecond column (with `add`) whose day picks the file. */
  timeColumn: number;
}

/** A partitioned writer's progress (paths relative to the table's folder), saved with checkpoints. */
export interface PartitionedState {
  files: {path: string; rows: number}[];
  current: {path: string; day: string; writer: WriterState} | null;
}

const DAY_NS = 86_400_000_000_000n;

/** The writer behind a PartitionSpec: ParquetWriter's interface, a ParquetWriter a day. */
export class PartitionedWriter {
  private readonly files: {path: string; rows: number}[];
  private current: {path: string; day: string; writer: ParquetWriter; end: number} | undefined;
  private readonly add: bigint;

  constructor(
    readonly spec: PartitionSpec,
    readonly columns: ColumnSpec[],
    resume?: PartitionedState
  ) {
    const time = columns[spec.timeColumn];
    if (time?.type !== "INT64")
      throw new LabError({
        reason: `partitioned writer: column ${spec.timeColumn} is not an INT64 time column`,
        hint: "point timeColumn at the nanosecond time column"
      });
    this.add = time.add ?? 0n;
    this.files = resume ? resume.files.map((f) => ({...f})) : [];
    if (resume) this.restore(resume);
    else rmSync(join(spec.dir, spec.prefix), {recursive: true, force: true});
  }

  get rows(): number {
    return this.files.reduce((n, f) => n + f.rows, 0) + (this.current?.writer.rows ?? 0);
  }

  /** Back to a checkpoint: files begun after it removed, the current day's file reopened where it stood. */
  private restore(state: PartitionedState): void {
    const keep = new Set(this.files.map((f) => f.path));
    const current = state.current;
    if (current) {
      const path = join(this.spec.dir, current.path);
      // The day's file may have been finished (renamed) after the checkpoint: its bytes up to the
      // checkpoint are as they were, so it is reopened as the file being written.
      if (!existsSync(`${path}.partial`) && existsSync(path)) renameSync(path, `${path}.partial`);
      keep.add(`${current.path}.partial`);
    }
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, {withFileTypes: true})) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (!keep.has(relative(this.spec.dir, p))) rmSync(p, {force: true});
      }
    };
    walk(join(this.spec.dir, this.spec.prefix));
    if (current) {
      const writer = new ParquetWriter(join(this.spec.dir, current.path), this.columns, current.writer);
      this.current = {path: current.path, day: current.day, writer, end: this.dayEnd(current.day)};
    }
  }

  /** The first offset (the time column's stored value less `add`) past day `day`. */
  private dayEnd(day: string): number {
    const start = BigInt(Date.parse(`${day}T00:00:00Z`)) * 1_000_000n;
    return Number(start + DAY_NS - this.add);
  }

  private open(offset: number): void {
    const ns = BigInt(Math.round(offset)) + this.add;
    const dayStart = (ns >= 0n ? ns / DAY_NS : (ns - DAY_NS + 1n) / DAY_NS) * DAY_NS;
    const day = new Date(Number(dayStart / 1_000_000n)).toISOString().slice(0, 10);
    const path = join(this.spec.prefix, `day=${day}`, "part-0.parquet");
    mkdirSync(dirname(join(this.spec.dir, path)), {recursive: true});
    this.current = {
      path,
      day,
      writer: new ParquetWriter(join(this.spec.dir, path), this.columns),
      end: this.dayEnd(day)
    };
  }

  private finish(): void {
    const c = this.current!;
    c.writer.close();
    this.files.push({path: c.path, rows: c.writer.rows});
    this.current = undefined;
  }

  /** Rows [from, to) as row groups of the day files they fall in (a new file at each midnight passed). */
  writeRowGroup(data: ColumnData[], from: number, to: number): void {
    const times = data[this.spec.timeColumn] as Float64Array;
    let start = from;
    while (start < to) {
      if (!this.current) this.open(times[start]!);
      const end = this.current!.end;
      let r = start;
      while (r < to && times[r]! < end) r++;
      this.current!.writer.writeRowGroup(data, start, r);
      if (r < to) this.finish();
      start = r;
    }
  }

  state(): PartitionedState {
    const c = this.current;
    return {
      files: this.files.map((f) => ({...f})),
      current: c ? {path: c.path, day: c.day, writer: c.writer.state()} : null
    };
  }

  /** Finishes the last day's file. No rows at all: one empty file, for the day of the time base, so readers find the table. */
  close(): void {
    if (!this.current && !this.files.length) this.open(0);
    if (this.current) this.finish();
  }

  abort(): void {
    this.current?.writer.abort();
  }
}
