import {createRng, type Rng} from "../../core/random.js";
import {binancePrice, binanceQuantity, recordingLine} from "./recording-format.js";

/** The process behind a generated recording (times in seconds, sizes in lots of 1e-5 BTC). */
export interface RecordingProcess {
  /** Hawkes trade arrivals: baseline rate (/s), branching ratio (< 1) and decay time of the excitation. */
  tradeBaselinePerS: number;
  tradeBranching: number;
  tradeDecayS: number;
  /** Chance the next market order is on the same side as the last; otherwise buy with chance 0.5 + tilt × imbalance over 5 levels. */
  sidePersistence: number;
  imbalanceTilt: number;
  /** How far past the best a market order may walk (takers send IOC limit orders), ticks. */
  walkTicks: number;
  /** Lognormal market-order sizes (median lots, log sd) and limit-order sizes. */
  marketMedianLots: number;
  marketSigma: number;
  limitMedianLots: number;
  limitSigma: number;
  /** Limit orders per second; share placed far (uniform up to farTicks) rather than near the touch. */
  limitPerS: number;
  farShare: number;
  farTicks: number;
  /** Mean distance (ticks) behind the own best of a near limit order; 0 joins the best. */
  nearMeanTicks: number;
  /** Chance a limit order goes into a wide spread (a tick better than the own best, or a tick from the other). */
  improveChance: number;
  /** Cancels per second, on levels within `cancelLevels` of the best, by size. */
  cancelPerS: number;
  cancelLevels: number;
}

/** BTCUSDT spot at 0.01 USDT and 0.00001 BTC, as the recording shows it. */
export const btcusdtProcess: RecordingProcess = {
  tradeBaselinePerS: 7.4,
  tradeBranching: 0.7,
  tradeDecayS: 0.15,
  sidePersistence: 0.5,
  imbalanceTilt: 0.7,
  walkTicks: 2,
  marketMedianLots: 105,
  marketSigma: 1.3,
  limitMedianLots: 400,
  limitSigma: 1.0,
  limitPerS: 160,
  farShare: 0.1,
  farTicks: 150,
  nearMeanTicks: 6,
  improveChance: 0.13,
  cancelPerS: 115,
  cancelLevels: 30
};

const CENTS_PER_TICK = 1;
const UNITS_PER_LOT = 1000; // 1e-8 BTC per 1e-5 BTC lot

/** One side of the generator's book: levels by tick, with its best kept current. */
class Side {
  readonly levels = new Map<number, number>();
  best = NaN;
  constructor(readonly bid: boolean) {}
  better(a: number, b: number): boolean {
    return this.bid ? a > b : a < b;
  }
  set(tick: number, lots: number): void {
    if (lots > 0) {
      this.levels.set(tick, lots);
      if (Number.isNaN(this.best) || this.better(tick, this.best)) this.best = tick;
    } else {
      this.levels.delete(tick);
      if (tick === this.best) this.best = this.findBest();
    }
  }
  private findBest(): number {
    let b = NaN;
    for (const t of this.levels.keys()) if (Number.isNaN(b) || this.better(t, b)) b = t;
    return b;
  }
  /** The levels best first, at most `n`. */
  top(n: number): [number, number][] {
    return [...this.levels].sort((x, y) => (this.bid ? y[0] - x[0] : x[0] - y[0])).slice(0, n);
  }
}

/**
 * A realistic BTCUSDT spot recording, not from the lab's simulator: trades arrive as a Hawkes
 * process (clustered in bursts of ~0.15 s), market-order sizes are lognormal and small with a heavy
 * right tail, sides persist, and the book is thin at the top (a few hundredths of a BTC), refilled
 * by limit orders that mostly join or improve the touch. Written as Binance publishes it:
 * `<local_ns> <json>` lines of depth@100ms diffs and trades, 8-decimal strings, one REST snapshot
 * line after the first diffs (its lastUpdateId inside them). A pure function of the seed.
 */
// Over 150 lines: the event loop, each event kind a few lines over the same book and diff buffer.
export function realisticRecording({
  seed = 1,
  minutes = 6,
  process: p = btcusdtProcess,
  startCents = 6_183_763,
  startNs = 1_765_000_000_000_000_000n
}: {
  seed?: number | string;
  minutes?: number;
  process?: RecordingProcess;
  startCents?: number;
  startNs?: bigint;
} = {}): {lines: string[]; text: string; trades: number; diffs: number} {
  const rng = createRng(`realistic-recording-${seed}`);
  const flow = rng.fork("flow"),
    sizes = rng.fork("sizes"),
    latency = rng.fork("latency");
  const bids = new Side(true),
    asks = new Side(false);
  const lognormal = (r: Rng, median: number, sigma: number) =>
    Math.max(1, Math.round(median * Math.exp(sigma * r.normal())));
  // An initial book: levels on most ticks near the mid, thinning out further away.
  for (let k = 0; k < 300; k++) {
    if (k < 5 || flow.next() < 0.6) bids.set(startCents - 1 - k, lognormal(sizes, p.limitMedianLots * 2, p.limitSigma));
    if (k < 5 || flow.next() < 0.6) asks.set(startCents + 1 + k, lognormal(sizes, p.limitMedianLots * 2, p.limitSigma));
  }
  const changed = [new Map<number, number>(), new Map<number, number>()];
  const set = (side: Side, tick: number, lots: number) => {
    side.set(tick, lots);
    changed[side.bid ? 0 : 1]!.set(tick, lots);
  };
  const lines: string[] = [];
  const epochMs = Number(startNs / 1_000_000n);
  const line = (tMs: number, message: object) =>
    lines.push(recordingLine(startNs + BigInt(Math.round((tMs + latency.uniform(2, 9)) * 1e6)), message));
  const level = ([tick, lots]: [number, number]): [string, string] => [
    binancePrice(tick * CENTS_PER_TICK),
    binanceQuantity(lots * UNITS_PER_LOT)
  ];
  let u = 40_000_000,
    tradeId = 3_000_000_000,
    diffs = 0,
    trades = 0;
  let snapshot: object | undefined;
  const endS = minutes * 60;
  // Next event times: Hawkes trades (intensity λ = μ + excitation, decaying), Poisson limits and cancels.
  let excitation = 0,
    lastTradeSide = 0;
  const decay = 1 / p.tradeDecayS,
    jump = p.tradeBranching * decay;
  let t = 0,
    nextDiff = 0.1;
  while (t < endS) {
    const lambdaMax = p.tradeBaselinePerS + excitation + p.limitPerS + p.cancelPerS;
    const dt = flow.exponential(lambdaMax);
    // Flush the depth stream every 100 ms up to the next event.
    while (nextDiff <= t + dt && nextDiff <= endS) {
      const b = changed[0]!,
        a = changed[1]!;
      if (b.size + a.size > 0) {
        const E = epochMs + Math.round(nextDiff * 1000);
        const U = u + 1;
        u += b.size + a.size;
        line(E - epochMs, {
          stream: "btcusdt@depth@100ms",
          data: {e: "depthUpdate", E, s: "BTCUSDT", U, u, b: [...b].map(level), a: [...a].map(level)}
        });
        b.clear();
        a.clear();
        diffs++;
        if (diffs === 3) snapshot = {lastUpdateId: u, bids: bids.top(1000).map(level), asks: asks.top(1000).map(level)};
        if (diffs === 6) line(E - epochMs + 40, snapshot!);
      }
      nextDiff += 0.1;
    }
    excitation *= Math.exp(-decay * dt);
    t += dt;
    if (t >= endS) break;
    const tradeRate = p.tradeBaselinePerS + excitation;
    const u1 = flow.next() * (tradeRate + p.limitPerS + p.cancelPerS);
    if (u1 < tradeRate) {
      excitation += jump;
      // Takers keep their side, or lean to the thinner side of the book (buyers lift thin asks).
      if (flow.next() >= p.sidePersistence) {
        const vb = bids.top(5).reduce((s, [, l]) => s + l, 0),
          va = asks.top(5).reduce((s, [, l]) => s + l, 0);
        lastTradeSide = flow.next() < 0.5 + (p.imbalanceTilt * (vb - va)) / Math.max(1, vb + va) ? 0 : 1;
      }
      const buy = lastTradeSide === 0;
      const passive = buy ? asks : bids;
      let left = lognormal(sizes, p.marketMedianLots, p.marketSigma);
      const T = epochMs + Math.floor(t * 1000);
      // Takers send IOC limit orders: they walk at most `walkTicks` past the best.
      const limit = passive.best + (buy ? p.walkTicks : -p.walkTicks);
      while (left > 0 && !Number.isNaN(passive.best) && (buy ? passive.best <= limit : passive.best >= limit)) {
        const tick = passive.best,
          have = passive.levels.get(tick)!;
        const take = Math.min(have, left);
        line(T - epochMs + 1, {
          stream: "btcusdt@trade",
          data: {
            e: "trade",
            E: T + 1,
            s: "BTCUSDT",
            t: tradeId++,
            p: binancePrice(tick * CENTS_PER_TICK),
            q: binanceQuantity(take * UNITS_PER_LOT),
            T,
            m: !buy
          }
        });
        trades++;
        set(passive, tick, have - take);
        left -= take;
      }
    } else if (u1 < tradeRate + p.limitPerS) {
      const side = flow.next() < 0.5 ? bids : asks,
        other = side === bids ? asks : bids;
      const dir = side.bid ? -1 : 1;
      const own = Number.isNaN(side.best) ? other.best + dir : side.best;
      const spread = asks.best - bids.best;
      let tick: number;
      if (spread > 1 && flow.next() < p.improveChance) tick = flow.next() < 0.5 ? own - dir : other.best + dir;
      else if (flow.next() < p.farShare) tick = own + dir * flow.int(1, p.farTicks);
      else tick = own + dir * Math.floor(flow.exponential(1 / Math.max(1e-9, p.nearMeanTicks)));
      if (side.bid ? tick >= asks.best : tick <= bids.best) tick = other.best + dir;
      set(side, tick, (side.levels.get(tick) ?? 0) + lognormal(sizes, p.limitMedianLots, p.limitSigma));
    } else {
      const side = flow.next() < 0.5 ? bids : asks;
      const near = side.top(p.cancelLevels);
      const total = near.reduce((s, [, l]) => s + l, 0);
      let pick = flow.next() * total;
      const hit = near.find(([, l]) => (pick -= l) <= 0) ?? near.at(-1);
      if (hit) {
        const [tick, lots] = hit;
        const cut = flow.next() < 0.5 ? lots : Math.min(lots, lognormal(sizes, p.limitMedianLots, p.limitSigma));
        set(side, tick, lots - cut);
      }
    }
    // A side never runs dry: market makers quote again a tick or two from the other side.
    for (const [side, other, dir] of [
      [bids, asks, -1],
      [asks, bids, 1]
    ] as const)
      if (side.levels.size < 40) {
        const from = Number.isNaN(side.best)
          ? other.best + dir
          : [...side.levels.keys()].reduce((a, b) => (side.better(a, b) ? b : a));
        set(side, from + dir * flow.int(1, 3), lognormal(sizes, p.limitMedianLots * 2, p.limitSigma));
      }
  }
  return {lines, text: lines.join("\n") + "\n", trades, diffs};
}
