import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import type {Book} from "../../../src/lib/market/book.js";
import type {DecimalScale} from "../../../src/lib/market/decimal-units.js";
import {startBinanceFeed} from "../../../src/lib/market/live/binance-feed-server.js";
import {captureBinance} from "../../../src/lib/market/live/capture.js";
import {binanceRecording, referenceBooks} from "../binance-recording.js";

describe("the replay feed's REST depth", () => {
  test("serves the book at the replay clock: a capture started after the feed (the documented order) syncs once and keeps every diff", async () => {
    const dir = mkdtempSync(join(tmpdir(), "replay-feed-"));
    const rec = binanceRecording({seed: 9, diffs: 150, snapshotAt: 40});
    const file = join(dir, "btcusdt.txt");
    writeFileSync(file, rec.text);
    const feed = await startBinanceFeed({replay: file, speed: 10});
    // Before the snapshot line is reached, the snapshot read ahead is served (its levels as Binance's strings).
    const early = feed.depth(5);
    expect(early.lastUpdateId).toBe(rec.snapshot.lastUpdateId);
    expect(early.bids).toEqual(rec.snapshot.bids.slice(0, 5));
    const messages = rec.lines.filter((l) => l.includes('"stream"')).length;
    const controller = new AbortController();
    let last: {book: Book; u: number; scale: DecimalScale} | undefined;
    const capture = captureBinance({
      wsUrl: feed.wsUrl,
      restUrl: feed.url,
      symbol: "BTCUSDT",
      outDir: join(dir, "cap"),
      signal: controller.signal,
      snapshotPacing: {minIntervalMs: 50},
      onDiff: (book, u, scale) => (last = {book, u, scale})
    });
    const started = Date.now();
    while (feed.stats.messages < messages && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    const summary = await capture;
    await feed.close();
    expect(summary.gaps).toEqual([]);
    expect(summary.resyncs).toBe(1);
    expect(summary.snapshotRequests).toBeLessThanOrEqual(2);
    // Every diff up to the recording's last, and the book Binance's rules give.
    expect(last!.u).toBe(rec.diffs.at(-1)!.u);
    const want = referenceBooks(rec).at(-1)!;
    const p = 10 ** (2 - last!.scale.price),
      q = 10 ** (8 - last!.scale.qty);
    const got = last!.book.levels();
    expect(got.bids.map(([t, l]) => [t * p, l * q])).toEqual(want.bids);
    expect(got.asks.map(([t, l]) => [t * p, l * q])).toEqual(want.asks);
  }, 40_000);
});
