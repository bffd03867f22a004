import {describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";
import {ASK, BID, Book, type Side} from "../../src/lib/market/book.js";

/** The same book as a plain map of levels, walked the slow way. */
function model() {
  const sides = [new Map<number, number>(), new Map<number, number>()];
  const sorted = (side: Side) =>
    [...sides[side]!].filter(([, q]) => q > 0).sort((a, b) => (side === BID ? b[0] - a[0] : a[0] - b[0]));
  return {
    set: (side: Side, tick: number, q: number) => void sides[side]!.set(tick, q),
    clearFrom: (side: Side, worst: number) => {
      for (const [tick] of sides[side]!)
        if (Number.isNaN(worst) || (side === BID ? tick >= worst : tick <= worst)) sides[side]!.delete(tick);
    },
    sorted
  };
}

describe("order book", () => {
  test("best prices, top levels, depth and clears agree with a plain map after 20,000 random changes on a sparse book", () => {
    const rng = createRng("book");
    const book = new Book({windowTicks: 1 << 12});
    const m = model();
    for (let step = 0; step < 20_000; step++) {
      const side: Side = rng.next() < 0.5 ? BID : ASK;
      // Levels ~15 ticks apart, bids below 2,000 and asks above, spilling past 32-tick words.
      const tick = side === BID ? 2000 - Math.floor(rng.next() * 40) * 15 : 2001 + Math.floor(rng.next() * 40) * 15;
      if (rng.next() < 0.002) {
        const worst = rng.next() < 0.3 ? NaN : tick;
        book.clearFrom(side, worst);
        m.clearFrom(side, worst);
      } else {
        const q = rng.next() < 0.4 ? 0 : 1 + Math.floor(rng.next() * 50);
        const before = book.set(side, tick, q);
        expect(before).toBe(m.sorted(side).find(([t]) => t === tick)?.[1] ?? 0);
        m.set(side, tick, q);
      }
      if (step % 97 !== 0) continue;
      for (const s of [BID, ASK] as Side[]) {
        const levels = m.sorted(s);
        expect(s === BID ? book.bestBid : book.bestAsk).toBe(levels[0]?.[0] ?? -1);
        const p = new Float64Array(20),
          q = new Float64Array(20);
        const n = book.top(s, 20, p, q);
        expect([...p.subarray(0, n)].map((t, i) => [t, q[i]])).toEqual(levels.slice(0, 20));
        expect(book.depth(s, 5)).toBe(levels.slice(0, 5).reduce((a, [, x]) => a + x, 0));
      }
    }
    const {bids, asks} = book.levels();
    expect(bids).toEqual(m.sorted(BID));
    expect(asks).toEqual(m.sorted(ASK));
  });

  test("a price outside the window re-centres it and keeps every level that still fits", () => {
    const book = new Book({windowTicks: 256});
    book.set(BID, 100, 5);
    book.set(ASK, 110, 7);
    book.set(ASK, 200, 2); // the window moves to 72…327
    expect(book.bestAsk).toBe(110);
    expect(book.levels()).toEqual({
      bids: [[100, 5]],
      asks: [
        [110, 7],
        [200, 2]
      ]
    });
    expect(book.dropped).toBe(0);
    book.set(ASK, 400, 1); // 100 and 110 fall out of the window 272…527, and are counted
    expect(book.levels()).toEqual({bids: [], asks: [[400, 1]]});
    expect(book.dropped).toBe(3);
    expect([book.bestBid, book.bestAsk]).toEqual([-1, 400]);
  });
});
