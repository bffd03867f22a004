import {describe, expect, test} from "vitest";
import {parseTimestamp} from "../../src/lib/kpi/parse-timestamp.js";

describe("parseTimestamp at the edges of the calendar", () => {
  test("years 0001–0099 are those years, not 1901–1999", () => {
    expect((parseTimestamp("0001-01-01") as Date).toISOString()).toBe("0001-01-01T00:00:00.000Z");
    expect((parseTimestamp("0099-12-31 23:59:59") as Date).toISOString()).toBe("0099-12-31T23:59:59.000Z");
    expect(parseTimestamp("0001-02-29")).toBe('impossible date "0001-02-29"');
  });

  test("an epoch number beyond what a Date holds is a reason, not an invalid Date", () => {
    expect(parseTimestamp(1e300)).toBe("not a timestamp: 1e+300 is beyond the years a date can hold");
    expect(parseTimestamp(-9e15)).toBe("not a timestamp: -9000000000000000 is beyond the years a date can hold");
    expect((parseTimestamp(8.64e15) as Date).toISOString()).toBe("+275760-09-13T00:00:00.000Z");
  });
});
