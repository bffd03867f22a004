import {LabError} from "../../core/errors.js";
import {ksTwoSample} from "../../stats/ks.js";
import {autocorrelation, moments, pearson} from "../../stats/moments.js";

/** A side of a fidelity comparison with too little in it to compare: `lab fidelity` exits 4 for it. */
export class UnusableSideError extends LabError {}

/** One market as observed: its trades, and its book sampled on a fixed time grid. */
export interface MarketObservation {
  trades: {tNs: Float64Array; price: Float64Array; qty: Float64Array; side: Uint8Array};
  /** Every `intervalNs`: `levels` levels per side, row-major [sample × levels + level]; NaN where a level is missing. */
  samples: {
    tNs: Float64Array;
    intervalNs: number;
    levels: number;
    bidPx: Float64Array;
    bidQty: Float64Array;
    askPx: Float64Array;
    askQty: Float64Array;
  };
  eventTNs: Float64Array;
  /** The best quotes after every book change (prices), for the 10 ms top-of-book comparison. */
  top?: {tNs: Float64Array; bid: Float64Array; ask: Float64Array};
  gaps?: number;
  drift?: {mean: number; max: number};
}

type Moments = {n: number; mean: number; variance: number; skewness: number; kurtosis: number};

export interface FidelityMetric {
  metric: string;
  statistic: number;
  p_value: number | null;
  reconstructed: Moments | null;
  golden: Moments | null;
  passed: boolean | null;
  note: string;
}

export interface FidelityReport {
  metrics: FidelityMetric[];
  /** The mean of the KS p-values. */
  score: number;
  verdict: "PASS" | "FAIL";
  reasons: string[];
  acf: {lag: number; reconstructed: number; golden: number}[];
  levelCorrelation: {side: "bid" | "ask"; level: number; rho: number}[];
}

const finite = (xs: ArrayLike<number>) =>
  Float64Array.from(Array.prototype.filter.call(xs, (x: number) => Number.isFinite(x)) as number[]);
function thin(xs: Float64Array, max: number): Float64Array {
  if (xs.length <= max) return xs;
  const step = Math.ceil(xs.length / max);
  return Float64Array.from({length: Math.ceil(xs.length / step)}, (_, i) => xs[i * step]!);
}

/** Per-sample series of a book observation. */
function series(o: MarketObservation) {
  const {levels, bidPx, bidQty, askPx, askQty, tNs} = o.samples;
  const n = tNs.length;
  const spread = new Float64Array(n),
    top = new Float64Array(n),
    depth5 = new Float64Array(n),
    mid = new Float64Array(n),
    oi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = bidPx[i * levels]!,
      a = askPx[i * levels]!;
    spread[i] = a - b;
    mid[i] = (a + b) / 2;
    top[i] = bidQty[i * levels]! + askQty[i * levels]!;
    let vb = 0,
      va = 0;
    for (let l = 0; l < Math.min(5, levels); l++) {
      const qb = bidQty[i * levels + l]!,
        qa = askQty[i * levels + l]!;
      if (Number.isFinite(qb)) vb += qb;
      if (Number.isFinite(qa)) va += qa;
    }
    depth5[i] = vb + va;
    oi[i] = vb + va > 0 ? (vb - va) / (vb + va) : NaN;
  }
  const returns = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) returns[i - 1] = Math.log(mid[i]! / mid[i - 1]!);
  return {spread, top, depth5, mid, oi, returns};
}

const diffs = (t: Float64Array, scale: number) => {
  const out: number[] = [];
  for (let i = 1; i < t.length; i++) {
    const d = t[i]! - t[i - 1]!;
    if (d > 0) out.push(d / scale);
  }
  return Float64Array.from(out);
};

/** Both top-of-book series sampled at the end of every `stepNs` window over their overlap (last change at or before it). */
function topPerWindow(
  r: NonNullable<MarketObservation["top"]>,
  g: NonNullable<MarketObservation["top"]>,
  stepNs: number
) {
  const start = Math.ceil(Math.max(r.tNs[0] ?? Infinity, g.tNs[0] ?? Infinity) / stepNs) * stepNs;
  const end = Math.min(r.tNs[r.tNs.length - 1] ?? -Infinity, g.tNs[g.tNs.length - 1] ?? -Infinity);
  let ri = 0,
    gi = 0,
    windows = 0,
    exact = 0,
    sb = 0,
    sa = 0;
  for (let w = start; w <= end; w += stepNs) {
    while (ri + 1 < r.tNs.length && r.tNs[ri + 1]! <= w) ri++;
    while (gi + 1 < g.tNs.length && g.tNs[gi + 1]! <= w) gi++;
    const db = r.bid[ri]! - g.bid[gi]!,
      da = r.ask[ri]! - g.ask[gi]!;
    if (!Number.isFinite(db) || !Number.isFinite(da)) continue;
    windows++;
    sb += db * db;
    sa += da * da;
    if (Math.abs(db) < 1e-9 && Math.abs(da) < 1e-9) exact++;
  }
  return {
    windows,
    bidRmse: windows ? Math.sqrt(sb / windows) : NaN,
    askRmse: windows ? Math.sqrt(sa / windows) : NaN,
    exactShare: windows ? exact / windows : NaN
  };
}

/** The distributions the KS tests compare, by metric (thinned to `max` values). */
export function distributions(o: MarketObservation, max = 200_000): Record<string, Float64Array> {
  const s = series(o);
  const out: Record<string, Float64Array> = {
    trade_size: o.trades.qty,
    inter_trade_ms: diffs(o.trades.tNs, 1e6),
    spread: s.spread,
    top_depth: s.top,
    depth_5: s.depth5,
    mid_log_return: s.returns,
    imbalance_5: s.oi
  };
  for (const k of Object.keys(out)) out[k] = thin(finite(out[k]!), max);
  return out;
}

/**
 * Is a reconstructed history statistically the same market as the golden (live) one? Two-sample
 * KS tests (with both samples' moments) on what both observe alike — trade sizes, inter-trade
 * times, and on the 100 ms book samples the spread, top-of-book depth, depth over 5 levels, mid
 * log returns and the order-book imbalance over 5 levels — plus descriptive comparisons: OI's
 * power to predict the next mid move, volatility clustering (ACF of squared returns), heavy tails,
 * best bid/ask RMS error and exact share on aligned samples, per-level depth correlation, gaps
 * and drift. Score = the mean KS p-value; PASS when it is at least `alpha` and no KS test fails at
 * alpha / (number of tests) (a Bonferroni guard: one grossly different distribution fails the
 * report even when the others agree).
 */
// Over 150 lines: the report's rows, one metric after another, each a few lines over the same samples.
export function fidelityReport({
  reconstructed,
  golden,
  alpha = 0.05,
  maxLag = 20,
  maxSample = 200_000
}: {
  reconstructed: MarketObservation;
  golden: MarketObservation;
  alpha?: number;
  maxLag?: number;
  maxSample?: number;
}): FidelityReport {
  const r = series(reconstructed),
    g = series(golden);
  for (const [side, o, x] of [
    ["reconstructed", reconstructed, r],
    ["golden", golden, g]
  ] as const) {
    const returns = finite(x.returns).length;
    // Too few trades only fails their KS tests; too few book samples leaves nothing to compare.
    if (returns <= maxLag)
      throw new UnusableSideError({
        reason: `the ${side} side is too short to compare: ${o.samples.tNs.length.toLocaleString("en-US")} book samples (${returns.toLocaleString("en-US")} mid returns; the volatility-clustering ACF needs more than ${maxLag})`,
        hint:
          side === "golden"
            ? "capture for longer; a capture whose book never synced (no snapshot its diffs continue from) has no samples"
            : "reconstruct a longer history, overlapping the golden capture"
      });
  }
  const metrics: FidelityMetric[] = [];
  const ks = (metric: string, a: Float64Array, b: Float64Array, note: string) => {
    const x = thin(finite(a), maxSample),
      y = thin(finite(b), maxSample);
    if (x.length < 2 || y.length < 2) {
      metrics.push({
        metric,
        statistic: 1,
        p_value: 0,
        reconstructed: x.length ? moments(x) : null,
        golden: y.length ? moments(y) : null,
        passed: false,
        note: `too few values (${x.length} vs ${y.length})`
      });
      return;
    }
    const t = ksTwoSample({a: x, b: y});
    metrics.push({
      metric,
      statistic: t.statistic,
      p_value: t.pValue,
      reconstructed: moments(x),
      golden: moments(y),
      passed: t.pValue >= alpha,
      note
    });
  };
  ks("trade_size", reconstructed.trades.qty, golden.trades.qty, "sizes of individual trades");
  ks(
    "inter_trade_ms",
    diffs(reconstructed.trades.tNs, 1e6),
    diffs(golden.trades.tNs, 1e6),
    "time between consecutive trades (ms)"
  );
  ks("spread", r.spread, g.spread, "best ask − best bid on the 100 ms book samples");
  ks("top_depth", r.top, g.top, "size at the best bid plus the best ask");
  ks("depth_5", r.depth5, g.depth5, "size over the best 5 levels of both sides");
  ks("mid_log_return", r.returns, g.returns, "mid log return per sample interval");
  ks("imbalance_5", r.oi, g.oi, "order-book imbalance (Vb − Va)/(Vb + Va) over 5 levels");
  const describe = (metric: string, rec: number, gold: number, note: string) =>
    metrics.push({
      metric,
      statistic: rec - gold,
      p_value: null,
      reconstructed: {n: 1, mean: rec, variance: 0, skewness: 0, kurtosis: 0},
      golden: {n: 1, mean: gold, variance: 0, skewness: 0, kurtosis: 0},
      passed: null,
      note
    });
  // OI's predictive power: the sign of the next mid move against the sign of OI now.
  const power = (s: ReturnType<typeof series>) => {
    let hits = 0,
      moves = 0;
    const x: number[] = [],
      y: number[] = [];
    for (let i = 0; i + 1 < s.mid.length; i++) {
      const move = s.mid[i + 1]! - s.mid[i]!,
        oi = s.oi[i]!;
      if (!Number.isFinite(move) || !Number.isFinite(oi)) continue;
      (x.push(oi), y.push(move));
      if (move !== 0 && oi !== 0) (moves++, Math.sign(move) === Math.sign(oi) && hits++);
    }
    return {hitRate: moves ? hits / moves : NaN, corr: x.length > 2 ? pearson(x, y) : NaN};
  };
  const pr = power(r),
    pg = power(g);
  describe("imbalance_hit_rate", pr.hitRate, pg.hitRate, "share of next mid moves in the direction of the imbalance");
  describe("imbalance_next_move_corr", pr.corr, pg.corr, "Pearson correlation of imbalance with the next mid move");
  // Volatility clustering.
  const sq = (xs: Float64Array) => finite(xs).map((x) => x * x);
  const acfR = autocorrelation(sq(r.returns), maxLag),
    acfG = autocorrelation(sq(g.returns), maxLag);
  const acf = acfR.map((v, i) => ({lag: i + 1, reconstructed: v, golden: acfG[i]!}));
  describe(
    "volatility_clustering_acf_gap",
    acf.reduce((a, x) => a + Math.abs(x.reconstructed - x.golden), 0) / Math.max(1, acf.length),
    0,
    `mean |ACF difference| of squared mid returns over lags 1–${maxLag}; lag-1 ACF ${acfR[0]?.toFixed(3)} vs ${acfG[0]?.toFixed(3)}`
  );
  // Heavy tails.
  const kr = moments(finite(r.returns)).kurtosis,
    kg = moments(finite(g.returns)).kurtosis;
  describe(
    "return_kurtosis",
    kr,
    kg,
    `heavy tails (> 3): reconstructed ${kr > 3 ? "yes" : "no"}, golden ${kg > 3 ? "yes" : "no"}`
  );
  const tr = moments(finite(reconstructed.trades.qty)).kurtosis,
    tg = moments(finite(golden.trades.qty)).kurtosis;
  describe(
    "trade_size_kurtosis",
    tr,
    tg,
    `heavy tails (> 3): reconstructed ${tr > 3 ? "yes" : "no"}, golden ${tg > 3 ? "yes" : "no"}`
  );
  // Aligned samples: best bid/ask error, and depth correlation per level.
  const L = Math.min(reconstructed.samples.levels, golden.samples.levels);
  const gIndex = new Map<number, number>();
  golden.samples.tNs.forEach((t, i) => gIndex.set(Math.round(t / 1e6), i));
  let se = 0,
    sa = 0,
    exact = 0,
    aligned = 0;
  const perLevel = Array.from({length: 2 * L}, () => ({x: [] as number[], y: [] as number[]}));
  reconstructed.samples.tNs.forEach((t, i) => {
    const j = gIndex.get(Math.round(t / 1e6));
    if (j === undefined) return;
    const rb = reconstructed.samples.bidPx[i * reconstructed.samples.levels]!,
      ra = reconstructed.samples.askPx[i * reconstructed.samples.levels]!;
    const gb = golden.samples.bidPx[j * golden.samples.levels]!,
      ga = golden.samples.askPx[j * golden.samples.levels]!;
    if (![rb, ra, gb, ga].every(Number.isFinite)) return;
    aligned++;
    se += (rb - gb) ** 2;
    sa += (ra - ga) ** 2;
    if (rb === gb && ra === ga) exact++;
    for (let l = 0; l < L; l++) {
      const pairs = [
        [
          reconstructed.samples.bidQty[i * reconstructed.samples.levels + l]!,
          golden.samples.bidQty[j * golden.samples.levels + l]!
        ],
        [
          reconstructed.samples.askQty[i * reconstructed.samples.levels + l]!,
          golden.samples.askQty[j * golden.samples.levels + l]!
        ]
      ];
      pairs.forEach(([x, y], s) => {
        if (Number.isFinite(x) && Number.isFinite(y))
          (perLevel[s * L + l]!.x.push(x!), perLevel[s * L + l]!.y.push(y!));
      });
    }
  });
  describe(
    "best_bid_rmse",
    aligned ? Math.sqrt(se / aligned) : NaN,
    0,
    `RMS error of the best bid on ${aligned} aligned 100 ms samples`
  );
  describe(
    "best_ask_rmse",
    aligned ? Math.sqrt(sa / aligned) : NaN,
    0,
    `RMS error of the best ask on ${aligned} aligned 100 ms samples`
  );
  describe(
    "exact_top_of_book_share",
    aligned ? exact / aligned : NaN,
    1,
    "share of aligned 100 ms samples with the same best bid and ask"
  );
  if (reconstructed.top && golden.top) {
    const w = topPerWindow(reconstructed.top, golden.top, 10e6);
    describe(
      "best_bid_rmse_10ms",
      w.bidRmse,
      0,
      `RMS error of the best bid at the end of each of ${w.windows} 10 ms windows (the live depth stream itself moves every 100 ms)`
    );
    describe(
      "best_ask_rmse_10ms",
      w.askRmse,
      0,
      `RMS error of the best ask at the end of each of ${w.windows} 10 ms windows`
    );
    describe("exact_top_of_book_share_10ms", w.exactShare, 1, "share of 10 ms windows with the same best bid and ask");
  }
  const levelCorrelation = perLevel.map((p, k) => ({
    side: (k < L ? "bid" : "ask") as "bid" | "ask",
    level: (k % L) + 1,
    rho: p.x.length > 2 ? pearson(p.x, p.y) : NaN
  }));
  const rhos = levelCorrelation.map((c) => c.rho).filter(Number.isFinite);
  describe(
    "depth_level_correlation_mean",
    rhos.reduce((a, b) => a + b, 0) / Math.max(1, rhos.length),
    1,
    `mean Pearson ρ of size per level (levels 1–${L}, both sides)`
  );
  if (reconstructed.gaps !== undefined || golden.gaps !== undefined)
    describe("sequence_gaps", reconstructed.gaps ?? NaN, golden.gaps ?? NaN, "gaps in the update ids each side saw");
  if (reconstructed.drift)
    describe(
      "drift_max",
      reconstructed.drift.max,
      0,
      `largest drift found at a snapshot (mean ${reconstructed.drift.mean.toFixed(6)})`
    );
  const ksRows = metrics.filter((m) => m.p_value !== null);
  const score = ksRows.reduce((a, m) => a + m.p_value!, 0) / Math.max(1, ksRows.length);
  const bonferroni = alpha / Math.max(1, ksRows.length);
  const failing = ksRows.filter((m) => m.p_value! < bonferroni);
  const verdict = score >= alpha && failing.length === 0 ? "PASS" : "FAIL";
  const fmt = (x: number | undefined) =>
    x === undefined ? "?" : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4);
  const reasons =
    verdict === "PASS"
      ? [`all ${ksRows.length} distributions agree (mean p = ${score.toFixed(3)}; none below ${bonferroni.toFixed(4)})`]
      : [
          ...(score < alpha ? [`the mean KS p-value ${score.toFixed(4)} is below ${alpha}`] : []),
          ...failing.map(
            (m) =>
              `${m.metric.replaceAll("_", " ")} differs: KS D = ${m.statistic.toFixed(3)}, p = ${m.p_value!.toExponential(2)}; reconstructed mean ${fmt(m.reconstructed?.mean)} vs golden ${fmt(m.golden?.mean)} (${m.reconstructed?.n ?? 0} vs ${m.golden?.n ?? 0} values)`
          )
        ];
  return {metrics, score, verdict, reasons, acf, levelCorrelation};
}

export function fidelityMarkdown(report: FidelityReport): string {
  const f = (x: number | null | undefined) =>
    x === null || x === undefined || !Number.isFinite(x)
      ? "—"
      : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0)
        ? x.toExponential(3)
        : x.toFixed(4);
  const lines = [
    "# Fidelity: reconstructed vs golden",
    "",
    `**${report.verdict}** — fidelity score ${report.score.toFixed(4)} (the mean of the KS p-values; PASS at ≥ 0.05 with no test failing its Bonferroni threshold)`,
    "",
    ...report.reasons.map((r) => `- ${r}`),
    "",
    "| metric | statistic | p-value | reconstructed mean | golden mean | reconstructed var | golden var | skew (r/g) | kurtosis (r/g) | passed | note |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :-: | --- |",
    ...report.metrics.map(
      (m) =>
        `| ${m.metric} | ${f(m.statistic)} | ${f(m.p_value)} | ${f(m.reconstructed?.mean)} | ${f(m.golden?.mean)} | ${m.p_value === null ? "" : f(m.reconstructed?.variance)} | ${m.p_value === null ? "" : f(m.golden?.variance)} | ${m.p_value === null ? "" : `${f(m.reconstructed?.skewness)} / ${f(m.golden?.skewness)}`} | ${m.p_value === null ? "" : `${f(m.reconstructed?.kurtosis)} / ${f(m.golden?.kurtosis)}`} | ${m.passed === null ? "" : m.passed ? "✓" : "✗"} | ${m.note} |`
    ),
    "",
    `Per-level depth correlation (ρ): bids ${report.levelCorrelation
      .filter((c) => c.side === "bid")
      .map((c) => f(c.rho))
      .join(", ")}; asks ${report.levelCorrelation
      .filter((c) => c.side === "ask")
      .map((c) => f(c.rho))
      .join(", ")}.`
  ];
  return lines.join("\n") + "\n";
}
