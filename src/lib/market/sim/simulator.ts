import type {Rng} from "../../core/random.js";
import {ASK, BID, Book, type Side} from "../book.js";
import type {MarketConfig} from "../config.js";

/** What the simulated exchange emits, in order: every book change, trade and snapshot. */
export interface MarketSink {
  /** A level's new quantity (lots; 0 removes it) after update `updateId`. */
  change(tNs: number, updateId: number, side: Side, tick: number, lots: number): void;
  /** A fill: the taker's side (0 buy, hitting asks; 1 sell, hitting bids), price, size; `updateId` is the book's last update before it. */
  trade(tNs: number, tradeId: number, takerSide: Side, tick: number, lots: number, updateId: number): void;
  /** The top levels after update `sequence` (best first). */
  snapshot(tNs: number, sequence: number, book: Book, levels: number): void;
  /** The regime changed (for the truth and the capture's regime tags). */
  regime?(tNs: number, name: string): void;
}

/** How many of a side's best levels `cancelBySize` cancels reach into. */
const CANCEL_LEVELS = 64;

export interface SimulateMarketOptions {
  rng: Rng;
  config: MarketConfig;
  /** Simulated seconds to run (Infinity for a live feed driven by a clock). */
  seconds: number;
  sink: MarketSink;
}

/**
 * A zero-intelligence limit order book in the spirit of Cont, Stoikov and Talreja (2010): limit
 * orders arrive at a distance from the opposite best quote with a power-law decaying rate, market
 * orders take liquidity through the levels, cancellations remove size from levels near the best;
 * sizes are Pareto (heavy-tailed); prices are integer ticks. Activity switches between regimes
 * (low, normal, high volume) and special events burst in with many more market orders. Time is
 * in nanoseconds from the start; the run is a pure function of the seed and the config.
 */
export function simulateMarket({rng, config, seconds, sink}: SimulateMarketOptions): {
  changes: number;
  trades: number;
  snapshots: number;
  endNs: number;
} {
  const steps = marketSteps({rng, config, seconds, sink});
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/**
 * The simulation as a generator: it yields the simulated time (ns) after every event, so a live
 * feed can run it against a clock (`seconds` may be Infinity). `simulateMarket` runs it through.
 */
// Over 150 lines: one event loop over a shared book and random streams, each fitted option a branch in it.
export function* marketSteps({
  rng,
  config,
  seconds,
  sink
}: SimulateMarketOptions): Generator<number, {changes: number; trades: number; snapshots: number; endNs: number}> {
  const book = new Book();
  const flow = rng.fork("flow");
  const sizes = rng.fork("sizes");
  const regimeRng = rng.fork("regimes");
  const snapRng = rng.fork("snapshots");
  const L = config.maxDistanceTicks;
  const cdf = (exponent: number, offset: number) => {
    const w = Array.from({length: L}, (_, i) => (i + offset) ** -exponent);
    const total = w.reduce((a, b) => a + b, 0);
    let acc = 0;
    return Float64Array.from(w, (x) => (acc += x / total));
  };
  const ownBest = config.limitFromOwnBest;
  const weights = ownBest?.weights;
  const limitCdf = weights
    ? ((w: number[]) => {
        const total = w.reduce((a, b) => a + b, 0);
        let acc = 0;
        return Float64Array.from(w, (x) => (acc += x / total));
      })(weights)
    : cdf(config.limitDistanceExponent, 1);
  const cancelWeights = Float64Array.from({length: CANCEL_LEVELS}, (_, i) => (i + 1) ** -config.cancelDistanceExponent);
  const cancelP = new Float64Array(CANCEL_LEVELS),
    cancelQ = new Float64Array(CANCEL_LEVELS);
  const cancelCdf = cdf(config.cancelDistanceExponent, 1);
  const draw = (c: Float64Array) => {
    const u = flow.next();
    let lo = 0,
      hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const quantile = (q: number[]) => {
    const x = sizes.next() * (q.length - 1),
      i = Math.floor(x);
    return Math.max(1, Math.round(q[i]! + (x - i) * ((q[i + 1] ?? q[i]!) - q[i]!)));
  };
  const limitQ = config.limitSizeQuantiles,
    marketQ = config.marketSizeQuantiles;
  const size = (multiplier = 1) =>
    limitQ && multiplier === 1
      ? quantile(limitQ)
      : Math.min(config.maxSizeLots, Math.ceil(sizes.pareto(config.sizeMinLots * multiplier, config.sizeTailIndex)));
  const marketSize = () => (marketQ ? quantile(marketQ) : size(config.marketSizeMultiplier));
  // Hawkes market orders: their intensity is the baseline plus an excitation that jumps at each
  // order and decays; events are drawn at an upper bound of the total rate and thinned.
  const hawkes = config.marketHawkes;
  const decayPerNs = hawkes ? 1 / (hawkes.decayMs * 1e6) : 0;
  const jump = hawkes ? (hawkes.branching / hawkes.decayMs) * 1e3 : 0;
  let excitation = 0;
  let updateId = 0,
    tradeId = 0,
    changes = 0,
    trades = 0,
    snapshots = 0;
  let t = 0;
  const set = (side: Side, tick: number, lots: number) => {
    book.set(side, tick, lots);
    sink.change(t, ++updateId, side, tick, lots);
    changes++;
  };
  // An initial book: 50 levels a side around the start price.
  const start = config.startPriceTicks;
  for (let i = 1; i <= 50; i++) {
    set(BID, start - i, size() * 2);
    set(ASK, start + i, size() * 2);
  }
  const endNs = seconds * 1e9;
  const pickRegime = () => {
    let u = regimeRng.next() * config.regimes.reduce((a, r) => a + r.weight, 0);
    for (const r of config.regimes) if ((u -= r.weight) <= 0) return r;
    return config.regimes.at(-1)!;
  };
  let regime = config.regimes.find((r) => r.name === "normal") ?? config.regimes[0]!;
  let regimeEnd = regimeRng.exponential(1 / (config.regimeMeanMinutes * 60e9));
  let burstEnd = -1;
  let nextMinute = 60e9;
  sink.regime?.(0, regime.name);
  let nextSnapshot = config.snapshotIntervalMs * 1e6;
  while (t < endNs) {
    const bursting = t < burstEnd;
    const rate = config.eventsPerSecond * (bursting ? config.burstRate : regime.rate);
    const marketRate = hawkes ? hawkes.baselinePerS + excitation : 0;
    const dt = flow.exponential((rate + marketRate) / 1e9);
    t += dt;
    while (nextSnapshot <= t && nextSnapshot < endNs) {
      sink.snapshot(nextSnapshot, updateId, book, config.snapshotLevels);
      snapshots++;
      nextSnapshot +=
        (config.snapshotIntervalMs + snapRng.uniform(-config.snapshotJitterMs, config.snapshotJitterMs)) * 1e6;
    }
    if (t >= endNs) break;
    if (t >= regimeEnd) {
      regime = pickRegime();
      regimeEnd = t + regimeRng.exponential(1 / (config.regimeMeanMinutes * 60e9));
      sink.regime?.(t, regime.name);
    }
    if (t >= nextMinute) {
      nextMinute += 60e9;
      if (!bursting && regimeRng.bernoulli(config.burstChancePerMinute)) {
        burstEnd = t + regimeRng.uniform(config.burstSeconds[0], config.burstSeconds[1]) * 1e9;
        sink.regime?.(t, "special_event");
      }
    }
    const side: Side = flow.next() < 0.5 ? BID : ASK;
    let u = flow.next();
    let marketShare = bursting ? config.burstMarketShare : config.marketShare;
    if (hawkes) {
      // A market order with the chance its intensity (decayed to now) has in the bound drawn at;
      // the rest of that chance is no event at all (thinning); the others keep their shares.
      excitation *= Math.exp(-dt * decayPerNs);
      const market = (hawkes.baselinePerS + excitation) / (rate + marketRate);
      const bound = marketRate / (rate + marketRate);
      if (u >= market && u < bound) {
        yield t;
        continue;
      }
      if (u < market) excitation += jump;
      marketShare = 0;
      u = u < market ? -1 : (u - bound) / (1 - bound);
    }
    if (u < marketShare || u < 0) {
      // A market order: the taker on `side` (bid side = a buyer) walks the opposite side.
      let left = marketSize();
      const passive: Side = side === BID ? ASK : BID;
      while (left > 0) {
        const best = passive === ASK ? book.bestAsk : book.bestBid;
        if (best < 0) break;
        const have = book.quantity(passive, best);
        const take = Math.min(have, left);
        sink.trade(t, ++tradeId, side, best, take, updateId);
        trades++;
        set(passive, best, have - take);
        left -= take;
      }
    } else if (u < marketShare + config.limitShare) {
      const d = draw(limitCdf) + 1;
      const opposite = side === BID ? book.bestAsk : book.bestBid;
      const own = side === BID ? book.bestBid : book.bestAsk;
      let tick: number;
      if (ownBest && own >= 0) {
        // Offsets from the own best (negative: inside the spread), never crossing the other side.
        const offset = ownBest.first + d - 1;
        tick = side === BID ? own - offset : own + offset;
        if (opposite >= 0 && (side === BID ? tick >= opposite : tick <= opposite))
          tick = side === BID ? opposite - 1 : opposite + 1;
      } else {
        const anchor = opposite >= 0 ? opposite : own >= 0 ? own + (side === BID ? 1 : -1) : start;
        tick = side === BID ? anchor - d : anchor + d;
      }
      set(side, tick, book.quantity(side, tick) + size());
    } else {
      // A cancel near the best of its side: the level loses part of its size.
      const best = side === BID ? book.bestBid : book.bestAsk;
      if (best < 0) {
        yield t;
        continue;
      }
      let tick: number;
      if (config.cancelBySize) {
        // Every resting lot among the best CANCEL_LEVELS levels is as likely to go as any other at
        // its rank: level k with weight (k+1)^−exponent · size. By rank, not ticks, so levels the
        // price left behind keep being cancelled and never stand as stale walls when it returns.
        const n = book.top(side, CANCEL_LEVELS, cancelP, cancelQ);
        let total = 0,
          depth = 0;
        for (let k = 0; k < n; k++) ((total += cancelWeights[k]! * cancelQ[k]!), (depth += cancelQ[k]!));
        // Cancels run at a rate per resting lot: below `cancelDepthLots` a thinner book loses fewer.
        if (config.cancelDepthLots && flow.next() * config.cancelDepthLots > depth) {
          yield t;
          continue;
        }
        let pick = flow.next() * total,
          k = 0;
        for (; k < n - 1; k++) if ((pick -= cancelWeights[k]! * cancelQ[k]!) < 0) break;
        tick = cancelP[k]!;
      } else {
        const d = draw(cancelCdf);
        tick = side === BID ? best - d : best + d;
      }
      const have = book.quantity(side, tick);
      if (have > 0) set(side, tick, Math.max(0, have - Math.min(have, size())));
    }
    // Never let a side run dry: a fresh quote a few ticks from the other side.
    if (book.bestBid < 0 && book.bestAsk >= 0) set(BID, book.bestAsk - 1 - flow.int(0, 4), size() * 2);
    if (book.bestAsk < 0 && book.bestBid >= 0) set(ASK, book.bestBid + 1 + flow.int(0, 4), size() * 2);
    yield t;
  }
  return {changes, trades, snapshots, endNs};
}
