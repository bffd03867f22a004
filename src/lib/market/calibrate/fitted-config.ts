import {defaultMarketConfig, type MarketConfig} from "../config.js";
import type {FlowEstimate} from "./estimate.js";
import {decimalsOf} from "./simulated-observation.js";

/**
 * The simulator's config for an estimated flow: the recording's tick, lot and last price; limit
 * orders at their estimated rate, sizes and offsets from the own best; cancels per resting lot,
 * removing the estimated volume at the observed depth; market orders as the fitted Hawkes process
 * with the fitted sizes; one regime and no bursts (minutes of recording show no regime change to
 * fit). `cancelRateScale`, `touchWeightScale` (orders inside the spread) and
 * `cancelDistanceExponent` are the refinement's (refine.ts).
 */
export function fittedConfig({
  estimate: e,
  cancelRateScale = 1,
  touchWeightScale = 1,
  cancelDistanceExponent = 0,
  base = defaultMarketConfig
}: {
  estimate: FlowEstimate;
  cancelRateScale?: number;
  touchWeightScale?: number;
  cancelDistanceExponent?: number;
  base?: MarketConfig;
}): MarketConfig {
  const limitSizes = e.limitSizeQuantiles.map((q) => Math.max(1, q));
  // Each cancel takes a limit-order size: as many as remove the estimated volume. A cancel goes
  // ahead with chance depth / (2 × the observed depth), hence twice the rate.
  const meanSize = limitSizes.reduce((a, b) => a + b, 0) / Math.max(1, limitSizes.length);
  const cancels = (2 * e.cancelLotsPerS * cancelRateScale) / meanSize;
  const {first, weights} = e.limitOwnOffsets;
  return {
    ...base,
    tickSize: e.tickSize,
    lotSize: e.lotSize,
    priceScale: decimalsOf(e.tickSize),
    quantityScale: decimalsOf(e.lotSize),
    startPriceTicks: e.startPriceTicks,
    eventsPerSecond: e.limitsPerS + cancels,
    limitShare: e.limitsPerS / Math.max(1e-9, e.limitsPerS + cancels),
    marketShare: 0,
    limitDistanceExponent: e.limitDistanceExponent,
    limitFromOwnBest: {first, weights: weights.map((w, i) => (i + first < 0 ? w * touchWeightScale : w))},
    cancelBySize: true,
    cancelDepthLots: 2 * e.sideDepthLots,
    cancelDistanceExponent,
    maxDistanceTicks: e.maxDistanceTicks,
    sizeMinLots: Math.max(1, limitSizes[0] ?? 1),
    maxSizeLots: Math.max(1, ...limitSizes, ...e.marketSizeQuantiles),
    regimes: [{name: "normal", rate: 1, weight: 1}],
    burstChancePerMinute: 0,
    limitSizeQuantiles: limitSizes,
    marketSizeQuantiles: e.marketSizeQuantiles,
    marketHawkes: {baselinePerS: e.hawkes.baselinePerS, branching: e.hawkes.branching, decayMs: e.hawkes.decayMs}
  };
}
