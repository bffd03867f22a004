import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import pg from "pg";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {feedSequence, startAmiFeed} from "../../src/lib/meters/feed-server.js";
import {openPostgresSink} from "../../src/lib/meters/postgres-sink.js";
import {afterFirstCommits, exitCode, killHard, spawnLander} from "./lander-process.js";

const url = process.env.LAB_TEST_POSTGRES_URL;
if (!url) {
  if (process.env.CI)
    throw new Error("LAB_TEST_POSTGRES_URL is not set: CI must start PostgreSQL (tools/postgres-up.sh)");
  console.warn(
    "postgres tests skipped: no server (run `export LAB_TEST_POSTGRES_URL=$(bash tools/postgres-up.sh)` to enable them)"
  );
}
const START = new Date("2024-06-02T18:30:00Z");

describe.skipIf(!url)("dual write to PostgreSQL", () => {
  const schema = `lab_test_${process.pid}_${Date.now() % 100000}`;
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({connectionString: url});
    await client.connect();
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  test("upserts are idempotent on (meter_id, reading_ts)", async () => {
    const sink = await openPostgresSink({url: url!, schema, table: "idempotent"});
    const rows = [...feedSequence({meters: 20, days: 1, pattern: "UNIFORM", seed: 1, start: START})]
      .slice(0, 500)
      .map((r) => ({...r, reading_ts: r.reading_ts.toISOString()}));
    // The feed itself re-sends some readings (as head ends do): those count once.
    const distinct = new Set(rows.map((r) => `${r.meter_id} ${r.reading_ts}`)).size;
    expect(distinct).toBeLessThan(500);
    expect(await sink.write(rows, new Date())).toBe(distinct);
    expect(await sink.write(rows.slice(100, 300), new Date())).toBe(0);
    await sink.close();
    const {
      rows: [count]
    } = await client.query(
      `SELECT count(*)::int AS n, count(DISTINCT (meter_id, reading_ts))::int AS d FROM ${schema}.idempotent`
    );
    expect(count).toEqual({n: distinct, d: distinct});
  });

  test("a lander killed mid-stream and restarted leaves each reading in PostgreSQL exactly once", async () => {
    const feed = await startAmiFeed({
      token: "pg",
      ratePerSecond: 5000,
      meters: 300,
      days: 1,
      pattern: "DEGRADED",
      seed: 5,
      start: START
    });
    const sequence = [...feedSequence({meters: 300, days: 1, pattern: "DEGRADED", seed: 5, start: START})];
    const distinct = new Set(sequence.map((r) => `${r.meter_id} ${r.reading_ts.toISOString()}`)).size;
    const out = mkdtempSync(join(tmpdir(), "land-pg-"));
    const args = [feed.url, "--out", out, "--commit-ms", "100", "--pg-schema", schema];
    const env = {LAB_AMI_TOKEN: "pg", LAB_POSTGRES_URL: url!};
    const first = spawnLander({args, env});
    await afterFirstCommits(first);
    await killHard(first);
    const second = spawnLander({args, env});
    expect(await exitCode(second), second.log()).toBe(0);
    await feed.close();
    const {
      rows: [count]
    } = await client.query(`SELECT count(*)::int AS n FROM ${schema}.readings`);
    expect(count.n).toBe(distinct);
  }, 90_000);
});
