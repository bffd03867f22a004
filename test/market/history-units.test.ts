/**
 * A market history split into (symbol, day) units: planned from the files' paths, each day cut
 * at snapshots with a warm-up from the previous day's last one, and put together the same events
 * as the whole history replayed at once (full_event_replay, two days, two symbols).
 */
import {mkdirSync, mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {folderSink} from "../../src/lib/core/table-sink.js";
import {
  historyDay,
  historySymbol,
  planHistoryUnits,
  replayHistoryUnits,
  type HistoryFile
} from "../../src/lib/market/history-units.js";
import {eventsDigestSql, wholeReplay, writeTwoDayHistory} from "./two-day-history.js";

const digest = async (paths: string[]) => {
  const duck = await openDuckDB();
  try {
    return await duck.one<{n: number; bids: number; md5: string}>(eventsDigestSql(paths));
  } finally {
    duck.close();
  }
};

describe("market history units", () => {
  let root: string;
  let files: HistoryFile[];
  let whole: {n: number; bids: number; md5: string};

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "market-units-"));
    files = await writeTwoDayHistory({dir: join(root, "dataset"), scratch: join(root, "sim")});
    whole = await digest(await wholeReplay({files, outDir: join(root, "whole")}));
    expect(whole.n).toBeGreaterThan(100_000);
  }, 180_000);

  test("symbols and days come from the paths", () => {
    expect(historyDay("book/exchange=BINANCE/symbol=BTC-USDT/dt=2024-03-01/part-0.parquet")).toBe("2024-03-01");
    expect(historyDay("trades-2024-02-29.csv.gz")).toBe("2024-02-29");
    expect(historyDay("book.parquet")).toBe("");
    expect(historySymbol("book/exchange=BINANCE/symbol=BTC-USDT/dt=2024-03-01/x.parquet", "D")).toBe("BTC-USDT");
    expect(historySymbol("trades.parquet", "BTCUSDT")).toBe("BTCUSDT");
    const options = {strategy: "full_event_replay" as const, sampleMs: 0, symbol: "X", dataset: "two"};
    const tasks = planHistoryUnits({files, options});
    expect(tasks.map((t) => t.id)).toEqual(["AAA-2024-02-29", "AAA-2024-03-01", "BBB-2024-02-29", "BBB-2024-03-01"]);
    // Another strategy has no cut: one unit per symbol, its days read as one.
    expect(planHistoryUnits({files, options: {...options, strategy: "snapshot_anchored"}}).map((t) => t.id)).toEqual([
      "AAA",
      "BBB"
    ]);
  });

  test("the units' events put together are the whole history's replay, on local threads", async () => {
    const out = join(root, "units");
    mkdirSync(out, {recursive: true});
    const sink = folderSink({outDir: out, dataset: "two"});
    const results = await replayHistoryUnits({
      files,
      options: {strategy: "full_event_replay", sampleMs: 0, symbol: "X", dataset: "two"},
      units: {threads: 2, heartbeatMs: 500, heartbeatTimeoutMs: 60_000, maxAttempts: 1},
      workDir: join(root, "work"),
      sink
    });
    expect(results.map((r) => [r.id, r.workerId.startsWith("local-")])).toEqual([
      ["AAA-2024-02-29", true],
      ["AAA-2024-03-01", true],
      ["BBB-2024-02-29", true],
      ["BBB-2024-03-01", true]
    ]);
    // The second day of each symbol replayed some events before its cut to build its book.
    expect(results.map((r) => (r.output.warmup ?? 0) > 0)).toEqual([false, true, false, true]);
    expect(await digest([join(out, "market_events.parquet")])).toEqual(whole);
    // One assessment per day.
    expect(sink.tables.find((t) => t.name === "market_assessment")?.rows).toBe(4);
  }, 180_000);
});
