import {existsSync, mkdtempSync, readdirSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {PartitionedWriter, type ColumnSpec} from "../../src/lib/parquet-writer/index.js";

const BASE = 1709251200000000000n - 3_600_000_000_000n; // 2024-02-29T23:00Z
const HOUR = 3.6e12;
const columns: ColumnSpec[] = [
  {name: "symbol", type: "ENUM", labels: ["BTCUSDT"], constant: true},
  {name: "t", type: "INT64", add: BASE, statistics: true},
  {name: "v", type: "DOUBLE"}
];
/** Rows at `from`…`to` hours after the base, one every 6 minutes. */
function rows(from: number, to: number): [Uint8Array, Float64Array, Float64Array] {
  const t = Float64Array.from({length: (to - from) * 10}, (_, i) => (from + i / 10) * HOUR);
  return [new Uint8Array(t.length), t, Float64Array.from(t, (x) => x / HOUR)];
}
const files = (dir: string) =>
  readdirSync(dir, {recursive: true, encoding: "utf-8"})
    .filter((f) => f.includes("."))
    .sort();

describe("partitioned writer", () => {
  test("a file a UTC day; resumed from a checkpoint taken before a day ended, it rewrites that day and drops the next", async () => {
    const dir = mkdtempSync(join(tmpdir(), "partitioned-"));
    const spec = {dir, prefix: "symbol=BTCUSDT", timeColumn: 1};
    const clean = new PartitionedWriter(spec, columns);
    clean.writeRowGroup(rows(0, 3), 0, 30);
    clean.writeRowGroup(rows(3, 26), 0, 230);
    clean.close();
    expect(files(dir)).toEqual([
      join("symbol=BTCUSDT", "day=2024-02-29", "part-0.parquet"),
      join("symbol=BTCUSDT", "day=2024-03-01", "part-0.parquet"),
      join("symbol=BTCUSDT", "day=2024-03-02", "part-0.parquet")
    ]);
    const duck = await openDuckDB();
    const read = () =>
      duck.all<{day: string; n: bigint; lo: bigint; hi: bigint; s: number}>(
        `SELECT day::VARCHAR AS day, count(*) AS n, min(t) AS lo, max(t) AS hi, sum(v) AS s FROM read_parquet('${dir}/**/*.parquet') GROUP BY day ORDER BY day`
      );
    const expected = await read();
    expect(expected.map((d) => [d.day, Number(d.n)])).toEqual([
      ["2024-02-29", 10],
      ["2024-03-01", 240],
      ["2024-03-02", 10]
    ]);

    // Killed after the first day's file was finished, resumed from a checkpoint taken inside it.
    const other = mkdtempSync(join(tmpdir(), "partitioned-"));
    const killed = new PartitionedWriter({...spec, dir: other}, columns);
    killed.writeRowGroup(rows(0, 0.5), 0, 5);
    const state = killed.state();
    killed.writeRowGroup(rows(0.5, 26), 0, 255);
    expect(existsSync(join(other, "symbol=BTCUSDT", "day=2024-03-02", "part-0.parquet.partial"))).toBe(true);
    const resumed = new PartitionedWriter({...spec, dir: other}, columns, state);
    expect(files(other)).toEqual([join("symbol=BTCUSDT", "day=2024-02-29", "part-0.parquet.partial")]);
    resumed.writeRowGroup(rows(0.5, 3), 0, 25);
    resumed.writeRowGroup(rows(3, 26), 0, 230);
    resumed.close();
    const again = await duck.all<{day: string; n: bigint; lo: bigint; hi: bigint; s: number}>(
      `SELECT day::VARCHAR AS day, count(*) AS n, min(t) AS lo, max(t) AS hi, sum(v) AS s FROM read_parquet('${other}/**/*.parquet') GROUP BY day ORDER BY day`
    );
    expect(again).toEqual(expected);
    // Statistics: each file's min and max time, for pruning.
    const stats = await duck.all<{lo: string; hi: string}>(
      `SELECT stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata('${other}/**/*.parquet') WHERE path_in_schema = 't' ORDER BY file_name, row_group_id`
    );
    expect(BigInt(stats[0]!.lo)).toBe(BASE);
    expect(BigInt(stats.at(-1)!.hi)).toBe(expected.at(-1)!.hi);
    duck.close();
  });
});
