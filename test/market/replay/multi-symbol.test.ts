import {cpSync, mkdirSync, mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {reconstructSymbols, symbolJobs} from "../../../src/lib/market/replay/multi-symbol.js";
import {reconstructMarket} from "../../../src/lib/market/replay/reconstruct.js";
import {simulatedHistory} from "../helpers.js";

describe("several symbols", () => {
  test("each symbol is replayed in its own worker thread, exactly as a single replay would", async () => {
    const root = mkdtempSync(join(tmpdir(), "market-multi-"));
    const sims = [
      await simulatedHistory({seed: 21, seconds: 60}),
      await simulatedHistory({seed: 22, seconds: 60, config: {dropDeltaRate: 0.01}})
    ];
    for (const [i, sim] of sims.entries()) {
      const dir = join(root, "history", ["BTC-USDT", "ETH-USDT"][i]!);
      mkdirSync(dir, {recursive: true});
      cpSync(join(sim.dir, "history"), dir, {recursive: true});
    }
    const jobs = symbolJobs({dir: join(root, "history")});
    expect(jobs.map((j) => j.symbol)).toEqual(["BTC-USDT", "ETH-USDT"]);
    const results = await reconstructSymbols({
      jobs,
      strategy: "full_event_replay",
      outDir: join(root, "out"),
      threads: 2
    });
    expect(results.map((r) => r.symbol)).toEqual(["BTC-USDT", "ETH-USDT"]);
    for (const [i, {result}] of results.entries()) {
      const single = await reconstructMarket({
        inputs: sims[i]!.inputs,
        strategy: "full_event_replay",
        outDir: join(root, `single-${i}`)
      });
      expect(result.events).toBe(single.events);
      const sql =
        "SELECT count(*)::INT AS n, sum(hash(event_ts_ns, update_id, best_bid, best_ask, bid_depth_5))::VARCHAR AS h FROM t";
      expect(await readParquetAll({path: result.path, sql})).toEqual(await readParquetAll({path: single.path, sql}));
    }
    expect(results[1]!.result.counts.gaps).toBeGreaterThan(0);
  }, 90_000);
});
