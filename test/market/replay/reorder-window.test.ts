import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {createRng} from "../../../src/lib/core/random.js";
import type {ColumnChunk} from "../../../src/lib/market/replay/column-stream.js";
import {reconstructMarket} from "../../../src/lib/market/replay/reconstruct.js";
import {ReorderOverflow, ReorderWindow, type ReorderState} from "../../../src/lib/market/replay/reorder-window.js";
import {fingerprint, simulatedHistory} from "../helpers.js";

/** Rows (key, payload) from `from` on, in chunks of `size`, as a ColumnStream would give them. */
function source(keys: number[], from = 0, size = 97) {
  let at = from;
  return {
    async next(): Promise<ColumnChunk | undefined> {
      if (at >= keys.length) return undefined;
      const n = Math.min(size, keys.length - at);
      const k = new Float64Array(n),
        payload = new Float64Array(n);
      for (let i = 0; i < n; i++) ((k[i] = keys[at + i]!), (payload[i] = at + i));
      at += n;
      return {n, columns: [k, payload], owner: null};
    },
    close() {}
  };
}

/** Keys in file order that are nearly sorted: each is its position plus up to `displacement` (÷ 3, so there are ties). */
function jittered(n: number, displacement: number, seed = "jitter"): number[] {
  const rng = createRng(seed);
  return Array.from({length: n}, (_, i) => Math.floor((i + Math.floor(rng.next() * displacement)) / 3));
}

/** Every row the window hands on (key, position), consuming it as the replay does. */
async function drain(w: ReorderWindow, already = 0): Promise<{key: number; pos: number}[]> {
  const rows: {key: number; pos: number}[] = [];
  await w.start(already);
  while (!w.done) {
    rows.push({key: w.rows[w.at]!, pos: w.rows[w.at + 1]!});
    if (w.advance()) await w.refill();
  }
  return rows;
}

const sorted = (keys: number[]) => keys.map((key, pos) => ({key, pos})).sort((a, b) => a.key - b.key || a.pos - b.pos);

describe("reorder window", () => {
  test("nearly sorted rows come out exactly as a stable sort by key, then file position", async () => {
    const keys = jittered(20_000, 40);
    const w = new ReorderWindow({
      source: source(keys),
      columns: 2,
      keys: [0],
      windowRows: 256,
      name: "deltas",
      file: "d.parquet"
    });
    expect(await drain(w)).toEqual(sorted(keys));
  });

  test("a checkpoint taken mid-chunk and a window reopened there continue with exactly the remaining rows", async () => {
    const keys = jittered(20_000, 40, "resume");
    const expected = sorted(keys);
    const first = new ReorderWindow({
      source: source(keys),
      columns: 2,
      keys: [0],
      windowRows: 256,
      name: "deltas",
      file: "d.parquet"
    });
    const head: {key: number; pos: number}[] = [];
    await first.start(0);
    // Consume 7,345 rows and take a checkpoint, as a replay killed after it would have.
    while (head.length < 7345) {
      head.push({key: first.rows[first.at]!, pos: first.rows[first.at + 1]!});
      if (first.advance()) await first.refill();
    }
    const state: ReorderState = first.state();
    expect(state.reopenAt).toBeLessThan(state.read);
    expect(first.consumed).toBe(7345);
    const second = new ReorderWindow({
      source: source(keys, state.reopenAt),
      columns: 2,
      keys: [0],
      windowRows: 256,
      name: "deltas",
      file: "d.parquet",
      startRow: state.reopenAt,
      resume: state
    });
    const rest = await drain(second, 7345);
    expect([...head, ...rest]).toEqual(expected);
    expect(second.consumed).toBe(keys.length);
  });

  test("a row further than the window from its place, or input far from sorted, is refused (the replay then sorts fully)", async () => {
    const late = Array.from({length: 5000}, (_, i) => i);
    late.splice(4000, 0, 10); // key 10 arrives ~3,990 rows late
    await expect(
      drain(
        new ReorderWindow({
          source: source(late),
          columns: 2,
          keys: [0],
          windowRows: 1000,
          name: "deltas",
          file: "d.parquet"
        })
      )
    ).rejects.toThrow(/position 4,000 belongs before rows already replayed/);
    await expect(
      drain(
        new ReorderWindow({
          source: source(late),
          columns: 2,
          keys: [0],
          windowRows: 4096,
          name: "deltas",
          file: "d.parquet"
        })
      )
    ).resolves.toHaveLength(5001);
    // A row 40,000 rows early waits until its slot comes round again: refused too.
    const early = Array.from({length: 60_000}, (_, i) => i);
    early.splice(0, 0, 45_000);
    await expect(
      drain(
        new ReorderWindow({
          source: source(early),
          columns: 2,
          keys: [0],
          windowRows: 1000,
          name: "deltas",
          file: "d.parquet"
        })
      )
    ).rejects.toThrow(/position 0 is still waiting/);
    const reversed = Array.from({length: 50_000}, (_, i) => 50_000 - i);
    const error = await drain(
      new ReorderWindow({
        source: source(reversed),
        columns: 2,
        keys: [0],
        windowRows: 1000,
        name: "deltas",
        file: "d.parquet"
      })
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ReorderOverflow);
  });

  test("the window reader and DuckDB's full sort replay to the same rows in the same order; a shuffled file falls back to the sort", async () => {
    const sim = await simulatedHistory({seed: 11, seconds: 120, config: {dropDeltaRate: 0.01, originJitterMs: 0.5}});
    for (const strategy of ["full_event_replay", "origin_time_sort"] as const) {
      const windowed = await reconstructMarket({
        inputs: sim.inputs,
        strategy,
        outDir: join(sim.dir, `${strategy}-window`),
        reader: "window"
      });
      const sortedRun = await reconstructMarket({
        inputs: sim.inputs,
        strategy,
        outDir: join(sim.dir, `${strategy}-sort`),
        reader: "sort"
      });
      expect(windowed.events).toBeGreaterThan(20_000);
      expect(await fingerprint(windowed.path)).toEqual(await fingerprint(sortedRun.path));
      expect(windowed.counts).toEqual(sortedRun.counts);
    }
    // The deltas in random order: far outside any window, so the replay sorts them first, says so, and still agrees.
    const duck = await openDuckDB();
    const shuffled = join(sim.dir, "shuffled-deltas.parquet");
    await duck.run(
      `COPY (SELECT * FROM read_parquet('${sim.inputs.deltas}') ORDER BY hash(update_id)) TO '${shuffled}' (FORMAT parquet)`
    );
    duck.close();
    const lines: string[] = [];
    const fallback = await reconstructMarket({
      inputs: {...sim.inputs, deltas: shuffled},
      strategy: "full_event_replay",
      outDir: join(sim.dir, "shuffled"),
      log: (l) => lines.push(l)
    });
    expect(
      lines.some(
        (l) =>
          /further than 4,096 rows from its sorted place|far from sorted/.test(l) &&
          l.includes("replaying again with the inputs fully sorted first")
      )
    ).toBe(true);
    const reference = await reconstructMarket({
      inputs: sim.inputs,
      strategy: "full_event_replay",
      outDir: join(sim.dir, "reference"),
      reader: "sort"
    });
    // Same rows; ties between equal update ids may order differently, since file positions differ.
    expect(fallback.counts).toEqual(reference.counts);
  });
});
