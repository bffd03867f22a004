import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {runFidelity} from "../../../src/lib/market/fidelity/run.js";
import {simulateMarketFiles} from "../../../src/lib/market/pipeline.js";
import {reconstructMarket} from "../../../src/lib/market/replay/reconstruct.js";

describe("fidelity: reconstruction vs the golden live feed", () => {
  test("a complete-delta reconstruction PASSes; a broken one (trades ignored, 20% of deltas lost) FAILs and says why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fidelity-"));
    const good = await simulateMarketFiles({outDir: join(dir, "good"), seed: 11, minutes: 4});
    await reconstructMarket({
      inputs: {trades: good.trades, book: good.book, deltas: good.deltas},
      strategy: "full_event_replay",
      outDir: join(dir, "good-replay"),
      sampleEveryMs: 100
    });
    const pass = await runFidelity({
      reconstructedDir: join(dir, "good-replay"),
      goldenDir: join(dir, "good", "live"),
      outDir: join(dir, "good-report")
    });
    expect(pass.verdict).toBe("PASS");
    expect(pass.score).toBeGreaterThan(0.5);
    expect(pass.metrics.find((m) => m.metric === "trade_size")).toMatchObject({statistic: 0, p_value: 1, passed: true});
    expect(pass.metrics.find((m) => m.metric === "exact_top_of_book_share")!.reconstructed!.mean).toBeGreaterThan(0.98);
    expect(pass.levelCorrelation.every((c) => c.rho > 0.95)).toBe(true);

    // The same market (same seed), its history with 20% of the deltas lost, replayed without trades.
    const lossy = await simulateMarketFiles({
      outDir: join(dir, "lossy"),
      seed: 11,
      minutes: 4,
      config: {dropDeltaRate: 0.2},
      live: false
    });
    const duck = await openDuckDB();
    const noTrades = join(dir, "no-trades.parquet");
    await duck.run(`COPY (SELECT * FROM read_parquet('${lossy.trades}') LIMIT 0) TO '${noTrades}' (FORMAT parquet)`);
    duck.close();
    await reconstructMarket({
      inputs: {trades: noTrades, book: lossy.book, deltas: lossy.deltas},
      strategy: "full_event_replay",
      outDir: join(dir, "broken-replay"),
      sampleEveryMs: 100
    });
    const fail = await runFidelity({
      reconstructedDir: join(dir, "broken-replay"),
      goldenDir: join(dir, "good", "live"),
      outDir: join(dir, "broken-report")
    });
    expect(fail.verdict).toBe("FAIL");
    expect(fail.reasons.join("\n")).toMatch(/trade size differs/);
    expect(fail.metrics.find((m) => m.metric === "sequence_gaps")!.reconstructed!.mean).toBeGreaterThan(100);
    // The report files: JSON, Markdown and the fidelity_metrics table.
    const rows = await readParquetAll({
      path: join(dir, "broken-report", "fidelity_metrics.parquet"),
      sql: "SELECT metric, p_value, passed, verdict FROM t WHERE p_value IS NOT NULL ORDER BY metric"
    });
    expect(rows.length).toBe(7);
    expect(rows.every((r) => r.verdict === "FAIL")).toBe(true);
  }, 60_000);
});
