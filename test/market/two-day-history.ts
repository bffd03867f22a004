/**
 * A simulated history over two calendar days and two symbols, laid out as a market dataset: per
 * symbol a `symbol=<S>/` folder with `trades-<day>.parquet`, `book-<day>.parquet` and
 * `book_delta_v2-<day>.parquet` (each simulation shifted to straddle midnight, each file holding
 * the rows whose origin_time falls on its day, in the collector's arrival order).
 */
import {mkdirSync} from "node:fs";
import {join} from "node:path";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {quoteString} from "../../src/lib/core/sql.js";
import {folderSink} from "../../src/lib/core/table-sink.js";
import {historyKind} from "../../src/lib/market/history-dataset.js";
import {replayHistoryTables} from "../../src/lib/market/history-replay.js";
import type {HistoryFile} from "../../src/lib/market/history-units.js";
import {simulateMarketFiles} from "../../src/lib/market/pipeline.js";

export const SYMBOLS = ["AAA", "BBB"] as const;
export const DAYS = ["2024-02-29", "2024-03-01"] as const;

/** Writes the dataset into `dir` (a simulation of `minutes` per symbol, half of it before midnight). */
export async function writeTwoDayHistory({
  dir,
  scratch,
  minutes = 2
}: {
  dir: string;
  scratch: string;
  minutes?: number;
}): Promise<HistoryFile[]> {
  const files: HistoryFile[] = [];
  const duck = await openDuckDB();
  try {
    for (const [i, symbol] of SYMBOLS.entries()) {
      // Deltas lost and timestamps jittered, so that gaps, resyncs and reordering cross midnight.
      const sim = await simulateMarketFiles({
        outDir: join(scratch, symbol),
        seed: i + 1,
        minutes,
        live: false,
        config: {dropDeltaRate: 0.01, originJitterMs: 0.5}
      });
      mkdirSync(join(dir, `symbol=${symbol}`), {recursive: true});
      const shift = `INTERVAL ${minutes * 30} SECOND`;
      for (const [base, source] of [
        ["trades", sim.trades],
        ["book", sim.book],
        ["book_delta_v2", sim.deltas]
      ] as const)
        for (const [day, cmp] of [
          [DAYS[0], "<"],
          [DAYS[1], ">="]
        ] as const) {
          const relPath = `symbol=${symbol}/${base}-${day}.parquet`;
          const path = join(dir, relPath);
          await duck.run(
            `COPY (SELECT * EXCLUDE (origin_time, received_time, file_row_number), origin_time - ${shift} AS origin_time, received_time - ${shift} AS received_time
                   FROM read_parquet(${quoteString(source)}, file_row_number = true)
                   WHERE origin_time - ${shift} ${cmp} TIMESTAMP '${DAYS[1]}' ORDER BY file_row_number) TO ${quoteString(path)} (FORMAT parquet)`
          );
          files.push({kind: historyKind(path)!, relPath, path});
        }
    }
  } finally {
    duck.close();
  }
  return files;
}

/** The single-machine reference: each symbol's whole history replayed at once, the symbols one after the other. */
export async function wholeReplay({
  files,
  outDir,
  sampleMs = 0
}: {
  files: HistoryFile[];
  outDir: string;
  sampleMs?: number;
}): Promise<string[]> {
  const paths: string[] = [];
  for (const symbol of SYMBOLS) {
    const byKind = {trades: [] as string[], book: [] as string[], deltas: [] as string[]};
    for (const f of files
      .filter((f) => f.relPath.startsWith(`symbol=${symbol}/`))
      .sort((a, b) => (a.relPath < b.relPath ? -1 : 1)))
      byKind[f.kind].push(f.path);
    const out = join(outDir, symbol);
    mkdirSync(out, {recursive: true});
    const sink = folderSink({outDir: out, dataset: "whole"});
    await replayHistoryTables({
      files: byKind,
      options: {strategy: "full_event_replay", sampleMs, symbol, dataset: "whole"},
      scratchDir: join(out, ".work"),
      sink
    });
    paths.push(...sink.tables.filter((t) => t.name === "market_events").map((t) => t.path));
  }
  return paths;
}

/**
 * Row count, sum of best bids and an md5 over every row in order (all columns but `dataset`) of
 * these Parquet files read one after the other (give them in path order).
 */
export const eventsDigestSql = (paths: string[]) =>
  `SELECT count(*)::INT AS n, sum(best_bid)::DOUBLE AS bids, md5(string_agg(md5(CAST(t AS VARCHAR)), ',' ORDER BY k)) AS md5
   FROM (SELECT row_number() OVER (ORDER BY filename, file_row_number) AS k, * EXCLUDE (filename, file_row_number, dataset)
         FROM read_parquet([${paths.map(quoteString).join(", ")}], filename = true, file_row_number = true, hive_partitioning = false)) t`;
