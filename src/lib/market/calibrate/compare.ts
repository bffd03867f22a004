import {distributions, type MarketObservation} from "../fidelity/report.js";
import {ksTwoSampleDependent} from "../../stats/ks-dependent.js";
import {moments} from "../../stats/moments.js";

/**
 * The seven distributions of the held-out check, in the fidelity report's order; the mid return is
 * counted in ticks per 100 ms sample rather than as a log return (see `midReturnTicks`).
 */
export const KS_STATISTICS = [
  "trade_size",
  "inter_trade_ms",
  "spread",
  "top_depth",
  "depth_5",
  "mid_return_ticks",
  "imbalance_5"
] as const;
export type KsStatistic = (typeof KS_STATISTICS)[number];

/** What a statistic's one-number summary is: the mean, except where the mean says nothing. */
export const SUMMARY: Record<KsStatistic, "mean" | "kurtosis" | "sd"> = {
  trade_size: "mean",
  inter_trade_ms: "mean",
  spread: "mean",
  top_depth: "mean",
  depth_5: "mean",
  // Mid returns average zero; their heavy tail is what sets markets apart.
  mid_return_ticks: "kurtosis",
  // The imbalance averages zero too; its spread says how lopsided the book gets.
  imbalance_5: "sd"
};

export interface KsRow {
  statistic: KsStatistic;
  summary: "mean" | "kurtosis" | "sd";
  reference: number;
  candidate: number;
  ks: number;
  pValue: number;
  passed: boolean;
  n: number;
  m: number;
  /** Effective sample sizes the p-value uses: n / τ of each side's series. */
  nEff: number;
  mEff: number;
}

/**
 * Values on a discrete grid (prices, sizes, their differences) come out of doubles with last-bit
 * noise that depends on the price level (61837.64 − 61837.63 is not 61837.54 − 61837.53): rounded
 * to 10 significant digits, equal ticks and lots tie, as the KS test's handling of ties expects.
 */
function snap(xs: Float64Array): Float64Array {
  return xs.map((x) => (x === 0 ? 0 : Number(x.toPrecision(10))));
}

function summarize(xs: Float64Array, how: "mean" | "kurtosis" | "sd"): number {
  if (xs.length < 2) return NaN;
  const m = moments(xs);
  return how === "mean" ? m.mean : how === "kurtosis" ? m.kurtosis : Math.sqrt(m.variance);
}

/**
 * The mid's move over each sample interval in ticks, a multiple of ½ (the mid moves half a tick
 * when one side does). A log return puts a one-tick move at a different value at every price
 * level, so two stretches of one market at slightly different prices would have their atoms at
 * different places and KS would tell them apart however alike they move; ticks are the same
 * everywhere.
 */
export function midReturnTicks({
  observation,
  tickSize
}: {
  observation: MarketObservation;
  tickSize: number;
}): Float64Array {
  const {levels: L, bidPx, askPx, tNs} = observation.samples;
  const out: number[] = [];
  let prev = NaN;
  for (let i = 0; i < tNs.length; i++) {
    const mid = (bidPx[i * L]! + askPx[i * L]!) / 2;
    if (Number.isFinite(mid) && Number.isFinite(prev)) out.push(Math.round((2 * (mid - prev)) / tickSize) / 2);
    prev = mid;
  }
  return Float64Array.from(out);
}

/**
 * The held-out check's seven KS tests of `candidate` (a simulation) against `reference` (a
 * recording), each with the one-number summary of both sides. Each statistic is a series in time
 * order (book samples 100 ms apart, trades as they came), serially dependent — the book's state
 * persists for seconds and Hawkes arrivals cluster trades and their sizes — so every test's
 * p-value uses effective sample sizes (`ksTwoSampleDependent`); a series with no positive
 * autocorrelation keeps the plain test. Mid returns in ticks (`midReturnTicks`). Passed: p ≥ alpha.
 */
export function ksRows({
  candidate,
  reference,
  tickSize,
  alpha = 0.05
}: {
  candidate: MarketObservation;
  reference: MarketObservation;
  /** The recording's tick: mid returns are counted in it. */
  tickSize: number;
  alpha?: number;
}): KsRow[] {
  const c = distributions(candidate),
    r = distributions(reference);
  c.mid_return_ticks = midReturnTicks({observation: candidate, tickSize});
  r.mid_return_ticks = midReturnTicks({observation: reference, tickSize});
  return KS_STATISTICS.map((statistic) => {
    const x = snap(c[statistic]!),
      y = snap(r[statistic]!);
    const summary = SUMMARY[statistic];
    if (x.length < 2 || y.length < 2)
      return {
        statistic,
        summary,
        reference: summarize(y, summary),
        candidate: summarize(x, summary),
        ks: 1,
        pValue: 0,
        passed: false,
        n: x.length,
        m: y.length,
        nEff: x.length,
        mEff: y.length
      };
    const t = ksTwoSampleDependent({a: x, b: y});
    return {
      statistic,
      summary,
      reference: summarize(y, summary),
      candidate: summarize(x, summary),
      ks: t.statistic,
      pValue: t.pValue,
      passed: t.pValue >= alpha,
      n: t.n,
      m: t.m,
      nEff: t.nEff,
      mEff: t.mEff
    };
  });
}

/** The part of an observation in [fromNs, toNs): its trades, book samples and events. */
export function sliceObservation(o: MarketObservation, fromNs: number, toNs: number): MarketObservation {
  const range = (t: Float64Array) => {
    let a = 0;
    while (a < t.length && t[a]! < fromNs) a++;
    let b = a;
    while (b < t.length && t[b]! < toNs) b++;
    return [a, b] as const;
  };
  const [ta, tb] = range(o.trades.tNs);
  const [sa, sb] = range(o.samples.tNs);
  const [ea, eb] = range(o.eventTNs);
  const L = o.samples.levels;
  return {
    trades: {
      tNs: o.trades.tNs.slice(ta, tb),
      price: o.trades.price.slice(ta, tb),
      qty: o.trades.qty.slice(ta, tb),
      side: o.trades.side.slice(ta, tb)
    },
    samples: {
      tNs: o.samples.tNs.slice(sa, sb),
      intervalNs: o.samples.intervalNs,
      levels: L,
      bidPx: o.samples.bidPx.slice(sa * L, sb * L),
      bidQty: o.samples.bidQty.slice(sa * L, sb * L),
      askPx: o.samples.askPx.slice(sa * L, sb * L),
      askQty: o.samples.askQty.slice(sa * L, sb * L)
    },
    eventTNs: o.eventTNs.slice(ea, eb)
  };
}

/** The time span an observation covers (its book samples, else its trades), ns. */
export function observationSpan(o: MarketObservation): {startNs: number; endNs: number} {
  const t = o.samples.tNs.length ? o.samples.tNs : o.trades.tNs;
  return {startNs: t[0] ?? 0, endNs: t[t.length - 1] ?? 0};
}
