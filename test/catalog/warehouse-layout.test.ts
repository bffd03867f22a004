/**
 * The warehouse as outside readers see it: a plain glob over a topic's folder, or a hive-partitioned
 * read of it, returns exactly the current view, through edits, reverts, deletions and collection.
 */
import {existsSync, readdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {ingest} from "../../src/lib/catalog/ingest.js";
import {openDuckDB, type Row} from "../../src/lib/core/duckdb.js";
import {quoteString} from "../../src/lib/core/sql.js";
import {makeProject} from "./helpers.js";

const builtins = {plugins: [], derivations: [], routing: [], pipelines: ["shop"]};
const ROWS = "SELECT dataset, day::VARCHAR AS day, amount::INT AS amount FROM t ORDER BY ALL";

async function duckdb(sql: string): Promise<Row[]> {
  const duck = await openDuckDB();
  try {
    return await duck.all(sql);
  } finally {
    duck.close();
  }
}

describe("a warehouse others can read", () => {
  test("a plain glob and a hive-partitioned read of a topic return exactly the current view", async () => {
    const p = makeProject();
    const run = (overrides: Partial<typeof p.config> = {}) =>
      ingest({
        paths: p.paths,
        config: {...p.config, ...overrides},
        builtins,
        output: {write: () => {}, isTTY: false},
        log: () => {}
      });
    const topicDir = join(p.paths.warehouseDir, "raw_shop");
    const glob = () => duckdb(ROWS.replace("FROM t", `FROM read_parquet(${quoteString(`${topicDir}/**/*.parquet`)})`));
    const hive = (where = "true") =>
      duckdb(
        ROWS.replace(
          "FROM t",
          `FROM read_parquet(${quoteString(`${topicDir}/*/*.parquet`)}, hive_partitioning = true) WHERE ${where}`
        )
      );
    const view = () => p.query(["raw_shop"], ROWS.replace("FROM t", "FROM raw_shop"));
    const north = "day,amount\n2024-01-01,10\n2024-01-02,12\n2024-01-03,14\n";
    p.write("datasets/shop/north/jan.csv", north);
    p.write("datasets/shop/south/jan.csv", "day,amount\n2024-01-01,100\n2024-01-02,200\n");
    p.write("datasets/shop/loose.csv", "day,amount\n2024-01-01,1\n");
    await run();
    expect((await view()).length).toBe(6);
    expect(await glob()).toEqual(await view());
    expect(readdirSync(topicDir).sort()).toEqual(["dataset=default", "dataset=north", "dataset=south"]);
    expect(await hive("dataset = 'south'")).toEqual([
      {dataset: "south", day: "2024-01-01", amount: 100},
      {dataset: "south", day: "2024-01-02", amount: 200}
    ]);

    // An edited file: its old rows leave the folders, not only the manifest.
    p.write("datasets/shop/north/jan.csv", "day,amount\n2024-01-01,11\n");
    await run();
    expect(await view()).toEqual([
      {dataset: "default", day: "2024-01-01", amount: 1},
      {dataset: "north", day: "2024-01-01", amount: 11},
      {dataset: "south", day: "2024-01-01", amount: 100},
      {dataset: "south", day: "2024-01-02", amount: 200}
    ]);
    expect(await glob()).toEqual(await view());
    expect(await hive()).toEqual(await view());
    const parked = join(p.paths.warehouseDir, "_superseded", "raw_shop", "dataset=north");
    expect(readdirSync(parked)).toHaveLength(1);

    // Edited back: the old version's job is current again, its file returns without rerunning it.
    p.write("datasets/shop/north/jan.csv", north);
    const back = await run();
    expect(back.jobsQueued).toBe(0);
    expect((await view()).filter((r) => r.dataset === "north").map((r) => r.amount)).toEqual([10, 12, 14]);
    expect(await glob()).toEqual(await view());

    // A deleted file: its dataset's folder goes with its last file.
    rmSync(join(p.dir, "datasets/shop/south/jan.csv"));
    await run();
    expect(await glob()).toEqual(await view());
    expect(existsSync(join(topicDir, "dataset=south"))).toBe(false);

    // Collection: superseded files older than the retention are deleted at the next start, their
    // jobs marked COLLECTED; content that comes back is processed afresh.
    const collected = await run({supersededRetentionMs: 0});
    expect(collected.jobsQueued).toBe(0);
    expect(existsSync(join(p.paths.warehouseDir, "_superseded", "raw_shop"))).toBe(false);
    expect(await p.catalog("SELECT status, count(*)::INT AS n FROM jobs GROUP BY 1 ORDER BY 1")).toEqual([
      {status: "COLLECTED", n: 2},
      {status: "COMPLETED", n: 2}
    ]);
    p.write("datasets/shop/south/jan.csv", "day,amount\n2024-01-01,100\n2024-01-02,200\n");
    const revived = await run();
    expect(revived.jobsCompleted).toBe(1);
    expect(await glob()).toEqual(await view());
    expect((await view()).length).toBe(6);
  }, 120_000);
});
