import {describe, expect, test} from "vitest";
import {LabError, isLabError} from "../../src/lib/core/errors.js";
import {nsToDate, parseLocalTime, toNs} from "../../src/lib/core/time.js";

describe("LabError", () => {
  test("names file, line and column, then the reason and the hint", () => {
    const error = new LabError({
      file: "datasets/x.csv",
      line: 12,
      column: 4,
      reason: "ragged row: expected 8 fields, found 7",
      hint: "check quoting"
    });
    expect(error.message).toBe("datasets/x.csv:12:4: ragged row: expected 8 fields, found 7 (hint: check quoting)");
    expect(new LabError({reason: "no file"}).message).toBe("no file");
    expect(new LabError({file: "a.csv", column: "Time", reason: "bad"}).message).toBe("a.csv:Time: bad");
    expect(isLabError(error)).toBe(true);
    expect(isLabError(new Error("x"))).toBe(false);
  });
});

describe("time", () => {
  test("IST wall-clock times become UTC", () => {
    expect(parseLocalTime({text: "2024-03-01 05:30", utcOffsetMinutes: 330}).toISOString()).toBe(
      "2024-03-01T00:00:00.000Z"
    );
    expect(parseLocalTime({text: "2024-03-01 00:10:30", utcOffsetMinutes: 330}).toISOString()).toBe(
      "2024-02-29T18:40:30.000Z"
    );
  });

  test("bad or impossible times name the place", () => {
    expect(() =>
      parseLocalTime({text: "01/03/2024 10:00", utcOffsetMinutes: 330, file: "cetp.csv", line: 3, column: "Time"})
    ).toThrow('cetp.csv:3:Time: bad time "01/03/2024 10:00" (hint: expected YYYY-MM-DD HH:MM)');
    expect(() => parseLocalTime({text: "2024-02-30 10:00", utcOffsetMinutes: 0})).toThrow(/impossible time/);
  });

  test("nanosecond conversions round-trip milliseconds", () => {
    const date = new Date("2024-05-06T07:08:09.123Z");
    expect(toNs(date)).toBe(1714979289123000000n);
    expect(nsToDate(toNs(date))).toEqual(date);
  });
});

describe("local times in the first century", () => {
  test("0001-01-01 00:00 IST is year 1, not 1901", () => {
    const t = parseLocalTime({text: "0001-01-01 05:30", utcOffsetMinutes: 330});
    expect(t.getUTCFullYear()).toBe(1);
    expect(t.toISOString()).toBe("0001-01-01T00:00:00.000Z");
    expect(() => parseLocalTime({text: "0099-02-29 00:00", utcOffsetMinutes: 0})).toThrow(/impossible time/);
  });
});
