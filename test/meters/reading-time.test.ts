import {describe, expect, test} from "vitest";
import {timeParser} from "../../src/lib/meters/reading-time.js";

describe("reading times", () => {
  const london = timeParser({format: "auto", timeZone: "Europe/London"});
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

  test("local times resolve to UTC across both DST changes, and an explicit offset wins", () => {
    expect(london("2012-07-01 12:00:00.0000000")).toEqual({utcMs: Date.parse("2012-07-01T11:00:00Z")});
    expect(london("2012-12-01T12:00")).toEqual({utcMs: Date.parse("2012-12-01T12:00:00Z")});
    const twice = london("2012-10-28 01:30:00");
    expect("utcMs" in twice && [iso(twice.utcMs), iso(twice.laterMs)]).toEqual([
      "2012-10-28T00:30:00.000Z",
      "2012-10-28T01:30:00.000Z"
    ]);
    expect(london("2013-03-31 01:30:00")).toEqual({
      error: 'local time "2013-03-31 01:30:00" does not exist in Europe/London (the clocks skipped it)'
    });
    expect(london("2013-03-31 02:00:00")).toEqual({utcMs: Date.parse("2013-03-31T01:00:00Z")});
    expect(london("2012-10-28 01:30:00+01:00")).toEqual({utcMs: Date.parse("2012-10-28T00:30:00Z")});
    expect(london("2012-10-28 01:30:00Z")).toEqual({utcMs: Date.parse("2012-10-28T01:30:00Z")});
  });

  test("patterns, epochs and impossible dates", () => {
    const dmy = timeParser({format: "DD/MM/YYYY HH:mm", timeZone: "Asia/Kolkata"});
    expect(dmy("28/10/2012 05:30")).toEqual({utcMs: Date.parse("2012-10-28T00:00:00Z")});
    expect(dmy("2012-10-28 05:30")).toEqual({error: 'not a time in the format DD/MM/YYYY HH:mm: "2012-10-28 05:30"'});
    expect(timeParser({format: "auto", timeZone: "UTC"})("2013-02-30 00:00")).toEqual({
      error: 'impossible date or time: "2013-02-30 00:00"'
    });
    expect(timeParser({format: "epoch_seconds", timeZone: "UTC"})("1356998400")).toEqual({
      utcMs: Date.parse("2013-01-01T00:00:00Z")
    });
    expect(timeParser({format: "epoch_milliseconds", timeZone: "UTC"})("x")).toEqual({error: 'not an epoch time: "x"'});
  });
});
