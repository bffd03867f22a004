import {existsSync, readdirSync} from "node:fs";
import {availableParallelism} from "node:os";
import {join} from "node:path";
import {LabError} from "../../core/errors.js";
import {startWorker} from "../../core/worker.js";
import type {MarketInputs} from "../history/inputs.js";
import type {ReconstructResult, Strategy} from "./reconstruct.js";

export interface SymbolJob {
  symbol: string;
  inputs: MarketInputs;
}

/**
 * Finds one replay job per symbol folder under `dir`: `<dir>/<SYMBOL>/{trades,book,book_delta_v2}`
 * (`.parquet` or `.csv`), the layout `lab simulate market` writes under `history/`.
 */
export function symbolJobs({dir}: {dir: string}): SymbolJob[] {
  const jobs: SymbolJob[] = [];
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (!entry.isDirectory()) continue;
    const find = (base: string) =>
      [".parquet", ".csv"].map((ext) => join(dir, entry.name, base + ext)).find((p) => existsSync(p));
    const inputs = {trades: find("trades"), book: find("book"), deltas: find("book_delta_v2")};
    if (inputs.book) jobs.push({symbol: entry.name, inputs});
  }
  if (!jobs.length)
    throw new LabError({
      file: dir,
      reason:
        "no symbol folders with a book file (expected <SYMBOL>/book.parquet, trades.parquet, book_delta_v2.parquet)"
    });
  return jobs.sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
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
  log = () => {}
}: {
  jobs: SymbolJob[];
  strategy: Strategy;
  outDir: string;
  threads?: number;
  segmentEvents?: number;
  log?: (line: string) => void;
}): Promise<{symbol: string; result: ReconstructResult}[]> {
  const results: {symbol: string; result: ReconstructResult}[] = [];
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
                options: {inputs: current.inputs, strategy, outDir: join(outDir, current.symbol), segmentEvents}
              });
            };
            worker.on("message", (m: {id: number; log?: string; result?: ReconstructResult; error?: string}) => {
              if (m.log) return log(`${current!.symbol}: ${m.log}`);
              if (m.error) return reject(new LabError({reason: `${current!.symbol}: ${m.error}`}));
              results.push({symbol: current!.symbol, result: m.result!});
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
  return results.sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
}
