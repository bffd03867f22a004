import {existsSync, mkdtempSync} from "node:fs";
import {createRequire} from "node:module";
import {readFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {createRng} from "../../src/lib/core/random.js";
import {ParquetWriter, type ColumnSpec} from "../../src/lib/parquet-writer/index.js";

const dir = mkdtempSync(join(tmpdir(), "plain-parquet-"));
const columns: ColumnSpec[] = [
  {name: "ts_ns", type: "INT64", logical: "TIMESTAMP_NS"},
  {name: "id", type: "INT64"},
  {name: "price", type: "INT64", logical: {decimal: {precision: 18, scale: 2}}, nullable: true},
  {name: "n", type: "INT32"},
  {name: "x", type: "DOUBLE", nullable: true},
  {name: "flag", type: "BOOLEAN"},
  {name: "maybe", type: "BOOLEAN", nullable: true},
  {name: "kind", type: "ENUM", labels: ["TRADE", "BOOK_SNAPSHOT", "BOOK_DELTA"]},
  {name: "side", type: "ENUM", labels: ["buy", "sell"], nullable: true}
];
function rows(n: number) {
  const f = (g: (i: number) => number) => Float64Array.from({length: n}, (_, i) => g(i));
  const u = (g: (i: number) => number) => Uint8Array.from({length: n}, (_, i) => g(i));
  return [
    f((i) => 1_709_251_200_000_000_000 + i * 1_000_000), // beyond 2^53: stays exact only to ~256 ns, fine for a check of the type
    f((i) => (i % 2 ? -1 : 1) * (2 ** 40 + i)),
    f((i) => (i % 3 === 0 ? NaN : 3_000_000 + i)),
    f((i) => i - 500),
    f((i) => (i % 5 === 0 ? NaN : i / 4)),
    u((i) => i % 2),
    u((i) => (i % 7 === 0 ? 255 : i % 2)),
    u((i) => i % 3),
    u((i) => (i % 4 === 0 ? 255 : i % 2))
  ];
}

describe("Parquet writer", () => {
  test("every column kind round-trips through DuckDB and parquet-wasm, across row groups", async () => {
    const path = join(dir, "all.parquet");
    const w = new ParquetWriter(path, columns);
    const data = rows(2500);
    w.writeRowGroup(data, 0, 1000);
    expect(existsSync(path)).toBe(false);
    w.writeRowGroup(data, 1000, 2500);
    w.close();
    const duck = await openDuckDB();
    const types = await duck.all<{column_name: string; column_type: string}>(`DESCRIBE SELECT * FROM '${path}'`);
    expect(types.map((t) => t.column_type)).toEqual([
      "TIMESTAMP_NS",
      "BIGINT",
      "DECIMAL(18,2)",
      "INTEGER",
      "DOUBLE",
      "BOOLEAN",
      "BOOLEAN",
      "VARCHAR",
      "VARCHAR"
    ]);
    const [agg] =
      await duck.all(`SELECT count(*)::INT AS n, count(price)::INT AS prices, sum(price)::DOUBLE AS price_sum, sum(id)::DOUBLE AS id_sum, sum(n)::INT AS n_sum, count(x)::INT AS xs, sum(x) AS x_sum,
      count(*) FILTER (WHERE flag)::INT AS flags, count(maybe)::INT AS maybes, count(*) FILTER (WHERE kind = 'BOOK_DELTA')::INT AS deltas, count(side)::INT AS sides, count(*) FILTER (WHERE side = 'sell')::INT AS sells FROM '${path}'`);
    let priceSum = 0,
      idSum = 0,
      nSum = 0,
      xSum = 0,
      xs = 0,
      prices = 0;
    for (let i = 0; i < 2500; i++) {
      if (i % 3) ((priceSum += (3_000_000 + i) / 100), prices++);
      idSum += (i % 2 ? -1 : 1) * (2 ** 40 + i);
      nSum += i - 500;
      if (i % 5) ((xSum += i / 4), xs++);
    }
    expect(agg).toMatchObject({
      n: 2500,
      prices,
      n_sum: nSum,
      xs,
      x_sum: xSum,
      flags: 1250,
      maybes: 2500 - Math.ceil(2500 / 7),
      deltas: Math.floor(2500 / 3),
      sides: 2500 - 625,
      sells: 1250
    });
    expect(agg!.price_sum).toBeCloseTo(priceSum, 2);
    expect(agg!.id_sum).toBe(idSum);
    const [row] = await duck.all(
      `SELECT id::VARCHAR AS id, price::VARCHAR AS price, kind, side, maybe FROM '${path}' WHERE n = 1 - 500 + 1000`
    );
    expect(row).toEqual({
      id: String(-(2 ** 40 + 1001)),
      price: "30010.01",
      kind: "BOOK_DELTA",
      side: "sell",
      maybe: null
    });
    duck.close();
    const pw = createRequire(import.meta.url)("parquet-wasm/node");
    const {tableFromIPC} = await import("apache-arrow");
    const table = tableFromIPC(pw.readParquet(readFileSync(path)).intoIPCStream());
    expect(table.numRows).toBe(2500);
    expect(table.getChild("kind")!.get(2)).toBe("BOOK_DELTA");
  });

  test("a writer resumed from a saved state truncates what came after it and carries on", async () => {
    const path = join(dir, "resumed.parquet");
    const data = rows(3000);
    const first = new ParquetWriter(path, columns);
    first.writeRowGroup(data, 0, 1000);
    const saved = first.state();
    first.writeRowGroup(data, 1000, 1500); // lost in the "crash"
    const second = new ParquetWriter(path, columns, saved);
    second.writeRowGroup(data, 1000, 3000);
    second.close();
    const duck = await openDuckDB();
    const [agg] = await duck.all(`SELECT count(*)::INT AS n, sum(n)::INT AS s FROM '${path}'`);
    expect(agg).toEqual({n: 3000, s: Array.from({length: 3000}, (_, i) => i - 500).reduce((a, b) => a + b, 0)});
    duck.close();
  });

  test("integers are delta-encoded exactly: a random walk with nulls, big jumps, an epoch-ns offset, and values too large for deltas", async () => {
    const path = join(dir, "delta.parquet");
    const n = 50_000;
    const rng = createRng("delta");
    const walk = new Float64Array(n),
      jumpy = new Float64Array(n),
      ts = new Float64Array(n),
      huge = new Float64Array(n);
    let x = 6_000_000,
      t = 0;
    for (let i = 0; i < n; i++) {
      x += Math.floor(rng.next() * 7) - 3;
      t += Math.floor(rng.next() * 3) * 1_000_000;
      walk[i] = i % 11 === 0 ? NaN : x;
      jumpy[i] = i === 2 || i % 89 === 0 ? 2 ** 50 - i : i % 97 === 0 ? -(2 ** 50) + i : i; // widths past 32 bits
      ts[i] = t;
      huge[i] = 2 ** 52 + i * 2; // beyond 2^51: written PLAIN
    }
    const spec: ColumnSpec[] = [
      {name: "walk", type: "INT64", logical: {decimal: {precision: 18, scale: 2}}, nullable: true},
      {name: "jumpy", type: "INT64"},
      {name: "ts", type: "INT64", logical: "TIMESTAMP_NS", add: 1_709_251_200_123_456_789n},
      {name: "huge", type: "INT64"}
    ];
    const w = new ParquetWriter(path, spec);
    // Row groups of odd sizes, so blocks and miniblocks end part-way (a two-value page with a 50-bit jump among them).
    for (const [a, b] of [
      [0, 1],
      [1, 3],
      [3, 130],
      [130, 20_000],
      [20_000, n]
    ])
      w.writeRowGroup([walk, jumpy, ts, huge], a!, b!);
    w.close();
    const duck = await openDuckDB();
    const got = await duck.all<{walk: string | null; jumpy: string; ts: string; huge: string}>(
      `SELECT (walk * 100)::BIGINT::VARCHAR AS walk, jumpy::VARCHAR AS jumpy, epoch_ns(ts)::VARCHAR AS ts, huge::VARCHAR AS huge FROM '${path}'`
    );
    const encodings = await duck.all<{c: string; e: string}>(
      `SELECT DISTINCT path_in_schema AS c, encodings AS e FROM parquet_metadata('${path}') ORDER BY 1`
    );
    duck.close();
    expect(got.length).toBe(n);
    for (let i = 0; i < n; i += 1) {
      const row = got[i]!;
      if (row.walk !== (Number.isNaN(walk[i]!) ? null : String(walk[i])))
        throw new Error(`walk row ${i}: ${row.walk} vs ${walk[i]}`);
      if (
        row.jumpy !== String(jumpy[i]) ||
        row.huge !== String(huge[i]) ||
        row.ts !== String(1_709_251_200_123_456_789n + BigInt(ts[i]!))
      )
        throw new Error(`row ${i}: ${JSON.stringify(row)}`);
    }
    expect(encodings.length).toBe(4);
    // A fresh writer whose first page is three values: up 2^50 and down again, one miniblock at 52 bits.
    const tiny = join(dir, "delta-tiny.parquet");
    const t2 = new ParquetWriter(tiny, [{name: "jumpy", type: "INT64"}]);
    t2.writeRowGroup([jumpy], 1, 4);
    t2.close();
    const duck2 = await openDuckDB();
    expect(await duck2.all(`SELECT jumpy::VARCHAR AS j FROM '${tiny}'`)).toEqual([
      {j: "1"},
      {j: String(2 ** 50 - 2)},
      {j: "3"}
    ]);
    duck2.close();
    const pw = createRequire(import.meta.url)("parquet-wasm/node");
    const {tableFromIPC} = await import("apache-arrow");
    const table = tableFromIPC(pw.readParquet(readFileSync(path)).intoIPCStream());
    expect(Number(table.getChild("jumpy")!.get(97))).toBe(-(2 ** 50) + 97);
  });

  test("a null in a column that is not nullable is refused, in a full block and in a short one", () => {
    for (const at of [200, 1290]) {
      const values = Float64Array.from({length: 1300}, (_, i) => (i === at ? NaN : i * 3));
      const w = new ParquetWriter(join(dir, `refused-${at}.parquet`), [{name: "id", type: "INT64"}]);
      expect(() => w.writeRowGroup([values], 0, 1300)).toThrow(
        "column id: a null (NaN) in a column that is not nullable"
      );
      w.abort();
    }
  });

  test("an empty file has the schema and no rows; abort leaves nothing", async () => {
    const path = join(dir, "empty.parquet");
    new ParquetWriter(path, columns).close();
    const duck = await openDuckDB();
    expect(await duck.all(`SELECT count(*)::INT AS n FROM '${path}'`)).toEqual([{n: 0}]);
    duck.close();
    const gone = new ParquetWriter(join(dir, "gone.parquet"), columns);
    gone.abort();
    expect(existsSync(join(dir, "gone.parquet.partial"))).toBe(false);
  });
  test("sparse columns: values packed for the rows of one code, placed by that code (and null elsewhere), across row groups that start mid-array", async () => {
    const path = join(dir, "sparse.parquet");
    const onTrades = {column: 0, code: 0},
      onDeltas = {column: 0, code: 2};
    const cols: ColumnSpec[] = [
      {name: "kind", type: "ENUM", labels: ["TRADE", "BOOK_SNAPSHOT", "BOOK_DELTA"]},
      {
        name: "trade_price",
        type: "INT64",
        logical: {decimal: {precision: 18, scale: 2}},
        nullable: true,
        sparse: onTrades
      },
      {name: "trade_side", type: "ENUM", labels: ["buy", "sell"], nullable: true, sparse: onTrades},
      {name: "delta_qty", type: "INT64", nullable: true, multiply: 10, sparse: onDeltas},
      // A page that cannot be delta-encoded exactly (a value beyond 2^51) is written PLAIN.
      {name: "delta_id", type: "INT64", nullable: true, sparse: onDeltas},
      // Present on snapshots, a NaN among them a null too; and everywhere but on trades.
      {name: "snap_x", type: "DOUBLE", nullable: true, sparse: {column: 0, code: 1}},
      {name: "book_id", type: "INT64", nullable: true, sparse: {column: 0, code: 0, except: true}}
    ];
    const rng = createRng("sparse");
    const n = 3000;
    const kind = Uint8Array.from({length: n}, () => (rng.next() < 0.15 ? 0 : rng.next() < 0.05 ? 1 : 2));
    const trades: number[] = [],
      deltas: number[] = [];
    kind.forEach((k, i) => (k === 0 ? trades : k === 2 ? deltas : []).push(i));
    const tradePrice = Float64Array.from(trades, (i) => 6_000_000 + i),
      tradeSide = Uint8Array.from(trades, (i) => i % 2);
    const deltaQty = Float64Array.from(deltas, (i) => i * 3),
      deltaId = Float64Array.from(deltas, (i) => (i === deltas[7] ? 2 ** 52 : i));
    const snaps: number[] = [],
      books: number[] = [];
    kind.forEach((k, i) => (k === 1 && snaps.push(i), k !== 0 && books.push(i)));
    const snapX = Float64Array.from(snaps, (i, j) => (j === 3 ? NaN : i / 4)),
      bookId = Float64Array.from(books, (i) => 10 * i);
    const w = new ParquetWriter(path, cols);
    for (const [a, b] of [
      [0, 1000],
      [1000, 1001],
      [1001, 3000]
    ] as const)
      w.writeRowGroup([kind, tradePrice, tradeSide, deltaQty, deltaId, snapX, bookId], a, b);
    w.close();
    const duck = await openDuckDB();
    const got = await duck.all<{
      kind: string;
      trade_price: number | null;
      trade_side: string | null;
      delta_qty: bigint | null;
      delta_id: bigint | null;
      snap_x: number | null;
      book_id: bigint | null;
    }>(
      `SELECT kind, trade_price::DOUBLE AS trade_price, trade_side, delta_qty, delta_id, snap_x, book_id FROM '${path}'`
    );
    duck.close();
    expect(got).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      expect(got[i], `row ${i}`).toEqual({
        kind: ["TRADE", "BOOK_SNAPSHOT", "BOOK_DELTA"][k],
        trade_price: k === 0 ? (6_000_000 + i) / 100 : null,
        trade_side: k === 0 ? ["buy", "sell"][i % 2] : null,
        delta_qty: k === 2 ? BigInt(i * 30) : null,
        delta_id: k === 2 ? (i === deltas[7] ? 2n ** 52n : BigInt(i)) : null,
        snap_x: k === 1 && i !== snaps[3] ? i / 4 : null,
        book_id: k !== 0 ? BigInt(10 * i) : null
      });
    }
  });
  test("sparse keys on a code column with codes beyond 3: rows of every code placed right, by the shared pass and by the per-code one", async () => {
    const path = join(dir, "sparse-wide.parquet");
    const labels = ["a", "b", "c", "d", "e", "f"];
    // Keys on codes 1 and 3 (and all but 2) share one pass over the codes, whose rows also hold
    // 4 and 5 (a group with one is worked out by compares); a key on code 5 takes its own.
    const cols: ColumnSpec[] = [
      {name: "kind", type: "ENUM", labels},
      {name: "on_b", type: "INT64", nullable: true, sparse: {column: 0, code: 1}},
      {name: "on_d", type: "DOUBLE", nullable: true, sparse: {column: 0, code: 3}},
      {name: "not_c", type: "INT64", nullable: true, sparse: {column: 0, code: 2, except: true}},
      {name: "on_f", type: "INT64", nullable: true, sparse: {column: 0, code: 5}}
    ];
    const rng = createRng("wide");
    const n = 2500;
    // Long stretches of codes 0–3 only, then stretches with 4 and 5 among them.
    const kind = Uint8Array.from({length: n}, (_, i) => Math.floor(rng.next() * (Math.floor(i / 300) % 2 ? 6 : 4)));
    const rowsOf = (keep: (k: number) => boolean) => [...kind.keys()].filter((i) => keep(kind[i]!));
    const onB = rowsOf((k) => k === 1),
      onD = rowsOf((k) => k === 3),
      notC = rowsOf((k) => k !== 2),
      onF = rowsOf((k) => k === 5);
    const w = new ParquetWriter(path, cols);
    const data = [
      kind,
      Float64Array.from(onB, (i) => i),
      Float64Array.from(onD, (i) => i / 2),
      Float64Array.from(notC, (i) => 3 * i),
      Float64Array.from(onF, (i) => -i)
    ];
    for (const [a, b] of [
      [0, 1003],
      [1003, 1010],
      [1010, n]
    ] as const)
      w.writeRowGroup(data, a, b);
    w.close();
    const duck = await openDuckDB();
    const got = await duck.all<{
      kind: string;
      on_b: bigint | null;
      on_d: number | null;
      not_c: bigint | null;
      on_f: bigint | null;
    }>(`SELECT * FROM '${path}'`);
    duck.close();
    expect(got).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      expect(got[i], `row ${i}`).toEqual({
        kind: labels[k],
        on_b: k === 1 ? BigInt(i) : null,
        on_d: k === 3 ? i / 2 : null,
        not_c: k !== 2 ? BigInt(3 * i) : null,
        on_f: k === 5 ? BigInt(-i) : null
      });
    }
  });
  test("nullable pages that look full: full ones, and ones with a single null the sample misses, keep every value and null", async () => {
    const path = join(dir, "nearly-full.parquet");
    const cols: ColumnSpec[] = [
      {name: "p", type: "INT64", nullable: true},
      {name: "x", type: "DOUBLE", nullable: true}
    ];
    const n = 1003;
    // Row group 1: every row present. Row group 2: one null at row 501 (not among the 16 sampled rows).
    const p = Float64Array.from({length: 2 * n}, (_, i) => (i === n + 501 ? NaN : 1000 + ((i * 37) % 11)));
    const x = Float64Array.from({length: 2 * n}, (_, i) => (i === n + 501 ? NaN : i / 8));
    const w = new ParquetWriter(path, cols);
    w.writeRowGroup([p, x], 0, n);
    w.writeRowGroup([p, x], n, 2 * n);
    w.close();
    const duck = await openDuckDB();
    const got = await duck.all<{p: bigint | null; x: number | null}>(`SELECT p, x FROM '${path}'`);
    duck.close();
    expect(got).toHaveLength(2 * n);
    for (let i = 0; i < 2 * n; i++)
      expect(got[i], `row ${i}`).toEqual(
        i === n + 501 ? {p: null, x: null} : {p: BigInt(1000 + ((i * 37) % 11)), x: i / 8}
      );
  });
  test("columns made of runs are dictionary-encoded exactly; pages that are not, or that break the dictionary, fall back to deltas", async () => {
    const path = join(dir, "runs.parquet");
    const rng = createRng("runs");
    const n = 40_000;
    // best: a price that changes at one row in ten (a replay's best bid); depth: at one in five,
    // in 1e-4 lots scaled ×10 into the stored unit; ts: an epoch-ns time with runs of ties.
    const best = new Float64Array(n),
      depth = new Float64Array(n),
      ts = new Float64Array(n),
      wide = new Float64Array(n),
      gappy = new Float64Array(n);
    let b = 3_000_000,
      d = 400,
      t = 0;
    const samples = [0, 1, 2, 3].map((k) => Math.floor(((25_000 - 256) * k) / 3));
    for (let i = 0; i < n; i++) {
      if (rng.next() < 0.1) b += Math.floor(rng.next() * 9) - 4;
      if (rng.next() < 0.2) d = Math.max(0, d + Math.floor(rng.next() * 201) - 100);
      if (rng.next() < 0.1) t += 1_000_000;
      best[i] = b;
      depth[i] = d;
      ts[i] = t;
      // Every value new (more than a dictionary holds), except runs of four where the first row
      // group's sample looks (its four 256-row stretches): it looks like runs, and is not.
      wide[i] = samples.some((s) => i >= s && i < s + 256) ? Math.floor(i / 4) * 7 : i * 7 + 1;
      // Runs, with a null in the second row group (a side of the book empty for a moment).
      gappy[i] = i === 30_123 ? NaN : b;
    }
    const spec: ColumnSpec[] = [
      {name: "best", type: "INT64", logical: {decimal: {precision: 18, scale: 2}}, nullable: true},
      {name: "depth", type: "INT64", multiply: 10},
      {name: "ts", type: "INT64", logical: "TIMESTAMP_NS", add: 1_709_251_200_000_000_000n},
      {name: "wide", type: "INT64"},
      {name: "gappy", type: "INT64", nullable: true}
    ];
    const w = new ParquetWriter(path, spec);
    for (const [a, z] of [
      [0, 25_000],
      [25_000, 25_500],
      [25_500, n]
    ])
      w.writeRowGroup([best, depth, ts, wide, gappy], a!, z!);
    w.close();
    const duck = await openDuckDB();
    const got = await duck.all<{best: string | null; depth: string; ts: string; wide: string; gappy: string | null}>(
      `SELECT (best * 100)::BIGINT::VARCHAR AS best, depth::VARCHAR AS depth, epoch_ns(ts)::VARCHAR AS ts, wide::VARCHAR AS wide, gappy::VARCHAR AS gappy FROM '${path}'`
    );
    const pages = await duck.all<{c: string; g: bigint; dict: boolean}>(
      `SELECT path_in_schema AS c, row_group_id AS g, dictionary_page_offset IS NOT NULL AS dict FROM parquet_metadata('${path}') ORDER BY 1, 2`
    );
    duck.close();
    expect(got).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const row = got[i]!;
      const want = {
        best: String(best[i]),
        depth: String(depth[i]! * 10),
        ts: String(1_709_251_200_000_000_000n + BigInt(ts[i]!)),
        wide: String(wide[i]),
        gappy: i === 30_123 ? null : String(best[i])
      };
      if (JSON.stringify(row) !== JSON.stringify(want))
        throw new Error(`row ${i}: ${JSON.stringify(row)} vs ${JSON.stringify(want)}`);
    }
    const dict = (c: string) => pages.filter((p) => p.c === c).map((p) => p.dict);
    // Runs → a dictionary; the 500-row group is too short to judge (deltas); `wide`'s first page
    // overflows the dictionary after all; the null sends its page to deltas.
    expect(dict("best")).toEqual([true, false, true]);
    expect(dict("depth")).toEqual([true, false, true]);
    expect(dict("ts")).toEqual([true, false, true]);
    expect(dict("wide")).toEqual([false, false, false]);
    expect(dict("gappy")).toEqual([true, false, false]);
    const pw = createRequire(import.meta.url)("parquet-wasm/node");
    const {tableFromIPC} = await import("apache-arrow");
    const table = tableFromIPC(pw.readParquet(readFileSync(path)).intoIPCStream());
    expect(Number(table.getChild("depth")!.get(31_000))).toBe(depth[31_000]! * 10);
  });
  test("columns given as runs (a value per run, beside their start rows): read back row by row, byte for byte what the same values give, nulls and the fallback included", async () => {
    const rng = createRng("given runs");
    const n = 40_000;
    // Runs of a best price, a depth (×10 into the stored unit), one with every value new (more than
    // a dictionary holds) and a nullable one with null runs; starts strictly ascending, then n.
    const starts: number[] = [],
      best: number[] = [],
      depth: number[] = [],
      wide: number[] = [],
      gappy: number[] = [],
      x: number[] = [];
    let b = 3_000_000,
      d = 400;
    for (let i = 0; i < n; i++) {
      if (i > 0 && rng.next() > 0.7) continue;
      if (rng.next() < 0.3) b += Math.floor(rng.next() * 9) - 4;
      if (rng.next() < 0.6) d = Math.max(0, d + Math.floor(rng.next() * 201) - 100);
      starts.push(i);
      best.push(b);
      depth.push(d);
      wide.push(i * 7 + 1);
      gappy.push((i >= 30_000 && i < 30_050) || i === 12 ? NaN : b);
      x.push(i % 11 === 0 ? NaN : d / 7);
    }
    starts.push(n);
    const f = (a: number[]) => Float64Array.from(a);
    const runs = [f(best), f(depth), f(wide), f(gappy), f(x), f(starts)];
    // The same columns as a value per row.
    const expand = (v: number[]) => {
      const out = new Float64Array(n);
      for (let k = 0; k + 1 < starts.length; k++) out.fill(v[k]!, starts[k], starts[k + 1]);
      return out;
    };
    const rows = [best, depth, wide, gappy, x].map(expand);
    const spec = (given: boolean): ColumnSpec[] => {
      const r = given ? {runs: {starts: 5}} : {};
      return [
        {name: "best", type: "INT64", logical: {decimal: {precision: 18, scale: 2}}, nullable: true, ...r},
        {name: "depth", type: "INT64", multiply: 10, add: 5n, ...r},
        {name: "wide", type: "INT64", ...r},
        {name: "gappy", type: "INT64", nullable: true, ...r},
        {name: "x", type: "DOUBLE", nullable: true, ...r}
      ];
    };
    const write = (path: string, given: boolean, data: Float64Array[]) => {
      const w = new ParquetWriter(path, spec(given));
      // Row groups that start and end inside runs.
      for (const [a, z] of [
        [0, 25_003],
        [25_003, 25_500],
        [25_500, n]
      ])
        w.writeRowGroup(data, a!, z!);
      w.close();
    };
    const given = join(dir, "given-runs.parquet"),
      perRow = join(dir, "per-row.parquet");
    write(given, true, runs);
    write(perRow, false, rows);
    const duck = await openDuckDB();
    const got = await duck.all<{
      best: string | null;
      depth: string;
      wide: string;
      gappy: string | null;
      x: number | null;
    }>(
      `SELECT (best * 100)::BIGINT::VARCHAR AS best, depth::VARCHAR AS depth, wide::VARCHAR AS wide, gappy::VARCHAR AS gappy, x FROM '${given}'`
    );
    const pages = await duck.all<{c: string; dict: boolean}>(
      `SELECT path_in_schema AS c, dictionary_page_offset IS NOT NULL AS dict FROM parquet_metadata('${given}') ORDER BY column_id, row_group_id`
    );
    duck.close();
    expect(got).toHaveLength(n);
    const [eb, ed, ew, eg, ex] = rows as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    for (let i = 0; i < n; i++) {
      const want = {
        best: String(eb[i]),
        depth: String(ed[i]! * 10 + 5),
        wide: String(ew[i]),
        gappy: Number.isNaN(eg[i]) ? null : String(eg[i]),
        x: Number.isNaN(ex[i]) ? null : ex[i]
      };
      if (JSON.stringify(got[i]) !== JSON.stringify(want))
        throw new Error(`row ${i}: ${JSON.stringify(got[i])} vs ${JSON.stringify(want)}`);
    }
    const dict = (c: string) => pages.filter((p) => p.c === c).map((p) => p.dict);
    // Runs make dictionaries, a null run included (where the values alone go to deltas); `wide`
    // has too many distinct values in the first row group, and DOUBLE runs are laid out PLAIN.
    expect(dict("best")).toEqual([true, true, true]);
    expect(dict("gappy")).toEqual([true, true, true]);
    expect(dict("wide")).toEqual([false, true, true]);
    expect(dict("x")).toEqual([false, false, false]);
    // Without nulls, the pages are the ones a scan of the values finds (where it tries a
    // dictionary: runs at under one row in three, in a row group long enough to judge).
    const chunk = async (path: string, c: string, g: number) => {
      const duck2 = await openDuckDB();
      const {at, size} = await duck2.one<{at: bigint; size: bigint}>(
        `SELECT coalesce(dictionary_page_offset, data_page_offset) AS at, total_compressed_size AS size FROM parquet_metadata('${path}') WHERE row_group_id = ${g} AND path_in_schema = '${c}'`
      );
      duck2.close();
      return readFileSync(path).subarray(Number(at), Number(at) + Number(size));
    };
    for (const [c, g] of [
      ["best", 0],
      ["best", 2],
      ["wide", 0]
    ] as const)
      expect((await chunk(given, c, g)).equals(await chunk(perRow, c, g)), `${c} in row group ${g}`).toBe(true);
  });
});
