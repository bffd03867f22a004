import {mkdirSync, readdirSync, rmSync} from "node:fs";
import {basename, join} from "node:path";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {copyQueryToParquet} from "../core/parquet-write.js";
import {quoteList} from "../core/sql.js";
import type {TableSink} from "../core/table-sink.js";
import {assessFiles, assessmentMarkdown} from "./history/assess.js";
import {sourceSql, type ColumnMapping, type MarketInputs} from "./history/inputs.js";
import {reconstructMarket} from "./replay/reconstruct.js";
import {chooseStrategy, replayedWith} from "./replay/strategy-choice.js";
import {eventsQuery} from "./replay/event-columns.js";
import {EVENTS_FOLDER} from "./replay/checkpoint-store.js";
import type {Strategy} from "./replay/types.js";
import {MARKET_ASSESSMENT_COLUMNS} from "./tables.js";

/** What a market dataset's replay is told (docs/market.md "Your own history"). */
export interface HistoryReplayOptions {
  /** The strategy asked for; the assessor's recommendation when absent. */
  strategy?: Strategy;
  tickSize?: number;
  lotSize?: number;
  sampleMs: number;
  /** The symbol written in market_events' `symbol` column. */
  symbol: string;
  /** Column names the files use instead of the lab's and the vendor's. */
  columns?: ColumnMapping;
  /** The dataset the rows are published for (market_events' files carry it). */
  dataset: string;
}

/**
 * A market dataset's history files replayed into its tables: market_assessment (the assessor's
 * report), market_events and, when sampling, book_samples. Several files of one kind (a file per
 * day) are read as one table; `scratchDir` holds the joined inputs and the replay's own files and
 * is removed afterwards.
 */
export async function replayHistoryTables({
  files,
  options,
  scratchDir,
  sink,
  log = () => {}
}: {
  files: Record<keyof MarketInputs, string[]>;
  options: HistoryReplayOptions;
  scratchDir: string;
  sink: TableSink;
  log?: (line: string) => void;
}): Promise<void> {
  if (!files.trades.length || !files.book.length)
    throw new LabError({
      reason: `a market dataset needs trades and book files (found ${files.trades.length} trades, ${files.book.length} book, ${files.deltas.length} delta file(s))`,
      hint: "put trades…, book… and book_delta… files (Parquet, CSV or CSV.gz) in the dataset's folder"
    });
  rmSync(scratchDir, {recursive: true, force: true});
  mkdirSync(scratchDir, {recursive: true});
  try {
    const inputs = await joinedInputs({files, scratchDir});
    const assessment = await assessFiles({inputs, columns: options.columns});
    for (const t of assessment.tables) t.file = basename(t.file);
    assessment.inputs = {};
    const strategy = chooseStrategy({requested: options.strategy, recommendation: assessment.recommendation, log});
    const result = await reconstructMarket({
      inputs,
      strategy,
      outDir: join(scratchDir, "replay"),
      tickSize: options.tickSize,
      lotSize: options.lotSize,
      columns: options.columns,
      sampleEveryMs: options.sampleMs,
      symbol: options.symbol,
      dataset: options.dataset,
      log
    });
    log(`market: ${options.symbol} ${result.events.toLocaleString("en-US")} events replayed (${strategy})`);
    // The report once the replay has succeeded, with the strategy it used and who chose it.
    const replay = {strategy, chosen_by: options.strategy ? "dataset.json strategy" : "assessor"};
    await sink.write("market_assessment", {
      columns: MARKET_ASSESSMENT_COLUMNS,
      rows: [
        {
          report: JSON.stringify({...assessment, replay}),
          markdown: `${assessmentMarkdown(assessment)}\n\n${replayedWith(replay)}\n`
        }
      ]
    });
    await publishEvents({sink, eventsDir: join(scratchDir, "replay", EVENTS_FOLDER), path: result.path});
    if (result.samplesPath)
      await sink.writeQuery("book_samples", `SELECT * FROM read_parquet(${quoteList([result.samplesPath])})`);
  } finally {
    rmSync(scratchDir, {recursive: true, force: true});
  }
}

/**
 * A replay's market_events published as they are partitioned (`market_events/symbol=…/day=…/`)
 * by a sink that takes files in; through a query otherwise (one file).
 */
export async function publishEvents({
  sink,
  eventsDir,
  path
}: {
  sink: TableSink;
  /** The replay's market_events folder. */
  eventsDir: string;
  /** Its files' glob (ReconstructResult.path). */
  path: string;
}): Promise<number> {
  if (!sink.adopt) return sink.writeQuery("market_events", eventsQuery(path));
  const files = readdirSync(eventsDir, {recursive: true, encoding: "utf-8"})
    .filter((f) => f.endsWith(".parquet"))
    .sort()
    .map((rel) => ({path: join(eventsDir, rel), rel}));
  return sink.adopt("market_events", files);
}

/** One input path per kind: the file itself, or several files of a kind joined into one Parquet. */
export async function joinedInputs({
  files,
  scratchDir
}: {
  files: Record<keyof MarketInputs, string[]>;
  scratchDir: string;
}): Promise<MarketInputs> {
  const inputs: MarketInputs = {};
  const duck = await openDuckDB({tempDirectory: scratchDir});
  try {
    for (const kind of ["trades", "book", "deltas"] as const) {
      const paths = files[kind];
      if (paths.length === 1) inputs[kind] = paths[0];
      else if (paths.length > 1) {
        const path = join(scratchDir, `${kind}.parquet`);
        await copyQueryToParquet({
          duck,
          path,
          // In the files' order, as one file would hold them (the replay numbers rows itself).
          sql: paths.map((p) => `SELECT * EXCLUDE (file_row_number) FROM ${sourceSql(p)}`).join(" UNION ALL BY NAME ")
        });
        inputs[kind] = path;
      }
    }
    return inputs;
  } finally {
    duck.close();
  }
}
