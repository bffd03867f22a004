import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {startBinanceFeed} from "../../../src/lib/market/live/binance-feed-server.js";
import {captureBinance} from "../../../src/lib/market/live/capture.js";
import {readCaptureFolder} from "../../../src/lib/market/live/capture-file.js";
import {resyncRecorder, truthAt} from "../helpers.js";

describe("capture of USD-M futures (@depth@0ms, the pu rule)", () => {
  test("lost diffs break the pu chain: each is a gap, repaired by a snapshot; the book then equals the exchange's", async () => {
    const feed = await startBinanceFeed({seed: 7, speed: 20, market: "usdm"});
    const dir = mkdtempSync(join(tmpdir(), "capture-usdm-"));
    const controller = new AbortController();
    const {resyncs, onResync} = resyncRecorder();
    const capture = captureBinance({
      wsUrl: feed.wsUrl,
      restUrl: feed.url,
      symbol: "BTCUSDT",
      market: "usdm",
      outDir: dir,
      signal: controller.signal,
      snapshotPacing: {minIntervalMs: 50},
      onResync
    });
    await new Promise((r) => setTimeout(r, 1000));
    feed.faults.dropNext(1);
    await new Promise((r) => setTimeout(r, 800));
    feed.faults.dropNext(3);
    await new Promise((r) => setTimeout(r, 800));
    controller.abort();
    const summary = await capture;
    await feed.close();
    expect(summary.gaps.length).toBe(2);
    expect(summary.resyncs).toBe(3);
    for (const u of feed.stats.dropped) expect(summary.gaps.some((g) => g.expected <= u && u < g.got)).toBe(true);
    // The raw diffs carry pu, chained except where the feed dropped one.
    const diffs = readCaptureFolder({dir})
      .map((l) => JSON.parse(l))
      .filter((r) => r.stream === "btcusdt@depth@0ms")
      .map((r) => r.data);
    expect(diffs.length).toBeGreaterThan(20);
    const breaks = diffs.filter((d, i) => i > 0 && d.pu !== diffs[i - 1].u).length;
    expect(breaks).toBe(2);
    // Every resync's book is the simulated exchange's at that update id, level by level.
    const truth = truthAt(
      7,
      resyncs.map((r) => r.u)
    );
    for (const r of resyncs) expect({u: r.u, levels: r.levels}).toEqual({u: r.u, levels: truth.get(r.u)});
  }, 30_000);
});
