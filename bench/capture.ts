import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {startBinanceFeed} from "../src/lib/market/live/binance-feed-server.js";
import {captureBinance} from "../src/lib/market/live/capture.js";
import {openDuckDB} from "../src/lib/core/duckdb.js";
import {runFidelity} from "../src/lib/market/fidelity/run.js";
import {simulateMarketFiles} from "../src/lib/market/pipeline.js";
import {reconstructMarket} from "../src/lib/market/replay/reconstruct.js";
import type {Benchmark} from "./benchmark.js";
import {captureDecimals} from "./capture-decimals.js";

/**
 * Capture: the local Binance-protocol feed sped up until it sends ≥ 10,000 messages a second,
 * captured with gzip on; every second the backlog (sent − written) is sampled — keeping up means
 * it stays small and does not grow. Then a real-format recording with 8-decimal prices against the
 * same messages with 2 (see capture-decimals.ts): within 20% of each other. Then fidelity: a 10-minute simulated market reconstructed from
 * complete history against its own live feed (should PASS), and reconstructed without trades from
 * a history that lost 20% of its deltas (should FAIL).
 */
export const captureBenchmark: Benchmark = {
  name: "capture",
  summary: "live capture throughput from the local feed at ≥ 10,000 messages/s with gzip",
  targets: {
    fidelity_pass_good: {equals: true},
    fidelity_pass_broken: {equals: false},
    capture_keeps_up: {equals: true},
    capture_8dp_ratio: {min: 0.8}
  },
  async run({log, flags}) {
    const seconds = Number(flags.seconds ?? 10);
    const speed = Number(flags.speed ?? 160);
    const dir = mkdtempSync(join(tmpdir(), "bench-capture-"));
    const feed = await startBinanceFeed({seed: 1, speed});
    const controller = new AbortController();
    let written = 0;
    const capture = captureBinance({
      wsUrl: feed.wsUrl,
      restUrl: feed.url,
      symbol: "BTCUSDT",
      outDir: dir,
      gzip: true,
      signal: controller.signal,
      onMessage: (n) => (written = n)
    });
    const backlog: number[] = [];
    await new Promise((r) => setTimeout(r, 1000));
    const sent0 = feed.stats.messages,
      written0 = written,
      t0 = performance.now();
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      backlog.push(feed.stats.messages - written);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const sentRate = (feed.stats.messages - sent0) / elapsed,
      capturedRate = (written - written0) / elapsed;
    controller.abort();
    const summary = await capture;
    await feed.close();
    rmSync(dir, {recursive: true, force: true});
    const growth = backlog.at(-1)! - backlog[0]!;
    log(
      `feed ×${speed}: sent ${sentRate.toFixed(0)} messages/s; captured ${capturedRate.toFixed(0)} messages/s with gzip; backlog each second: ${backlog.join(", ")} (growth ${growth}); ${summary.gaps.length} gaps`
    );
    const decimals = await captureDecimals({log});
    const fdir = mkdtempSync(join(tmpdir(), "bench-fidelity-"));
    const good = await simulateMarketFiles({outDir: join(fdir, "good"), seed: 3, minutes: 10});
    await reconstructMarket({
      inputs: {trades: good.trades, book: good.book, deltas: good.deltas},
      strategy: "full_event_replay",
      outDir: join(fdir, "good-replay"),
      sampleEveryMs: 100
    });
    const pass = await runFidelity({
      reconstructedDir: join(fdir, "good-replay"),
      goldenDir: join(fdir, "good", "live"),
      outDir: join(fdir, "good-report")
    });
    const lossy = await simulateMarketFiles({
      outDir: join(fdir, "lossy"),
      seed: 3,
      minutes: 10,
      config: {dropDeltaRate: 0.2},
      live: false
    });
    const duck = await openDuckDB();
    await duck.run(
      `COPY (SELECT * FROM read_parquet('${lossy.trades}') LIMIT 0) TO '${join(fdir, "no-trades.parquet")}' (FORMAT parquet)`
    );
    duck.close();
    await reconstructMarket({
      inputs: {trades: join(fdir, "no-trades.parquet"), book: lossy.book, deltas: lossy.deltas},
      strategy: "full_event_replay",
      outDir: join(fdir, "broken-replay"),
      sampleEveryMs: 100
    });
    const fail = await runFidelity({
      reconstructedDir: join(fdir, "broken-replay"),
      goldenDir: join(fdir, "good", "live"),
      outDir: join(fdir, "broken-report")
    });
    rmSync(fdir, {recursive: true, force: true});
    log(
      `fidelity, complete history: ${pass.verdict} (score ${pass.score.toFixed(4)}); broken (trades ignored, 20% deltas lost): ${fail.verdict} (score ${fail.score.toFixed(4)}) — ${fail.reasons.join("; ")}`
    );
    return {
      fidelity_score_good: +pass.score.toFixed(4),
      fidelity_pass_good: pass.verdict === "PASS",
      fidelity_score_broken: +fail.score.toFixed(4),
      fidelity_pass_broken: fail.verdict === "PASS",
      capture_msgs_per_s: Math.round(capturedRate),
      feed_msgs_per_s: Math.round(sentRate),
      capture_backlog_max: Math.max(...backlog),
      capture_backlog_growth: growth,
      capture_keeps_up: capturedRate >= 0.98 * sentRate && growth < sentRate * 0.5,
      capture_msgs_per_s_8dp: Math.round(decimals.msgs8),
      capture_msgs_per_s_2dp: Math.round(decimals.msgs2),
      capture_8dp_ratio: +(decimals.msgs8 / decimals.msgs2).toFixed(3)
    };
  }
};
