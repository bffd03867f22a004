/**
 * A fleet's readings generated in shards (ranges of whole transformers, streams of their own):
 * the same tables for a seed whether the shards run here one after another or on worker threads,
 * and a fleet within one shard is generated as an unsharded fleet always was.
 */
import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";
import {defaultMeterConfig, utilityProfiles} from "../../src/lib/meters/config.js";
import {generateFleet} from "../../src/lib/meters/fleet.js";
import {fleetShards, writeBronze} from "../../src/lib/meters/fleet-shards.js";
import {runMeters} from "../../src/lib/meters/pipeline.js";
import {tableDigests} from "./table-digest.js";

const run = async (o: {shardMeters: number; threads?: number}) => {
  const outDir = mkdtempSync(join(tmpdir(), "meter-shards-"));
  const tables = await runMeters({
    outDir,
    seed: 5,
    meters: 240,
    days: 2,
    pattern: "DEGRADED",
    shardMeters: o.shardMeters,
    ...(o.threads ? {units: {threads: o.threads, heartbeatMs: 500, heartbeatTimeoutMs: 60_000, maxAttempts: 1}} : {})
  });
  return tableDigests(Object.fromEntries(tables.map((t) => [t.name, t.path])));
};

describe("a fleet generated in shards", () => {
  test("shards are ranges of whole transformers covering the fleet", () => {
    const fleet = generateFleet({rng: createRng(3), meters: 1000, mix: utilityProfiles.default!});
    const shards = fleetShards({fleet, shardMeters: 150});
    expect(shards.length).toBeGreaterThan(4);
    expect(shards[0]!.from).toBe(0);
    expect(shards.at(-1)!.to).toBe(1000);
    for (const [i, s] of shards.entries()) {
      if (i) expect(s.from).toBe(shards[i - 1]!.to);
      expect(s.to - s.from).toBeGreaterThanOrEqual(i < shards.length - 1 ? 150 : 1);
      if (s.to < 1000) expect(fleet.transformer[s.to]).not.toBe(fleet.transformer[s.to - 1]);
    }
    expect(fleetShards({fleet, shardMeters: 5000})).toEqual([{index: 0, from: 0, to: 1000}]);
  });

  test("one shard is the unsharded fleet's bronze", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meter-shards-"));
    const rng = createRng(5);
    const fleet = generateFleet({rng: rng.fork("fleet"), meters: 240, mix: utilityProfiles.default!});
    const common = {fleet, start: new Date("2024-06-02T18:30:00Z"), days: 2, pattern: "DEGRADED" as const};
    // What runMeters wrote before fleets had shards: the readings stream, and its storms.
    await writeBronze({
      path: join(dir, "bronze.parquet"),
      rng: rng.fork("readings"),
      storms: rng.fork("readings").fork("storms"),
      config: defaultMeterConfig,
      ...common
    });
    const unsharded = await tableDigests({bronze: join(dir, "bronze.parquet")});
    expect((await run({shardMeters: 5000})).readings_bronze).toEqual(unsharded.bronze);
  }, 120_000);

  test("the same tables whether the shards run here or on worker threads", async () => {
    const here = await run({shardMeters: 60});
    const threads = await run({shardMeters: 60, threads: 2});
    expect(here.readings_bronze!.rows).toBeGreaterThan(20_000);
    expect(threads).toEqual(here);
    // Sharded differs from unsharded (each shard but the first draws streams of its own), on the same fleet.
    const one = await run({shardMeters: 5000});
    expect(one.fleet).toEqual(here.fleet);
    expect(one.readings_bronze).not.toEqual(here.readings_bronze);
  }, 180_000);
});
