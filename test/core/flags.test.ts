import {describe, expect, it} from "vitest";
import {checkFlags, closestFlag, editDistance, flag, UsageError} from "../../src/lib/core/flags.js";

const specs = [
  flag.string("events"),
  flag.boolean("strict"),
  flag.count("days"),
  flag.count("meters", {max: 100_000}),
  flag.positive("minutes"),
  flag.range("drop-rate", 0, 1),
  flag.port()
];
const check = (flags: Record<string, string | boolean>) => checkFlags({flags, specs});

describe("checkFlags", () => {
  it("refuses an unknown flag and suggests the declared one within two edits", () => {
    expect(editDistance("event", "events")).toBe(1);
    expect(closestFlag("evnets", specs)).toBe("events");
    expect(() => check({event: "x.csv"})).toThrow(new UsageError("unknown flag --event; did you mean --events?"));
    expect(() => check({colour: "red"})).toThrow(new UsageError("unknown flag --colour"));
  });

  it("checks numbers against their bounds, naming the flag", () => {
    expect(() => check({days: "-1"})).toThrow('--days must be a whole number of at least 1, got "-1"');
    expect(() => check({days: "0"})).toThrow('--days must be a whole number of at least 1, got "0"');
    expect(() => check({meters: "1.5"})).toThrow('--meters must be a whole number from 1 to 100000, got "1.5"');
    expect(() => check({minutes: "0"})).toThrow('--minutes must be a number above 0, got "0"');
    expect(() => check({"drop-rate": "1.5"})).toThrow("--drop-rate must be a number from 0 to 1");
    expect(() => check({port: "65536"})).toThrow("--port must be a whole number from 0 to 65535");
    expect(() => check({days: "ten"})).toThrow('got "ten"');
    expect(() => check({days: true})).toThrow("--days needs a value");
    expect(check({days: "3", minutes: "0.5", port: "0", "drop-rate": "0"})).toEqual({
      days: "3",
      minutes: "0.5",
      port: "0",
      "drop-rate": "0"
    });
  });

  it("takes booleans bare or as =true/=false", () => {
    expect(check({strict: true})).toEqual({strict: true});
    expect(check({strict: "true"})).toEqual({strict: true});
    expect(check({strict: "false"})).toEqual({});
    expect(() => check({strict: "yes"})).toThrow('--strict takes no value (got "yes")');
  });
});
