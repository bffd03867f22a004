import {copyFileSync, mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readDatasetFolder} from "../../../src/lib/core/dataset.js";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {acquireMarketData} from "../../../src/lib/market/history/acquire.js";
import {parseColumnMapping} from "../../../src/lib/market/history/inputs.js";
import {marketDatasetOptions} from "../../../src/lib/market/history-dataset.js";
import {marketPipeline} from "../../../src/lib/market/pipeline.js";
import {reconstructSymbols, symbolJobs} from "../../../src/lib/market/replay/multi-symbol.js";
import {reconstructMarket} from "../../../src/lib/market/replay/reconstruct.js";
import {simulatedHistory} from "../helpers.js";

/** Every row of market_events, compared as a whole. */
// (The symbol aside: the multi-symbol replay labels rows with the folder's.)
const EVENTS = "SELECT count(*)::INT AS n, sum(hash(x))::VARCHAR AS h FROM (SELECT * EXCLUDE (symbol) FROM t) x";

describe("vendor column names", () => {
  test("the Crypto Lake downloader's raw files (integer-ns timestamps, side_is_bid, size, id, amount) replay exactly as the lab's; other names through a mapping; acquire's layout is read by the multi-symbol replay", async () => {
    const root = mkdtempSync(join(tmpdir(), "market-vendor-"));
    const sim = await simulatedHistory({seed: 31, seconds: 90, config: {dropDeltaRate: 0.01}});
    const reference = await reconstructMarket({
      inputs: sim.inputs,
      strategy: "full_event_replay",
      outDir: join(root, "ref")
    });
    const duck = await openDuckDB();
    const day = (
      await duck.all<{day: string}>(
        `SELECT strftime(min(origin_time), '%Y-%m-%d') AS day FROM read_parquet('${sim.inputs.book}')`
      )
    )[0]!.day;
    const lake = (table: string) => join(root, "lake", table, "exchange=BINANCE", "symbol=BTC-USDT", `dt=${day}`);
    for (const t of ["trades", "book", "book_delta_v2"]) mkdirSync(lake(t), {recursive: true});
    const times = "epoch_ns(origin_time) AS timestamp, epoch_ns(received_time) AS receipt_timestamp";
    await duck.run(
      `COPY (SELECT ${times}, update_id AS sequence_number, side = 'bid' AS side_is_bid, price, new_quantity AS size FROM read_parquet('${sim.inputs.deltas}')) TO '${lake("book_delta_v2")}/1.parquet' (FORMAT parquet)`
    );
    await duck.run(
      `COPY (SELECT ${times}, trade_id AS id, side, price, quantity AS amount FROM read_parquet('${sim.inputs.trades}')) TO '${lake("trades")}/1.parquet' (FORMAT parquet)`
    );
    await duck.run(
      `COPY (SELECT ${times}, * EXCLUDE (origin_time, received_time) FROM read_parquet('${sim.inputs.book}')) TO '${lake("book")}/1.parquet' (FORMAT parquet)`
    );
    // A variant with names of its own, read through a mapping.
    const odd = join(root, "odd-deltas.parquet");
    await duck.run(
      `COPY (SELECT origin_time AS t0, received_time, update_id AS seq, side, price, new_quantity AS qty FROM read_parquet('${sim.inputs.deltas}')) TO '${odd}' (FORMAT parquet)`
    );
    duck.close();
    const vendor = {
      trades: `${lake("trades")}/1.parquet`,
      book: `${lake("book")}/1.parquet`,
      deltas: `${lake("book_delta_v2")}/1.parquet`
    };
    const raw = await reconstructMarket({inputs: vendor, strategy: "full_event_replay", outDir: join(root, "raw")});
    const want = await readParquetAll({path: reference.path, sql: EVENTS});
    expect(want[0]!.n).toBeGreaterThan(10_000);
    expect(await readParquetAll({path: raw.path, sql: EVENTS})).toEqual(want);

    const inputs = {...sim.inputs, deltas: odd};
    await expect(
      reconstructMarket({inputs, strategy: "full_event_replay", outDir: join(root, "unmapped")})
    ).rejects.toThrow(
      /odd-deltas\.parquet: missing column\(s\) origin_time, update_id, new_quantity for the deltas table .*--columns deltas\.<column>=<file column>/
    );
    const columns = parseColumnMapping("deltas.origin_time=t0, deltas.update_id=seq,deltas.new_quantity=qty");
    expect(columns).toEqual(
      parseColumnMapping('{"deltas": {"origin_time": "t0", "update_id": "seq", "new_quantity": "qty"}}')
    );
    expect(() => parseColumnMapping("deltas.volume=qty")).toThrow(/"deltas.volume" is not a column the replay reads/);
    const mapped = await reconstructMarket({
      inputs,
      strategy: "full_event_replay",
      outDir: join(root, "mapped"),
      columns
    });
    expect(await readParquetAll({path: mapped.path, sql: EVENTS})).toEqual(want);

    // acquire takes the raw files in (its checks read the raw names), and --history reads its layout.
    const report = await acquireMarketData({from: join(root, "lake"), inbox: join(root, "inbox"), minDayCoverage: 0});
    expect([report.accepted, report.refused]).toEqual([3, 0]);
    const jobs = symbolJobs({dir: join(root, "inbox")});
    expect(jobs.map((j) => [j.symbol, j.folder])).toEqual([["BTC-USDT", join("BINANCE", "BTC-USDT", day)]]);
    const [result] = await reconstructSymbols({
      jobs,
      strategy: "full_event_replay",
      outDir: join(root, "multi"),
      threads: 1
    });
    expect(await readParquetAll({path: result!.result.path, sql: EVENTS})).toEqual(want);
  }, 120_000);

  test("a dataset folder of raw vendor files, with a column named otherwise mapped in dataset.json, replays as the lab's files", async () => {
    const root = mkdtempSync(join(tmpdir(), "market-vendor-dataset-"));
    const sim = await simulatedHistory({seed: 32, seconds: 60});
    const reference = await reconstructMarket({
      inputs: sim.inputs,
      strategy: "full_event_replay",
      outDir: join(root, "ref")
    });
    const dir = join(root, "btcusdt");
    mkdirSync(dir);
    const duck = await openDuckDB();
    const times = "epoch_ns(origin_time) AS timestamp, epoch_ns(received_time) AS receipt_timestamp";
    await duck.run(
      `COPY (SELECT ${times}, update_id AS sequence_number, side = 'bid' AS side_is_bid, price, new_quantity AS qty FROM read_parquet('${sim.inputs.deltas}')) TO '${dir}/book_delta_v2.parquet' (FORMAT parquet)`
    );
    await duck.run(
      `COPY (SELECT ${times}, trade_id AS id, side, price, quantity AS amount FROM read_parquet('${sim.inputs.trades}')) TO '${dir}/trades.parquet' (FORMAT parquet)`
    );
    duck.close();
    copyFileSync(sim.inputs.book, join(dir, "book.parquet"));
    writeFileSync(join(dir, "dataset.json"), JSON.stringify({sample_ms: 0, columns: {deltas: {new_quantity: "qty"}}}));
    const {dataset, files} = readDatasetFolder({dir, pipeline: "market"});
    const out = join(root, "out");
    await marketPipeline.run({files, dataset, outDir: out, seed: 1, flags: {}, log: () => {}});
    const sql =
      "SELECT count(*)::INT AS n, sum(hash(event_ts_ns, update_id, best_bid, best_ask, bid_depth_5))::VARCHAR AS h FROM t";
    expect(await readParquetAll({path: join(out, "market_events", "**", "*.parquet"), sql})).toEqual(
      await readParquetAll({path: reference.path, sql})
    );
    expect(() =>
      marketDatasetOptions({name: "x", options: {columns: {deltas: {volume: "qty"}}}, optionsFile: "d.json"})
    ).toThrow(/^d\.json:columns: "deltas\.volume" is not a column the replay reads/);
    expect(() => marketDatasetOptions({name: "x", options: {columns: ["qty"]}, optionsFile: "d.json"})).toThrow(
      /^d\.json:columns: expected \{"<input>": \{"<column>": "<file column>"\}\}/
    );
  }, 120_000);
});
