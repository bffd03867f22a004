/**
 * An L2 order book in integer ticks and lots: one quantity per price level, held in two dense
 * arrays over a window of ticks around the market (a price outside re-centres the window), with
 * a bitmap of the non-empty levels beside each. Dense arrays make an update O(1); the bitmaps make
 * the walk to the next level a few word operations however sparse the book is (BTC-USDT at a
 * 0.01 tick has a level every ~15 ticks near the best). Prices never pass through floats.
 */
export class Book {
  private bids: Float64Array;
  private asks: Float64Array;
  /** Bit i set ⇔ level i is non-empty. */
  private bidBits: Int32Array;
  private askBits: Int32Array;
  /** The tick at index 0 of both arrays. */
  private base = 0;
  private readonly size: number;
  /** Best prices in ticks; -1 when the side is empty. */
  bestBid = -1;
  bestAsk = -1;
  /** Levels dropped by a re-centre (prices that fell out of the window). */
  dropped = 0;

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
    this.bestBid = this.bestAsk = -1;
  }

  quantity(side: Side, tick: number): number {
    const i = tick - this.base;
    if (i < 0 || i >= this.size) return 0;
    return (side === BID ? this.bids : this.asks)[i]!;
  }

  /** Sets a level's quantity (0 removes it), keeping the best prices current; returns the quantity it had. */
  set(side: Side, tick: number, qty: number): number {
    let i = tick - this.base;
    if (i < 0 || i >= this.size) {
      if (qty === 0) return 0;
      this.recentre(tick);
      i = tick - this.base;
    }
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

  /**
   * Removes every level of a side at or better than `worst` (the whole side when worst is NaN):
   * a walk over the ticks from the best to `worst`, not over the whole window.
   */
  clearFrom(side: Side, worst: number): void {
    if (side === BID) {
      if (this.bestBid < 0) return;
      const stop = Number.isNaN(worst) ? 0 : Math.max(0, worst - this.base);
      for (
        let i = prevSet(this.bidBits, this.bestBid - this.base, stop);
        i >= 0;
        i = prevSet(this.bidBits, i - 1, stop)
      ) {
        this.bids[i] = 0;
        this.bidBits[i >>> 5]! &= ~(1 << (i & 31));
      }
      this.bestBid = this.scanDown(stop - 1);
    } else {
      if (this.bestAsk < 0) return;
      const stop = Number.isNaN(worst) ? this.size - 1 : Math.min(this.size - 1, worst - this.base);
      for (
        let i = nextSet(this.askBits, this.bestAsk - this.base, stop);
        i >= 0;
        i = nextSet(this.askBits, i + 1, stop)
      ) {
        this.asks[i] = 0;
        this.askBits[i >>> 5]! &= ~(1 << (i & 31));
      }
      this.bestAsk = this.scanUp(stop + 1);
    }
  }

  /** Removes up to `qty` lots from a level (a trade consuming liquidity); returns what was there. */
  consume(side: Side, tick: number, qty: number): number {
    const have = this.quantity(side, tick);
    this.set(side, tick, Math.max(0, have - qty));
    return have;
  }

  /** The best bid at or below index `from` (a tick), or -1. */
  private scanDown(from: number): number {
    const i = prevSet(this.bidBits, Math.min(from, this.size - 1), 0);
    return i < 0 ? -1 : i + this.base;
  }

  /** The best ask at or above index `from` (a tick), or -1. */
  private scanUp(from: number): number {
    const i = nextSet(this.askBits, Math.max(from, 0), this.size - 1);
    return i < 0 || i >= this.size ? -1 : i + this.base;
  }

  /** Moves the window so `tick` sits in its middle; levels that fall outside are dropped (counted). */
  private recentre(tick: number): void {
    const base = tick - (this.size >> 1);
    const shift = base - this.base;
    const move = (levels: Float64Array, bits: Int32Array) => {
      const next = new Float64Array(this.size);
      bits.fill(0);
      for (let i = 0; i < this.size; i++) {
        const q = levels[i]!;
        if (q === 0) continue;
        const j = i - shift;
        if (j >= 0 && j < this.size) {
          next[j] = q;
          if (q > 0) bits[j >>> 5]! |= 1 << (j & 31);
        } else this.dropped++;
      }
      return next;
    };
    this.bids = move(this.bids, this.bidBits);
    this.asks = move(this.asks, this.askBits);
    this.base = base;
    this.bestBid = this.scanDown(this.size - 1);
    this.bestAsk = this.scanUp(0);
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
    if (side === BID) {
      if (this.bestBid < 0) return 0;
      const stop = Number.isNaN(limitTick) ? 0 : Math.max(0, limitTick - this.base);
      for (
        let i = prevSet(this.bidBits, this.bestBid - this.base, stop);
        i >= 0 && n < levels;
        i = prevSet(this.bidBits, i - 1, stop)
      )
        ((prices[n] = i + this.base), (qtys[n++] = this.bids[i]!));
    } else {
      if (this.bestAsk < 0) return 0;
      const stop = Number.isNaN(limitTick) ? this.size - 1 : Math.min(this.size - 1, limitTick - this.base);
      for (
        let i = nextSet(this.askBits, this.bestAsk - this.base, stop);
        i >= 0 && n < levels;
        i = nextSet(this.askBits, i + 1, stop)
      )
        ((prices[n] = i + this.base), (qtys[n++] = this.asks[i]!));
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
        const stop = Math.max(0, start - maxTicks + 1);
        let at = stop;
        for (let i = prevSet(this.bidBits, start, stop); i >= 0 && n < levels; i = prevSet(this.bidBits, i - 1, stop))
          ((total += this.bids[i]!), n++, (at = i));
        edge = at + this.base;
      }
    } else {
      edge = Infinity;
      if (this.bestAsk >= 0) {
        const start = this.bestAsk - this.base;
        const stop = Math.min(this.size - 1, start + maxTicks - 1);
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

  /** Every non-empty level (ticks and lots, bids then asks, best first): for checkpoints. */
  levels(): {bids: [number, number][]; asks: [number, number][]} {
    const bids: [number, number][] = [];
    const asks: [number, number][] = [];
    for (let i = prevSet(this.bidBits, this.size - 1, 0); i >= 0; i = prevSet(this.bidBits, i - 1, 0))
      bids.push([i + this.base, this.bids[i]!]);
    for (let i = nextSet(this.askBits, 0, this.size - 1); i >= 0; i = nextSet(this.askBits, i + 1, this.size - 1))
      asks.push([i + this.base, this.asks[i]!]);
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
