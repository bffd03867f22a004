import {defaultMarketConfig, type MarketConfig} from "../config.js";
import type {FlowEstimate} from "./estimate.js";
import {decimalsOf} from "./simulated-observation.js";

/**
 * The simulator's config for an estimated flow: the recording's tick, lot and price; limit orders
 * and cancels at their estimated rates and distance laws; market orders as the fitted Hawkes
 * process; sizes from the fitted quantile functions; one regime and no bursts (a recording of
 * minutes shows no regime changes to fit them from). `limitSizeScale` and `cancelRateScale`
 * are the refinement's corrections (refine.ts).
 */
export function fittedConfig({
  estimate: e,
  limitSizeScale = 1,
  orderSplit = 1,
  touchWeightScale = 1,
  distanceTilt = 0,
  sizeDispersion = 1,
  cancelRateScale = 1,
  limitDistanceExponent = e.limitDistanceExponent,
  cancelDistanceExponent = e.cancelDistanceExponent,
  base = defaultMarketConfig
}: {
  estimate: FlowEstimate;
  limitSizeScale?: number;
  orderSplit?: number;
  touchWeightScale?: number;
  distanceTilt?: number;
  sizeDispersion?: number;
  cancelRateScale?: number;
  limitDistanceExponent?: number;
  cancelDistanceExponent?: number;
  base?: MarketConfig;
}): MarketConfig {
  // An increment the depth stream shows may be several orders: `orderSplit` orders of 1/orderSplit its size each.
  // `sizeDispersion` < 1 draws the sizes toward their median (in logs): netted increments are more dispersed than orders.
  const median = e.limitSizeQuantiles[Math.floor(e.limitSizeQuantiles.length / 2)] ?? 1;
  const limitSizes = e.limitSizeQuantiles.map((q) =>
    Math.max(1, (median * (Math.max(1, q) / median) ** sizeDispersion * limitSizeScale) / orderSplit)
  );
  const limits = e.limitsPerS * orderSplit;
  // The simulator's cancels take a limit-order size each: as many as remove the estimated volume.
  const meanSize = limitSizes.reduce((a, b) => a + b, 0) / Math.max(1, limitSizes.length);
  const cancels = (2 * e.cancelLotsPerS * cancelRateScale) / meanSize;
  return {
    ...base,
    tickSize: e.tickSize,
    lotSize: e.lotSize,
    priceScale: decimalsOf(e.tickSize),
    quantityScale: decimalsOf(e.lotSize),
    startPriceTicks: e.startPriceTicks,
    eventsPerSecond: limits + cancels,
    limitShare: limits / Math.max(1e-9, limits + cancels),
    marketShare: 0,
    limitDistanceExponent,
    limitFromOwnBest: {
      first: e.limitOwnOffsets.first,
      weights: e.limitOwnOffsets.weights.map((w, i) =>
        i + e.limitOwnOffsets.first < 0 ? w * touchWeightScale : w * (1 + i) ** -distanceTilt
      )
    },
    cancelBySize: true,
    // Cancels at a rate per resting lot: the estimated rate at the observed depth, faster on a deeper book.
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
