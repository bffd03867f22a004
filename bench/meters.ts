import {execFileSync} from "node:child_process";
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {startAmiFeed} from "../src/lib/meters/feed-server.js";
import {landAmi, percentile} from "../src/lib/meters/land.js";
import {openPromoter, promoteEvery} from "../src/lib/meters/promote.js";
import type {Benchmark} from "./benchmark.js";

function generate(
  meters: number,
  days = 1
): {rows: number; ours_s: number; duckdb_range_s: number; peak_rss_mb: number} {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "meters-generate.ts"), String(meters)],
    {encoding: "utf-8", maxBuffer: 1 << 20, env: {...process.env, BENCH_DAYS: String(days)}}
  );
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

/**
 * Meters: one day of the fleet generated and written to Parquet against DuckDB writing the same
 * rows from range() (the ratio is DuckDB's time over ours: 1 = as fast), peak RSS at 10,000 and
 * 100,000 meters (each in its own process), and the stream at 10,000 readings/s as `lab land ami`
 * runs it: landing latency p99 and silver lag p99 (feed send → batch committed) with the promotion
 * in micro-batches every --promote-ms (30 s by default) for --seconds (150 s: five batches).
 * Both fleet sizes write the same 9.6 M readings (10,000 meters run 10 days), so the memory
 * comparison isolates fleet size: a 1-day run of 10,000 meters ends before the writer threads
 * reach their steady state and would understate the small fleet's memory.
 */
export const metersBenchmark: Benchmark = {
  name: "meters",
  summary: "fleet generation vs DuckDB range(), peak memory by fleet size, stream latency and silver lag at 10k/s",
  targets: {gen_ratio_vs_duckdb_range: {min: 0.5}, stream_p99_ms: {max: 1000}, silver_lag_p99_s: {max: 60}},
  async run({log, flags}) {
    const stream = await streamFigures({
      log,
      seconds: Number(flags.seconds ?? 150),
      promoteMs: Number(flags["promote-ms"] ?? 30_000)
    });
    // --stream-only: the stream figures alone (the generation runs take minutes at 100,000 meters).
    if (flags["stream-only"]) return stream;
    const big = Number(flags.meters ?? 100_000);
    const small = generate(10_000, Math.max(1, Math.round(big / 10_000)));
    log(
      `10,000 meters × ${Math.max(1, Math.round(big / 10_000))} days: ${small.rows.toLocaleString("en-US")} readings in ${small.ours_s.toFixed(2)}s (DuckDB range ${small.duckdb_range_s.toFixed(2)}s), peak RSS ${small.peak_rss_mb} MB`
    );
    const large = generate(big);
    log(
      `${big.toLocaleString("en-US")} meters: ${large.rows.toLocaleString("en-US")} readings in ${large.ours_s.toFixed(2)}s (DuckDB range ${large.duckdb_range_s.toFixed(2)}s), peak RSS ${large.peak_rss_mb} MB`
    );
    const ratio = large.duckdb_range_s / large.ours_s;
    log(`generation ratio vs DuckDB range (target ≥ 0.5): ${ratio.toFixed(3)}`);
    return {
      gen_rows: large.rows,
      gen_s: +large.ours_s.toFixed(2),
      duckdb_range_s: +large.duckdb_range_s.toFixed(2),
      gen_ratio_vs_duckdb_range: +ratio.toFixed(3),
      peak_rss_mb_10k: small.peak_rss_mb,
      peak_rss_mb_100k: large.peak_rss_mb,
      peak_rss_growth_10x_fleet: +(large.peak_rss_mb / small.peak_rss_mb).toFixed(3),
      ...stream
    };
  }
};

/** The feed at 10,000 readings/s into a lander promoting in micro-batches, as `lab land ami` does. */
async function streamFigures({
  log,
  seconds,
  promoteMs
}: {
  log: (line: string) => void;
  seconds: number;
  promoteMs: number;
}): Promise<Record<string, number>> {
  const feed = await startAmiFeed({
    token: "bench",
    ratePerSecond: 10_000,
    meters: 10_000,
    // Enough intervals that the feed outlasts the run (10,000 readings/s is 0.86 M readings a day).
    days: Math.max(1, Math.ceil((seconds * 10_000) / 960_000) + 1),
    pattern: "UNIFORM",
    seed: 1,
    batchSize: 200
  });
  const dir = mkdtempSync(join(tmpdir(), "bench-land-"));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), seconds * 1000);
  const promoter = await openPromoter({outDir: dir});
  let batchSeconds = 0;
  try {
    const landing = landAmi({url: feed.url, token: "bench", outDir: dir, commitMs: 200, signal: controller.signal});
    const promotion = promoteEvery({
      promoter,
      intervalMs: promoteMs,
      until: landing,
      log,
      onBatch: (b) => (batchSeconds = Math.max(batchSeconds, b.tookMs / 1000))
    });
    const [landed, promoted] = await Promise.all([landing, promotion]);
    const p50 = percentile(landed.latenciesMs, 50),
      p99 = percentile(landed.latenciesMs, 99);
    const lag50 = promoted.lag.percentileSeconds(50),
      lag99 = promoted.lag.percentileSeconds(99);
    log(
      `stream at 10,000 readings/s for ${seconds} s: ${landed.committed.toLocaleString("en-US")} landed, latency p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; ${promoted.batches} batches every ${promoteMs / 1000} s (slowest ${batchSeconds.toFixed(1)} s), silver lag p50 ${lag50.toFixed(1)} s, p99 ${lag99.toFixed(1)} s (target < 60 s)`
    );
    return {
      stream_p50_ms: Math.round(p50),
      stream_p99_ms: Math.round(p99),
      silver_lag_p50_s: +lag50.toFixed(1),
      silver_lag_p99_s: +lag99.toFixed(1),
      promote_batch_max_s: +batchSeconds.toFixed(1)
    };
  } finally {
    promoter.close();
    await feed.close();
    rmSync(dir, {recursive: true, force: true});
  }
}
