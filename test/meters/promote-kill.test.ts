import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import pg from "pg";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {quoteList} from "../../src/lib/core/sql.js";
import {feedSequence, startAmiFeed} from "../../src/lib/meters/feed-server.js";
import {readCheckpoint} from "../../src/lib/meters/land.js";
import {silverFiles} from "../../src/lib/meters/promote-batch.js";
import {readWatermark} from "../../src/lib/meters/promote-state.js";
import {exitCode, killHard, spawnLander} from "./lander-process.js";

const START = new Date("2024-06-02T18:30:00Z");
const FEED = {meters: 200, days: 1, pattern: "DEGRADED", seed: 5, start: START} as const;
const pgUrl = process.env.LAB_TEST_POSTGRES_URL;

/** What a run leaves in committed silver and gold: counts and sums, comparable across runs. */
async function medallionStats(dir: string) {
  const {batch} = readWatermark(dir);
  const duck = await openDuckDB();
  const silver = silverFiles({outDir: dir, table: "readings", upTo: batch});
  const issues = silverFiles({outDir: dir, table: "reading_issues", upTo: batch});
  const gold = (table: string) => `read_parquet('${join(dir, "gold", table, "*.parquet")}')`;
  try {
    return {
      silver: await duck.one<{rows: number; readings: number; kwh: number; offsets: number}>(
        `SELECT count(*)::INT AS rows, count(DISTINCT (meter_id, reading_ts))::INT AS readings, round(sum(usage_kwh), 3) AS kwh,
                count(DISTINCT feed_offset)::INT AS offsets FROM read_parquet(${quoteList(silver)})`
      ),
      issues: await duck.one<{rows: number}>(`SELECT count(*)::INT AS rows FROM read_parquet(${quoteList(issues)})`),
      hourly: await duck.one(
        `SELECT count(*)::INT AS rows, sum(readings)::INT AS readings, round(sum(usage_kwh), 3) AS kwh FROM ${gold("meter_hourly")}`
      ),
      daily: await duck.one(
        `SELECT count(*)::INT AS rows, sum(readings)::INT AS readings, round(sum(usage_kwh), 3) AS kwh, sum(outage_minutes)::INT AS outage FROM ${gold("meter_daily")}`
      ),
      segments: await duck.one(
        `SELECT sum(meters)::INT AS meters, round(sum(usage_kwh), 3) AS kwh FROM ${gold("segment_daily")}`
      )
    };
  } finally {
    duck.close();
  }
}

/** Resolves once the lander's checkpoint passed `offset`. */
async function landedPast({out, offset, child}: {out: string; offset: number; child: ReturnType<typeof spawnLander>}) {
  for (const started = Date.now(); readCheckpoint(out) < offset; await new Promise((r) => setTimeout(r, 50)))
    if (Date.now() - started > 60_000 || child.exitCode !== null)
      throw new Error(`the lander did not land past offset ${offset}:\n${child.log()}`);
}

/** Resolves once the lander printed `stall: at POINT` (it then waits there to be killed). */
function stalled(child: ReturnType<typeof spawnLander>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never stalled:\n${child.log()}`)), 40_000);
    const check = () => /stall: at /.test(child.log()) && (clearTimeout(timer), resolve());
    child.stdout!.on("data", check);
    child.once("exit", () => (clearTimeout(timer), reject(new Error(`exited before stalling:\n${child.log()}`))));
  });
}

describe("streaming medallion under SIGKILL", () => {
  let feed: Awaited<ReturnType<typeof startAmiFeed>>;
  let reference: Awaited<ReturnType<typeof medallionStats>>;
  const sequence = [...feedSequence(FEED)];
  const distinct = new Set(sequence.map((r) => `${r.meter_id} ${r.reading_ts.toISOString()}`)).size;
  const env = {LAB_AMI_TOKEN: "kill"};
  const argsFor = (out: string) => [feed.url, "--out", out, "--commit-ms", "100", "--promote-ms", "400"];

  beforeAll(async () => {
    feed = await startAmiFeed({token: "kill", ratePerSecond: 5000, ...FEED});
    const out = mkdtempSync(join(tmpdir(), "promote-ref-"));
    const run = spawnLander({args: argsFor(out), env});
    expect(await exitCode(run), run.log()).toBe(0);
    expect(run.log()).toMatch(/promote: batch [3-9]/);
    reference = await medallionStats(out);
  }, 120_000);
  afterAll(() => feed.close());

  test("an uninterrupted run promotes every distinct reading once", () => {
    expect(reference.silver.readings + reference.issues.rows).toBe(distinct);
    expect(reference.silver.rows).toBe(reference.silver.readings);
    expect(reference.hourly.readings).toBe(reference.silver.rows);
    expect(reference.daily.kwh).toBeCloseTo(reference.silver.kwh, 2);
  });

  test.each([
    ["promote:planned:2", "after a batch's manifest, before its outputs"],
    ["promote:mid-outputs:2", "with the batch's silver in place and its gold not"],
    ["promote:outputs-placed:2", "between the batch's outputs and its watermark"],
    ["land:part-written:6", "between a bronze part and the lander's checkpoint"]
  ])(
    "killed at %s (%s) and restarted: silver and gold equal the uninterrupted run's",
    async (point) => {
      const out = mkdtempSync(join(tmpdir(), "promote-kill-"));
      const first = spawnLander({args: argsFor(out), env: {...env, LAB_STALL_AT: point}});
      await stalled(first);
      await killHard(first);
      const second = spawnLander({args: argsFor(out), env});
      expect(await exitCode(second), second.log()).toBe(0);
      if (point.startsWith("promote:")) expect(second.log()).toContain("promote: batch 2 (redone after a restart)");
      expect(await medallionStats(out)).toEqual(reference);
    },
    180_000
  );

  test("killed three times at arbitrary moments while parts land and batches run, then left to finish: the same silver and gold", async () => {
    // A slower feed of the same readings, so the stream outlasts three kills on a busy machine.
    const slow = await startAmiFeed({token: "kill", ratePerSecond: 1500, ...FEED});
    try {
      const out = mkdtempSync(join(tmpdir(), "promote-kill-any-"));
      const args = [slow.url, ...argsFor(out).slice(1)];
      for (const delayMs of [150, 700, 1300]) {
        const from = readCheckpoint(out);
        const run = spawnLander({args, env});
        await landedPast({out, offset: from + 500, child: run});
        await new Promise((r) => setTimeout(r, delayMs));
        await killHard(run);
      }
      expect(readCheckpoint(out)).toBeLessThan(sequence.length);
      const last = spawnLander({args, env});
      expect(await exitCode(last), last.log()).toBe(0);
      expect(await medallionStats(out)).toEqual(reference);
    } finally {
      await slow.close();
    }
  }, 240_000);

  test("Ctrl-C lands what it holds, promotes it and exits 0 with the watermark at the checkpoint", async () => {
    const slow = await startAmiFeed({token: "kill", ratePerSecond: 1500, ...FEED});
    try {
      const out = mkdtempSync(join(tmpdir(), "promote-sigint-"));
      const run = spawnLander({args: [slow.url, ...argsFor(out).slice(1, -1), "60000"], env});
      await landedPast({out, offset: 2000, child: run});
      run.kill("SIGINT");
      expect(await exitCode(run), run.log()).toBe(0);
      expect(readWatermark(out).offset).toBe(readCheckpoint(out));
      expect(run.log()).toMatch(/promote: 1 batch\(es\), silver \+\d+ readings/);
    } finally {
      await slow.close();
    }
  }, 120_000);

  test.skipIf(!pgUrl)(
    "killed between PostgreSQL and the checkpoint, the restart leaves each reading in PostgreSQL once",
    async () => {
      const schema = `lab_promote_${process.pid}`;
      const out = mkdtempSync(join(tmpdir(), "promote-kill-pg-"));
      const args = [...argsFor(out), "--pg-schema", schema];
      const pgEnv = {...env, LAB_POSTGRES_URL: pgUrl!};
      const first = spawnLander({args, env: {...pgEnv, LAB_STALL_AT: "land:part-written:4"}});
      await stalled(first);
      await killHard(first);
      const second = spawnLander({args, env: pgEnv});
      expect(await exitCode(second), second.log()).toBe(0);
      const client = new pg.Client({connectionString: pgUrl});
      await client.connect();
      try {
        const {rows} = await client.query(
          `SELECT count(*)::int AS n, count(DISTINCT (meter_id, reading_ts))::int AS d FROM ${schema}.readings`
        );
        expect(rows[0]).toEqual({n: distinct, d: distinct});
      } finally {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
      expect(await medallionStats(out)).toEqual(reference);
    },
    180_000
  );
});
