import {describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";
import {analyzeEffluent} from "../../src/lib/effluent/analyze.js";
import {defaultEffluentConfig} from "../../src/lib/effluent/config.js";
import {scoreAttribution, scoreTamper} from "../../src/lib/effluent/score.js";
import {simulatePlant} from "../../src/lib/effluent/simulate.js";
import {detectShocks} from "../../src/lib/effluent/tripwire.js";
import type {CetpReading} from "../../src/lib/effluent/types.js";

const reading = (minute: number, cod: number | null): CetpReading => ({
  ts: new Date(Date.UTC(2024, 2, 1, 0, minute)),
  inlet_cod: cod,
  inlet_bod: null,
  inlet_ph: null,
  inlet_tss: null,
  outlet_cod: null,
  outlet_bod: null,
  outlet_ph: null,
  outlet_tss: null
});

describe("tripwire", () => {
  test("consecutive breaches form one event with start, peak, end, breach and level", () => {
    const cods = [190, 195, 205, 230, 410, null, 220, 199, 190, 190, 190, 190, 190, 201, 190];
    const events = detectShocks({readings: cods.map((c, i) => reading(i, c)), config: {...defaultEffluentConfig}});
    expect(
      events.map((e) => [
        e.start_ts.getUTCMinutes(),
        e.peak_ts.getUTCMinutes(),
        e.end_ts.getUTCMinutes(),
        e.peak_cod,
        e.breach,
        e.level
      ])
    ).toEqual([
      [2, 4, 6, 410, 210, "CRITICAL"],
      [13, 13, 13, 201, 1, "LOW"]
    ]);
  });
});

describe("attribution and tampering on simulated plants", () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: ≥ 95% of factory shocks right, ≤ 5% of no-factory shocks blamed, every tamper window found, the 3-minute sensor left alone`, () => {
      const sim = simulatePlant({rng: createRng(seed)});
      const analysis = analyzeEffluent({cetp: sim.cetp, factories: sim.factories, config: defaultEffluentConfig});
      // Travel times are learned within two minutes of the truth.
      for (const p of sim.profiles)
        expect(
          Math.abs(analysis.travel.find((t) => t.factory_id === p.factory_id)!.lag_minutes - p.travelMinutes)
        ).toBeLessThanOrEqual(2);
      const ours = scoreAttribution({
        events: analysis.shocks,
        attributions: analysis.attributions,
        truth: sim.truthShocks,
        method: "robust_lag"
      });
      const baseline = scoreAttribution({
        events: analysis.shocks,
        attributions: analysis.attributions,
        truth: sim.truthShocks,
        method: "fixed_lookback"
      });
      expect(ours.factoryShocks).toBe(20);
      expect(ours.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(ours.falseAttributionRate).toBeLessThanOrEqual(0.05);
      // The reference method blames someone for nearly every crossing.
      expect(baseline.falseAttributionRate).toBeGreaterThan(0.9);
      expect(ours.accuracy).toBeGreaterThan(baseline.accuracy);
      const cadence3 = sim.profiles.find((p) => p.cadenceMinutes === 3)!.factory_id;
      const tamper = scoreTamper({findings: analysis.tamper, truth: sim.truthTamper, cleanFactories: [cadence3]});
      expect(tamper.injected).toBe(5);
      expect(tamper.recall).toBeGreaterThanOrEqual(0.95);
      expect(tamper.falseOnClean).toBe(0);
      // Every finding matches an injected window: no false alarms anywhere.
      expect(analysis.tamper).toHaveLength(5);
      // Nobody is blamed on readings inside their own FROZEN, FINGERPRINT or DILUTION window, nor on a
      // baseline those windows flattened; such readings are set aside, and the evidence says so.
      const robust = analysis.attributions.filter((a) => a.method === "robust_lag");
      for (const a of robust.filter((a) => a.factory_id)) expect(a.evidence).not.toContain("MAD 0.0");
      const blamedInside = robust.filter((a) =>
        analysis.tamper.some(
          (t) =>
            t.factory_id === a.factory_id &&
            t.kind !== "BLACKOUT" &&
            analysis.shocks.some(
              (e) =>
                e.event_id === a.event_id &&
                e.start_ts.getTime() - (a.lag_minutes ?? 0) * 60_000 >= t.window_start.getTime() &&
                e.start_ts.getTime() - (a.lag_minutes ?? 0) * 60_000 <= t.window_end.getTime()
            )
        )
      );
      expect(blamedInside).toEqual([]);
      expect(
        robust.filter((a) => /Set aside: F0\d's readings inside (FINGERPRINT|FROZEN)/.test(a.evidence)).length
      ).toBeGreaterThan(0);
      // Levels mean something: noise crossings stay LOW, real slugs rise above.
      const levels = new Set(analysis.shocks.map((e) => e.level));
      expect(levels.size).toBeGreaterThanOrEqual(3);
      // Readings inside a finding carry its kind.
      expect(analysis.factoryReadings.filter((r) => r.status === "BLACKOUT")).toHaveLength(0);
      expect(analysis.factoryReadings.some((r) => r.status === "FROZEN")).toBe(true);
    });
  }

  test("a plant with no tampering and a sensor reporting every third minute yields no tamper findings", () => {
    const sim = simulatePlant({rng: createRng(11), tamper: false, days: 10});
    expect(sim.truthTamper).toEqual([]);
    expect(analyzeEffluent({cetp: sim.cetp, factories: sim.factories, config: defaultEffluentConfig}).tamper).toEqual(
      []
    );
  });

  test("the simulator is deterministic for a seed", () => {
    const a = simulatePlant({rng: createRng(5), days: 2, shocksPerFactory: 1, orphanShocks: 1, tamper: false});
    const b = simulatePlant({rng: createRng(5), days: 2, shocksPerFactory: 1, orphanShocks: 1, tamper: false});
    expect(b.cetp.slice(0, 50)).toEqual(a.cetp.slice(0, 50));
    expect(b.truthShocks).toEqual(a.truthShocks);
    const inlet = a.cetp
      .map((r) => r.inlet_cod!)
      .filter((v, i) => !a.truthShocks.some((t) => a.cetp[i]!.ts >= t.inlet_start && a.cetp[i]!.ts <= t.inlet_end));
    const mean = inlet.reduce((s, v) => s + v, 0) / inlet.length;
    expect(mean).toBeGreaterThan(188);
    expect(mean).toBeLessThan(198);
  });
});
