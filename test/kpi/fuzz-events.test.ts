/**
 * Fuzzing the event reader: a few hundred malformed CSV, JSON, JSON Lines and gzip files, each
 * either read into events and quarantine entries or refused with a LabError naming the file —
 * never another exception, never slow, never a runaway heap.
 */
import {describe, expect, test} from "vitest";
import {ingestEvents} from "../../src/lib/kpi/ingest-events.js";
import {fuzzEach, fuzzFiles} from "../fuzz-files.js";

const now = new Date("2026-12-06T00:00:00Z");
const csv = [
  "ts,metric,value,source,region",
  '2026-03-01T10:00:00Z,orders,12,web,"north, east"',
  '2026-03-01 11:00,orders,"1,204",app,south',
  '1709287200,revenue,99.5,web,"say ""hi"""',
  "2026-03-02,revenue,-3,app,"
].join("\n");
const rows = [
  {ts: "2026-03-01T10:00:00Z", metric: "orders", value: 12, region: {n: [1, 2]}},
  {ts: 1709287200000, metric: "revenue", value: "99.5", source: "app"},
  {ts: "2026-03-02", metric: "revenue", value: -3, note: "é ✓"}
];
const json = JSON.stringify(rows, null, 1);
const jsonl = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

describe("fuzzing ingestEvents", () => {
  test("malformed event files give events, quarantine entries or a LabError naming the file", async () => {
    const files = fuzzFiles({
      seed: "fuzz-events",
      seeds: [csv, json, jsonl],
      count: 400,
      exts: [".csv", ".json", ".jsonl", ".csv.gz", ".json.gz", ".jsonl.gz"]
    });
    let events = 0,
      problems = 0;
    const outcome = await fuzzEach(files, (f) => {
      for (const strict of [false, true]) {
        const result = ingestEvents({path: f.path, file: f.name, strict, now});
        for (const e of result.events) expect(Number.isFinite(e.ts.getTime()) && Number.isFinite(e.value)).toBe(true);
        if (!strict) ((events += result.events.length), (problems += result.problems.length));
      }
    });
    expect(outcome.bugs).toEqual([]);
    expect(outcome.slowest.ms, outcome.slowest.name).toBeLessThan(2000);
    expect(outcome.heapGrowthMb).toBeLessThan(300);
    // The mix stays a real mix: some files read, some quarantined rows, some refused.
    expect(events).toBeGreaterThan(100);
    expect(problems).toBeGreaterThan(100);
    expect(outcome.refused).toBeGreaterThan(10);
  });
});
