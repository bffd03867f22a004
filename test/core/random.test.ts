import {describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";

function moments(xs: number[]): {mean: number; variance: number} {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return {mean, variance: xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)};
}

const draws = (n: number, f: () => number) => Array.from({length: n}, f);

describe("createRng", () => {
  test("is deterministic for a seed and differs across seeds", () => {
    const a = createRng(42),
      b = createRng(42),
      c = createRng(43);
    const xs = draws(5, () => a.next());
    expect(draws(5, () => b.next())).toEqual(xs);
    expect(draws(5, () => c.next())).not.toEqual(xs);
    expect(createRng("plant").next()).toBe(createRng("plant").next());
  });

  test("forks are independent of the parent's state and of each other", () => {
    const a = createRng(7);
    const first = a.fork("walk A").next();
    a.next();
    a.next();
    expect(a.fork("walk A").next()).toBe(first);
    expect(a.fork("walk B").next()).not.toBe(first);
  });

  test("uniform draws lie in [0, 1) and ints are inclusive", () => {
    const rng = createRng(1);
    const xs = draws(100_000, () => rng.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(moments(xs).mean).toBeCloseTo(0.5, 2);
    const ints = new Set(draws(10_000, () => rng.int(1, 6)));
    expect([...ints].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("distributions have the right moments over 100k draws", () => {
    const rng = createRng(2);
    const normal = moments(draws(100_000, () => rng.normal(10, 2)));
    expect(normal.mean).toBeCloseTo(10, 1);
    expect(Math.sqrt(normal.variance)).toBeCloseTo(2, 1);
    const exp = moments(draws(100_000, () => rng.exponential(4)));
    expect(exp.mean).toBeCloseTo(0.25, 2);
    const smallPoisson = moments(draws(100_000, () => rng.poisson(3.5)));
    expect(smallPoisson.mean).toBeCloseTo(3.5, 1);
    expect(smallPoisson.variance).toBeCloseTo(3.5, 0);
    const largePoisson = moments(draws(100_000, () => rng.poisson(400)));
    expect(largePoisson.mean / 400).toBeCloseTo(1, 2);
    expect(largePoisson.variance / 400).toBeCloseTo(1, 1);
    // Pareto(xm=1, alpha=3): mean = alpha/(alpha-1) = 1.5.
    expect(moments(draws(200_000, () => rng.pareto(1, 3))).mean).toBeCloseTo(1.5, 1);
    expect(draws(100_000, () => Number(rng.bernoulli(0.2))).filter((x) => x === 1).length / 100_000).toBeCloseTo(
      0.2,
      2
    );
  });

  test("shuffle permutes without mutating", () => {
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const shuffled = createRng(3).shuffle(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...shuffled].sort()).toEqual(items);
    expect(shuffled).not.toEqual(items);
  });
});
