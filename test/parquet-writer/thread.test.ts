import {existsSync, mkdtempSync, readFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {ParquetWriterThread, type ColumnSpec} from "../../src/lib/parquet-writer/index.js";

const dir = mkdtempSync(join(tmpdir(), "writer-thread-"));
const columns: ColumnSpec[] = [
  {name: "id", type: "INT64"},
  {name: "x", type: "DOUBLE", nullable: true}
];
const slot = (rows: number) => [
  new Float64Array(new SharedArrayBuffer(8 * rows)),
  new Float64Array(new SharedArrayBuffer(8 * rows))
];

describe("Parquet writer thread", () => {
  test("row groups filled in shared slots are written in the order handed over, each slot reused once the thread gives it back", async () => {
    const path = join(dir, "slots.parquet");
    const slots = [slot(1000), slot(1000)];
    const w = new ParquetWriterThread(path, columns, undefined, slots);
    let id = 0;
    const seen: number[] = [];
    for (let g = 0; g < 7; g++) {
      const k = await w.take();
      seen.push(k);
      const [ids, xs] = slots[k]!;
      const n = 300 + 100 * g;
      for (let i = 0; i < n; i++, id++) ((ids![i] = id), (xs![i] = id % 10 === 0 ? NaN : id / 2));
      w.write(k, n);
    }
    await w.close();
    // Two slots for seven row groups: each came back and was filled again.
    expect(new Set(seen)).toEqual(new Set([0, 1]));
    const duck = await openDuckDB();
    const [r] = await duck.all<{
      n: number;
      groups: number;
      ordered: boolean;
      xs: number;
      x_sum: number;
    }>(`SELECT count(*)::INT AS n, (SELECT count(DISTINCT row_group_id)::INT FROM parquet_metadata('${path}')) AS groups,
      bool_and(id = file_row_number) AS ordered, count(x)::INT AS xs, sum(x) AS x_sum FROM read_parquet('${path}', file_row_number = true)`);
    let xSum = 0,
      xs = 0;
    for (let i = 0; i < id; i++) if (i % 10) ((xSum += i / 2), xs++);
    expect(r).toEqual({n: id, groups: 7, ordered: true, xs, x_sum: xSum});
    duck.close();
  });

  test("a checkpoint is written by the thread once the rows before it are on disk, while the caller goes on", async () => {
    const path = join(dir, "checkpointed.parquet"),
      marker = join(dir, "seg-1.done.json");
    const slots = [slot(500), slot(500)];
    const w = new ParquetWriterThread(path, columns, undefined, slots);
    for (let g = 0; g < 3; g++) {
      const k = await w.take();
      (slots[k]![0]!.fill(g), slots[k]![1]!.fill(g / 2));
      w.write(k, 500);
    }
    const committed = w.checkpoint(marker, {segment: 1, events: 1500});
    // The caller fills and hands over the next row group before the marker is written.
    const k = await w.take();
    w.write(k, 100);
    await committed;
    const record = JSON.parse(readFileSync(marker, "utf-8"));
    expect(record).toMatchObject({segment: 1, events: 1500, writer: {rows: 1500}});
    expect(record.writer.rowGroups).toHaveLength(3);
    expect(existsSync(`${marker}.tmp`)).toBe(false);
    // A marker that cannot be written breaks the writer: the caller's next step fails.
    await expect(w.checkpoint(join(dir, "missing", "seg-2.done.json"), {segment: 2})).rejects.toThrow(/ENOENT/);
    await expect(w.take()).rejects.toThrow(/ENOENT/);
    await w.terminate();
  });

  test("a slot outside shared memory is refused, and an encoding error reaches the caller", async () => {
    expect(
      () =>
        new ParquetWriterThread(join(dir, "x.parquet"), columns, undefined, [
          [new Float64Array(4), new Float64Array(4)]
        ])
    ).toThrow(/SharedArrayBuffer/);
    const slots = [slot(4)];
    const w = new ParquetWriterThread(join(dir, "bad.parquet"), columns, undefined, slots);
    const k = await w.take();
    slots[k]![0]!.set([1, NaN, 3, 4]);
    w.write(k, 4);
    await expect(w.checkpoint(join(dir, "bad.done.json"), {})).rejects.toThrow(/column id: a null/);
    await w.terminate();
  });
  test("a writer closed cleanly leaves its thread to the next one, which writes its own file; a failed writer's thread is stopped, not reused", async () => {
    const write = async (w: ParquetWriterThread, slots: Float64Array[][], base: number) => {
      for (let g = 0; g < 3; g++) {
        const k = await w.take();
        for (let i = 0; i < 200; i++) ((slots[k]![0]![i] = base + 200 * g + i), (slots[k]![1]![i] = (base + i) / 4));
        w.write(k, 200);
      }
      await w.close();
    };
    const aSlots = [slot(200), slot(200)];
    const a = new ParquetWriterThread(join(dir, "a.parquet"), columns, undefined, aSlots);
    await write(a, aSlots, 0);
    // The idle threads are taken last closed first: b gets a's.
    const bSlots = [slot(200)];
    const b = new ParquetWriterThread(join(dir, "b.parquet"), columns, undefined, bSlots);
    expect(b.threadId).toBe(a.threadId);
    await write(b, bSlots, 10_000);
    await b.terminate(); // nothing: b's thread is idle again, not stopped
    const duck = await openDuckDB();
    for (const [f, base] of [
      ["a.parquet", 0],
      ["b.parquet", 10_000]
    ] as const) {
      const [r] = await duck.all<{n: number; lo: number; hi: number; x: number}>(
        `SELECT count(*)::INT AS n, min(id)::INT AS lo, max(id)::INT AS hi, sum(x) AS x FROM '${join(dir, f)}'`
      );
      let x = 0;
      for (let g = 0; g < 3; g++) for (let i = 0; i < 200; i++) x += (base + i) / 4;
      expect(r).toEqual({n: 600, lo: base, hi: base + 599, x});
    }
    duck.close();
    // A failed writer: its thread is stopped, and the next writer does not get it.
    const badSlots = [slot(4)];
    const bad = new ParquetWriterThread(join(dir, "bad2.parquet"), columns, undefined, badSlots);
    const k = await bad.take();
    badSlots[k]![0]!.set([1, NaN, 3, 4]);
    bad.write(k, 4);
    await expect(bad.close()).rejects.toThrow(/column id: a null/);
    await bad.terminate();
    const after = new ParquetWriterThread(join(dir, "after.parquet"), columns, undefined, [slot(4)]);
    expect(after.threadId).not.toBe(bad.threadId);
    await after.close();
  });
});
