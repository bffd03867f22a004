/** Tunables of the simulated market and of the history's defects. Prices in ticks, sizes in lots. */
export interface MarketConfig {
  symbol: string;
  /** Quote currency per tick (0.01 USDT) and base currency per lot (0.0001 BTC). */
  tickSize: number;
  lotSize: number;
  /** Decimal places of tickSize and lotSize (exact decimals in Parquet). */
  priceScale: number;
  quantityScale: number;
  startPriceTicks: number;
  /** Book events per second in the normal regime (limit + market + cancel). */
  eventsPerSecond: number;
  /** Shares of event kinds (sum 1). */
  limitShare: number;
  marketShare: number;
  /** Limit orders land i ticks from the opposite best with weight i^-limitDistanceExponent, i = 1…maxDistanceTicks. */
  limitDistanceExponent: number;
  /** Cancels hit level i (0 = best) of their own side with weight (i+1)^-cancelDistanceExponent. */
  cancelDistanceExponent: number;
  maxDistanceTicks: number;
  /** Order sizes: Pareto with this minimum (lots) and tail index (heavy tail for α < 2). */
  sizeMinLots: number;
  sizeTailIndex: number;
  marketSizeMultiplier: number;
  maxSizeLots: number;
  /** Regimes: mean minutes in each, and their rate multipliers. */
  regimeMeanMinutes: number;
  regimes: {name: string; rate: number; weight: number}[];
  /** Special events: chance per minute, duration range (s), rate multiplier, market share then. */
  burstChancePerMinute: number;
  burstSeconds: [number, number];
  burstRate: number;
  burstMarketShare: number;
  /** Snapshots of the top `snapshotLevels` levels every ~snapshotIntervalMs (± jitter). */
  snapshotLevels: number;
  snapshotIntervalMs: number;
  snapshotJitterMs: number;
  /** History defects: origin_time jitter (ms, Gaussian sd), ms resolution (ties), dropped deltas. */
  originJitterMs: number;
  dropDeltaRate: number;
  /** Exchange → collector latency: lognormal median (ms) and sigma. */
  latencyMedianMs: number;
  latencySigma: number;
  /**
   * Fitted to a recording (src/lib/market/calibrate/), absent in the default market: order sizes
   * as quantile functions (lots at evenly spaced probabilities 0…1, drawn by inverse transform)
   * instead of the Pareto, limit orders (and cancels) and market orders apart.
   */
  limitSizeQuantiles?: number[];
  marketSizeQuantiles?: number[];
  /**
   * Market orders as a self-exciting (Hawkes) process instead of a share of the Poisson events:
   * baseline rate per second, branching ratio (each order triggers this many more on average)
   * and decay (ms) of the excitation. `eventsPerSecond` then counts limits and cancels alone,
   * `limitShare` is the limits' share of them, and `marketShare` applies to nothing.
   */
  marketHawkes?: {baselinePerS: number; branching: number; decayMs: number};
  /**
   * Where limit orders land, instead of the power law from the opposite best: `weights[i]` for
   * `first + i` ticks behind the own best (negative: inside the spread, stopping a tick short of
   * the other side).
   */
  limitFromOwnBest?: {first: number; weights: number[]};
  /**
   * Cancels pick one of the side's best 64 levels by (rank + 1)^−cancelDistanceExponent times its
   * size (every resting lot as likely to go as any other at its rank, as in Cont–Stoikov–Talreja),
   * not a tick by distance alone.
   */
  cancelBySize?: boolean;
  /**
   * With cancelBySize: a cancel goes ahead with chance (the side's depth over those levels) /
   * cancelDepthLots, at most 1, so cancels run at a rate per resting lot (the book has an
   * equilibrium depth instead of piling up or draining when the rates are a little off).
   */
  cancelDepthLots?: number;
}

export const defaultMarketConfig: MarketConfig = {
  symbol: "BTC-USDT",
  tickSize: 0.01,
  lotSize: 0.0001,
  priceScale: 2,
  quantityScale: 4,
  startPriceTicks: 3_000_000,
  eventsPerSecond: 400,
  limitShare: 0.5,
  marketShare: 0.06,
  limitDistanceExponent: 0.8,
  cancelDistanceExponent: 0.6,
  maxDistanceTicks: 60,
  sizeMinLots: 5,
  sizeTailIndex: 1.6,
  marketSizeMultiplier: 3,
  maxSizeLots: 5_000,
  regimeMeanMinutes: 4,
  regimes: [
    {name: "low_volume", rate: 0.4, weight: 0.3},
    {name: "normal", rate: 1, weight: 0.5},
    {name: "high_volume", rate: 2.5, weight: 0.2}
  ],
  burstChancePerMinute: 0.08,
  burstSeconds: [5, 40],
  burstRate: 6,
  burstMarketShare: 0.2,
  snapshotLevels: 20,
  snapshotIntervalMs: 100,
  snapshotJitterMs: 8,
  originJitterMs: 0,
  dropDeltaRate: 0,
  latencyMedianMs: 6,
  latencySigma: 0.5
};
