import {execFileSync} from "node:child_process";
import {createHash} from "node:crypto";
import {existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {PassThrough} from "node:stream";
import {beforeEach, describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {sha256File} from "../../src/lib/core/hash.js";
import {parquetRowCount, parquetSchema, readParquet, readParquetAll} from "../../src/lib/core/parquet-read.js";
import {copyQueryToParquet, createChunkAppender, writeParquet} from "../../src/lib/core/parquet-write.js";
import {writeRowsAsParquetToStream} from "../../src/lib/core/stdout.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "core-parquet-"));
});

const allTypes = [
  {name: "s", type: "VARCHAR"},
  {name: "b", type: "BOOLEAN"},
  {name: "i", type: "INTEGER"},
  {name: "big", type: "BIGINT"},
  {name: "x", type: "DOUBLE"},
  {name: "ts", type: "TIMESTAMP"},
  {name: "d", type: "DATE"},
  {name: "price", type: "DECIMAL(38,18)"},
  {name: "j", type: "JSON"}
];

describe("Parquet I/O", () => {
  test("every supported type round-trips exactly", async () => {
    const path = join(dir, "types.parquet");
    await writeParquet({
      path,
      columns: allTypes,
      rows: [
        {
          s: "café",
          b: true,
          i: -7,
          big: 9007199254740993n,
          x: 0.1,
          ts: new Date("2024-01-02T03:04:05.678Z"),
          d: "2024-02-29",
          price: "67123.450000000000000001",
          j: {a: [1, 2]}
        },
        {
          s: null,
          b: false,
          i: 0,
          big: 1714979289123000000n,
          x: Number.NaN,
          ts: 1714979289123000000n,
          d: new Date("2024-03-01T00:00:00Z"),
          price: 0.5,
          j: "[]"
        }
      ]
    });
    const rows = await readParquetAll({
      path,
      sql: "SELECT * EXCLUDE (price, j), price::VARCHAR AS price, j::VARCHAR AS j FROM t"
    });
    expect(rows).toEqual([
      {
        s: "café",
        b: true,
        i: -7,
        big: 9007199254740993n,
        x: 0.1,
        ts: new Date("2024-01-02T03:04:05.678Z"),
        d: new Date("2024-02-29T00:00:00Z"),
        price: "67123.450000000000000001",
        j: '{"a":[1,2]}'
      },
      {
        s: null,
        b: false,
        i: 0,
        big: 1714979289123000000n,
        x: null,
        ts: new Date("2024-05-06T07:08:09.123Z"),
        d: new Date("2024-03-01T00:00:00Z"),
        price: "0.500000000000000000",
        j: "[]"
      }
    ]);
    expect((await parquetSchema({path})).map((c) => c.type)).toEqual([
      "VARCHAR",
      "BOOLEAN",
      "INTEGER",
      "BIGINT",
      "DOUBLE",
      "TIMESTAMP",
      "DATE",
      "DECIMAL(38,18)",
      "JSON"
    ]);
  });

  test("streams two million rows from an async generator, ZSTD-compressed", async () => {
    const path = join(dir, "big.parquet");
    async function* batches() {
      for (let i = 0; i < 2_000_000; i += 50_000)
        yield Array.from({length: 50_000}, (_, k) => ({id: i + k, v: (i + k) % 10}));
    }
    const progress: number[] = [];
    const {rows} = await writeParquet({
      path,
      columns: [
        {name: "id", type: "BIGINT"},
        {name: "v", type: "INTEGER"}
      ],
      rows: batches(),
      onProgress: (n) => progress.push(n)
    });
    expect(rows).toBe(2_000_000);
    expect(progress.at(-1)).toBe(2_000_000);
    expect(await parquetRowCount({path})).toBe(2_000_000);
    const [sum] = await readParquetAll({path, sql: "SELECT sum(v)::BIGINT AS s, count(DISTINCT id) AS n FROM t"});
    expect(sum).toEqual({s: 9_000_000n, n: 2_000_000n});
    const duck = await openDuckDB();
    const codecs = await duck.all<{c: string}>(`SELECT DISTINCT compression AS c FROM parquet_metadata('${path}')`);
    duck.close();
    expect(codecs.map((c) => c.c)).toEqual(["ZSTD"]);
    let batchesRead = 0,
      count = 0;
    for await (const batch of readParquet({path})) (batchesRead++, (count += batch.length));
    expect(count).toBe(2_000_000);
    expect(batchesRead).toBeGreaterThan(10);
  });

  test("a failed write leaves neither the target nor a temporary file, and keeps an older file intact", async () => {
    const path = join(dir, "t.parquet");
    await writeParquet({path, columns: [{name: "n", type: "INTEGER"}], rows: [{n: 1}, {n: 2}]});
    const before = readFileSync(path);
    async function* failing() {
      yield [{n: 3}];
      throw new Error("source died");
    }
    await expect(writeParquet({path, columns: [{name: "n", type: "INTEGER"}], rows: failing()})).rejects.toThrow(
      "source died"
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["t.parquet"]);
    await expect(
      writeParquet({path: join(dir, "new.parquet"), columns: [{name: "n", type: "INTEGER"}], rows: [{n: "seven"}]})
    ).rejects.toThrow(/row 1, column n: cannot store "seven" as INTEGER/);
    expect(readdirSync(dir)).toEqual(["t.parquet"]);
  });

  test("rows can be printed as Parquet for a data loader", async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c) => chunks.push(c));
    await writeRowsAsParquetToStream({columns: [{name: "k", type: "VARCHAR"}], rows: [{k: "a"}, {k: "b"}], out});
    const path = join(dir, "emitted.parquet");
    writeFileSync(path, Buffer.concat(chunks));
    expect(await readParquetAll({path})).toEqual([{k: "a"}, {k: "b"}]);
  });
});

describe("typed-array columns to Parquet", () => {
  test("columns appended a vector at a time, across vectors and from an offset, come back exactly through COPY", async () => {
    const duck = await openDuckDB({path: ":memory:"});
    try {
      const n = 5000;
      const appender = await createChunkAppender({
        duck,
        table: "t",
        columns: [
          {name: "x", type: "DOUBLE"},
          {name: "k", type: "UTINYINT"}
        ]
      });
      const x = Float64Array.from({length: n}, (_, i) => i / 4),
        k = Uint8Array.from({length: n}, (_, i) => i % 3);
      appender.append([x, k], 0, 3000);
      appender.append([x, k], 3000, n);
      appender.close();
      expect(appender.rows).toBe(n);
      const path = join(dir, "columns.parquet");
      await copyQueryToParquet({duck, path, sql: "SELECT x, k::INTEGER AS k FROM t ORDER BY x DESC"});
      const rows = await readParquetAll({path});
      expect(rows.length).toBe(n);
      expect(rows[0]).toEqual({x: (n - 1) / 4, k: (n - 1) % 3});
      expect(rows.reduce((a, r) => a + (r.x as number), 0)).toBe((n * (n - 1)) / 8);
      expect(rows.filter((r) => r.k === 2).length).toBe(Math.floor(n / 3));
    } finally {
      duck.close();
    }
  });
});

describe("sha256File", () => {
  test("matches node:crypto and sha256sum on a 1 MB file", async () => {
    const path = join(dir, "blob.bin");
    const data = Buffer.alloc(1_000_003, 0);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 251;
    writeFileSync(path, data);
    const ours = await sha256File({path});
    expect(ours).toBe(createHash("sha256").update(data).digest("hex"));
    expect(ours).toBe(execFileSync("sha256sum", [path], {encoding: "utf-8"}).split(" ")[0]);
    expect(existsSync(path)).toBe(true);
  });
});
