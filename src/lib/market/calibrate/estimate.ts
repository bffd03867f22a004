import {LabError} from "../../core/errors.js";
import type {MarketObservation} from "../fidelity/report.js";
import {fitHawkes, type HawkesFit} from "./hawkes.js";

/** What the book's 100 ms samples and the trades say about the order flow behind them. */
export interface FlowEstimate {
  /** Price and size increments, and their decimals. */
  tickSize: number;
  lotSize: number;
  /** The last mid, in ticks: where a simulation carries on from. */
  startPriceTicks: number;
  seconds: number;
  /** Market orders: trades of one side in the same millisecond are one order. */
  marketOrders: number;
  marketSizeQuantiles: number[];
  hawkes: HawkesFit;
  /** Level increases (limit orders) and decreases no trade explains (cancels) per second. */
  limitsPerS: number;
  cancelsPerS: number;
  /** Lots cancelled per second (the simulator's cancels draw limit-order sizes, so its cancel rate follows from this). */
  cancelLotsPerS: number;
  limitSizeQuantiles: number[];
  /** Power-law exponents of where limits land (ticks from the opposite best, 1…) and cancels hit (levels from the own best, 0…). */
  limitDistanceExponent: number;
  cancelDistanceExponent: number;
  /** Share landing `first`, first + 1, … ticks behind the own best (negative: inside the spread). */
  limitOwnOffsets: {first: number; weights: number[]};
  /** Mean lots one side holds over the levels the samples show. */
  sideDepthLots: number;
  /** The distance (ticks) within which 99% of limit orders land. */
  maxDistanceTicks: number;
}

const QUANTILES = 101;

/** `count` evenly spaced quantiles (probabilities 0…1) of `xs`, linearly interpolated. */
export function quantileFunction({values, count = QUANTILES}: {values: number[]; count?: number}): number[] {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return [];
  return Array.from({length: count}, (_, i) => {
    const x = (i / (count - 1)) * (v.length - 1),
      j = Math.floor(x);
    return v[j]! + (x - j) * ((v[j + 1] ?? v[j]!) - v[j]!);
  });
}

/** The increment values sit on: the largest power of ten (≤ 1) every one is a whole multiple of. */
function incrementOf(values: Iterable<number>): number {
  for (let k = 0; k <= 10; k++) {
    const unit = 10 ** k;
    let whole = true;
    for (const x of values)
      if (Number.isFinite(x) && Math.abs(Math.round(x * unit) - x * unit) > 1e-6) {
        whole = false;
        break;
      }
    if (whole) return 1 / unit;
  }
  return 1e-10;
}

/** The tick an observation's book prices sit on (the largest power of ten ≤ 1 they are whole multiples of). */
export function tickSizeOf({observation}: {observation: MarketObservation}): number {
  const {samples} = observation,
    L = samples.levels;
  const prices: number[] = [];
  for (let i = 0; i < Math.min(samples.tNs.length, 2000); i++)
    for (let l = 0; l < Math.min(L, 5); l++) prices.push(samples.bidPx[i * L + l]!, samples.askPx[i * L + l]!);
  return incrementOf(prices);
}

/**
 * MLE of a power-law exponent x over values 1…count drawn with weight v^−x (the simulator's
 * placement and cancellation laws), by golden-section search over x in [0, 6].
 */
export function fitPowerLaw({values, count}: {values: number[]; count: number}): number {
  if (!values.length) return 1;
  const logMean = values.reduce((a, v) => a + Math.log(v), 0) / values.length;
  const nll = (x: number) => {
    let z = 0;
    for (let v = 1; v <= count; v++) z += v ** -x;
    return x * logMean + Math.log(z);
  };
  let lo = 0,
    hi = 6;
  for (let k = 0; k < 60; k++) {
    const a = lo + (hi - lo) * 0.382,
      b = lo + (hi - lo) * 0.618;
    if (nll(a) < nll(b)) hi = b;
    else lo = a;
  }
  return (lo + hi) / 2;
}

/**
 * The order flow behind a recording, estimated from what its observation holds. Market orders
 * are the trades grouped by millisecond and side (their sizes' quantile function, their arrival
 * times fitted as a Hawkes process). Limit orders and cancels come from the change of each price
 * level between consecutive book samples, among the best `levels` levels of both: a level that
 * grew took a limit order of the growth, one that shrank by more than the trades at its price lost
 * the rest to a cancel; their distances from the touch give the placement and cancellation laws.
 * The depth stream aggregates 100 ms, so several orders at one level count as one (rates are
 * lower bounds, sizes upper bounds): the refinement by simulation (refine.ts) corrects both.
 */
export function estimateFlow({
  observation,
  levels = 10
}: {
  observation: MarketObservation;
  levels?: number;
}): FlowEstimate {
  const {samples, trades} = observation;
  const L = samples.levels,
    n = samples.tNs.length;
  if (n < 20 || trades.tNs.length < 20)
    throw new LabError({
      reason: `too little to calibrate on: ${n} book samples and ${trades.tNs.length} trades`,
      hint: "calibrate on a recording of at least a minute, with trades and a book that synced"
    });
  const prices: number[] = [],
    qtys: number[] = [];
  for (let i = 0; i < Math.min(n, 2000); i++)
    for (let l = 0; l < Math.min(L, 5); l++)
      (prices.push(samples.bidPx[i * L + l]!, samples.askPx[i * L + l]!),
        qtys.push(samples.bidQty[i * L + l]!, samples.askQty[i * L + l]!));
  for (let i = 0; i < Math.min(trades.qty.length, 5000); i++) qtys.push(trades.qty[i]!);
  const tickSize = incrementOf(prices),
    lotSize = incrementOf(qtys);
  const tick = (p: number) => Math.round(p / tickSize),
    lots = (q: number) => Math.round(q / lotSize);
  // The simulation carries on from where the recording ends: its last mid.
  const midEnd = (samples.bidPx[(n - 1) * L]! + samples.askPx[(n - 1) * L]!) / 2;

  // Market orders: one per (millisecond, side).
  const orderSizes: number[] = [],
    orderTimes: number[] = [];
  for (let i = 0; i < trades.tNs.length;) {
    let j = i,
      size = 0;
    while (j < trades.tNs.length && trades.tNs[j] === trades.tNs[i] && trades.side[j] === trades.side[i])
      size += lots(trades.qty[j++]!);
    orderSizes.push(size);
    if (orderTimes.at(-1) !== trades.tNs[i]) orderTimes.push(trades.tNs[i]!);
    i = j;
  }
  const seconds = (samples.tNs[n - 1]! - samples.tNs[0]!) / 1e9;

  // Traded lots per (sample interval, side hit, tick): the part of a level's decrease trades explain.
  const traded = new Map<string, number>();
  let ti = 0;
  for (let i = 1; i < n; i++) {
    const end = samples.tNs[i]!;
    while (ti < trades.tNs.length && trades.tNs[ti]! < end) {
      if (trades.tNs[ti]! >= samples.tNs[i - 1]!) {
        // side 0: the taker bought, hitting asks (1); side 1 hit bids (0).
        const key = `${i}:${trades.side[ti] === 0 ? 1 : 0}:${tick(trades.price[ti]!)}`;
        traded.set(key, (traded.get(key) ?? 0) + lots(trades.qty[ti]!));
      }
      ti++;
    }
  }
  const limitSizes: number[] = [],
    limitOffsets: number[] = [],
    limitDistances: number[] = [],
    cancelDistances: number[] = [];
  let limits = 0,
    cancels = 0,
    cancelLots = 0;
  const px = (side: number, i: number, l: number) => (side === 0 ? samples.bidPx : samples.askPx)[i * L + l]!;
  const qt = (side: number, i: number, l: number) => (side === 0 ? samples.bidQty : samples.askQty)[i * L + l]!;
  for (let i = 1; i < n; i++) {
    for (const side of [0, 1]) {
      const dir = side === 0 ? -1 : 1;
      const before = new Map<number, number>(),
        after = new Map<number, number>();
      for (let l = 0; l < levels; l++) {
        if (Number.isFinite(px(side, i - 1, l))) before.set(tick(px(side, i - 1, l)), lots(qt(side, i - 1, l)));
        if (Number.isFinite(px(side, i, l))) after.set(tick(px(side, i, l)), lots(qt(side, i, l)));
      }
      if (before.size < levels || after.size < levels) continue;
      // Compare only the price range both samples show in full.
      const worst = (m: Map<number, number>) => (dir < 0 ? Math.min(...m.keys()) : Math.max(...m.keys()));
      const limit = dir < 0 ? Math.max(worst(before), worst(after)) : Math.min(worst(before), worst(after));
      const opposite = tick(px(1 - side, i - 1, 0));
      const ownBest = tick(px(side, i - 1, 0));
      for (const t of new Set([...before.keys(), ...after.keys()])) {
        if (dir < 0 ? t < limit : t > limit) continue;
        const change = (after.get(t) ?? 0) - (before.get(t) ?? 0);
        if (change > 0) {
          limits++;
          limitSizes.push(change);
          limitDistances.push(Math.max(1, Math.abs(opposite - t)));
          limitOffsets.push((ownBest - t) * -dir);
        } else if (change < 0) {
          const cut = -change - (traded.get(`${i}:${side}:${t}`) ?? 0);
          if (cut > 0) {
            cancels++;
            cancelLots += cut;
            cancelDistances.push(Math.max(0, (t - ownBest) * dir));
          }
        }
      }
    }
  }
  const sortedLimit = [...limitDistances].sort((a, b) => a - b);
  const maxDistanceTicks = Math.max(20, Math.ceil(sortedLimit[Math.floor(0.99 * (sortedLimit.length - 1))] ?? 20));
  let depthSum = 0;
  for (let i = 0; i < n * L; i++) {
    const b = samples.bidQty[i]!,
      a = samples.askQty[i]!;
    if (Number.isFinite(b)) depthSum += lots(b);
    if (Number.isFinite(a)) depthSum += lots(a);
  }
  const sortedOffsets = [...limitOffsets].sort((a, b) => a - b);
  const first = Math.max(-20, sortedOffsets[0] ?? 0),
    last = Math.max(first + 1, sortedOffsets[Math.floor(0.99 * (sortedOffsets.length - 1))] ?? 20);
  const offsetCounts = new Array<number>(last - first + 1).fill(0);
  for (const o of limitOffsets) if (o >= first && o <= last) offsetCounts[o - first]!++;
  return {
    tickSize,
    sideDepthLots: depthSum / (2 * n),
    limitOwnOffsets: {first, weights: offsetCounts.map((c) => c / Math.max(1, limitOffsets.length))},
    lotSize,
    startPriceTicks: Math.round(midEnd / tickSize),
    seconds,
    marketOrders: orderSizes.length,
    marketSizeQuantiles: quantileFunction({values: orderSizes}),
    hawkes: fitHawkes({timesNs: orderTimes}),
    limitsPerS: limits / seconds,
    cancelsPerS: cancels / seconds,
    cancelLotsPerS: cancelLots / seconds,
    limitSizeQuantiles: quantileFunction({values: limitSizes}),
    limitDistanceExponent: fitPowerLaw({
      values: limitDistances.filter((d) => d <= maxDistanceTicks),
      count: maxDistanceTicks
    }),
    cancelDistanceExponent: fitPowerLaw({
      values: cancelDistances.filter((d) => d < maxDistanceTicks).map((d) => d + 1),
      count: maxDistanceTicks
    }),
    maxDistanceTicks
  };
}
