import {mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from "node:fs";
import {basename, dirname, join, resolve} from "node:path";
import {LabError} from "../core/errors.js";
import {flag} from "../core/flags.js";
import type {Pipeline} from "../core/pipeline.js";
import {createRng} from "../core/random.js";
import {defaultMarketConfig, type MarketConfig} from "./config.js";
import {createHistoryWriter, type HistoryFiles} from "./sim/history-writer.js";
import {assessFiles, assessmentMarkdown} from "./history/assess.js";
import {parseColumnMapping} from "./history/inputs.js";
import {reconstructSymbols, symbolJobs} from "./replay/multi-symbol.js";
import {openDuckDB} from "../core/duckdb.js";
import {parquetRowCount} from "../core/parquet-read.js";
import {quoteList, quoteString} from "../core/sql.js";
import {historyKind, marketDatasetOptions} from "./history-dataset.js";
import {marketDatasetTables} from "./dataset-tables.js";
import {isRecordingName} from "./recording-dataset.js";
import {folderSink, type TableSink} from "../core/table-sink.js";
import {topOfBookAccuracy} from "./replay/accuracy.js";
import {startBinanceFeed} from "./live/binance-feed-server.js";
import {captureBinance} from "./live/capture.js";
import {captureKeyFromEnv, readCaptureLines} from "./live/capture-file.js";
import {fidelityReport} from "./fidelity/report.js";
import {writeFidelityTables} from "./fidelity/tables.js";
import {observationFromCapture, observationFromReplay} from "./fidelity/observations.js";
import {
  CAPTURE_EVENTS_COLUMNS,
  MARKET_ACCURACY_COLUMNS,
  MARKET_ASSESSMENT_COLUMNS,
  MARKET_ERROR_SERIES_COLUMNS
} from "./tables.js";
import {reconstructMarket, STRATEGIES, type Strategy} from "./replay/reconstruct.js";
import {writeAtomically} from "../core/atomic-file.js";
import {chooseStrategy, replayedWith} from "./replay/strategy-choice.js";
import {eventsQuery} from "./replay/event-columns.js";
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

export interface MarketSimSpec {
  seed: number;
  /** Simulated minutes (default 10, at most 600). */
  minutes?: number;
  dropDeltaRate?: number;
  originJitterMs?: number;
}

/**
 * The market pipeline from a simulation spec to every table: the simulated market's Crypto Lake
 * history, its assessment, a reconstruction with every strategy measured against the truth, the
 * full replay's fidelity against the simulator's live feed, and a short capture session against
 * the local exchange. `lab run market --simulate` and the catalog's plugin are both this call.
 */
export async function runMarketTables({
  spec,
  scratchDir,
  sink,
  log = () => {},
  file
}: {
  spec: MarketSimSpec;
  scratchDir: string;
  sink: TableSink;
  log?: (line: string) => void;
  /** The spec's file, for errors about it. */
  file?: string;
}): Promise<void> {
  if (typeof spec.seed !== "number") throw new LabError({file, column: "seed", reason: '"seed" must be a number'});
  const minutes = spec.minutes === undefined ? 10 : Number(spec.minutes);
  if (!(minutes > 0 && minutes <= 600))
    throw new LabError({
      file,
      column: "minutes",
      reason: '"minutes" must be between 0 and 600 (use `lab simulate market` for longer runs)'
    });
  const config = {
    dropDeltaRate: spec.dropDeltaRate === undefined ? 0.01 : Number(spec.dropDeltaRate),
    originJitterMs: spec.originJitterMs === undefined ? 0.5 : Number(spec.originJitterMs)
  };
  const sim = await simulateMarketFiles({outDir: join(scratchDir, "sim"), seed: spec.seed, minutes, config, log});
  const inputs = {trades: sim.trades, book: sim.book, deltas: sim.deltas};
  const assessment = await assessFiles({inputs});
  // The report without the scratch paths it was run on.
  for (const t of assessment.tables) t.file = `${t.table}.parquet`;
  assessment.inputs = {};
  await sink.write("market_assessment", {
    columns: MARKET_ASSESSMENT_COLUMNS,
    rows: [{report: JSON.stringify(assessment), markdown: assessmentMarkdown(assessment)}]
  });
  await replayStrategies({inputs, truthChanges: sim.truthChanges, scratchDir, sink, log});
  await fidelityTables({
    replayDir: join(scratchDir, "full_event_replay"),
    liveDir: join(scratchDir, "sim", "live"),
    sink,
    log
  });
  await captureSession({seed: spec.seed, dir: join(scratchDir, "capture"), sink, log});
  await sink.writeQuery("market_book", `SELECT * FROM read_parquet(${quoteList([sim.book])})`);
  await sink.writeQuery("market_trades", `SELECT * FROM read_parquet(${quoteList([sim.trades])})`);
  log(`market: ${minutes} simulated minutes reconstructed with ${STRATEGIES.length} strategies`);
}

/** Every strategy's replay into `<scratchDir>/<strategy>/`, measured against the truth; the full replay's events. */
async function replayStrategies({
  inputs,
  truthChanges,
  scratchDir,
  sink,
  log
}: {
  inputs: {trades: string; book: string; deltas: string};
  truthChanges: string;
  scratchDir: string;
  sink: TableSink;
  log: (line: string) => void;
}): Promise<void> {
  const duck = await openDuckDB();
  const accuracy: object[] = [];
  const series: object[] = [];
  try {
    for (const strategy of STRATEGIES) {
      const r = await reconstructMarket({
        inputs,
        strategy,
        outDir: join(scratchDir, strategy),
        sampleEveryMs: strategy === "full_event_replay" ? 100 : 0,
        symbol: defaultMarketConfig.symbol,
        log
      });
      const a = await topOfBookAccuracy({
        duck,
        eventsPath: r.path,
        truthChangesPath: truthChanges,
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
      // Bucket starts are ns since the start of the simulated day (2024-03-01T00:00Z); as timestamps for plots.
      for (const b of a.buckets ?? [])
        series.push({
          strategy,
          bucket_start: new Date(b.startNs / 1e6),
          exact_share: b.exactShare,
          best_bid_rmse: b.bestBidRmse,
          best_ask_rmse: b.bestAskRmse
        });
      if (strategy === "full_event_replay") await sink.writeQuery("market_events", eventsQuery(r.path));
    }
  } finally {
    duck.close();
  }
  await sink.write("market_accuracy", {columns: MARKET_ACCURACY_COLUMNS, rows: accuracy});
  await sink.write("market_error_series", {columns: MARKET_ERROR_SERIES_COLUMNS, rows: series});
}

/** Fidelity: the full replay against the simulator's own live feed (the golden sample). */
async function fidelityTables({
  replayDir,
  liveDir,
  sink,
  log
}: {
  replayDir: string;
  liveDir: string;
  sink: TableSink;
  log: (line: string) => void;
}): Promise<void> {
  const duck = await openDuckDB();
  try {
    const reconstructed = await observationFromReplay({duck, dir: replayDir});
    const golden = observationFromCapture({dir: liveDir});
    const report = fidelityReport({reconstructed, golden});
    log(`fidelity: ${report.verdict} (score ${report.score.toFixed(4)})`);
    await writeFidelityTables({report, reconstructed, golden, sink});
  } finally {
    duck.close();
  }
}

/**
 * A short capture session against the local exchange (loopback), with a lost message and a
 * disconnect, so the page can show what a capture records.
 */
async function captureSession({
  seed,
  dir,
  sink,
  log
}: {
  seed: number;
  dir: string;
  sink: TableSink;
  log: (line: string) => void;
}): Promise<void> {
  const feed = await startBinanceFeed({seed, speed: 10});
  const controller = new AbortController();
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
  log(`capture: ${summary.messages} messages, ${summary.gaps.length} gap(s), ${summary.reconnects} reconnect(s)`);
  await sink.write("capture_events", {columns: CAPTURE_EVENTS_COLUMNS, rows: events});
}

/** The symbol a path names in acquire's layout (`…/symbol=BTCUSDT/…`), else UNKNOWN (give --symbol). */
function symbolInPath(path: string): string {
  return /(?:^|[\\/])symbol=([^\\/]+)/.exec(path)?.[1] ?? "UNKNOWN";
}

export const marketPipeline: Pipeline = {
  name: "market",
  usage:
    "lab run market --simulate [--minutes 10] [--seed N] --out DIR   (or a *.sim.json market spec: every market table, as the catalog builds them);\n             lab run market --trades F --book F --deltas F [--strategy full_event_replay|snapshot_anchored|origin_time_sort] [--tick-size X --lot-size X] [--symbol S] [--reader window|sort] [--reorder-window 4096] [--memory-limit 1GB] [--segment-events 1000000] [--sample-ms 100] [--columns deltas.update_id=seq,…] [--resume] --out DIR   (or --history DIR with one <SYMBOL>/ folder per symbol, or acquire's <table>/exchange=/symbol=/dt= layout, replayed in parallel worker threads);\n             a replay from files builds in DIR.partial/, kept if it fails or is killed: rerun with --resume to continue from its last checkpoint",
  flags: [
    flag.boolean("simulate"),
    flag.positive("minutes", {max: 600}),
    ...["trades", "book", "deltas", "history", "strategy", "reader", "memory-limit", "columns", "symbol"].map(
      flag.string
    ),
    flag.positive("tick-size"),
    flag.positive("lot-size"),
    flag.count("reorder-window"),
    flag.count("segment-events"),
    flag.range("sample-ms", 0),
    flag.boolean("resume")
  ],
  // A replay from history files checkpoints as it goes: it stages in <out>.partial/, which a
  // failed or killed run leaves behind for --resume to continue from.
  outputMode: ({flags, files}) =>
    flags.simulate || flags.history || files.some((f) => f.endsWith(".json") || historyKind(f) || isRecordingName(f))
      ? {kind: "replace"}
      : {kind: "resumable", resume: Boolean(flags.resume)},
  async run({dataset, outDir, flags, files, seed, log}) {
    const specFile = files.find((f) => f.endsWith(".json"));
    if (specFile || flags.simulate) {
      const spec: MarketSimSpec = specFile
        ? (JSON.parse(readFileSync(specFile, "utf-8")) as MarketSimSpec)
        : {seed, minutes: flags.minutes === undefined ? undefined : Number(flags.minutes)};
      const scratchDir = join(outDir, ".work");
      const sink = folderSink({outDir, dataset: dataset.name});
      try {
        await runMarketTables({spec, scratchDir, sink, log, file: specFile});
      } finally {
        rmSync(scratchDir, {recursive: true, force: true});
      }
      return {tables: sink.tables};
    }
    // History files, captures and recordings given as a dataset (`--dataset DIR`, or named one by one): as the catalog does.
    const history = files.filter((f) => historyKind(f));
    const recordings = files.filter((f) => !historyKind(f) && isRecordingName(f));
    if (history.length || recordings.length) {
      const sink = folderSink({outDir, dataset: dataset.name});
      await marketDatasetTables({
        history: history.map((f) => ({kind: historyKind(f)!, relPath: f, path: f})),
        recordings,
        options: {...marketDatasetOptions(dataset), dataset: dataset.name},
        scratchDir: join(outDir, ".work"),
        sink,
        key: captureKeyFromEnv(),
        symbolFromData: dataset.options.symbol === undefined,
        log
      });
      return {tables: sink.tables};
    }
    const file = (name: string) => (typeof flags[name] === "string" ? resolve(flags[name] as string) : undefined);
    // No --strategy: the assessor's recommendation for these inputs (below).
    const requested = flags.strategy === undefined ? undefined : (String(flags.strategy) as Strategy);
    if (requested !== undefined && !STRATEGIES.includes(requested))
      throw new LabError({
        column: "--strategy",
        reason: `unknown strategy "${requested}"; one of ${STRATEGIES.join(", ")}`
      });
    const num = (name: string) => (flags[name] === undefined ? undefined : Number(flags[name]));
    // Flags are checked before any work.
    const reader = readerFlag(flags.reader);
    const columns = typeof flags.columns === "string" ? parseColumnMapping(flags.columns) : undefined;
    if (typeof flags.history === "string") {
      const results = await reconstructSymbols({
        jobs: symbolJobs({dir: resolve(flags.history)}),
        strategy: requested ?? "full_event_replay",
        outDir: join(outDir, ".symbols"),
        segmentEvents: num("segment-events"),
        columns,
        dataset: dataset.name,
        log
      });
      // Each job's day files into one table folder (part-<k>: two exchanges may share a symbol and day).
      results.forEach((r, k) => {
        const from = join(outDir, ".symbols", r.folder, "market_events");
        for (const f of readdirSync(from, {recursive: true, encoding: "utf-8"}).filter((f) => f.endsWith(".parquet"))) {
          const to = join(outDir, "market_events", dirname(f), `part-${k}.parquet`);
          mkdirSync(dirname(to), {recursive: true});
          renameSync(join(from, f), to);
        }
      });
      rmSync(join(outDir, ".symbols"), {recursive: true, force: true});
      log(`market: ${results.map((r) => `${r.folder} ${r.result.events.toLocaleString("en-US")} events`).join(", ")}`);
      return {
        tables: [
          {
            name: "market_events",
            path: join(outDir, "market_events", "**", "*.parquet"),
            rows: results.reduce((n, r) => n + r.result.events, 0)
          }
        ]
      };
    }
    const inputs = {trades: file("trades"), book: file("book"), deltas: file("deltas")};
    // The assessor first: it says which strategy fits, and its report lands beside the events.
    const assessment = await assessFiles({inputs, columns});
    const strategy = chooseStrategy({requested, recommendation: assessment.recommendation, log});
    mkdirSync(outDir, {recursive: true});
    const result = await reconstructMarket({
      inputs,
      strategy,
      outDir,
      tickSize: num("tick-size"),
      lotSize: num("lot-size"),
      columns,
      resume: Boolean(flags.resume),
      segmentEvents: num("segment-events"),
      sampleEveryMs: num("sample-ms") ?? 100,
      memoryLimit: typeof flags["memory-limit"] === "string" ? flags["memory-limit"] : undefined,
      reader,
      reorderWindowRows: num("reorder-window"),
      symbol: typeof flags.symbol === "string" ? flags.symbol : symbolInPath(inputs.trades ?? inputs.book ?? ""),
      dataset: dataset.name,
      log
    });
    // The report, with the strategy the replay used and why, once the replay has succeeded (a
    // replay that fails on its inputs leaves no output at all).
    const report = {...assessment, replay: {strategy, chosen_by: requested ? "--strategy" : "assessor"}};
    await writeAtomically(join(outDir, "assessment.json"), async (temp) =>
      writeFileSync(temp, JSON.stringify(report, null, 1))
    );
    const markdown = `${assessmentMarkdown(assessment)}\n\n${replayedWith(report.replay)}\n`;
    await writeAtomically(join(outDir, "assessment.md"), async (temp) => writeFileSync(temp, markdown));
    const sink = folderSink({outDir, dataset: dataset.name});
    await sink.write("market_assessment", {
      columns: MARKET_ASSESSMENT_COLUMNS,
      rows: [{report: JSON.stringify(report), markdown}]
    });
    log(
      `market: ${result.events.toLocaleString("en-US")} events in ${result.seconds.toFixed(1)}s (${(result.events / result.seconds / 1e6).toFixed(2)} M events/s), ${result.segments} segment(s)`
    );
    return {
      tables: [
        {name: "market_events", path: result.path, rows: result.events},
        ...sink.tables,
        ...(result.samplesPath
          ? [{name: "book_samples", path: result.samplesPath, rows: await parquetRowCount({path: result.samplesPath})}]
          : [])
      ]
    };
  }
};
