// The exact p-value is a lattice-path DP costing O(n·m) time and memory; above this product the
// asymptotic distribution is both accurate enough and the only affordable option.
const EXACT_MAX_PRODUCT = 10_000;

/**
 * Two-sample, two-sided Kolmogorov–Smirnov test of H0 "a and b come from the same continuous
 * distribution".
 *
 * `statistic` is D = sup |F_a(x) − F_b(x)|, computed exactly from sorted copies (ties are
 * consumed from both samples before the gap is measured, so tied values never inflate D).
 *
 * `pValue` is P(D ≥ observed) under H0:
 * - n·m ≤ 10 000: exact, from the distribution of D over all C(n+m, n) equally likely
 *   arrangements of the pooled sample (lattice-path recursion, as SciPy's
 *   `ks_2samp(a, b, method="exact")`). With ties in the data this is still the
 *   continuous-data distribution, as in SciPy.
 * - n·m > 10 000: asymptotic, Q(D·√(n·m/(n+m))) with Q the Kolmogorov survival function
 *   (SciPy's `kolmogorov(sqrt(en) * d)`, i.e. `kstwobign.sf`, as `ks_2samp` used before SciPy 1.5;
 *   newer SciPy's `method="asymp"` uses `kstwo.sf(d, round(en))` instead, which differs slightly
 *   at moderate n).
 *
 * Throws when a sample is empty or contains NaN.
 */
export function ksTwoSample({a, b}: {a: ArrayLike<number>; b: ArrayLike<number>}): {
  statistic: number;
  pValue: number;
  n: number;
  m: number;
} {
  const xs = sortedCopy(a, "a");
  const ys = sortedCopy(b, "b");
  const n = xs.length;
  const m = ys.length;
  const gap = maxScaledGap(xs, ys);
  // gap is |i·m − j·n| at the worst point, an exact integer; dividing once keeps D exact to rounding.
  const statistic = gap / (n * m);
  let pValue: number;
  if (gap === 0) pValue = 1;
  else if (n * m <= EXACT_MAX_PRODUCT) pValue = exactTwoSidedPValue(n, m, gap);
  else pValue = kolmogorovSurvival(statistic * Math.sqrt((n * m) / (n + m)));
  return {statistic, pValue: Math.min(1, Math.max(0, pValue)), n, m};
}

/**
 * Survival function Q(x) = P(K > x) of the Kolmogorov distribution (the limit law of √n·D_n):
 * Q(x) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²x²). Returns 1 for x ≤ 0.
 */
export function kolmogorovSurvival(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x < 1) {
    // The alternating series needs ~1/x terms and cancels badly as x → 0; the Jacobi-theta form
    // of the CDF, K(x) = √(2π)/x Σ exp(−(2k−1)²π²/(8x²)), converges in a few terms there.
    const c = (Math.PI * Math.PI) / (8 * x * x);
    let sum = 0;
    for (let k = 1; k <= 100; k++) {
      const odd = 2 * k - 1;
      const term = Math.exp(-odd * odd * c);
      sum += term;
      if (term <= sum * 1e-17) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / x) * sum));
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += k % 2 === 1 ? term : -term;
    if (term <= Math.abs(sum) * 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

function sortedCopy(values: ArrayLike<number>, name: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) throw new Error(`sample ${name} contains NaN at index ${i}`);
    out[i] = v;
  }
  if (out.length === 0) throw new Error(`sample ${name} is empty`);
  return out.sort();
}

// max over x of |i·m − j·n| where i, j count values ≤ x in xs, ys: D·n·m as an exact integer.
function maxScaledGap(xs: Float64Array, ys: Float64Array): number {
  const n = xs.length;
  const m = ys.length;
  let i = 0;
  let j = 0;
  let best = 0;
  while (i < n && j < m) {
    const x = xs[i]!;
    const y = ys[j]!;
    const v = x <= y ? x : y;
    // Both ECDFs must have jumped over every copy of v before the gap at v is read.
    while (i < n && xs[i]! <= v) i++;
    while (j < m && ys[j]! <= v) j++;
    const gap = Math.abs(i * m - j * n);
    if (gap > best) best = gap;
  }
  // Once one sample is exhausted the gap only shrinks towards 0, so the loop above saw the maximum.
  return best;
}

// P(D ≥ gap/(n·m)) for continuous data: the share of monotone lattice paths (0,0) → (n,m) that
// touch |i·m − j·n| ≥ gap. Walks the paths forward as a sampling-without-replacement chain and
// accumulates the probability of the first step onto the boundary, so the result is a sum of
// positive terms (no 1 − P(inside) cancellation for tiny p-values, no huge binomials).
function exactTwoSidedPValue(n: number, m: number, gap: number): number {
  const width = m + 1;
  const mass = new Float64Array((n + 1) * width);
  mass[0] = 1;
  let outside = 0;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      const p = mass[i * width + j]!;
      if (p === 0) continue;
      const remaining = n + m - i - j;
      if (remaining === 0) continue;
      if (i < n) {
        const step = (p * (n - i)) / remaining;
        if (Math.abs((i + 1) * m - j * n) >= gap) outside += step;
        else mass[(i + 1) * width + j]! += step;
      }
      if (j < m) {
        const step = (p * (m - j)) / remaining;
        if (Math.abs(i * m - (j + 1) * n) >= gap) outside += step;
        else mass[i * width + j + 1]! += step;
      }
    }
  }
  return outside;
}
