/**
 * Event files as a careless or hostile user has them: far-off and typo'd years, empty and
 * header-only files, arrays of numbers, `null` lines, Latin-1 text, gzip (whole or damaged).
 * Each is quarantined or refused by name; none crashes, hangs or lets a derivation run away.
 */
import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {gzipSync} from "node:zlib";
import {describe, expect, test} from "vitest";
import {isLabError} from "../../src/lib/core/errors.js";
import {contiguous, deriveMetric, MAX_SERIES_DAYS} from "../../src/lib/kpi/derive.js";
import {ingestEvents} from "../../src/lib/kpi/ingest-events.js";

const dir = mkdtempSync(join(tmpdir(), "kpi-hostile-"));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const now = new Date("2026-12-06T00:00:00Z");

describe("hostile event files", () => {
  test("years 0001 and 9999 and a typo'd 2204 are quarantined as implausible; the good row stays", () => {
    const path = file(
      "far.csv",
      "ts,value\n0001-01-01,1\n9999-12-31,2\n2204-03-01,3\n2024-03-01,4\n1969-12-31T23:59:59Z,5\n"
    );
    const started = performance.now();
    const result = ingestEvents({path, strict: false, now});
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.events.map((e) => e.value)).toEqual([4]);
    expect(result.problems.map((p) => [p.line, p.column])).toEqual([
      [2, "ts"],
      [3, "ts"],
      [4, "ts"],
      [6, "ts"]
    ]);
    expect(result.problems[2]!.reason).toBe(
      "implausible time 2204-03-01T00:00:00.000Z: outside 1970-01-01 … 2027-12-07 (a typo in the year? the window is the earliest/latest option)"
    );
    // The window is an option: a dataset of old records widens it.
    const wide = ingestEvents({path, strict: false, now, earliest: new Date("0001-01-01T00:00:00Z")});
    expect(wide.events.map((e) => e.value)).toEqual([1, 4, 5]);
  });

  test("strict mode fails on an empty file, a header alone, or an array of non-objects", () => {
    for (const [name, text, reason] of [
      ["empty.csv", "", "no event rows: the file is empty or has only a header"],
      ["header.csv", "ts,value\n", "no event rows: the file is empty or has only a header"],
      ["numbers.json", "[1,2,3]", "not a JSON object (1)"],
      ["nested.json", '[[{"ts": 1}], "x,y", {"ts":"2024-03-01","value":1}]', 'not a JSON object ([{"ts": 1}])']
    ] as const) {
      const result = ingestEvents({path: file(name, text), strict: true, now});
      expect(result.rejected, name).toBe(true);
      expect(result.events).toEqual([]);
      expect(result.problems[0]!.reason, name).toBe(reason);
    }
    const nested = ingestEvents({
      path: file("nested2.json", '[[1, {"a": 2}], "x,y",\n {"ts":"2024-03-01","value":1}]'),
      strict: false,
      now
    });
    expect(nested.problems.map((p) => p.raw)).toEqual(['[1, {"a": 2}]', '"x,y"']);
    expect(nested.events).toHaveLength(1);
  });

  test("a `null` or non-object JSON Lines line is a quarantined row with its line, not a crash", () => {
    const path = file("lines.jsonl", '{"ts":"2024-03-01","value":1}\nnull\n42\n["a"]\n{"ts":"2024-03-02","value":2}\n');
    const result = ingestEvents({path, strict: false, now});
    expect(result.events.map((e) => e.value)).toEqual([1, 2]);
    expect(result.problems.map((p) => `${p.line} ${p.reason}`)).toEqual([
      "2 not a JSON object (null)",
      "3 not a JSON object (a number)",
      "4 not a JSON object (an array)"
    ]);
  });

  test("Latin-1 text is refused at its line and column, never read as U+FFFD", () => {
    const path = file("latin1.csv", Buffer.from("ts,value,shop\n2024-03-01,1,caf\xe9\n", "latin1"));
    let error: unknown;
    try {
      ingestEvents({path, strict: false, now});
    } catch (e) {
      error = e;
    }
    expect(isLabError(error)).toBe(true);
    expect((error as Error).message).toBe(
      `${path}:2:17: not valid UTF-8 text (byte 0xE9: a Latin-1 or Windows export, or binary data) (hint: save the file as UTF-8)`
    );
  });

  test("gzip is read like the plain file; a damaged one is refused by name", () => {
    const csv = "ts,value\n2024-03-01,1\n2024-03-02,2\n";
    const result = ingestEvents({path: file("daily.csv.gz", gzipSync(csv)), strict: true, now});
    expect(result.events.map((e) => [e.metric, e.value])).toEqual([
      ["daily", 1],
      ["daily", 2]
    ]);
    const damaged = gzipSync(csv).subarray(0, 20);
    expect(() => ingestEvents({path: file("cut.csv.gz", damaged), strict: true, now})).toThrow(
      /cut\.csv\.gz: not a readable gzip file/
    );
  });

  test("a stray closing brace at the top level of a JSON array is one problem, not an endless scan", () => {
    // Found by the fuzz pass: the scan stepped back onto the brace and grew its problem list forever.
    const text = '[{"ts":"2024-03-01","value":1}\n}\n}, {"ts":"2024-03-02","value":2}]';
    const started = performance.now();
    const result = ingestEvents({path: file("stray.json", text), strict: false, now});
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.events.map((e) => e.value)).toEqual([1, 2]);
    expect(result.problems.map((p) => [p.line, p.reason])).toEqual([
      [2, "not a JSON object (})"],
      [3, "not a JSON object (})"]
    ]);
  });

  test("a metric spanning centuries is derived over its last MAX_SERIES_DAYS days, quickly", () => {
    const points = [
      {day: "1970-01-01", value: 5},
      ...Array.from({length: 60}, (_, i) => ({
        day: `2024-0${1 + Math.floor(i / 28)}-${String((i % 28) + 1).padStart(2, "0")}`,
        value: 10 + (i % 7)
      }))
    ];
    expect(contiguous(points).days).toHaveLength(MAX_SERIES_DAYS);
    const started = performance.now();
    const derived = deriveMetric({metric: "m", points, seed: 1});
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(derived.forecasts).toHaveLength(28);
    expect(new Set(derived.anomalies.map((a) => a.day)).size).toBeLessThanOrEqual(MAX_SERIES_DAYS);
  });
});
