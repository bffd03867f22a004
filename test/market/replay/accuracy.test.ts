import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {topOfBookAccuracy} from "../../../src/lib/market/replay/accuracy.js";
import {reconstructMarket, STRATEGIES} from "../../../src/lib/market/replay/reconstruct.js";
import {simulatedHistory} from "../helpers.js";

describe("reconstruction error against the truth", () => {
  test("complete deltas: full replay's top of book is exact in nearly every 10 ms window", async () => {
    const sim = await simulatedHistory({seed: 8, seconds: 180});
    const r = await reconstructMarket({
      inputs: sim.inputs,
      strategy: "full_event_replay",
      outDir: join(sim.dir, "full")
    });
    const duck = await openDuckDB();
    const acc = await topOfBookAccuracy({
      duck,
      eventsPath: r.path,
      truthChangesPath: sim.files.truthChanges,
      tickSize: r.tickSize
    });
    duck.close();
    // Event times are the exchange's millisecond origin_time: within a window the replay can be
    // at most a millisecond behind the truth, and nothing else differs.
    expect(acc.windows).toBeGreaterThan(17_000);
    expect(acc.exactShare).toBeGreaterThan(0.9);
  }, 60_000);

  test("1% of deltas dropped: every strategy's error is measured, and full replay beats the others", async () => {
    const sim = await simulatedHistory({seed: 9, seconds: 180, config: {dropDeltaRate: 0.01, originJitterMs: 0.5}});
    const duck = await openDuckDB();
    const results: Record<string, {exactShare: number; bestBidRmse: number; bestAskRmse: number}> = {};
    for (const strategy of STRATEGIES) {
      const r = await reconstructMarket({inputs: sim.inputs, strategy, outDir: join(sim.dir, strategy)});
      results[strategy] = await topOfBookAccuracy({
        duck,
        eventsPath: r.path,
        truthChangesPath: sim.files.truthChanges,
        tickSize: r.tickSize
      });
    }
    duck.close();
    console.log(
      Object.entries(results)
        .map(
          ([s, a]) =>
            `${s}: exact ${(a.exactShare * 100).toFixed(1)}%, RMSE bid ${a.bestBidRmse.toFixed(4)} ask ${a.bestAskRmse.toFixed(4)}`
        )
        .join("\n")
    );
    const full = results.full_event_replay!,
      anchored = results.snapshot_anchored!,
      sorted = results.origin_time_sort!;
    expect(full.exactShare).toBeGreaterThan(0.8);
    expect(full.exactShare).toBeGreaterThan(anchored.exactShare);
    expect(full.exactShare).toBeGreaterThan(sorted.exactShare);
    for (const a of Object.values(results))
      expect(Number.isFinite(a.bestBidRmse) && Number.isFinite(a.bestAskRmse)).toBe(true);
  }, 90_000);
});
