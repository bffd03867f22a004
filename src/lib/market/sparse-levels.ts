/**
 * The levels of one book side that lie outside the book's dense window, as two parallel arrays
 * in ascending price order. Real books hold a few thousand such levels at most (orders hundreds
 * of USDT from the mid), touched far less often than the top, so a binary search and an array
 * splice per change cost less than any tree would.
 */
export class SparseLevels {
  ticks: number[] = [];
  qtys: number[] = [];

  get size(): number {
    return this.ticks.length;
  }

  /** The index of the first level at or above `tick` (the number of levels below it). */
  lowerBound(tick: number): number {
    const t = this.ticks;
    let lo = 0,
      hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid]! < tick) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(tick: number): number {
    const i = this.lowerBound(tick);
    return i < this.ticks.length && this.ticks[i] === tick ? this.qtys[i]! : 0;
  }

  /** Sets a level (0 removes it); returns the quantity it had. */
  set(tick: number, qty: number): number {
    const i = this.lowerBound(tick);
    const here = i < this.ticks.length && this.ticks[i] === tick;
    const before = here ? this.qtys[i]! : 0;
    if (qty > 0) {
      if (here) this.qtys[i] = qty;
      else (this.ticks.splice(i, 0, tick), this.qtys.splice(i, 0, qty));
    } else if (here) (this.ticks.splice(i, 1), this.qtys.splice(i, 1));
    return before;
  }

  /** Removes the levels with lo ≤ tick < hi and returns them as [tick, qty] pairs, ascending. */
  take(lo: number, hi: number): [number, number][] {
    const a = this.lowerBound(lo),
      b = this.lowerBound(hi);
    if (b <= a) return [];
    const ticks = this.ticks.splice(a, b - a),
      qtys = this.qtys.splice(a, b - a);
    return ticks.map((t, i) => [t, qtys[i]!]);
  }

  /** Adds levels (none of which is present), keeping the order. */
  addAll(levels: [number, number][]): void {
    if (!levels.length) return;
    const all = this.ticks.map((t, i): [number, number] => [t, this.qtys[i]!]).concat(levels);
    all.sort((x, y) => x[0] - y[0]);
    this.ticks = all.map((l) => l[0]);
    this.qtys = all.map((l) => l[1]);
  }

  clear(): void {
    this.ticks = [];
    this.qtys = [];
  }
}
