import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {ingestEvents} from "../../src/lib/kpi/ingest-events.js";
import {parseTimestamp} from "../../src/lib/kpi/parse-timestamp.js";

const dir = mkdtempSync(join(tmpdir(), "kpi-ingest-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("timestamps", () => {
  test("mixed formats normalise to UTC; others are rejected with a reason", () => {
    expect((parseTimestamp("2024-03-01T10:00:00+05:30") as Date).toISOString()).toBe("2024-03-01T04:30:00.000Z");
    expect((parseTimestamp("2024-03-01T10:00:00Z") as Date).toISOString()).toBe("2024-03-01T10:00:00.000Z");
    expect((parseTimestamp("2024-03-01 10:00", 330) as Date).toISOString()).toBe("2024-03-01T04:30:00.000Z");
    expect((parseTimestamp("2024-03-01") as Date).toISOString()).toBe("2024-03-01T00:00:00.000Z");
    expect((parseTimestamp("1709287200") as Date).toISOString()).toBe("2024-03-01T10:00:00.000Z");
    expect((parseTimestamp(1709287200000) as Date).toISOString()).toBe("2024-03-01T10:00:00.000Z");
    expect(parseTimestamp("03/01/2024")).toMatch(/^unrecognised timestamp "03\/01\/2024"/);
    expect(parseTimestamp("2024-02-30")).toBe('impossible date "2024-02-30"');
    expect(parseTimestamp("2024-03-01T25:00")).toBe('impossible time "2024-03-01T25:00"');
  });
});

describe("strict and tolerant ingestion", () => {
  const messy = file(
    "orders.csv",
    [
      "ts,metric,value,region",
      "2024-03-01,orders,10,west",
      "2024-13-01,orders,11,west",
      "2024-03-02,orders,ten,east",
      "2024-03-03,orders,12",
      "2024-03-01,orders,10,west",
      "2024-03-04,orders,13,east",
      "2024-03-01,orders,99,west"
    ].join("\n")
  );

  test("strict mode rejects the file and names every error with line, column and reason", () => {
    const result = ingestEvents({path: messy, strict: true});
    expect(result.rejected).toBe(true);
    expect(result.events).toEqual([]);
    expect(result.problems.map((p) => [p.line, p.column, p.reason])).toEqual([
      [3, "ts", 'impossible date "2024-13-01"'],
      [4, "value", 'not a number: "ten"'],
      [5, null, "ragged row: 3 fields, header has 4"],
      [
        6,
        null,
        'duplicate row: repeats line 2 whole (name the column that identifies an event, "key" in dataset.json, if such rows are distinct events)'
      ]
    ]);
  });

  test("tolerant mode keeps every good row (another order on the same day too) and quarantines the rest", () => {
    const result = ingestEvents({path: messy, strict: false});
    expect(result.rejected).toBe(false);
    expect(
      result.events.map((e) => [e.ts.toISOString().slice(0, 10), e.metric, e.value, JSON.parse(e.attributes).region])
    ).toEqual([
      ["2024-03-01", "orders", 10, "west"],
      ["2024-03-04", "orders", 13, "east"],
      ["2024-03-01", "orders", 99, "west"]
    ]);
    expect(result.counts).toEqual({read: 7, kept: 3, quarantined: 4});
  });

  test("a file missing its value column fails with the columns it has", () => {
    const result = ingestEvents({path: file("no-value.csv", "ts,metric\n2024-03-01,x\n"), strict: false});
    expect(result.rejected).toBe(true);
    expect(result.problems[0]!.reason).toBe(
      'missing a value column (value or amount; or "columns": {"value": …}, or --value COL); columns are: ts, metric'
    );
  });

  test("a plain timestamp,value export becomes one metric named after the file; flags map other names", () => {
    const plain = ingestEvents({
      path: file("daily-signups.csv", "timestamp,value\n2024-03-01T00:00:00Z,5\n2024-03-02T00:00:00Z,7\n"),
      strict: true
    });
    expect(plain.events.map((e) => [e.metric, e.source, e.value])).toEqual([
      ["daily_signups", "daily_signups", 5],
      ["daily_signups", "daily_signups", 7]
    ]);
    const mapped = ingestEvents({
      path: file("export.csv", "when,amt\n2024-03-01,1.5\n"),
      strict: true,
      tsColumn: "when",
      valueColumn: "amt",
      metric: "revenue",
      source: "shop"
    });
    expect(mapped.events.map((e) => [e.source, e.metric, e.value])).toEqual([["shop", "revenue", 1.5]]);
  });

  test("a truncated JSON array keeps its complete objects (tolerant) and names where it broke", () => {
    const path = file(
      "events.json",
      '[\n {"ts": "2024-03-01T10:00:00Z", "metric": "visits", "value": 3},\n {"ts": "2024-03-01T11:00:00Z", "metric": "visits", "value": 4},\n {"ts": "2024-03-01T12:00:00Z", "metric": "vis'
    );
    const tolerant = ingestEvents({path, strict: false});
    expect(tolerant.events.map((e) => e.value)).toEqual([3, 4]);
    expect(tolerant.problems).toEqual([
      expect.objectContaining({
        line: 4,
        reason: expect.stringMatching(/^truncated JSON: the array ends without "\]" inside an object/)
      })
    ]);
    expect(ingestEvents({path, strict: true}).rejected).toBe(true);
  });

  test("JSON Lines: a bad line is named, the others are kept", () => {
    const result = ingestEvents({
      path: file(
        "events.jsonl",
        '{"ts": 1709287200, "metric": "m", "value": 1}\n{oops\n{"ts": 1709290800, "metric": "m", "value": 2}\n'
      ),
      strict: false
    });
    expect(result.events.map((e) => e.value)).toEqual([1, 2]);
    expect(result.problems.map((p) => [p.line, p.reason.slice(0, 14)])).toEqual([[2, "not valid JSON"]]);
  });
});
