import {mkdirSync, writeFileSync} from "node:fs";
import {join, resolve} from "node:path";
import {LabError} from "../core/errors.js";
import type {Pipeline} from "../core/pipeline.js";
import {createRng} from "../core/random.js";
import {defaultMarketConfig, type MarketConfig} from "./config.js";
import {createHistoryWriter, type HistoryFiles} from "./sim/history-writer.js";
import {assessFiles, assessmentMarkdown} from "./history/assess.js";
import {reconstructSymbols, symbolJobs} from "./replay/multi-symbol.js";
import {openDuckDB} from "../core/duckdb.js";
import {copyQueryToParquet} from "../core/parquet-write.js";
import {parquetRowCount} from "../core/parquet-read.js";
import {quoteString} from "../core/sql.js";
import {reconstructMarket, STRATEGIES, type Strategy} from "./replay/reconstruct.js";
import {writeAtomically} from "../core/atomic-file.js";
import {simulateMarket, type MarketSink} from "./sim/simulator.js";
import {createBinanceFeedWriter, type BinanceFeedFiles} from "./sim/binance-feed-files.js";

/**
 * `lab simulate market`: one seeded run of the simulated market, written as Crypto Lake-style
 * history (`history/`: trades, book, book_delta_v2) with the configured defects, and the truth
 * (`truth/`: every book change, every trade, the regimes).
 */
export async function simulateMarketFiles({
  outDir,
  seed,
  minutes,
  config = {},
  live = true,
  log = () => {}
}: {
  outDir: string;
  seed: number;
  minutes: number;
  config?: Partial<MarketConfig>;
  live?: boolean;
  log?: (line: string) => void;
}): Promise<HistoryFiles & {counts: Record<string, number>; live?: BinanceFeedFiles}> {
  if (!(minutes > 0)) throw new LabError({column: "--minutes", reason: "must be a positive number of minutes"});
  mkdirSync(outDir, {recursive: true});
  const cfg = {...defaultMarketConfig, ...config};
  const rng = createRng(seed);
  const writer = await createHistoryWriter({outDir, rng: rng.fork("history"), config: cfg});
  const started = performance.now();
  let next = 60e9;
  const feed = live ? createBinanceFeedWriter({outDir: join(outDir, "live"), config: cfg}) : undefined;
  const sink: MarketSink = {
    change: (t, u, side, tick, lots) => {
      writer.sink.change(t, u, side, tick, lots);
      feed?.sink.change(t, u, side, tick, lots);
      if (t >= next) ((next += 600e9), log(`simulated ${(t / 60e9).toFixed(0)} of ${minutes} minutes`));
    },
    trade: (t, id, side, tick, lots, u) => {
      writer.sink.trade(t, id, side, tick, lots, u);
      feed?.sink.trade(t, id, side, tick, lots, u);
    },
    snapshot: (t, seq, book, levels) => {
      writer.sink.snapshot(t, seq, book, levels);
      feed?.sink.snapshot(t, seq, book, levels);
    },
    regime: (t, name) => writer.sink.regime!(t, name)
  };
  try {
    simulateMarket({rng: rng.fork("market"), config: cfg, seconds: minutes * 60, sink});
  } catch (error) {
    writer.abort();
    throw error;
  }
  const files = await writer.finish();
  const liveFiles = feed?.finish();
  log(
    `simulated ${minutes} minutes of ${cfg.symbol} in ${((performance.now() - started) / 1000).toFixed(1)}s: ${files.counts.changes.toLocaleString("en-US")} book changes (${files.counts.dropped} dropped from the history), ${files.counts.trades.toLocaleString("en-US")} trades, ${files.counts.snapshots.toLocaleString("en-US")} snapshots`
  );
  return {...files, ...(liveFiles ? {live: liveFiles} : {})};
}

function readerFlag(value: unknown): "window" | "sort" | undefined {
  if (value === undefined) return undefined;
  if (value === "window" || value === "sort") return value;
  throw new LabError({
    column: "--reader",
    reason: `unknown reader "${String(value)}"; window (one pass, sorted within --reorder-window rows, falling back to sort by itself) or sort (DuckDB sorts each input first)`
  });
}

export const marketPipeline: Pipeline = {
  name: "market",
  title: "Market replay",
  summary:
    "A simulated L2 market and a crash-safe order-book reconstruction from Crypto Lake-style history, measured against the truth.",
  page: "/pages/market/",
  usage:
    "lab run market --trades F --book F --deltas F [--strategy full_event_replay|snapshot_anchored|origin_time_sort] [--tick-size X --lot-size X] [--reader window|sort] [--reorder-window 4096] [--memory-limit 1GB] [--resume] --out DIR   (or --history DIR with one <SYMBOL>/ folder per symbol, replayed in parallel worker threads)",
  tables: [
    {
      name: "market_events",
      description:
        "one row per trade, snapshot and delta in replay order, with the book state after it (best bid/ask, spread, mid, depth and imbalance over 5 levels, gap, resync, drift)"
    }
  ],
  async run({outDir, flags, log}) {
    const file = (name: string) => (typeof flags[name] === "string" ? resolve(flags[name] as string) : undefined);
    const strategy = String(flags.strategy ?? "full_event_replay") as Strategy;
    if (!STRATEGIES.includes(strategy))
      throw new LabError({
        column: "--strategy",
        reason: `unknown strategy "${strategy}"; one of ${STRATEGIES.join(", ")}`
      });
    const num = (name: string) => (flags[name] === undefined ? undefined : Number(flags[name]));
    // Flags are checked before any work (the assessor writes its report first).
    const reader = readerFlag(flags.reader);
    if (typeof flags.history === "string") {
      const results = await reconstructSymbols({
        jobs: symbolJobs({dir: resolve(flags.history)}),
        strategy,
        outDir,
        segmentEvents: num("segment-events"),
        log
      });
      const path = join(outDir, "market_events.parquet");
      const duck = await openDuckDB();
      try {
        const rows = await copyQueryToParquet({
          duck,
          path,
          sql: results
            .map((r) => `SELECT ${quoteString(r.symbol)} AS symbol, * FROM read_parquet(${quoteString(r.result.path)})`)
            .join(" UNION ALL ")
        });
        log(
          `market: ${results.map((r) => `${r.symbol} ${r.result.events.toLocaleString("en-US")} events`).join(", ")}`
        );
        return {tables: [{name: "market_events", path, rows}]};
      } finally {
        duck.close();
      }
    }
    const inputs = {trades: file("trades"), book: file("book"), deltas: file("deltas")};
    // The assessor first: its report lands beside the events, and says whether the strategy fits.
    const assessment = await assessFiles({inputs});
    mkdirSync(outDir, {recursive: true});
    await writeAtomically(join(outDir, "assessment.json"), async (temp) =>
      writeFileSync(temp, JSON.stringify(assessment, null, 1))
    );
    await writeAtomically(join(outDir, "assessment.md"), async (temp) =>
      writeFileSync(temp, assessmentMarkdown(assessment))
    );
    if (assessment.recommendation.strategy !== strategy)
      log(
        `note: the assessor recommends ${assessment.recommendation.strategy} for these inputs (${assessment.recommendation.reason})`
      );
    const result = await reconstructMarket({
      inputs,
      strategy,
      outDir,
      tickSize: num("tick-size"),
      lotSize: num("lot-size"),
      resume: Boolean(flags.resume),
      segmentEvents: num("segment-events"),
      sampleEveryMs: num("sample-ms") ?? 100,
      memoryLimit: typeof flags["memory-limit"] === "string" ? flags["memory-limit"] : undefined,
      reader,
      reorderWindowRows: num("reorder-window"),
      log
    });
    log(
      `market: ${result.events.toLocaleString("en-US")} events in ${result.seconds.toFixed(1)}s (${(result.events / result.seconds / 1e6).toFixed(2)} M events/s), ${result.segments} segment(s)`
    );
    return {
      tables: [
        {name: "market_events", path: result.path, rows: result.events},
        ...(result.samplesPath
          ? [{name: "book_samples", path: result.samplesPath, rows: await parquetRowCount({path: result.samplesPath})}]
          : [])
      ]
    };
  }
};
