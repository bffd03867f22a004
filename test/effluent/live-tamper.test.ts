import {describe, expect, test} from "vitest";
import {TamperLedger} from "../../src/lib/effluent/live-tamper.js";
import type {TamperEvent} from "../../src/lib/effluent/types.js";

const at = (hhmm: string) => new Date(`2024-03-01T${hhmm}:00Z`);
const frozen = (from: string, to: string, factory_id: string | null = "F02"): TamperEvent => ({
  factory_id,
  kind: "FROZEN",
  window_start: at(from),
  window_end: at(to),
  detail: `${from}–${to}`
});

describe("live tamper findings", () => {
  test("a run seen again with a later end, or a later start once the analysed window moved on, is one finding", () => {
    const ledger = new TamperLedger();
    const first = ledger.merge([frozen("01:00", "01:50")]);
    expect(first.added.map((t) => t.finding_id)).toEqual(["FROZEN-F02-2024-03-01T01:00"]);
    expect(ledger.merge([frozen("01:00", "01:50")])).toEqual({added: [], updated: []});
    const grown = ledger.merge([frozen("01:00", "02:30")]);
    expect(grown.updated.map((t) => [t.finding_id, t.window_start, t.window_end])).toEqual([
      ["FROZEN-F02-2024-03-01T01:00", at("01:00"), at("02:30")]
    ]);
    // The recent window no longer reaches 01:00: the run comes back starting later, still the same finding.
    const shifted = ledger.merge([frozen("01:40", "03:10")]);
    expect(shifted.added).toEqual([]);
    expect(shifted.updated.map((t) => [t.window_start, t.window_end, t.detail])).toEqual([
      [at("01:00"), at("03:10"), "01:40–03:10"]
    ]);
    // Another factory, or a later run after a break, is a finding of its own.
    const others = ledger.merge([frozen("01:00", "01:50", "F03"), frozen("05:00", "06:00")]);
    expect(others.added.map((t) => t.finding_id)).toEqual([
      "FROZEN-F03-2024-03-01T01:00",
      "FROZEN-F02-2024-03-01T05:00"
    ]);
    expect(ledger.all).toHaveLength(3);
  });
});
