/**
 * Crypto Lake-style history as a dataset: files dropped into `datasets/market/<dataset>/`
 * (`trades*`, `book*`, `book_delta*` or `deltas*`; Parquet, CSV or CSV.gz; one or more per kind,
 * e.g. one per day) are checked and listed per file by a plugin, and replayed per dataset by a
 * derivation into the same tables `lab run market --trades … --book … --deltas …` writes.
 *
 * The replay reads the files where they lie (it plans its own reads over Parquet; copying every
 * row through the warehouse first would double the work), so the derivation checks each file's
 * content hash against the version the plugin saw and fails rather than replay a file that changed.
 */
import {basename, relative, sep} from "node:path";
import type {Derivation, DerivedOutput} from "../catalog/derivation.js";
import type {Plugin} from "../catalog/plugin.js";
import {pluginSink} from "../catalog/plugin-sink.js";
import {OptionReader, type DatasetInfo} from "../core/dataset.js";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {sha256File} from "../core/hash.js";
import {folderSink} from "../core/table-sink.js";
import {parseColumnMapping, registerInputs, type ColumnMapping, type MarketInputs} from "./history/inputs.js";
import {marketDatasetTables} from "./dataset-tables.js";
import {captureKeyFromEnv} from "./live/capture-file.js";
import type {HistoryFile} from "./history-units.js";
import {MARKET_HISTORY_FILES_COLUMNS} from "./tables.js";
import {STRATEGIES, type Strategy} from "./replay/types.js";

export type HistoryKind = keyof MarketInputs;

/** Which history table a file holds, from its name (`book_delta_v2.parquet` → deltas), or undefined. */
export function historyKind(relPath: string): HistoryKind | undefined {
  const name = basename(relPath).toLowerCase();
  if (!/\.(parquet|csv|csv\.gz)$/.test(name)) return undefined;
  if (/^(book_delta|deltas?)/.test(name)) return "deltas";
  if (/^book/.test(name)) return "book";
  if (/^trades?/.test(name)) return "trades";
  return undefined;
}

/** A market dataset's options (docs/market.md "Your own history"). */
export interface MarketDatasetOptions {
  /** The strategy asked for; the assessor's recommendation when absent. */
  strategy?: Strategy;
  /** Price and quantity increments; inferred from the data when absent. */
  tickSize?: number;
  lotSize?: number;
  /** Book samples every this many ms of replay time (0: none). */
  sampleMs: number;
  /** The symbol market_events' rows are labelled with. */
  symbol: string;
  /** Column names the files use instead of the lab's and the vendor's (`{"deltas": {"update_id": "seq"}}`). */
  columns?: ColumnMapping;
}

export function marketDatasetOptions(
  dataset: Pick<DatasetInfo, "name" | "options" | "optionsFile">
): MarketDatasetOptions {
  const o = new OptionReader(dataset);
  const options: MarketDatasetOptions = {
    strategy: o.string("strategy", {oneOf: STRATEGIES}) as Strategy | undefined,
    tickSize: o.number("tick_size", {min: Number.MIN_VALUE}),
    lotSize: o.number("lot_size", {min: Number.MIN_VALUE}),
    sampleMs: o.number("sample_ms", {default: 100, min: 0, max: 60_000, integer: true}),
    symbol: o.string("symbol", {default: symbolOf(dataset.name)}),
    columns: columnMappingOption(o)
  };
  o.finish();
  return options;
}

/**
 * One history file: its columns are checked (a missing one fails the job naming the file) and it
 * is listed in `market_history_files` for the replay derivation of its dataset.
 */
export const marketHistoryPlugin: Plugin = {
  name: "market-history",
  tags: ["market:history"],
  topics: ["market_history_files"],
  version: 1,
  async execute(ctx, file) {
    marketDatasetOptions(file.dataset);
    const kind = historyKind(file.relPath);
    if (!kind)
      throw new LabError({
        file: file.relPath,
        reason: "not a history file the replay reads",
        hint: "name it trades…, book… or book_delta… (Parquet, CSV or CSV.gz)"
      });
    const duck = await openDuckDB();
    try {
      await registerInputs({duck, inputs: {[kind]: file.path}, mapping: marketDatasetOptions(file.dataset).columns});
      const {n} = await duck.one<{n: bigint}>(`SELECT count(*) AS n FROM ${kind}`);
      await pluginSink(ctx).write("market_history_files", {
        columns: MARKET_HISTORY_FILES_COLUMNS,
        rows: [{kind, rel_path: file.relPath, path: file.path, content_hash: file.contentHash, rows: n}]
      });
    } catch (error) {
      if (error instanceof LabError) throw new LabError({file: file.relPath, reason: error.reason, hint: error.hint});
      throw error;
    } finally {
      duck.close();
    }
  }
};

type ListedFile = {kind: string; rel_path: string; path: string; content_hash: string};

/** Each listed file's path, once checked to be the very content the plugin listed. */
async function currentPaths(rows: ListedFile[]): Promise<string[]> {
  const paths: string[] = [];
  for (const r of rows) {
    const hash = await sha256File({path: r.path}).catch(() => "(unreadable)");
    if (hash !== r.content_hash)
      throw new LabError({
        file: r.rel_path,
        reason: "the file changed since it was scanned",
        hint: "the next ingest pass takes the new version and replays it"
      });
    paths.push(r.path);
  }
  return paths;
}

/** A listed topic's files of this dataset (none when the topic has no rows of it). */
async function listed({duck, topics, topic}: {duck: Duck; topics: string[]; topic: string}): Promise<ListedFile[]> {
  if (!topics.includes(topic)) return [];
  return duck.all<ListedFile>(`SELECT kind, rel_path, path, content_hash FROM ${topic} ORDER BY kind, rel_path`);
}

/**
 * One market dataset's tables (dataset-tables.ts): its trades, book and deltas (several files of
 * a kind read as one, in time order) replayed into market_events, book_samples and
 * market_assessment; a capture or recording alone rebuilt into market_events and book_samples;
 * history and capture together fidelity-tested over their overlap (fidelity_* and fidelity_status).
 */
export const marketReplayDerivation: Derivation = {
  name: "market-replay",
  module: import.meta.url,
  exportName: "marketReplayDerivation",
  version: 2,
  inputs: ["market_history_files", "market_recording_files"],
  outputs: [
    "market_events",
    "book_samples",
    "market_assessment",
    "fidelity_metrics",
    "fidelity_values",
    "fidelity_acf",
    "fidelity_levels",
    "fidelity_status"
  ],
  async run({dataset, topics, duck, outDir, outRel, cacheDir, units, log}): Promise<DerivedOutput[]> {
    const options = marketDatasetOptions(dataset);
    const historyRows = await listed({duck, topics, topic: "market_history_files"});
    const history: HistoryFile[] = [];
    for (const r of historyRows)
      for (const path of await currentPaths([r]))
        history.push({kind: r.kind as HistoryKind, relPath: r.rel_path, path});
    const recordings = await currentPaths(await listed({duck, topics, topic: "market_recording_files"}));
    const sink = folderSink({outDir, duck, dataset: dataset.name});
    await marketDatasetTables({
      history,
      recordings,
      options: {...options, dataset: dataset.name},
      scratchDir: `${cacheDir}.work`,
      sink,
      key: captureKeyFromEnv(),
      symbolFromData: dataset.options.symbol === undefined,
      // Spread by day over the queue's workers; on one machine the whole replay is faster.
      ...(units?.queue ? {units} : {}),
      log
    });
    return sink.tables.map((t) => ({
      topic: t.name,
      path: `${outRel}/${relative(outDir, t.path).split(sep).join("/")}`,
      rows: t.rows,
      schema: t.schema
    }));
  }
};

/** `columns`: an object of objects of strings, naming only columns the replay reads. */
function columnMappingOption(o: OptionReader): ColumnMapping | undefined {
  const value = o.raw("columns");
  if (value === undefined || value === null) return undefined;
  const shape =
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.values(value).every(
      (v) =>
        typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string")
    );
  if (!shape)
    throw o.error("columns", `expected {"<input>": {"<column>": "<file column>"}}, found ${JSON.stringify(value)}`);
  try {
    return parseColumnMapping(JSON.stringify(value));
  } catch (error) {
    if (error instanceof LabError) throw o.error("columns", error.reason, error.hint);
    throw error;
  }
}

/** The symbol a dataset's events are labelled with by default: its name upper-cased (`btcusdt` → BTCUSDT). */
function symbolOf(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, "");
}
