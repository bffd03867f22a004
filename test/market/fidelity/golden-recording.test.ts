import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {FIDELITY_EXIT, fidelityVerb} from "../../../cli/verbs/fidelity.js";
import {observationFromCapture} from "../../../src/lib/market/fidelity/observations.js";
import {simulateMarketFiles} from "../../../src/lib/market/pipeline.js";
import {reconstructMarket} from "../../../src/lib/market/replay/reconstruct.js";
import {binanceRecording, referenceBooks} from "../binance-recording.js";

describe("fidelity: a real-format recording as the golden side", () => {
  test("the snapshot written after the diffs it was taken among: every 100 ms sample equals Binance's rules applied by hand", () => {
    const rec = binanceRecording({seed: 5, diffs: 300});
    const file = join(mkdtempSync(join(tmpdir(), "golden-rec-")), "btcusdt.txt");
    writeFileSync(file, rec.text);
    const o = observationFromCapture({dir: file, levels: 20});
    const reference = referenceBooks(rec);
    // A sample at grid time g holds the book after the diffs up to g (the diffs come every 100 ms, on the grid).
    const byTime = new Map(reference.map((r) => [r.E * 1e6, r]));
    const {tNs, bidPx, bidQty, askPx, askQty, levels} = o.samples;
    expect(tNs.length).toBe(reference.length - 1);
    for (let i = 0; i < tNs.length; i++) {
      const want = byTime.get(tNs[i]!)!;
      for (let l = 0; l < levels; l++) {
        expect([bidPx[i * levels + l], bidQty[i * levels + l]]).toEqual(
          want.bids[l] ? [want.bids[l]![0] / 100, want.bids[l]![1] / 1e8] : [NaN, NaN]
        );
        expect([askPx[i * levels + l], askQty[i * levels + l]]).toEqual(
          want.asks[l] ? [want.asks[l]![0] / 100, want.asks[l]![1] / 1e8] : [NaN, NaN]
        );
      }
    }
    expect(o.gaps).toBe(0);
    expect(o.top!.tNs.length).toBe(reference.length);
    expect(o.trades.tNs.length).toBeGreaterThan(50);
  });

  test("a golden side too short to compare is a clear error with exit code 4, not a crash in the statistics", async () => {
    const dir = mkdtempSync(join(tmpdir(), "golden-short-"));
    const sim = await simulateMarketFiles({outDir: join(dir, "sim"), seed: 2, minutes: 1, live: false});
    await reconstructMarket({
      inputs: {trades: sim.trades, book: sim.book, deltas: sim.deltas},
      strategy: "full_event_replay",
      outDir: join(dir, "replay"),
      sampleEveryMs: 100
    });
    const file = join(dir, "short.txt");
    writeFileSync(file, binanceRecording({seed: 6, diffs: 12}).text);
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => void errors.push(line);
    try {
      const code = await fidelityVerb.run({
        positionals: [],
        flags: {reconstructed: join(dir, "replay"), golden: file, out: join(dir, "report")}
      });
      expect(code).toBe(FIDELITY_EXIT.unusable);
    } finally {
      console.error = original;
    }
    expect(errors.join("\n")).toMatch(
      /the golden side is too short to compare: 7 book samples \(6 mid returns; .*more than 20\)/
    );
    expect(FIDELITY_EXIT).toEqual({pass: 0, fail: 3, unusable: 4});
  }, 60_000);
});
