import {existsSync, readdirSync} from "node:fs";
import {availableParallelism} from "node:os";
import {join} from "node:path";
import {LabError} from "../../core/errors.js";
import {startWorker} from "../../core/worker.js";
import type {ColumnMapping, MarketInputs} from "../history/inputs.js";
import type {ReconstructResult, Strategy} from "./reconstruct.js";

export interface SymbolJob {
  symbol: string;
  /** The job's output folder under the run's (the symbol; exchange/symbol/day for acquire's layout). */
  folder: string;
  inputs: MarketInputs;
}

const ACQUIRED_TABLES = {book: "book", trades: "trades", deltas: "book_delta_v2"} as const;

/**
 * Finds the replay jobs under `dir`: one per symbol folder `<dir>/<SYMBOL>/{trades,book,book_delta_v2}`
 * (`.parquet` or `.csv`), the layout `lab simulate market` writes under `history/`; or, in the
 * Crypto Lake layout `lab acquire market` writes (`<table>/exchange=<E>/symbol=<S>/dt=<day>/`),
 * one per exchange, symbol and day (a day's book starts again from its first snapshot).
 */
export function symbolJobs({dir}: {dir: string}): SymbolJob[] {
  if (existsSync(join(dir, "book")) && readdirSync(join(dir, "book")).some((e) => e.startsWith("exchange=")))
    return acquiredJobs({dir});
  const jobs: SymbolJob[] = [];
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (!entry.isDirectory()) continue;
    const find = (base: string) =>
      [".parquet", ".csv"].map((ext) => join(dir, entry.name, base + ext)).find((p) => existsSync(p));
    const inputs = {trades: find("trades"), book: find("book"), deltas: find("book_delta_v2")};
    if (inputs.book) jobs.push({symbol: entry.name, folder: entry.name, inputs});
  }
  if (!jobs.length)
    throw new LabError({
      file: dir,
      reason:
        "no symbol folders with a book file (expected <SYMBOL>/book.parquet, trades.parquet, book_delta_v2.parquet, or acquire's book/exchange=<E>/symbol=<S>/dt=<day>/*.parquet)"
    });
  return jobs.sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
}

/** Jobs for acquire's layout: one per (exchange, symbol, day) with a book file. */
function acquiredJobs({dir}: {dir: string}): SymbolJob[] {
  const sub = (path: string, key: string) =>
    existsSync(path)
      ? readdirSync(path)
          .filter((e) => e.startsWith(`${key}=`))
          .map((e) => e.slice(key.length + 1))
          .sort()
      : [];
  const jobs: SymbolJob[] = [];
  for (const exchange of sub(join(dir, "book"), "exchange"))
    for (const symbol of sub(join(dir, "book", `exchange=${exchange}`), "symbol"))
      for (const day of sub(join(dir, "book", `exchange=${exchange}`, `symbol=${symbol}`), "dt")) {
        const inputs: MarketInputs = {};
        for (const [input, table] of Object.entries(ACQUIRED_TABLES) as [keyof MarketInputs, string][]) {
          const folder = join(dir, table, `exchange=${exchange}`, `symbol=${symbol}`, `dt=${day}`);
          const files = existsSync(folder)
            ? readdirSync(folder)
                .filter((f) => f.endsWith(".parquet"))
                .sort()
            : [];
          if (files.length > 1)
            throw new LabError({
              file: folder,
              reason: `${files.length} files for one day; the replay reads one file per table and day`,
              hint: "join them into one (DuckDB: COPY (SELECT * FROM read_parquet('<folder>/*.parquet')) TO 'day.parquet')"
            });
          if (files[0]) inputs[input] = join(folder, files[0]);
        }
        jobs.push({symbol, folder: join(exchange, symbol, day), inputs});
      }
  return jobs;
}

/**
 * Replays several symbols at once, one worker thread per core (each symbol's replay is
 * independent: its own inputs, book, segments and output folder `<outDir>/<SYMBOL>/`).
 */
export async function reconstructSymbols({
  jobs,
  strategy,
  outDir,
  threads = availableParallelism(),
  segmentEvents,
  columns,
  dataset,
  log = () => {}
}: {
  jobs: SymbolJob[];
  /** market_events' `dataset` column. */
  dataset?: string;
  strategy: Strategy;
  outDir: string;
  threads?: number;
  segmentEvents?: number;
  /** Column names the inputs use instead of the lab's and the vendor's. */
  columns?: ColumnMapping;
  log?: (line: string) => void;
}): Promise<{symbol: string; folder: string; result: ReconstructResult}[]> {
  const results: {symbol: string; folder: string; result: ReconstructResult}[] = [];
  const queue = jobs.map((job, id) => ({id, ...job}));
  const workers = Array.from({length: Math.max(1, Math.min(threads, jobs.length))}, () =>
    startWorker({module: new URL("./replay-worker.ts", import.meta.url)})
  );
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            let current: (typeof queue)[number] | undefined;
            const next = () => {
              current = queue.shift();
              if (!current) return resolve();
              worker.postMessage({
                id: current.id,
                options: {
                  inputs: current.inputs,
                  strategy,
                  outDir: join(outDir, current.folder),
                  segmentEvents,
                  columns,
                  symbol: current.symbol,
                  ...(dataset ? {dataset} : {})
                }
              });
            };
            worker.on("message", (m: {id: number; log?: string; result?: ReconstructResult; error?: string}) => {
              if (m.log) return log(`${current!.folder}: ${m.log}`);
              if (m.error) return reject(new LabError({reason: `${current!.folder}: ${m.error}`}));
              results.push({symbol: current!.symbol, folder: current!.folder, result: m.result!});
              next();
            });
            worker.on("error", reject);
            next();
          })
      )
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results.sort((a, b) => (a.folder < b.folder ? -1 : 1));
}
