import {kolmogorovSurvival, ksTwoSample} from "./ks.js";

/**
 * Integrated autocorrelation time of a series in its time order: τ = 1 + 2 Σ_{k≥1} ρ_k, with the
 * sum cut by Geyer's initial positive sequence (autocorrelations summed in pairs ρ_{2m} + ρ_{2m+1},
 * starting from ρ_0 = 1, until the first pair that is not positive), bounded to [1, n]. n / τ
 * independent values carry as much information about the mean as the n correlated ones. A
 * constant series has no variance to correlate: τ = 1.
 */
export function integratedAutocorrelationTime({series}: {series: ArrayLike<number>}): number {
  const n = series.length;
  if (n < 3) return 1;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += series[i]!;
  mean /= n;
  const x = new Float64Array(n);
  let c0 = 0;
  for (let i = 0; i < n; i++) {
    x[i] = series[i]! - mean;
    c0 += x[i]! * x[i]!;
  }
  if (!(c0 > 0)) return 1;
  // Biased autocovariances (divided by n, not n − k): the standard choice, and it keeps the
  // estimated sequence positive definite so the pair sums decrease as the theory wants.
  const rho = (k: number) => {
    let s = 0;
    for (let i = k; i < n; i++) s += x[i]! * x[i - k]!;
    return s / c0;
  };
  let sum = 0;
  for (let m = 0; 2 * m + 1 < n; m++) {
    const pair = (m === 0 ? 1 : rho(2 * m)) + rho(2 * m + 1);
    if (!(pair > 0)) break;
    sum += pair;
  }
  // Σ of the pairs is ρ_0 + ρ_1 + … = 1 + Σ_{k≥1} ρ_k, so τ = 2·sum − 1.
  return Math.min(n, Math.max(1, 2 * sum - 1));
}

export interface DependentKsResult {
  statistic: number;
  pValue: number;
  n: number;
  m: number;
  /** Integrated autocorrelation times of a and b. */
  tauA: number;
  tauB: number;
  /** Effective sample sizes n / τa and m / τb the p-value uses. */
  nEff: number;
  mEff: number;
}

/**
 * Two-sample, two-sided KS test for serially dependent series (each in its time order): D is
 * `ksTwoSample`'s, the p-value the asymptotic Q(D·√(n′m′/(n′+m′))) with the effective sample
 * sizes n′ = n / τa, m′ = m / τb (τ from `integratedAutocorrelationTime`). The plain test treats
 * n samples taken 100 ms apart as n independent draws and rejects two stretches of one market
 * almost always; the ECDF's variance grows with the series' autocorrelation time, so dividing n by
 * it restores the nominal rate. Where both τ are 1 (no positive autocorrelation was found) the
 * p-value is `ksTwoSample`'s own, exact for small samples.
 */
export function ksTwoSampleDependent({a, b}: {a: ArrayLike<number>; b: ArrayLike<number>}): DependentKsResult {
  const plain = ksTwoSample({a, b});
  const tauA = integratedAutocorrelationTime({series: a}),
    tauB = integratedAutocorrelationTime({series: b});
  const nEff = plain.n / tauA,
    mEff = plain.m / tauB;
  const pValue =
    tauA === 1 && tauB === 1
      ? plain.pValue
      : plain.statistic === 0
        ? 1
        : kolmogorovSurvival(plain.statistic * Math.sqrt((nEff * mEff) / (nEff + mEff)));
  return {statistic: plain.statistic, pValue, n: plain.n, m: plain.m, tauA, tauB, nEff, mEff};
}
