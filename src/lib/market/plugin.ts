import {readFileSync} from "node:fs";
import {join} from "node:path";
import type {Plugin} from "../catalog/plugin.js";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {quoteList} from "../core/sql.js";
import {basename} from "node:path";
import {topOfBookAccuracy} from "./replay/accuracy.js";
import {startBinanceFeed} from "./live/binance-feed-server.js";
import {captureBinance} from "./live/capture.js";
import {readCaptureLines} from "./live/capture-file.js";
import {distributions, fidelityReport} from "./fidelity/report.js";
import {observationFromCapture, observationFromReplay} from "./fidelity/observations.js";
import {assessFiles, assessmentMarkdown} from "./history/assess.js";
import {defaultMarketConfig} from "./config.js";
import {simulateMarketFiles} from "./pipeline.js";
import {reconstructMarket, STRATEGIES} from "./replay/reconstruct.js";

const TOPICS = [
  "market_events",
  "market_book",
  "market_trades",
  "market_accuracy",
  "market_error_series",
  "market_assessment",
  "fidelity_metrics",
  "fidelity_values",
  "fidelity_acf",
  "fidelity_levels",
  "capture_events"
];

/**
 * A `*.sim.json` market spec (`{seed, minutes, dropDeltaRate?, originJitterMs?}`): the simulated
 * market's Crypto Lake history, reconstructed with every strategy and measured against the truth.
 * Publishes the full replay's `market_events`, the history's snapshots and trades, and per
 * strategy the accuracy (overall and per 10 s) and the replay's counters.
 */
export const marketSimulationPlugin: Plugin = {
  name: "market-simulation",
  tags: ["sim:market"],
  topics: TOPICS,
  version: 4,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as {
      seed?: unknown;
      minutes?: unknown;
      dropDeltaRate?: unknown;
      originJitterMs?: unknown;
    };
    if (typeof spec.seed !== "number")
      throw new LabError({file: file.relPath, column: "seed", reason: '"seed" must be a number'});
    const minutes = spec.minutes === undefined ? 10 : Number(spec.minutes);
    if (!(minutes > 0 && minutes <= 600))
      throw new LabError({
        file: file.relPath,
        column: "minutes",
        reason: '"minutes" must be between 0 and 600 (use `lab simulate market` for longer runs)'
      });
    const config = {
      dropDeltaRate: spec.dropDeltaRate === undefined ? 0.01 : Number(spec.dropDeltaRate),
      originJitterMs: spec.originJitterMs === undefined ? 0.5 : Number(spec.originJitterMs)
    };
    const sim = await simulateMarketFiles({
      outDir: join(ctx.scratchDir, "sim"),
      seed: spec.seed,
      minutes,
      config,
      log: ctx.log
    });
    const inputs = {trades: sim.trades, book: sim.book, deltas: sim.deltas};
    const assessment = await assessFiles({inputs});
    // The report without the scratch paths it was run on.
    for (const t of assessment.tables) t.file = `${t.table}.parquet`;
    assessment.inputs = {};
    await ctx.publish("market_assessment", {
      columns: [
        {name: "report", type: "JSON"},
        {name: "markdown", type: "VARCHAR"}
      ],
      rows: [{report: JSON.stringify(assessment), markdown: assessmentMarkdown(assessment)}]
    });
    const duck = await openDuckDB();
    const accuracy: object[] = [];
    const series: object[] = [];
    try {
      for (const strategy of STRATEGIES) {
        const r = await reconstructMarket({
          inputs,
          strategy,
          outDir: join(ctx.scratchDir, strategy),
          sampleEveryMs: strategy === "full_event_replay" ? 100 : 0,
          log: ctx.log
        });
        const a = await topOfBookAccuracy({
          duck,
          eventsPath: r.path,
          truthChangesPath: sim.truthChanges,
          tickSize: r.tickSize,
          bucketSeconds: 10
        });
        const c = r.counts;
        accuracy.push({
          strategy,
          events: r.events,
          seconds: +r.seconds.toFixed(3),
          windows: a.windows,
          exact_share: a.exactShare,
          best_bid_rmse: a.bestBidRmse,
          best_ask_rmse: a.bestAskRmse,
          gaps: c.gaps,
          missing_updates: c.missingUpdates,
          resyncs: c.resyncs,
          crossed_events: c.crossedEvents,
          out_of_order: c.outOfOrder,
          drift_mean: c.driftSnapshots ? (c.driftSum / c.driftSnapshots) * r.lotSize : null,
          drift_max: c.driftMax * r.lotSize
        });
        for (const b of a.buckets ?? [])
          series.push({
            strategy,
            bucket_start_ns: b.startNs,
            exact_share: b.exactShare,
            best_bid_rmse: b.bestBidRmse,
            best_ask_rmse: b.bestAskRmse
          });
        if (strategy === "full_event_replay")
          await ctx.publishQuery(
            "market_events",
            `SELECT '${defaultMarketConfig.symbol}' AS symbol, * FROM read_parquet(${quoteList([r.path])})`
          );
      }
    } finally {
      duck.close();
    }
    // Fidelity: the full replay against the simulator's own live feed (the golden sample).
    {
      const fduck = await openDuckDB();
      try {
        const reconstructed = await observationFromReplay({
          duck: fduck,
          dir: join(ctx.scratchDir, "full_event_replay")
        });
        const golden = observationFromCapture({dir: join(ctx.scratchDir, "sim", "live")});
        const report = fidelityReport({reconstructed, golden});
        ctx.log(`fidelity: ${report.verdict} (score ${report.score.toFixed(4)})`);
        const D = "DOUBLE";
        await ctx.publish("fidelity_metrics", {
          columns: [
            ["metric", "VARCHAR"],
            ["statistic", D],
            ["p_value", D],
            ["reconstructed_mean", D],
            ["golden_mean", D],
            ["reconstructed_variance", D],
            ["golden_variance", D],
            ["reconstructed_skewness", D],
            ["golden_skewness", D],
            ["reconstructed_kurtosis", D],
            ["golden_kurtosis", D],
            ["passed", "BOOLEAN"],
            ["note", "VARCHAR"],
            ["score", D],
            ["verdict", "VARCHAR"],
            ["reasons", "VARCHAR"]
          ].map(([name, type]) => ({name: name!, type: type!})),
          rows: report.metrics.map((m) => ({
            metric: m.metric,
            statistic: m.statistic,
            p_value: m.p_value,
            reconstructed_mean: m.reconstructed?.mean,
            golden_mean: m.golden?.mean,
            reconstructed_variance: m.p_value === null ? null : m.reconstructed?.variance,
            golden_variance: m.p_value === null ? null : m.golden?.variance,
            reconstructed_skewness: m.p_value === null ? null : m.reconstructed?.skewness,
            golden_skewness: m.p_value === null ? null : m.golden?.skewness,
            reconstructed_kurtosis: m.p_value === null ? null : m.reconstructed?.kurtosis,
            golden_kurtosis: m.p_value === null ? null : m.golden?.kurtosis,
            passed: m.passed,
            note: m.note,
            score: report.score,
            verdict: report.verdict,
            reasons: report.reasons.join("\n")
          }))
        });
        const values: {metric: string; source: string; value: number}[] = [];
        for (const [source, obs] of [
          ["reconstructed", reconstructed],
          ["golden", golden]
        ] as const)
          for (const [metric, xs] of Object.entries(distributions(obs, 3000)))
            for (const value of xs) values.push({metric, source, value});
        await ctx.publish("fidelity_values", {
          columns: [
            {name: "metric", type: "VARCHAR"},
            {name: "source", type: "VARCHAR"},
            {name: "value", type: D}
          ],
          rows: values
        });
        await ctx.publish("fidelity_acf", {
          columns: [
            {name: "lag", type: "INTEGER"},
            {name: "reconstructed", type: D},
            {name: "golden", type: D}
          ],
          rows: report.acf
        });
        await ctx.publish("fidelity_levels", {
          columns: [
            {name: "side", type: "VARCHAR"},
            {name: "level", type: "INTEGER"},
            {name: "rho", type: D}
          ],
          rows: report.levelCorrelation
        });
      } finally {
        fduck.close();
      }
    }
    // A short capture session against the local exchange (loopback), with a lost message and a
    // disconnect, so the page can show what a capture records.
    {
      const feed = await startBinanceFeed({seed: spec.seed, speed: 10});
      const controller = new AbortController();
      const dir = join(ctx.scratchDir, "capture");
      const run = captureBinance({
        wsUrl: feed.wsUrl,
        restUrl: feed.url,
        symbol: "BTCUSDT",
        outDir: dir,
        regimeWindowMs: 250,
        clockEveryMs: 500,
        backoff: {initialMs: 100, maxMs: 400},
        signal: controller.signal
      });
      await new Promise((r) => setTimeout(r, 1000));
      feed.faults.dropNext(1);
      await new Promise((r) => setTimeout(r, 800));
      feed.faults.disconnectAll();
      await new Promise((r) => setTimeout(r, 1200));
      controller.abort();
      const summary = await run;
      await feed.close();
      const events: object[] = [];
      for (const f of summary.files) {
        for (const line of readCaptureLines(f)) {
          const r = JSON.parse(line) as {local_ns: string; type?: string; stream?: string; [k: string]: unknown};
          if (!r.type || r.type === "snapshot") continue;
          const {local_ns, type, ...detail} = r;
          events.push({
            file: basename(f),
            local_time: new Date(Number(BigInt(local_ns) / 1_000_000n)),
            type,
            detail: JSON.stringify(detail)
          });
        }
      }
      ctx.log(
        `capture: ${summary.messages} messages, ${summary.gaps.length} gap(s), ${summary.reconnects} reconnect(s)`
      );
      await ctx.publish("capture_events", {
        columns: [
          {name: "file", type: "VARCHAR"},
          {name: "local_time", type: "TIMESTAMP"},
          {name: "type", type: "VARCHAR"},
          {name: "detail", type: "JSON"}
        ],
        rows: events
      });
    }
    await ctx.publishQuery("market_book", `SELECT * FROM read_parquet(${quoteList([sim.book])})`);
    await ctx.publishQuery("market_trades", `SELECT * FROM read_parquet(${quoteList([sim.trades])})`);
    const D = "DOUBLE";
    await ctx.publish("market_accuracy", {
      columns: [
        ["strategy", "VARCHAR"],
        ["events", "BIGINT"],
        ["seconds", D],
        ["windows", "BIGINT"],
        ["exact_share", D],
        ["best_bid_rmse", D],
        ["best_ask_rmse", D],
        ["gaps", "BIGINT"],
        ["missing_updates", "BIGINT"],
        ["resyncs", "BIGINT"],
        ["crossed_events", "BIGINT"],
        ["out_of_order", "BIGINT"],
        ["drift_mean", D],
        ["drift_max", D]
      ].map(([name, type]) => ({name: name!, type: type!})),
      rows: accuracy
    });
    // Bucket starts are ns since the start of the simulated day (2024-03-01T00:00Z); as timestamps for plots.
    await ctx.publish("market_error_series", {
      columns: [
        {name: "strategy", type: "VARCHAR"},
        {name: "bucket_start", type: "TIMESTAMP"},
        {name: "exact_share", type: D},
        {name: "best_bid_rmse", type: D},
        {name: "best_ask_rmse", type: D}
      ],
      rows: series.map((s) => {
        const {bucket_start_ns, ...rest} = s as {bucket_start_ns: number};
        return {...rest, bucket_start: new Date(bucket_start_ns / 1e6)};
      })
    });
    ctx.log(`${file.relPath}: ${minutes} simulated minutes reconstructed with ${STRATEGIES.length} strategies`);
  }
};
