import {describe, expect, test} from "vitest";
import {kolmogorovSurvival, ksTwoSample} from "../../src/lib/stats/ks.js";

// Deterministic uniforms in [0, 1) (Numerical Recipes LCG) so every run sees the same samples.
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function binomial(n: number, k: number): number {
  let out = 1;
  for (let i = 1; i <= k; i++) out = (out * (n - k + i)) / i;
  return out;
}

// Independent of the module: evaluate both ECDFs at every pooled point, O(N²).
function bruteGap(a: readonly number[], b: readonly number[]): number {
  let best = 0;
  for (const v of [...a, ...b]) {
    const ca = a.filter((x) => x <= v).length;
    const cb = b.filter((x) => x <= v).length;
    best = Math.max(best, Math.abs(ca * b.length - cb * a.length));
  }
  return best;
}

// Permutation probability P(D ≥ observed) over every way to split the pooled sample into n and m.
function bruteForcePValue(a: readonly number[], b: readonly number[]): number {
  const pooled = [...a, ...b];
  const n = a.length;
  const observed = bruteGap(a, b);
  let hits = 0;
  let total = 0;
  const chosen: number[] = [];
  const visit = (start: number): void => {
    if (chosen.length === n) {
      const inA = new Set(chosen);
      const left = chosen.map((i) => pooled[i]!);
      const right = pooled.filter((_, i) => !inA.has(i));
      total++;
      if (bruteGap(left, right) >= observed) hits++;
      return;
    }
    for (let i = start; i <= pooled.length - (n - chosen.length); i++) {
      chosen.push(i);
      visit(i + 1);
      chosen.pop();
    }
  };
  visit(0);
  expect(total).toBe(binomial(pooled.length, n));
  return hits / total;
}

// Hodges' inside method with exact BigInt path counts: P(D ≥ gap/(n·m)) = 1 − inside/C(n+m, n).
function bigIntPValue(n: number, m: number, gap: number): number {
  let row: bigint[] = [];
  for (let i = 0; i <= n; i++) {
    const next: bigint[] = [];
    for (let j = 0; j <= m; j++) {
      if (Math.abs(i * m - j * n) >= gap) next.push(0n);
      else if (i === 0 && j === 0) next.push(1n);
      else next.push((i > 0 ? row[j]! : 0n) + (j > 0 ? next[j - 1]! : 0n));
    }
    row = next;
  }
  let total = 1n;
  for (let k = 1; k <= n; k++) total = (total * BigInt(m + k)) / BigInt(k);
  return Number(total - row[m]!) / Number(total);
}

// SciPy's _compute_prob_outside_square(n, h) for equal sizes (a reflection-principle series).
function squarePValue(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

function draw(next: () => number, size: number, shift: number): number[] {
  return Array.from({length: size}, () => next() + shift);
}

describe("ksTwoSample statistic", () => {
  test("identical samples give D = 0 and p = 1", () => {
    const xs = [3.1, 0.2, 5.5, 1.25, 4.0, 2.75];
    expect(ksTwoSample({a: xs, b: [...xs].reverse()})).toEqual({statistic: 0, pValue: 1, n: 6, m: 6});
  });

  test("ties are consumed from both samples before the gap is measured", () => {
    // F_a: 1→¼, 2→¾, 3→1; F_b: 2→¾, 4→1. Gaps at 1,2,3,4: ¼, 0, ¼, 0.
    expect(ksTwoSample({a: [1, 2, 2, 3], b: [2, 2, 2, 4]}).statistic).toBeCloseTo(0.25, 15);
    expect(ksTwoSample({a: [0, 0, 1], b: [0, 1, 1]}).statistic).toBeCloseTo(1 / 3, 15);
    expect(ksTwoSample({a: [-0, 0, 1], b: [0, 1]}).statistic).toBeCloseTo(1 / 6, 15);
  });

  test("matches a brute-force ECDF comparison on random data with ties", () => {
    const next = lcg(7);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(next() * 30);
      const m = 1 + Math.floor(next() * 30);
      const a = Array.from({length: n}, () => Math.floor(next() * 8));
      const b = Array.from({length: m}, () => Math.floor(next() * 8) + (trial % 3));
      const result = ksTwoSample({a, b: Float64Array.from(b)});
      expect(result.statistic).toBeCloseTo(bruteGap(a, b) / (n * m), 12);
      expect(result.n).toBe(n);
      expect(result.m).toBe(m);
    }
  });

  test("NaN and empty samples throw, naming the sample", () => {
    const a = Array.from({length: 20}, (_, i) => i);
    a[12] = NaN;
    expect(() => ksTwoSample({a, b: [1, 2]})).toThrow("sample a contains NaN at index 12");
    expect(() => ksTwoSample({a: [1, 2], b: [0, NaN]})).toThrow("sample b contains NaN at index 1");
    expect(() => ksTwoSample({a: [], b: [1]})).toThrow("sample a is empty");
  });
});

describe("ksTwoSample exact p-value", () => {
  test("completely separated samples: p = 2 / C(n+m, n)", () => {
    const five = ksTwoSample({a: [1, 2, 3, 4, 5], b: [6, 7, 8, 9, 10]});
    expect(five.statistic).toBe(1);
    expect(five.pValue).toBeCloseTo(2 / 252, 15);
    expect(five.pValue).toBeCloseTo(0.007936507936507936, 15);
    const unequal = ksTwoSample({a: [1, 2, 3], b: [4, 5, 6, 7]});
    expect(unequal.statistic).toBe(1);
    expect(unequal.pValue).toBeCloseTo(2 / 35, 15);
    expect(ksTwoSample({a: [4, 5, 6, 7], b: [1, 2, 3]}).pValue).toBeCloseTo(2 / 35, 15);
  });

  test("equals the brute-force permutation probability over every split", () => {
    const cases: Array<[number[], number[]]> = [
      [
        [0.1, 0.5, 0.9, 1.3, 2.0],
        [0.3, 0.4, 1.1, 1.5, 1.7, 2.2]
      ],
      [
        [0.1, 0.2, 0.35, 1.3, 1.4],
        [0.3, 0.9, 1.0, 1.1, 1.7, 2.2]
      ],
      [
        [1, 2, 3, 4, 5, 6],
        [3.5, 4.5, 5.5, 6.5, 7.5, 8.5]
      ],
      [
        [1, 3, 5, 7, 9, 11, 13],
        [2, 4, 6, 8, 10, 12, 14, 16, 18]
      ],
      [[0.5], [0.1, 0.2, 0.3, 0.4, 0.6, 0.7]],
      [
        [2, 9],
        [1, 3, 4, 5, 6, 7, 8, 10]
      ]
    ];
    for (const [a, b] of cases) {
      const result = ksTwoSample({a, b});
      expect(result.statistic).toBeCloseTo(bruteGap(a, b) / (a.length * b.length), 15);
      expect(Math.abs(result.pValue - bruteForcePValue(a, b))).toBeLessThan(1e-9);
    }
  });

  test("equals exact BigInt path counts for unequal sizes up to n·m = 10 000", () => {
    const next = lcg(2024);
    for (const [n, m, shift] of [
      [40, 60, 0.2],
      [40, 60, 0.45],
      [25, 400, 0.1],
      [1, 10_000, 0],
      [73, 136, 0.3],
      [90, 111, 0.05]
    ] as const) {
      const result = ksTwoSample({a: draw(next, n, 0), b: draw(next, m, shift)});
      const gap = Math.round(result.statistic * n * m);
      const reference = bigIntPValue(n, m, gap);
      expect(Math.abs(result.pValue - reference)).toBeLessThanOrEqual(1e-12 + 1e-9 * reference);
    }
  });

  test("equals SciPy's equal-size formula, including tiny p-values, at n = m = 100", () => {
    const next = lcg(99);
    for (const shift of [0, 0.1, 0.25, 0.5, 0.9]) {
      const result = ksTwoSample({a: draw(next, 100, 0), b: draw(next, 100, shift)});
      const h = Math.round(result.statistic * 100);
      const reference = squarePValue(100, h);
      expect(Math.abs(result.pValue - reference)).toBeLessThanOrEqual(1e-12 + 1e-9 * reference);
    }
    const separated = ksTwoSample({a: draw(next, 100, 0), b: draw(next, 100, 5)});
    expect(separated.pValue / (2 / binomial(200, 100))).toBeCloseTo(1, 9);
  });
});

describe("ksTwoSample asymptotic p-value", () => {
  test("above n·m = 10 000 uses Q(D·√(nm/(n+m)))", () => {
    const next = lcg(5);
    const result = ksTwoSample({a: draw(next, 101, 0), b: draw(next, 101, 0.15)});
    expect(result.pValue).toBe(kolmogorovSurvival(result.statistic * Math.sqrt(50.5)));
    const unequal = ksTwoSample({a: draw(next, 300, 0), b: draw(next, 500, 0.05)});
    expect(unequal.pValue).toBe(kolmogorovSurvival(unequal.statistic * Math.sqrt((300 * 500) / 800)));
    expect(unequal.pValue).toBeGreaterThan(0);
    expect(unequal.pValue).toBeLessThan(1);
  });

  test("200 000 against 200 000 shifted uniforms runs in under 300 ms", () => {
    const size = 200_000;
    const next = lcg(11);
    const a = new Float64Array(size);
    const b = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      a[i] = i / size;
      b[i] = 0.1 + i / size;
    }
    // Shuffle so the sort does real work rather than meeting presorted input.
    for (const xs of [a, b]) {
      for (let i = size - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const t = xs[i]!;
        xs[i] = xs[j]!;
        xs[j] = t;
      }
    }
    ksTwoSample({a: a.subarray(0, 1000), b: b.subarray(0, 1000)});
    const started = performance.now();
    const result = ksTwoSample({a, b});
    const elapsed = performance.now() - started;
    expect(Math.abs(result.statistic - 0.1)).toBeLessThan(1e-3);
    expect(result.pValue).toBe(0);
    expect(result.n).toBe(size);
    expect(result.m).toBe(size);
    expect(elapsed).toBeLessThan(300);
  });
});

describe("kolmogorovSurvival", () => {
  test("matches published values of the Kolmogorov distribution", () => {
    expect(Math.abs(kolmogorovSurvival(0.5) - 0.9639452436648751)).toBeLessThan(1e-9);
    expect(Math.abs(kolmogorovSurvival(1.0) - 0.26999967167735456)).toBeLessThan(1e-9);
    expect(Math.abs(kolmogorovSurvival(2.0) - 0.0006709252557796953)).toBeLessThan(1e-9);
    // The classic 5 % and 1 % critical values.
    expect(Math.abs(kolmogorovSurvival(1.36) - 0.0494)).toBeLessThan(1e-4);
    expect(Math.abs(kolmogorovSurvival(1.63) - 0.0098)).toBeLessThan(1e-4);
  });

  test("the two series agree where both converge, and the tails behave", () => {
    const alternating = (x: number): number => {
      let sum = 0;
      for (let k = 1; k <= 200; k++) sum += (k % 2 === 1 ? 2 : -2) * Math.exp(-2 * k * k * x * x);
      return sum;
    };
    for (const x of [0.6, 0.75, 0.9, 0.999999])
      expect(Math.abs(kolmogorovSurvival(x) - alternating(x))).toBeLessThan(1e-14);
    expect(Math.abs(kolmogorovSurvival(1 - 1e-12) - kolmogorovSurvival(1))).toBeLessThan(1e-11);
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(-1)).toBe(1);
    expect(kolmogorovSurvival(0.05)).toBe(1);
    expect(kolmogorovSurvival(5)).toBeCloseTo(2 * Math.exp(-50), 30);
    expect(kolmogorovSurvival(40)).toBe(0);
    expect(kolmogorovSurvival(NaN)).toBeNaN();
  });
});
