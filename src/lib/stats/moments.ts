/**
 * Sample moments by a corrected two-pass algorithm (mean first, then central sums of deviations),
 * which avoids the cancellation of raw power sums when the mean is large relative to the spread.
 *
 * - `variance`: unbiased sample variance, Σ(x − x̄)² / (n − 1); NaN when n < 2.
 * - `skewness`: population (biased) Fisher–Pearson g1 = m3 / m2^1.5 (SciPy `skew(bias=True)`).
 * - `kurtosis`: Pearson (non-excess) kurtosis m4 / m2², ≈ 3 for normal data
 *   (SciPy `kurtosis(fisher=False, bias=True)`).
 *
 * m_k are the central moments with divisor n. Skewness and kurtosis are NaN when the data are
 * constant; everything but n is NaN for an empty input. NaN inputs propagate.
 */
export function moments(xs: ArrayLike<number>): {
  n: number;
  mean: number;
  variance: number;
  skewness: number;
  kurtosis: number;
} {
  const n = xs.length;
  if (n === 0) return {n, mean: NaN, variance: NaN, skewness: NaN, kurtosis: NaN};
  const mean = stableMean(xs);
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  const m2 = s2 / n;
  const variance = n > 1 ? s2 / (n - 1) : NaN;
  const skewness = m2 > 0 ? s3 / n / Math.pow(m2, 1.5) : NaN;
  const kurtosis = m2 > 0 ? s4 / n / (m2 * m2) : NaN;
  return {n, mean, variance, skewness, kurtosis};
}

/**
 * Sample autocorrelation at lags 1..maxLag (element k − 1 is lag k):
 * r_k = Σ_{t<n−k} (x_t − x̄)(x_{t+k} − x̄) / Σ_t (x_t − x̄)², with the overall mean and the lag-0
 * sum of squares for every lag (the standard, positive-definite estimator, as R's `acf`).
 * Throws unless maxLag is an integer in [0, n − 1]; returns NaN entries for constant data.
 */
export function autocorrelation(xs: ArrayLike<number>, maxLag: number): number[] {
  const n = xs.length;
  if (!Number.isInteger(maxLag) || maxLag < 0 || maxLag >= Math.max(n, 1)) {
    throw new Error(`maxLag must be an integer in [0, ${Math.max(n - 1, 0)}], got ${maxLag}`);
  }
  if (maxLag === 0) return [];
  const mean = stableMean(xs);
  const dev = new Float64Array(n);
  let c0 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    dev[i] = d;
    c0 += d * d;
  }
  const out: number[] = [];
  for (let k = 1; k <= maxLag; k++) {
    let ck = 0;
    for (let t = 0; t + k < n; t++) ck += dev[t]! * dev[t + k]!;
    out.push(c0 > 0 ? ck / c0 : NaN);
  }
  return out;
}

/**
 * Pearson correlation coefficient of two equally long samples, by two passes over deviations.
 * NaN when either sample has zero variance (or fewer than 2 points); throws on a length mismatch.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new Error(`pearson needs samples of equal length, got ${n} and ${b.length}`);
  if (n < 2) return NaN;
  const meanA = stableMean(a);
  const meanB = stableMean(b);
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - meanA;
    const db = b[i]! - meanB;
    saa += da * da;
    sbb += db * db;
    sab += da * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  // Rounding can push |r| a hair past 1 for exactly linear data.
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

function stableMean(xs: ArrayLike<number>): number {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i]!;
  const rough = sum / n;
  if (!Number.isFinite(rough)) return rough;
  // Second pass: the mean residual corrects the rounding error of the naive sum.
  let residual = 0;
  for (let i = 0; i < n; i++) residual += xs[i]! - rough;
  return rough + residual / n;
}
