/**
 * The floor for near-silent factories: a factory whose COD readings fall in fewer than 10% of the
 * hours the site reported cannot be monitored. Without the floor it is silent in every shock's
 * search window, so every shock is flagged and nobody is blamed; with it, it gets one
 * TOO_FEW_READINGS finding, no BLACKOUT, and the other factories' verdicts stand.
 */
import {beforeAll, describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";
import {analyzeEffluent, type EffluentAnalysis} from "../../src/lib/effluent/analyze.js";
import {defaultEffluentConfig} from "../../src/lib/effluent/config.js";
import {simulatePlant, type PlantSimulation} from "../../src/lib/effluent/simulate.js";
import type {FactoryReading} from "../../src/lib/effluent/types.js";

const config = defaultEffluentConfig;
let sim: PlantSimulation;
let without: EffluentAnalysis;
let hours: number;

/** F09: a row every minute, all blank but a reading in each of `readingHours` hours spread over the span. */
function nearSilent(readingHours: number): FactoryReading[] {
  const t0 = sim.cetp[0]!.ts.getTime();
  const minutes = Math.round((sim.cetp.at(-1)!.ts.getTime() - t0) / 60_000) + 1;
  const every = Math.floor(minutes / readingHours);
  return Array.from({length: minutes}, (_, m) => {
    const reads = m % every === 30 && m / every < readingHours;
    return {
      ts: new Date(t0 + m * 60_000),
      factory_id: "F09",
      cod: reads ? 800 + (m % 7) : null,
      bod: null,
      ph: null,
      tss: null,
      status: "OK"
    };
  });
}

const analyse = (extra: FactoryReading[]) =>
  analyzeEffluent({cetp: sim.cetp, factories: [...sim.factories, ...extra], config});

beforeAll(() => {
  sim = simulatePlant({rng: createRng(11), days: 5, tamper: false});
  without = analyse([]);
  hours = new Set(sim.cetp.map((r) => Math.floor(r.ts.getTime() / 3_600_000))).size;
});

describe("a factory with too few readings to monitor", () => {
  test("readings in 12 of the site's 121 hours: one TOO_FEW_READINGS finding saying the rule, no BLACKOUT", () => {
    expect(hours).toBe(121);
    const found = analyse(nearSilent(12)).tamper.filter((t) => t.factory_id === "F09");
    expect(found.map((t) => [t.kind, t.window_start, t.window_end])).toEqual([
      ["TOO_FEW_READINGS", new Date(Math.floor(sim.cetp[0]!.ts.getTime() / 3_600_000) * 3_600_000), expect.any(Date)]
    ]);
    expect(found[0]!.detail).toBe(
      "too few readings to monitor: COD readings in 12 of the 121 hours the site reported (9.9%), under the floor of 10%; a factory with readings in fewer than 10% of the site's hours is not checked for silence (no BLACKOUT) and is left out of attribution, where each shock names it as could not be checked"
    );
  });

  test("the other factories' verdicts stand, and each names it as not checked", () => {
    const withSparse = analyse(nearSilent(12));
    const ours = (a: EffluentAnalysis) => a.attributions.filter((x) => x.method === "robust_lag");
    expect(ours(without).filter((a) => a.factory_id).length).toBeGreaterThanOrEqual(4);
    expect(ours(withSparse).map((a) => [a.event_id, a.factory_id, a.score])).toEqual(
      ours(without).map((a) => [a.event_id, a.factory_id, a.score])
    );
    for (const a of ours(withSparse))
      expect(a.evidence).toContain("Not checked: F09 could not be checked: too few readings to monitor");
  });

  test("readings in 13 of 121 hours (10.7%) is monitored: silent in a shock's search window, it holds that verdict back", () => {
    const a = analyse(nearSilent(13));
    expect(a.tamper.filter((t) => t.kind === "TOO_FEW_READINGS")).toEqual([]);
    const flagged = a.attributions.filter(
      (x) => x.method === "robust_lag" && /F09 could not be checked: silent/.test(x.evidence)
    );
    expect(flagged.length).toBeGreaterThanOrEqual(4);
    expect(flagged.every((x) => x.factory_id === null)).toBe(true);
  });

  test("a factory whose rows are all blank is one TOO_FEW_READINGS finding (0%) and holds no verdict back", () => {
    const blank = nearSilent(12).map((r) => ({...r, cod: null}));
    const a = analyse(blank);
    const found = a.tamper.filter((t) => t.factory_id === "F09");
    expect(found.map((t) => t.kind)).toEqual(["TOO_FEW_READINGS"]);
    expect(found[0]!.detail).toMatch(
      /^too few readings to monitor: COD readings in 0 of the 121 hours the site reported \(0\.0%\)/
    );
    expect(a.attributions.filter((x) => x.method === "robust_lag" && x.factory_id).length).toBe(
      without.attributions.filter((x) => x.method === "robust_lag" && x.factory_id).length
    );
  });
});
