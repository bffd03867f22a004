import {describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";
import {ksTwoSample} from "../../src/lib/stats/ks.js";
import {integratedAutocorrelationTime, ksTwoSampleDependent} from "../../src/lib/stats/ks-dependent.js";

// A stationary Gaussian AR(1): x_t = φ x_{t−1} + e_t, started from its stationary law.
function ar1(seed: string, n: number, phi: number): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(n);
  let x = rng.normal() / Math.sqrt(1 - phi * phi);
  for (let i = 0; i < n; i++) {
    out[i] = x;
    x = phi * x + rng.normal();
  }
  return out;
}

describe("integratedAutocorrelationTime", () => {
  test("independent values: τ ≈ 1", () => {
    for (const seed of ["a", "b", "c"]) {
      const tau = integratedAutocorrelationTime({series: ar1(seed, 5000, 0)});
      expect(tau).toBeGreaterThanOrEqual(1);
      expect(tau).toBeLessThan(1.15);
    }
  });

  test("AR(1) with φ = 0.9: τ ≈ (1 + φ) / (1 − φ) = 19", () => {
    const taus = ["a", "b", "c", "d"].map((seed) => integratedAutocorrelationTime({series: ar1(seed, 50_000, 0.9)}));
    for (const tau of taus) expect(Math.abs(tau - 19)).toBeLessThan(3);
    expect(Math.abs(taus.reduce((s, t) => s + t, 0) / taus.length - 19)).toBeLessThan(1.5);
  });

  test("bounded to [1, n]; constant and tiny series give 1", () => {
    expect(integratedAutocorrelationTime({series: [5, 5, 5, 5]})).toBe(1);
    expect(integratedAutocorrelationTime({series: [1, 2]})).toBe(1);
    const alternating = Float64Array.from({length: 1000}, (_, i) => (i % 2 ? 1 : -1));
    expect(integratedAutocorrelationTime({series: alternating})).toBe(1);
    const ramp = Float64Array.from({length: 200}, (_, i) => i);
    const tau = integratedAutocorrelationTime({series: ramp});
    expect(tau).toBeGreaterThan(50);
    expect(tau).toBeLessThanOrEqual(200);
  });
});

describe("ksTwoSampleDependent", () => {
  test("independent samples: the same D and (nearly) the same p as ksTwoSample", () => {
    for (const [seed, n, m, shift] of [
      ["x", 2000, 3000, 0],
      ["y", 2000, 2000, 0.08],
      ["z", 60, 80, 0.3]
    ] as const) {
      const a = ar1(`${seed}-a`, n, 0),
        b = ar1(`${seed}-b`, m, 0).map((v) => v + shift);
      const plain = ksTwoSample({a, b}),
        dep = ksTwoSampleDependent({a, b});
      expect(dep.statistic).toBe(plain.statistic);
      expect(dep.tauA).toBeLessThan(1.2);
      expect(dep.tauB).toBeLessThan(1.2);
      expect(Math.abs(dep.pValue - plain.pValue)).toBeLessThan(0.06);
      if (dep.tauA === 1 && dep.tauB === 1) expect(dep.pValue).toBe(plain.pValue);
    }
  });

  test("two stretches of one AR(1) (φ = 0.9) pass at about the nominal rate; the iid KS rejects most", () => {
    let passed = 0,
      plainPassed = 0,
      nEff = 0;
    for (let seed = 0; seed < 100; seed++) {
      const a = ar1(`${seed}-first`, 2000, 0.9),
        b = ar1(`${seed}-second`, 2000, 0.9);
      const dep = ksTwoSampleDependent({a, b});
      if (dep.pValue >= 0.05) passed++;
      if (ksTwoSample({a, b}).pValue >= 0.05) plainPassed++;
      nEff += dep.nEff / 100;
    }
    expect(passed).toBeGreaterThanOrEqual(90);
    expect(plainPassed).toBeLessThan(50);
    expect(nEff).toBeGreaterThan(2000 / 25);
    expect(nEff).toBeLessThan(2000 / 14);
  });

  test("still rejects a real difference between dependent series", () => {
    const a = ar1("shift-a", 20_000, 0.9),
      b = ar1("shift-b", 20_000, 0.9).map((v) => v + 1.5);
    const dep = ksTwoSampleDependent({a, b});
    expect(dep.pValue).toBeLessThan(0.01);
  });
});
