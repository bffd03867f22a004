import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {feedSequence, startAmiFeed} from "../../src/lib/meters/feed-server.js";
import {landAmi, percentile} from "../../src/lib/meters/land.js";
import {afterFirstCommits, exitCode, killHard, spawnLander} from "./lander-process.js";

const START = new Date("2024-06-02T18:30:00Z");

async function bronzeStats(dir: string) {
  const duck = await openDuckDB();
  try {
    const [row] = await duck.all<{rows: bigint; offsets: bigint; max_offset: bigint; silver: bigint}>(`
      SELECT count(*) AS rows, count(DISTINCT feed_offset) AS offsets, max(feed_offset) AS max_offset,
             count(DISTINCT (payload->>'meter_id', payload->>'reading_ts')) AS silver
      FROM read_parquet('${join(dir, "bronze", "*.parquet")}')`);
    return {
      rows: Number(row!.rows),
      offsets: Number(row!.offsets),
      maxOffset: Number(row!.max_offset),
      silver: Number(row!.silver)
    };
  } finally {
    duck.close();
  }
}

describe("AMI stream", () => {
  let feed: Awaited<ReturnType<typeof startAmiFeed>>;
  const sequence = [...feedSequence({meters: 200, days: 1, pattern: "PARTIAL", seed: 3, start: START})];
  const distinctReadings = new Set(sequence.map((r) => `${r.meter_id} ${r.reading_ts.toISOString()}`)).size;

  beforeAll(async () => {
    feed = await startAmiFeed({
      token: "t0ken",
      ratePerSecond: 5000,
      meters: 200,
      days: 1,
      pattern: "PARTIAL",
      seed: 3,
      start: START
    });
  });
  afterAll(() => feed.close());

  test("clients without the token are refused with 401", async () => {
    await expect(landAmi({url: feed.url, token: "nope", outDir: mkdtempSync(join(tmpdir(), "land-"))})).rejects.toThrow(
      "the feed refused our token (401)"
    );
  });

  test("killed mid-stream and restarted, the lander leaves every reading in bronze at least once and in silver exactly once", async () => {
    const out = mkdtempSync(join(tmpdir(), "land-kill-"));
    const args = [feed.url, "--out", out, "--commit-ms", "100"];
    const env = {LAB_AMI_TOKEN: "t0ken"};
    const first = spawnLander({args, env});
    await afterFirstCommits(first);
    await killHard(first);
    const partial = await bronzeStats(out);
    expect(partial.offsets).toBeLessThan(sequence.length);
    const second = spawnLander({args, env});
    expect(await exitCode(second), second.log()).toBe(0);
    expect(second.log()).toContain(`${sequence.length} readings committed (feed ended)`);
    const stats = await bronzeStats(out);
    expect(stats.offsets).toBe(sequence.length);
    expect(stats.maxOffset).toBe(sequence.length - 1);
    expect(stats.rows).toBeGreaterThanOrEqual(sequence.length);
    expect(stats.silver).toBe(distinctReadings);
  }, 90_000);

  test("p99 latency from generated to landed stays under 1 s at 10,000 readings/s on loopback", async () => {
    const fast = await startAmiFeed({
      token: "t",
      ratePerSecond: 10_000,
      meters: 1000,
      days: 1,
      pattern: "UNIFORM",
      seed: 1,
      start: START,
      batchSize: 200
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 4000);
    const result = await landAmi({
      url: fast.url,
      token: "t",
      outDir: mkdtempSync(join(tmpdir(), "land-fast-")),
      commitMs: 200,
      signal: controller.signal
    });
    await fast.close();
    expect(result.committed).toBeGreaterThan(30_000);
    expect(percentile(result.latenciesMs, 99)).toBeLessThan(1000);
  }, 30_000);
});
