import {cpSync, mkdirSync, mkdtempSync, readdirSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {commandLineDataset} from "../../../src/lib/core/dataset.js";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {marketPipeline} from "../../../src/lib/market/pipeline.js";
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

    // `lab run market --history`: every symbol's days under one market_events folder.
    const out = join(root, "cli");
    const run = await marketPipeline.run({
      dataset: commandLineDataset("market"),
      outDir: out,
      flags: {history: join(root, "history")},
      files: [],
      seed: 1,
      log: () => {}
    });
    expect(
      readdirSync(join(out, "market_events"), {recursive: true, encoding: "utf-8"})
        .filter((f) => f.endsWith(".parquet"))
        .sort()
    ).toEqual([
      join("symbol=BTC-USDT", "day=2024-03-01", "part-0.parquet"),
      join("symbol=ETH-USDT", "day=2024-03-01", "part-1.parquet")
    ]);
    const table = run.tables[0]!;
    expect(
      await readParquetAll({
        path: table.path,
        sql: "SELECT symbol, count(*)::INT AS n FROM t GROUP BY ALL ORDER BY symbol"
      })
    ).toEqual(results.map((r) => ({symbol: r.symbol, n: r.result.events})));
    expect(table.rows).toBe(results[0]!.result.events + results[1]!.result.events);
  }, 90_000);
});
