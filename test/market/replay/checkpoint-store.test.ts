import {existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {CheckpointStore, discardOutputs} from "../../../src/lib/market/replay/checkpoint-store.js";

const DAY_FILE = "symbol=BTCUSDT/day=2024-03-01/part-0.parquet";
const marker = (segment: number, events: number) =>
  JSON.stringify({
    segment,
    events,
    reader: "window",
    writer: {files: [], current: {path: DAY_FILE, day: "2024-03-01", writer: {offset: 4, rows: 0, rowGroups: []}}}
  });
/** The day file being written, as a killed run leaves it. */
function partialOutput(outDir: string): string {
  const path = join(outDir, "market_events", `${DAY_FILE}.partial`);
  mkdirSync(join(path, ".."), {recursive: true});
  writeFileSync(path, "x");
  return path;
}

describe("checkpoint store", () => {
  test("resume takes the last segment with a DONE marker and removes the files of the one after it", () => {
    const outDir = mkdtempSync(join(tmpdir(), "market-ckpt-"));
    const first = new CheckpointStore({outDir, resume: false});
    writeFileSync(first.markerPath(1), marker(1, 1000));
    writeFileSync(first.markerPath(2), marker(2, 2000));
    // Segment 3 was being written when the run was killed: a file, no marker.
    writeFileSync(join(first.dir, "seg-00003.tmp"), "x");
    partialOutput(outDir);
    const lines: string[] = [];
    const checkpoint = new CheckpointStore({outDir, resume: true}).resume({outDir, log: (l) => lines.push(l)});
    expect(checkpoint?.segment).toBe(2);
    expect(checkpoint?.events).toBe(2000);
    expect(readdirSync(first.dir).sort()).toEqual(["seg-00001.done.json", "seg-00002.done.json"]);
    expect(lines).toEqual(["resuming after segment 2 (2,000 events)"]);
  });

  test("without the output being written there is nothing to continue; a fresh run and a discard clear the segments", () => {
    const outDir = mkdtempSync(join(tmpdir(), "market-ckpt-"));
    const store = new CheckpointStore({outDir, resume: false});
    writeFileSync(store.markerPath(1), marker(1, 1000));
    expect(new CheckpointStore({outDir, resume: true}).resume({outDir, log: () => {}})).toBeUndefined();
    new CheckpointStore({outDir, resume: false});
    expect(readdirSync(store.dir)).toEqual([]);
    const partial = partialOutput(outDir);
    discardOutputs(outDir);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(join(outDir, "market_events"))).toBe(false);
    expect(existsSync(store.dir)).toBe(false);
  });
});
