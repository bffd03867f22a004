/**
 * The PostgreSQL topic sink against a real server: each configured topic's current view mirrored
 * into a table after every pass, with its dataset column; a deleted or changed file's rows leave
 * it; a rerun changes nothing; a reader polling during a pass sees the table before or after it.
 */
import {rmSync} from "node:fs";
import {join} from "node:path";
import pg from "pg";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {postgresType, type PostgresSinkSetting} from "../../src/lib/catalog/pg-sink.js";
import {makeProject} from "./helpers.js";

const url = process.env.LAB_TEST_POSTGRES_URL;
if (!url) {
  if (process.env.CI)
    throw new Error("LAB_TEST_POSTGRES_URL is not set: CI must start PostgreSQL (tools/postgres-up.sh)");
  console.warn("postgres sink tests skipped: no server (export LAB_TEST_POSTGRES_URL=$(bash tools/postgres-up.sh))");
}

test("DuckDB types map to PostgreSQL's; nested values travel as JSON", () => {
  expect(postgresType("BIGINT")).toBe("bigint");
  expect(postgresType("DECIMAL(18,3)")).toBe("numeric(18, 3)");
  expect(postgresType("TIMESTAMP WITH TIME ZONE")).toBe("timestamptz");
  expect(postgresType("VARCHAR[]")).toBe("jsonb");
  expect(postgresType("STRUCT(a INTEGER)")).toBe("jsonb");
  expect(postgresType("ENUM('a', 'b')")).toBe("text");
});

describe.skipIf(!url)("the PostgreSQL sink", () => {
  // A schema of its own: other helpers' tests use the same server.
  const schema = `lab_sink_test_${process.pid}_${Date.now() % 100000}`;
  const env = "LAB_TEST_SINK_URL";
  const client = new pg.Client({connectionString: url});
  beforeAll(async () => {
    process.env[env] = url;
    await client.connect();
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    delete process.env[env];
  });
  const rows = async (sql: string) => (await client.query(sql)).rows;

  test("mirrors the current view per topic, applies retractions, is idempotent and atomic for readers", async () => {
    const p = makeProject({
      topicSinks: {
        raw_sales: {postgres: {urlEnv: env, schema}},
        catalog_files: {postgres: {urlEnv: env, schema, table: "lab_files"}},
        raw_missing: {postgres: {urlEnv: "LAB_TEST_SINK_URL_UNSET", schema}}
      }
    });
    p.write("datasets/sales/jan.csv", "day,amount\n2024-01-01,10\n2024-01-02,12\n");
    p.write("datasets/sales/feb.csv", "day,amount\n2024-02-01,20\n");
    const first = await p.ingest();
    expect(first.sinks?.map((s) => [s.target, s.action, s.rows])).toEqual([
      [`${schema}.raw_sales`, "created", 3],
      [`${schema}.lab_files`, "created", 2],
      [`${schema}.raw_missing`, "absent", 0]
    ]);
    expect(
      await rows(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'raw_sales' ORDER BY ordinal_position`
      )
    ).toEqual([
      {column_name: "day", data_type: "date"},
      {column_name: "amount", data_type: "bigint"},
      {column_name: "dataset", data_type: "text"},
      {column_name: "_job_id", data_type: "bigint"},
      {column_name: "_file_version_id", data_type: "bigint"},
      {column_name: "_file_id", data_type: "bigint"}
    ]);
    const mirror = () =>
      rows(`SELECT to_char(day, 'YYYY-MM-DD') AS day, amount::int, dataset FROM ${schema}.raw_sales ORDER BY day`);
    const view = async () =>
      (
        await p.query(
          ["raw_sales"],
          "SELECT strftime(day, '%Y-%m-%d') AS day, amount::INT AS amount, dataset FROM raw_sales ORDER BY day"
        )
      ).map((r) => ({...r}));
    expect(await mirror()).toEqual(await view());
    expect(await mirror()).toEqual([
      {day: "2024-01-01", amount: 10, dataset: "sales"},
      {day: "2024-01-02", amount: 12, dataset: "sales"},
      {day: "2024-02-01", amount: 20, dataset: "sales"}
    ]);

    // A rerun over the same view changes nothing. (The catalog's snapshots are new files at every
    // pass, so a mirror of one is replaced whole, with the same rows.)
    const again = await p.ingest();
    expect(again.sinks?.slice(0, 2).map((s) => [s.action, s.rows])).toEqual([
      ["unchanged", 3],
      ["replaced", 2]
    ]);

    // A deleted file's rows leave the table; a changed file's old rows too.
    rmSync(join(p.dir, "datasets/sales/jan.csv"));
    p.write("datasets/sales/feb.csv", "day,amount\n2024-02-01,21\n2024-02-02,22\n");
    const third = await p.ingest();
    expect(third.sinks?.[0]).toMatchObject({action: "updated", rows: 2, added: 2, removed: 3});
    expect(await mirror()).toEqual([
      {day: "2024-02-01", amount: 21, dataset: "sales"},
      {day: "2024-02-02", amount: 22, dataset: "sales"}
    ]);
    expect(await mirror()).toEqual(await view());
    expect(await rows(`SELECT count(*)::int AS n FROM ${schema}.lab_files`)).toEqual([{n: 2}]);
    expect(await rows(`SELECT table_name, topic, rows::int FROM ${schema}.lab_sink_state ORDER BY 1`)).toEqual([
      {table_name: "lab_files", topic: "catalog_files", rows: 2},
      {table_name: "raw_sales", topic: "raw_sales", rows: 2}
    ]);

    // A reader polling through a pass that adds 30,000 rows (several insert batches) sees the
    // table before the pass or after it, never in between.
    const big = ["day,amount", ...Array.from({length: 30_000}, (_, i) => `2024-03-01,${i}`)].join("\n") + "\n";
    p.write("datasets/sales/mar.csv", big);
    const reader = new pg.Client({connectionString: url});
    await reader.connect();
    const seen = new Set<number>();
    let polling = true;
    const poll = (async () => {
      while (polling) {
        seen.add((await reader.query(`SELECT count(*)::int AS n FROM ${schema}.raw_sales`)).rows[0].n);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const fourth = await p.ingest();
    polling = false;
    await poll;
    await reader.end();
    expect(fourth.sinks?.[0]).toMatchObject({action: "updated", rows: 30_002, added: 30_000, removed: 0});
    expect([...seen].every((n) => n === 2 || n === 30_002)).toBe(true);
    expect(seen.has(2)).toBe(true);
  }, 180_000);

  test("a sink without its URL fails naming lab.config.ts, and the ingest's Parquet view is still written", async () => {
    const p = makeProject({topicSinks: {raw_sales: {postgres: {urlEnv: "LAB_TEST_SINK_URL_UNSET", schema}}}});
    p.write("datasets/sales/jan.csv", "day,amount\n2024-01-01,10\n");
    const summary = await p.ingest();
    expect(summary.jobsCompleted).toBe(1);
    expect(summary.sinks).toEqual([
      expect.objectContaining({
        action: "failed",
        error:
          "lab.config.ts:topicSinks.raw_sales.postgres: $LAB_TEST_SINK_URL_UNSET is unset (hint: export the variable urlEnv names, or set urlFile to a file holding the URL)"
      })
    ]);
    expect(await p.query(["raw_sales"], "SELECT count(*)::INT AS n FROM raw_sales")).toEqual([{n: 1}]);
    // A URL written into the config itself is refused: it holds a password.
    const inline = await p.ingest({
      topicSinks: {raw_sales: {postgres: {url: "postgres://u:secret@h/db", schema} as PostgresSinkSetting}}
    });
    expect(inline.sinks?.[0]?.error).toBe(
      "lab.config.ts:topicSinks.raw_sales.postgres: a URL holds a password: it never goes into lab.config.ts (hint: name an environment variable (urlEnv) or a file (urlFile) holding it)"
    );
  }, 60_000);
});
