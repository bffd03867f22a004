import {describe, expect, test} from "vitest";
import {autocorrelation, moments, pearson} from "../../src/lib/stats/moments.js";

// Seeded LCG (Numerical Recipes constants) feeding Box–Muller: deterministic standard normals.
function normals(seed: number, count: number): Float64Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296; // strictly inside (0, 1) so log(u) is finite
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

describe("moments", () => {
  test("a small sample against hand-computed values", () => {
    // Deviations from the mean 5: −3 −1 −1 −1 0 0 2 4; Σd² = 32, Σd³ = 42, Σd⁴ = 356.
    const result = moments([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(result.n).toBe(8);
    expect(result.mean).toBe(5);
    expect(result.variance).toBeCloseTo(32 / 7, 14);
    expect(result.skewness).toBeCloseTo(42 / 8 / Math.pow(4, 1.5), 14); // 0.65625
    expect(result.kurtosis).toBeCloseTo(356 / 8 / 16, 14); // 2.78125
  });

  test("a large offset does not destroy the central moments", () => {
    const shifted = moments(Float64Array.from([2, 4, 4, 4, 5, 5, 7, 9], (x) => x + 1e9));
    expect(shifted.mean).toBe(1e9 + 5);
    expect(shifted.variance).toBeCloseTo(32 / 7, 6);
    expect(shifted.skewness).toBeCloseTo(0.65625, 6);
    expect(shifted.kurtosis).toBeCloseTo(2.78125, 6);
  });

  test("degenerate inputs", () => {
    expect(moments([])).toEqual({n: 0, mean: NaN, variance: NaN, skewness: NaN, kurtosis: NaN});
    expect(moments([3])).toEqual({n: 1, mean: 3, variance: NaN, skewness: NaN, kurtosis: NaN});
    expect(moments([0.1, 0.1, 0.1])).toMatchObject({variance: 0, skewness: NaN, kurtosis: NaN});
  });

  test("100 000 standard-normal draws: skewness ≈ 0, Pearson kurtosis ≈ 3", () => {
    const result = moments(normals(12345, 100_000));
    expect(Math.abs(result.mean)).toBeLessThan(0.02);
    expect(Math.abs(result.variance - 1)).toBeLessThan(0.02);
    expect(Math.abs(result.skewness)).toBeLessThan(0.03);
    expect(Math.abs(result.kurtosis - 3)).toBeLessThan(0.05);
  });
});

describe("autocorrelation", () => {
  test("hand-computed values for 1..5", () => {
    // Deviations −2 −1 0 1 2, Σd² = 10; lag sums 4, −1, −4, −4.
    const acf = autocorrelation([1, 2, 3, 4, 5], 4);
    expect(acf).toHaveLength(4);
    [0.4, -0.1, -0.4, -0.4].forEach((expected, k) => expect(acf[k]).toBeCloseTo(expected, 14));
    expect(autocorrelation([1, 2, 3], 0)).toEqual([]);
  });

  test("AR(1) with φ = 0.6 has lag-k autocorrelation ≈ 0.6^k", () => {
    const noise = normals(777, 100_000);
    const series = new Float64Array(noise.length);
    for (let t = 1; t < series.length; t++) series[t] = 0.6 * series[t - 1]! + noise[t]!;
    const acf = autocorrelation(series, 3);
    expect(Math.abs(acf[0]! - 0.6)).toBeLessThan(0.02);
    expect(Math.abs(acf[1]! - 0.36)).toBeLessThan(0.02);
    expect(Math.abs(acf[2]! - 0.216)).toBeLessThan(0.02);
  });

  test("rejects lags the series cannot support", () => {
    expect(() => autocorrelation([1, 2, 3], 3)).toThrow(/maxLag/);
    expect(() => autocorrelation([1, 2, 3], -1)).toThrow(/maxLag/);
    expect(() => autocorrelation([1, 2, 3], 1.5)).toThrow(/maxLag/);
    expect(autocorrelation([4, 4, 4], 1)).toEqual([NaN]);
  });
});

describe("pearson", () => {
  test("exact linear relations and a hand-computed value", () => {
    const xs = Array.from({length: 50}, (_, i) => Math.sin(i) * 10 + i * 0.3);
    expect(
      pearson(
        xs,
        xs.map((x) => 2 * x + 1)
      )
    ).toBe(1);
    expect(
      pearson(
        xs,
        xs.map((x) => -3 * x + 7)
      )
    ).toBe(-1);
    expect(pearson([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 15);
  });

  test("zero variance gives NaN; mismatched lengths throw", () => {
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(pearson([2, 2], [1, 3])).toBeNaN();
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(/equal length/);
  });
});
