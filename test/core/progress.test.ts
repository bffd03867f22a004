import {describe, expect, test} from "vitest";
import {createProgress} from "../../src/lib/core/progress.js";

function fake(isTTY: boolean) {
  const chunks: string[] = [];
  let t = 0;
  return {
    output: {write: (s: string) => void chunks.push(s), isTTY, columns: 100},
    chunks,
    advance: (ms: number) => (t += ms),
    now: () => t
  };
}

describe("progress", () => {
  test("plain lines at most every interval, with percent and rate, then a summary", () => {
    const f = fake(false);
    const p = createProgress({
      label: "ingest",
      total: 1000,
      unit: "rows",
      output: f.output,
      now: f.now,
      intervalMs: 2000
    });
    f.advance(1000);
    p.tick(100); // first update always prints
    f.advance(500);
    p.tick(100); // within the interval: silent
    f.advance(2000);
    p.tick(300);
    p.done();
    expect(f.chunks).toEqual([
      "[ingest] 100/1,000 rows (10%) 100 rows/s ETA 9s\n",
      "[ingest] 500/1,000 rows (50%) 143 rows/s ETA 4s\n",
      "[ingest] done: 500/1,000 rows (50%) 143 rows/s ETA 4s in 4s\n"
    ]);
  });

  test("a terminal gets one redrawn bar and log lines above it", () => {
    const f = fake(true);
    const p = createProgress({label: "hash", total: 4, unit: "files", output: f.output, now: f.now});
    f.advance(1000);
    p.tick(2);
    p.log("skipped a.csv: still being written");
    p.done("4 files");
    expect(f.chunks[0]).toMatch(/^\r\x1b\[2Khash \[█+░+\] 2\/4 files \(50%\)/);
    expect(f.chunks[1]).toBe("\r\x1b[2Kskipped a.csv: still being written\n");
    expect(f.chunks.at(-1)).toBe("\r\x1b[2Khash: 4 files in 1s\n");
  });
});
