import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, describe, expect, test} from "vitest";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {SliceReader} from "../../../src/lib/market/replay/slice-reader.js";

const dir = mkdtempSync(join(tmpdir(), "slice-reader-"));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

/** Every row the reader gives from `fromRow` on, as [a, b] pairs. */
async function readAll(sliceBytes: number, fromRow: number): Promise<{rows: number[][]}> {
  const duck = await openDuckDB();
  const path = join(dir, "rows.parquet");
  const reader = await SliceReader.open({duck, path, expressions: ["a::DOUBLE", "b::DOUBLE"], fromRow, sliceBytes});
  const rows: number[][] = [];
  for (let c = await reader.next(); c; c = await reader.next()) {
    const v = c.columns[0]!;
    for (let r = 0; r < c.n; r++) rows.push([v[2 * r]!, v[2 * r + 1]!]);
  }
  reader.close();
  duck.close();
  return {rows};
}

describe("slice reader", () => {
  test("slices of whole row groups and the streaming read of wide rows give every row from fromRow on, in file order", async () => {
    const duck = await openDuckDB();
    // 50,000 rows in row groups of 10,000 (the last slice of groups ends the file).
    await duck.run(
      `COPY (SELECT i AS a, i * 7 % 1000 AS b FROM range(50000) t(i)) TO '${join(dir, "rows.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 10000)`
    );
    duck.close();
    const expected = (from: number) =>
      Array.from({length: 50000 - from}, (_, k) => [from + k, ((from + k) * 7) % 1000]);
    for (const from of [0, 12345, 49999]) {
      // 16 bytes a row: 320,000 bytes is two groups a slice; 1,000 bytes cannot hold a group (stream).
      for (const sliceBytes of [320_000, 1_000]) {
        const {rows} = await readAll(sliceBytes, from);
        expect(rows.length, `from ${from}, ${sliceBytes} bytes a slice`).toBe(50000 - from);
        expect(rows).toEqual(expected(from));
      }
    }
    expect((await readAll(320_000, 50000)).rows).toEqual([]);
  });
});
