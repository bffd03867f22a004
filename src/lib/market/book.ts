import {SparseLevels} from "./sparse-levels.js";

/**
 * An L2 order book in integer ticks and lots: one quantity per price level. The levels near the
 * top of the book sit in two dense arrays over a window of ticks, with a bitmap of the non-empty
 * levels beside each: an update is O(1) and the walk to the next level a few word operations
 * however sparse the book is (BTC-USDT at a 0.01 tick has a level every ~15 ticks near the
 * best). Levels outside the window (real feeds set levels hundreds of USDT from the mid) go to a
 * sorted sparse list per side, never dropped; the window moves only when a best quote leaves it,
 * to hold the top of the book again. Prices never pass through floats.
 */
export class Book {
  private bids: Float64Array;
  private asks: Float64Array;
  /** Bit i set ⇔ level i is non-empty. */
  private bidBits: Int32Array;
  private askBits: Int32Array;
  /** Levels outside the window, per side. */
  private readonly farBids = new SparseLevels();
  private readonly farAsks = new SparseLevels();
  /** The tick at index 0 of both arrays. */
  private base = 0;
  private readonly size: number;
  /** Best prices in ticks; -1 when the side is empty. */
  bestBid = -1;
  bestAsk = -1;
  /** Times the window moved to follow the top of the book. */
  recentres = 0;

  constructor({windowTicks = 1 << 17}: {windowTicks?: number} = {}) {
    this.size = windowTicks;
    this.bids = new Float64Array(windowTicks);
    this.asks = new Float64Array(windowTicks);
    this.bidBits = new Int32Array((windowTicks + 31) >>> 5);
    this.askBits = new Int32Array((windowTicks + 31) >>> 5);
  }

  /** Empties the book. */
  clear(): void {
    this.bids.fill(0);
    this.asks.fill(0);
    this.bidBits.fill(0);
    this.askBits.fill(0);
    this.farBids.clear();
    this.farAsks.clear();
    this.bestBid = this.bestAsk = -1;
  }

  quantity(side: Side, tick: number): number {
    const i = tick - this.base;
    if (i < 0 || i >= this.size) return (side === BID ? this.farBids : this.farAsks).get(tick);
    return (side === BID ? this.bids : this.asks)[i]!;
  }

  /** Sets a level's quantity (0 removes it), keeping the best prices current; returns the quantity it had. */
  set(side: Side, tick: number, qty: number): number {
    const i = tick - this.base;
    if (i < 0 || i >= this.size) return this.setFar(side, tick, qty);
    const bit = 1 << (i & 31),
      w = i >>> 5;
    if (side === BID) {
      const before = this.bids[i]!;
      this.bids[i] = qty;
      if (qty > 0) {
        this.bidBits[w]! |= bit;
        if (tick > this.bestBid) this.bestBid = tick;
      } else {
        this.bidBits[w]! &= ~bit;
        if (tick === this.bestBid) this.bestBid = this.scanDown(i - 1);
      }
      return before;
    }
    const before = this.asks[i]!;
    this.asks[i] = qty;
    if (qty > 0) {
      this.askBits[w]! |= bit;
      if (this.bestAsk < 0 || tick < this.bestAsk) this.bestAsk = tick;
    } else {
      this.askBits[w]! &= ~bit;
      if (tick === this.bestAsk) this.bestAsk = this.scanUp(i + 1);
    }
    return before;
  }

  /** `set` for a level outside the window (kept in the sparse list). */
  private setFar(side: Side, tick: number, qty: number): number {
    if (side === BID) {
      const before = this.farBids.set(tick, qty);
      if (qty > 0 ? tick > this.bestBid : tick === this.bestBid) {
        this.bestBid = qty > 0 ? tick : this.bidBelow(tick);
        this.follow(this.bestBid, this.bestAsk);
      }
      return before;
    }
    const before = this.farAsks.set(tick, qty);
    if (qty > 0 ? this.bestAsk < 0 || tick < this.bestAsk : tick === this.bestAsk) {
      this.bestAsk = qty > 0 ? tick : this.askAbove(tick);
      this.follow(this.bestBid, this.bestAsk);
    }
    return before;
  }

  /**
   * Removes every level of a side at or better than `worst` (the whole side when worst is NaN):
   * a walk over the ticks from the best to `worst`, not over the whole window.
   */
  clearFrom(side: Side, worst: number): void {
    const all = Number.isNaN(worst);
    if (side === BID) {
      if (this.bestBid < 0) return;
      if (all) this.farBids.clear();
      else this.farBids.take(worst, Infinity);
      const stop = all ? 0 : Math.max(0, worst - this.base);
      for (
        let i = prevSet(this.bidBits, Math.min(this.size - 1, this.bestBid - this.base), stop);
        i >= 0;
        i = prevSet(this.bidBits, i - 1, stop)
      ) {
        this.bids[i] = 0;
        this.bidBits[i >>> 5]! &= ~(1 << (i & 31));
      }
      this.bestBid = all ? -1 : this.bidBelow(worst);
    } else {
      if (this.bestAsk < 0) return;
      if (all) this.farAsks.clear();
      else this.farAsks.take(-Infinity, worst + 1);
      const stop = all ? this.size - 1 : Math.min(this.size - 1, worst - this.base);
      for (
        let i = nextSet(this.askBits, Math.max(0, this.bestAsk - this.base), stop);
        i >= 0;
        i = nextSet(this.askBits, i + 1, stop)
      ) {
        this.asks[i] = 0;
        this.askBits[i >>> 5]! &= ~(1 << (i & 31));
      }
      this.bestAsk = all ? -1 : this.askAbove(worst);
    }
    this.follow(this.bestBid, this.bestAsk);
  }

  /** Removes up to `qty` lots from a level (a trade consuming liquidity); returns what was there. */
  consume(side: Side, tick: number, qty: number): number {
    const have = this.quantity(side, tick);
    this.set(side, tick, Math.max(0, have - qty));
    return have;
  }

  /** Multiplies every price by `factor` (the price unit became finer). */
  rescale(factor: number): void {
    const {bids, asks} = this.levels();
    this.clear();
    for (const [t, q] of bids) this.set(BID, t * factor, q);
    for (const [t, q] of asks) this.set(ASK, t * factor, q);
  }

  /** Multiplies every quantity by `factor` (the quantity unit became finer). */
  rescaleQuantities(factor: number): void {
    const {bids, asks} = this.levels();
    for (const [t, q] of bids) this.set(BID, t, q * factor);
    for (const [t, q] of asks) this.set(ASK, t, q * factor);
  }

  /** The best bid at or below window index `from`; the sparse list's when the window has none. */
  private scanDown(from: number): number {
    const i = prevSet(this.bidBits, Math.min(from, this.size - 1), 0);
    return i >= 0 ? i + this.base : this.bidBelow(this.base);
  }

  /** The best ask at or above window index `from`; the sparse list's when the window has none. */
  private scanUp(from: number): number {
    const i = nextSet(this.askBits, Math.max(from, 0), this.size - 1);
    return i >= 0 ? i + this.base : this.askAbove(this.base + this.size - 1);
  }

  /** The highest bid below `tick`, or -1; moves the window to it if it lies outside. */
  private bidBelow(tick: number): number {
    const far = this.farBids,
      top = this.base + this.size;
    let best = -1;
    const j = far.lowerBound(tick) - 1;
    if (j >= 0 && far.ticks[j]! >= top) best = far.ticks[j]!;
    else {
      const from = Math.min(tick - this.base - 1, this.size - 1);
      const i = from >= 0 ? prevSet(this.bidBits, from, 0) : -1;
      if (i >= 0) return i + this.base;
      const k = far.lowerBound(Math.min(tick, this.base)) - 1;
      best = k >= 0 ? far.ticks[k]! : -1;
    }
    if (best >= 0) this.follow(best, this.bestAsk);
    return best;
  }

  /** The lowest ask above `tick`, or -1; moves the window to it if it lies outside. */
  private askAbove(tick: number): number {
    const far = this.farAsks;
    let best = -1;
    const j = far.lowerBound(tick + 1);
    if (j < far.size && far.ticks[j]! < this.base) best = far.ticks[j]!;
    else {
      const from = Math.max(tick - this.base + 1, 0);
      const i = from < this.size ? nextSet(this.askBits, from, this.size - 1) : -1;
      if (i >= 0) return i + this.base;
      const k = far.lowerBound(Math.max(tick + 1, this.base + this.size));
      best = k < far.size ? far.ticks[k]! : -1;
    }
    if (best >= 0) this.follow(this.bestBid, best);
    return best;
  }

  /**
   * Moves the window when a best quote (`bid`, `ask`: the new ones) lies outside it: to their
   * middle when both fit, otherwise to the one quote outside — unless the other is inside, which
   * keeps it (a spread wider than the window would make the two take turns).
   */
  private follow(bid: number, ask: number): void {
    const lo = this.base,
      hi = lo + this.size;
    const bidOut = bid >= 0 && (bid < lo || bid >= hi),
      askOut = ask >= 0 && (ask < lo || ask >= hi);
    if (!bidOut && !askOut) return;
    if (bid >= 0 && ask >= 0) {
      if (Math.abs(ask - bid) < this.size >> 1) this.recentre(Math.floor((bid + ask) / 2));
      else if (bidOut && askOut) this.recentre(bid);
    } else this.recentre(bid >= 0 ? bid : ask);
  }

  /** Moves the window so `tick` sits in its middle: levels leaving it go to the sparse lists, those now inside come in. */
  private recentre(tick: number): void {
    const base = tick - (this.size >> 1);
    if (base === this.base) return;
    this.recentres++;
    const hi = base + this.size;
    const move = (levels: Float64Array, bits: Int32Array, far: SparseLevels) => {
      const out: [number, number][] = [];
      const stay = far.take(base, hi);
      for (let i = nextSet(bits, 0, this.size - 1); i >= 0; i = nextSet(bits, i + 1, this.size - 1)) {
        const t = i + this.base;
        (t >= base && t < hi ? stay : out).push([t, levels[i]!]);
        levels[i] = 0;
      }
      bits.fill(0);
      far.addAll(out);
      return stay;
    };
    const bids = move(this.bids, this.bidBits, this.farBids),
      asks = move(this.asks, this.askBits, this.farAsks);
    this.base = base;
    for (const [t, q] of bids) ((this.bids[t - base] = q), (this.bidBits[(t - base) >>> 5]! |= 1 << ((t - base) & 31)));
    for (const [t, q] of asks) ((this.asks[t - base] = q), (this.askBits[(t - base) >>> 5]! |= 1 << ((t - base) & 31)));
  }

  /**
   * The best `levels` levels of a side, best first, into `prices`/`qtys` (ticks, lots), going no
   * deeper than `limitTick` when given (a sparse side would otherwise be walked to the window's
   * end); returns how many there were.
   */
  top(
    side: Side,
    levels: number,
    prices: Float64Array | number[],
    qtys: Float64Array | number[],
    limitTick = NaN
  ): number {
    let n = 0;
    const lo = this.base,
      hi = lo + this.size;
    if (side === BID) {
      if (this.bestBid < 0) return 0;
      const far = this.farBids,
        limit = Number.isNaN(limitTick) ? -Infinity : limitTick;
      // Sparse levels above the window (only when the best bid lies there), the window, those below it.
      let j = far.size - 1;
      for (; j >= 0 && n < levels && far.ticks[j]! >= hi; j--) {
        if (far.ticks[j]! < limit) return n;
        ((prices[n] = far.ticks[j]!), (qtys[n++] = far.qtys[j]!));
      }
      const stop = Math.max(0, limit - lo);
      for (
        let i = prevSet(this.bidBits, Math.min(this.size - 1, this.bestBid - lo), stop);
        i >= 0 && n < levels;
        i = prevSet(this.bidBits, i - 1, stop)
      )
        ((prices[n] = i + lo), (qtys[n++] = this.bids[i]!));
      if (n < levels && far.size && limit < lo)
        for (j = far.lowerBound(lo) - 1; j >= 0 && n < levels && far.ticks[j]! >= limit; j--)
          ((prices[n] = far.ticks[j]!), (qtys[n++] = far.qtys[j]!));
    } else {
      if (this.bestAsk < 0) return 0;
      const far = this.farAsks,
        limit = Number.isNaN(limitTick) ? Infinity : limitTick;
      let j = 0;
      for (; j < far.size && n < levels && far.ticks[j]! < lo; j++) {
        if (far.ticks[j]! > limit) return n;
        ((prices[n] = far.ticks[j]!), (qtys[n++] = far.qtys[j]!));
      }
      const stop = Math.min(this.size - 1, limit - lo);
      for (
        let i = nextSet(this.askBits, Math.max(0, this.bestAsk - lo), stop);
        i >= 0 && n < levels;
        i = nextSet(this.askBits, i + 1, stop)
      )
        ((prices[n] = i + lo), (qtys[n++] = this.asks[i]!));
      if (n < levels && far.size && limit >= hi)
        for (j = far.lowerBound(hi); j < far.size && n < levels && far.ticks[j]! <= limit; j++)
          ((prices[n] = far.ticks[j]!), (qtys[n++] = far.qtys[j]!));
    }
    return n;
  }

  /**
   * Total lots on the best `levels` levels of a side within `maxTicks` of the best. Sets
   * `depthEdge` to the price of the deepest level counted, or with fewer levels to the last tick
   * looked at: a change beyond the edge cannot change this depth, and a change of size at a level
   * inside it (one that stays non-empty) changes it by exactly that difference.
   */
  depth(side: Side, levels: number, maxTicks = 4096): number {
    this.measureDepth(side, levels, maxTicks);
    return this.depthTotal;
  }

  /**
   * `depth` into `depthTotal` (and `depthEdge`), returning nothing: the replay's hot loop calls this
   * one, because a number returned from a call that is not inlined is boxed — a heap allocation
   * at every call.
   */
  measureDepth(side: Side, levels: number, maxTicks = 4096): void {
    // One store of each result whatever the side holds: a store only an empty side reached had
    // no type feedback when the replay's loop was compiled, and would deoptimise it.
    let n = 0,
      total = 0,
      edge: number;
    if (side === BID) {
      edge = -Infinity;
      if (this.bestBid >= 0) {
        const start = this.bestBid - this.base;
        // Levels within maxTicks of a best inside the window lie all inside it; otherwise the
        // sparse list may hold some of them.
        if (start - maxTicks + 1 < 0 || start >= this.size) return this.measureDepthAnywhere(side, levels, maxTicks);
        const stop = start - maxTicks + 1;
        let at = stop;
        for (let i = prevSet(this.bidBits, start, stop); i >= 0 && n < levels; i = prevSet(this.bidBits, i - 1, stop))
          ((total += this.bids[i]!), n++, (at = i));
        edge = at + this.base;
      }
    } else {
      edge = Infinity;
      if (this.bestAsk >= 0) {
        const start = this.bestAsk - this.base;
        if (start + maxTicks - 1 >= this.size || start < 0) return this.measureDepthAnywhere(side, levels, maxTicks);
        const stop = start + maxTicks - 1;
        let at = stop;
        for (let i = nextSet(this.askBits, start, stop); i >= 0 && n < levels; i = nextSet(this.askBits, i + 1, stop))
          ((total += this.asks[i]!), n++, (at = i));
        edge = at + this.base;
      }
    }
    this.depthEdge = edge;
    this.depthTotal = total;
  }
  depthEdge = 0;
  /** What `measureDepth` found. */
  depthTotal = 0;
  private scratchP = new Float64Array(16);
  private scratchQ = new Float64Array(16);

  /** `measureDepth` when the levels it sums may lie outside the window. */
  private measureDepthAnywhere(side: Side, levels: number, maxTicks: number): void {
    if (this.scratchP.length < levels)
      ((this.scratchP = new Float64Array(levels)), (this.scratchQ = new Float64Array(levels)));
    const limit = side === BID ? this.bestBid - maxTicks + 1 : this.bestAsk + maxTicks - 1;
    const n = this.top(side, levels, this.scratchP, this.scratchQ, limit);
    let total = 0;
    for (let i = 0; i < n; i++) total += this.scratchQ[i]!;
    this.depthTotal = total;
    this.depthEdge = n === levels ? this.scratchP[n - 1]! : limit;
  }

  /** Every non-empty level (ticks and lots, bids then asks, best first): for checkpoints. */
  levels(): {bids: [number, number][]; asks: [number, number][]} {
    const bids: [number, number][] = [];
    const asks: [number, number][] = [];
    const lo = this.base,
      hi = lo + this.size;
    const fb = this.farBids,
      fa = this.farAsks;
    for (let j = fb.size - 1; j >= 0 && fb.ticks[j]! >= hi; j--) bids.push([fb.ticks[j]!, fb.qtys[j]!]);
    for (let i = prevSet(this.bidBits, this.size - 1, 0); i >= 0; i = prevSet(this.bidBits, i - 1, 0))
      bids.push([i + lo, this.bids[i]!]);
    for (let j = fb.lowerBound(lo) - 1; j >= 0; j--) bids.push([fb.ticks[j]!, fb.qtys[j]!]);
    for (let j = 0; j < fa.size && fa.ticks[j]! < lo; j++) asks.push([fa.ticks[j]!, fa.qtys[j]!]);
    for (let i = nextSet(this.askBits, 0, this.size - 1); i >= 0; i = nextSet(this.askBits, i + 1, this.size - 1))
      asks.push([i + lo, this.asks[i]!]);
    for (let j = fa.lowerBound(hi); j < fa.size; j++) asks.push([fa.ticks[j]!, fa.qtys[j]!]);
    return {bids, asks};
  }
}

/** The highest set bit at or below `i` and at or above `floor`, or -1. */
function prevSet(bits: Int32Array, i: number, floor: number): number {
  if (i < floor) return -1;
  let w = i >>> 5;
  const last = floor >>> 5;
  let word = bits[w]! & (0xffffffff >>> (31 - (i & 31)));
  for (;;) {
    if (word !== 0) {
      const k = (w << 5) + 31 - Math.clz32(word);
      return k >= floor ? k : -1;
    }
    if (--w < last) return -1;
    word = bits[w]!;
  }
}

/** The lowest set bit at or above `i` and at or below `limit`, or -1. */
function nextSet(bits: Int32Array, i: number, limit: number): number {
  if (i > limit) return -1;
  let w = i >>> 5;
  const last = limit >>> 5;
  let word = bits[w]! & (-1 << (i & 31));
  for (;;) {
    if (word !== 0) {
      const k = (w << 5) + 31 - Math.clz32(word & -word);
      return k <= limit ? k : -1;
    }
    if (++w > last) return -1;
    word = bits[w]!;
  }
}

export type Side = 0 | 1;
export const BID: Side = 0;
export const ASK: Side = 1;
