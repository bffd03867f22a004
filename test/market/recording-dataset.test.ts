/**
 * Captures and recordings in `datasets/market/<dataset>/`, through the catalog: listed per file,
 * a capture alone rebuilt into market_events and book_samples, and history with an overlapping
 * capture fidelity-tested at build time (a capture that does not overlap says so).
 */
import {copyFileSync, mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {gzipSync} from "node:zlib";
import {beforeAll, describe, expect, test} from "vitest";
import {genericRouting} from "../../src/lib/catalog/config.js";
import {readDatasetFolder} from "../../src/lib/core/dataset.js";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {marketPipeline, simulateMarketFiles} from "../../src/lib/market/pipeline.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject, type TestProject} from "../catalog/helpers.js";
import {binanceRecording, referenceBooks} from "./binance-recording.js";
import {liveFeedRecording} from "./sim-recording.js";

describe("market captures and recordings as datasets, in the catalog", () => {
  const rec = binanceRecording({seed: 3, diffs: 300});
  let p: TestProject;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), "market-recordings-"));
    const sim = await simulateMarketFiles({outDir: join(root, "sim"), seed: 5, minutes: 1});
    p = makeProject({routing: [...catalogBuiltins().routing, ...genericRouting]});
    // A recording alone; history with the recording of its own live feed; history with a recording of another day.
    p.write("datasets/market/rec/btcusdt.txt.gz", gzipSync(rec.text));
    for (const dataset of ["sim", "apart"])
      for (const [from, name] of [
        [sim.trades, "trades.parquet"],
        [sim.book, "book.parquet"],
        [sim.deltas, "book_delta_v2.parquet"]
      ] as const)
        copyFileSync(from, p.write(`datasets/market/${dataset}/${name}`, ""));
    p.write("datasets/market/sim/live.txt", liveFeedRecording(sim.live!));
    p.write("datasets/market/apart/other-day.txt", rec.text);
    const summary = await p.ingest();
    expect(summary.failures).toEqual([]);
  }, 240_000);

  test("every file is listed with its kind, span, messages and symbol", async () => {
    const rows = await p.query(
      ["market_recording_files"],
      "SELECT dataset, kind, rel_path, first_ns, last_ns, messages::INT AS messages, snapshots::INT AS snapshots, symbol FROM market_recording_files ORDER BY dataset"
    );
    const streamed = rec.lines.filter((l) => l.includes('"stream"'));
    const times = streamed.map((l) => {
      const d = (JSON.parse(l.slice(l.indexOf(" ") + 1)) as {data: {E: number; T?: number}}).data;
      return BigInt(d.T ?? d.E) * 1_000_000n;
    });
    const recRow = {
      kind: "recording",
      first_ns: times.reduce((a, b) => (a < b ? a : b)),
      last_ns: times.reduce((a, b) => (a > b ? a : b)),
      messages: streamed.length,
      snapshots: 1,
      symbol: "BTCUSDT"
    };
    expect(rows.map((r) => r.dataset)).toEqual(["apart", "rec", "sim"]);
    expect(rows[0]).toEqual({dataset: "apart", rel_path: "market/apart/other-day.txt", ...recRow});
    expect(rows[1]).toEqual({dataset: "rec", rel_path: "market/rec/btcusdt.txt.gz", ...recRow});
    expect(rows[2]).toMatchObject({dataset: "sim", kind: "recording", symbol: "BTCUSDT"});
    expect(Number(rows[2]!.messages)).toBeGreaterThan(1000);
  });

  test("a recording alone: its book rebuilt into market_events and book_samples, and a status that says there is no history", async () => {
    const reference = referenceBooks(rec);
    const [samples] = await p.query(
      ["book_samples"],
      "SELECT count(*)::INT AS n, (arg_max(bid_0_price, ts_ns) * 100)::BIGINT AS bid FROM book_samples WHERE dataset = 'rec'"
    );
    expect(samples).toEqual({n: reference.length - 1, bid: BigInt(reference.at(-2)!.bids[0]![0])});
    const [events] = await p.query(
      ["market_events"],
      "SELECT count(*) FILTER (WHERE event_type = 'TRADE')::INT AS trades, (arg_max(best_bid, event_ts_ns) * 100)::BIGINT AS bid, any_value(symbol) AS symbol FROM market_events WHERE dataset = 'rec'"
    );
    expect(events).toMatchObject({bid: BigInt(reference.at(-1)!.bids[0]![0]), symbol: "BTCUSDT"});
    expect(events!.trades).toBeGreaterThan(100);
    expect(await p.query(["fidelity_status"], "SELECT dataset, state FROM fidelity_status ORDER BY dataset")).toEqual([
      {dataset: "apart", state: "no_overlap"},
      {dataset: "rec", state: "no_history"},
      {dataset: "sim", state: "compared"}
    ]);
  });

  test("history with an overlapping capture: the fidelity report of its replay against the capture, over the overlap", async () => {
    const metrics = await p.query(
      ["fidelity_metrics"],
      "SELECT dataset, count(*)::INT AS metrics, any_value(verdict) AS verdict, count(*) FILTER (WHERE p_value IS NOT NULL)::INT AS tested FROM fidelity_metrics GROUP BY dataset"
    );
    expect(metrics).toEqual([{dataset: "sim", metrics: expect.any(Number), verdict: expect.any(String), tested: 7}]);
    const [status] = await p.query(
      ["fidelity_status"],
      "SELECT overlap_seconds, note FROM fidelity_status WHERE dataset = 'sim'"
    );
    expect(Number(status!.overlap_seconds)).toBeGreaterThan(50);
    expect(String(status!.note)).toMatch(/tested against the capture over the \d+\.\d s both cover/);
    // The book-based distributions of a replay of complete history agree with its own live feed.
    const spread = await p.query(
      ["fidelity_metrics"],
      "SELECT metric, passed FROM fidelity_metrics WHERE dataset = 'sim' AND metric IN ('spread', 'depth_5') ORDER BY metric"
    );
    expect(spread).toEqual([
      {metric: "depth_5", passed: true},
      {metric: "spread", passed: true}
    ]);
    for (const topic of ["fidelity_values", "fidelity_acf", "fidelity_levels"]) {
      const rows = await p.query([topic], `SELECT DISTINCT dataset FROM ${topic}`);
      expect(rows).toEqual([{dataset: "sim"}]);
    }
    const [apart] = await p.query(["fidelity_status"], "SELECT note FROM fidelity_status WHERE dataset = 'apart'");
    expect(String(apart!.note)).toMatch(
      /^The history \(2024-03-01T.* and the capture \(2025-12-.*cover no common time/
    );
  });

  test("lab run market --dataset on the same folders gives the catalog's rows", async () => {
    for (const dataset of ["rec", "sim"]) {
      const {dataset: info, files} = readDatasetFolder({
        dir: join(p.dir, "datasets", "market", dataset),
        pipeline: "market"
      });
      const out = mkdtempSync(join(tmpdir(), "market-recordings-run-"));
      const result = await marketPipeline.run({files, dataset: info, outDir: out, seed: 1, flags: {}, log: () => {}});
      const summary = "SELECT count(*)::INT AS n, sum(best_bid)::DOUBLE AS bids, any_value(symbol) AS symbol";
      const events = result.tables.filter((t) => t.name === "market_events").map((t) => t.path);
      const [run] = await readParquetAll({path: events, sql: `${summary} FROM t`});
      const [catalog] = await p.query(["market_events"], `${summary} FROM market_events WHERE dataset = '${dataset}'`);
      expect(run).toEqual(catalog);
      if (dataset === "sim") {
        expect(result.tables.map((t) => t.name).sort()).toEqual([
          "book_samples",
          "fidelity_acf",
          "fidelity_levels",
          "fidelity_metrics",
          "fidelity_status",
          "fidelity_values",
          "market_assessment",
          "market_events"
        ]);
        const metrics = "SELECT metric, statistic, p_value FROM t ORDER BY metric";
        expect(await readParquetAll({path: join(out, "fidelity_metrics.parquet"), sql: metrics})).toEqual(
          await p.query(["fidelity_metrics"], metrics.replace("FROM t", "FROM fidelity_metrics WHERE dataset = 'sim'"))
        );
      }
    }
  }, 120_000);
});
