/**
 * Crypto Lake-style history dropped into `datasets/market/<dataset>/` is replayed per dataset, by
 * `lab run market --dataset DIR` and by the catalog alike: the same events as the replay from
 * named files, with the dataset on every row.
 */
import {copyFileSync, mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readDatasetFolder} from "../../src/lib/core/dataset.js";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {quoteString} from "../../src/lib/core/sql.js";
import {historyKind, marketDatasetOptions} from "../../src/lib/market/history-dataset.js";
import {marketPipeline, simulateMarketFiles} from "../../src/lib/market/pipeline.js";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {genericRouting} from "../../src/lib/catalog/config.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject} from "../catalog/helpers.js";

const summarySql =
  "SELECT count(*)::INT AS n, sum(best_bid)::DOUBLE AS bids, count(DISTINCT dataset)::INT AS datasets, any_value(symbol) AS symbol, any_value(dataset) AS dataset FROM t";

describe("market history as a dataset", () => {
  let dir: string;
  let reference: {n: number; bids: number};

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), "market-dataset-"));
    const sim = await simulateMarketFiles({outDir: join(root, "sim"), seed: 3, minutes: 1, live: false});
    // The dataset as a user has it: trades split in two CSV files (a file per half, prices with 8
    // decimals as exchanges write them), book and deltas as Parquet, and a dataset.json.
    dir = join(root, "btcusdt");
    mkdirSync(dir);
    const duck = await openDuckDB();
    try {
      const half = `(SELECT min(origin_time) + (max(origin_time) - min(origin_time)) / 2 FROM read_parquet(${quoteString(sim.trades)}))`;
      const csv = (where: string, name: string) =>
        duck.run(
          `COPY (SELECT origin_time, received_time, trade_id, side, printf('%.8f', price) AS price, printf('%.8f', quantity) AS quantity
                 FROM read_parquet(${quoteString(sim.trades)}) WHERE ${where} ORDER BY origin_time) TO ${quoteString(join(dir, name))} (HEADER)`
        );
      await csv(`origin_time < ${half}`, "trades_1.csv");
      await csv(`origin_time >= ${half}`, "trades_2.csv");
    } finally {
      duck.close();
    }
    copyFileSync(sim.book, join(dir, "book.parquet"));
    copyFileSync(sim.deltas, join(dir, "book_delta_v2.parquet"));
    writeFileSync(join(dir, "dataset.json"), JSON.stringify({symbol: "BTC-USDT", sample_ms: 0}));
    // The reference: the replay from the simulator's own files, named one by one.
    const out = join(root, "reference");
    await marketPipeline.run({
      files: [],
      dataset: {name: "default", options: {}, optionsFile: "dataset.json"},
      outDir: out,
      seed: 1,
      flags: {trades: sim.trades, book: sim.book, deltas: sim.deltas},
      log: () => {}
    });
    const [r] = await readParquetAll({
      path: join(out, "market_events", "**", "*.parquet"),
      sql: "SELECT count(*)::INT AS n, sum(best_bid)::DOUBLE AS bids FROM t"
    });
    reference = r as {n: number; bids: number};
    expect(reference.n).toBeGreaterThan(1000);
  }, 120_000);

  test("file kinds come from names; the options are checked", () => {
    expect(
      [
        "trades_1.csv",
        "book.parquet",
        "book_delta_v2.parquet",
        "deltas-2024-01-01.csv.gz",
        "notes.txt",
        "bookings.json"
      ].map(historyKind)
    ).toEqual(["trades", "book", "deltas", "deltas", undefined, undefined]);
    // No strategy: the assessor's recommendation, chosen at replay time.
    expect(marketDatasetOptions({name: "btcusdt", options: {}, optionsFile: "d.json"})).toEqual({
      strategy: undefined,
      tickSize: undefined,
      lotSize: undefined,
      sampleMs: 100,
      symbol: "BTCUSDT"
    });
    expect(() => marketDatasetOptions({name: "x", options: {strategy: "guess"}, optionsFile: "d.json"})).toThrow(
      'd.json:strategy: "guess" is not one of "full_event_replay", "snapshot_anchored", "origin_time_sort"'
    );
  });

  test("lab run market --dataset replays the folder: the same events as from the named files", async () => {
    const {dataset, files} = readDatasetFolder({dir, pipeline: "market"});
    const out = mkdtempSync(join(tmpdir(), "market-dataset-out-"));
    const result = await marketPipeline.run({files, dataset, outDir: out, seed: 1, flags: {}, log: () => {}});
    expect(result.tables.map((t) => t.name)).toEqual(["market_assessment", "market_events"]);
    const [events] = await readParquetAll({path: join(out, "market_events", "**", "*.parquet"), sql: summarySql});
    expect(events).toEqual({...reference, datasets: 1, symbol: "BTC-USDT", dataset: "btcusdt"});
  }, 120_000);

  test("in the catalog: the files are listed per dataset and replayed by the derivation", async () => {
    const p = makeProject({routing: [...catalogBuiltins().routing, ...genericRouting]});
    for (const name of ["trades_1.csv", "trades_2.csv", "book.parquet", "book_delta_v2.parquet", "dataset.json"])
      copyFileSync(join(dir, name), p.write(`datasets/market/btcusdt/${name}`, ""));
    const summary = await p.ingest();
    expect(summary.failures).toEqual([]);
    expect(
      await p.query(
        ["market_history_files"],
        "SELECT dataset, kind, count(*)::INT AS files FROM market_history_files GROUP BY ALL ORDER BY kind"
      )
    ).toEqual([
      {dataset: "btcusdt", kind: "book", files: 1},
      {dataset: "btcusdt", kind: "deltas", files: 1},
      {dataset: "btcusdt", kind: "trades", files: 2}
    ]);
    const [events] = await p.query(["market_events"], summarySql.replace("FROM t", "FROM market_events"));
    expect(events).toEqual({...reference, datasets: 1, symbol: "BTC-USDT", dataset: "btcusdt"});
    expect(await p.query(["catalog_datasets"], "SELECT pipeline, dataset, simulated FROM catalog_datasets")).toEqual([
      {pipeline: "market", dataset: "btcusdt", simulated: false}
    ]);
  }, 180_000);
});
