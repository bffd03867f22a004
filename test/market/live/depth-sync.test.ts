import {describe, expect, test} from "vitest";
import {ASK, BID} from "../../../src/lib/market/book.js";
import {DepthSync, formatUnits, type DepthDiff} from "../../../src/lib/market/live/depth-sync.js";
import {binanceRecording, referenceBooks} from "../binance-recording.js";

describe("Binance book sync on a real-format recording", () => {
  test("8-decimal prices and far levels: after every diff the book equals a plain reference, level by level", () => {
    const rec = binanceRecording({seed: 3, diffs: 600});
    const reference = referenceBooks(rec);
    // The recording has what breaks a windowed book: far levels, and a far bid that becomes the best.
    expect(reference.some((r) => r.bids[0]![0] < 6_183_763 - 65_536)).toBe(true);
    expect(reference.every((r) => r.asks.some(([t]) => t > 6_183_763 + 65_536))).toBe(true);
    let at = 0;
    const sync: DepthSync = new DepthSync({
      after: () => {
        const want = reference[at++]!;
        // Units: the decimals the data uses (0.01 USDT), whatever the strings' width.
        const p = 10 ** (2 - sync.scale.price),
          q = 10 ** (8 - sync.scale.qty);
        const got = sync.book.levels();
        expect(got.bids.map(([t, l]) => [t * p, l * q])).toEqual(want.bids);
        expect(got.asks.map(([t, l]) => [t * p, l * q])).toEqual(want.asks);
        expect([sync.book.bestBid * p, sync.book.bestAsk * p]).toEqual([want.bids[0]![0], want.asks[0]![0]]);
        const top5 = (side: [number, number][]) => side.slice(0, 5).reduce((s, [, l]) => s + l, 0);
        expect(sync.book.depth(BID, 5, Infinity) * q).toBe(top5(want.bids));
        expect(sync.book.depth(ASK, 5, Infinity) * q).toBe(top5(want.asks));
      }
    });
    // The lines in file order: the snapshot comes after the diffs it was taken among.
    for (const line of rec.lines) {
      const obj = JSON.parse(line.slice(line.indexOf(" ") + 1));
      if ("lastUpdateId" in obj) sync.snapshot(obj);
      else if (obj.data.e === "depthUpdate") sync.diff(obj.data as DepthDiff, obj.data.E * 1e6);
    }
    expect(at).toBe(reference.length);
    expect(reference.length).toBe(rec.diffs.filter((d) => d.u > rec.snapshot.lastUpdateId).length);
    expect([sync.gaps, sync.syncs, sync.scale.price]).toEqual([0, 1, 2]);
    // Served back as Binance strings.
    const depth = sync.depth(3);
    expect(depth.bids[0]![0]).toMatch(/^\d+\.\d{8}$/);
    expect(depth.bids.map(([px]) => Math.round(Number(px) * 100))).toEqual(
      reference
        .at(-1)!
        .bids.slice(0, 3)
        .map(([t]) => t)
    );
  });

  test("a diff that does not continue the snapshot is a gap, and the book waits for the next snapshot", () => {
    const sync = new DepthSync();
    sync.diff({U: 5, u: 9, b: [["100.50000000", "1.00000000"]], a: []}, 0);
    sync.snapshot({lastUpdateId: 3, bids: [], asks: []}); // older than the first buffered diff: passed over
    expect(sync.synced).toBe(false);
    sync.snapshot({lastUpdateId: 7, bids: [["100.00000000", "2.00000000"]], asks: [["101.00000000", "1.50000000"]]});
    expect([sync.synced, sync.lastU, sync.book.bestBid, sync.scale.price]).toEqual([true, 9, 1005, 1]);
    sync.diff({U: 12, u: 12, b: [], a: []}, 0);
    expect([sync.synced, sync.gaps]).toEqual([false, 1]);
    // A finer price turns up: the book's units become finer, its levels kept.
    sync.snapshot({lastUpdateId: 12, bids: [["100.25500000", "1.00000000"]], asks: [["101.00000000", "1.50000000"]]});
    expect([sync.scale.price, sync.book.bestBid, sync.book.bestAsk]).toEqual([3, 100255, 101000]);
    expect(formatUnits(100255, 3)).toBe("100.25500000");
  });
});
