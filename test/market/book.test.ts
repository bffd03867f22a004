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

  test("levels far outside the window are kept, and one of them becomes the best once the near levels go", () => {
    const book = new Book({windowTicks: 256});
    book.set(BID, 1000, 5); // the first level places the window: 872…1127
    book.set(ASK, 1010, 7);
    book.set(ASK, 1100, 2);
    book.set(ASK, 1300, 1); // outside the window: kept aside, the window stays on the top of the book
    book.set(BID, 500, 3);
    expect([book.bestBid, book.bestAsk]).toEqual([1000, 1010]);
    expect(book.recentres).toBe(1);
    expect(book.quantity(ASK, 1300)).toBe(1);
    expect(book.levels()).toEqual({
      bids: [
        [1000, 5],
        [500, 3]
      ],
      asks: [
        [1010, 7],
        [1100, 2],
        [1300, 1]
      ]
    });
    book.set(ASK, 1010, 0);
    book.set(ASK, 1100, 0); // the far ask is now the best
    expect(book.bestAsk).toBe(1300);
    book.set(BID, 1000, 0); // so is the far bid: both quotes outside, too far apart for the window, which follows the bid
    expect(book.bestBid).toBe(500);
    expect(book.recentres).toBe(2);
    const p = new Float64Array(4),
      q = new Float64Array(4);
    expect(book.top(ASK, 4, p, q)).toBe(1);
    expect([p[0], q[0]]).toEqual([1300, 1]);
    expect(book.depth(BID, 5, 1000)).toBe(3);
    book.clearFrom(ASK, 2000);
    expect(book.bestAsk).toBe(-1);
    expect(book.levels()).toEqual({bids: [[500, 3]], asks: []});
  });

  test("a small window over a wide price range agrees with a plain map after 30,000 changes (far levels, the top moving, clears)", () => {
    const rng = createRng("book-far");
    const book = new Book({windowTicks: 1 << 8});
    const m = model();
    let mid = 100_000;
    for (let step = 0; step < 30_000; step++) {
      if (rng.next() < 0.001) mid += Math.floor((rng.next() - 0.5) * 2000); // the market jumps
      const side: Side = rng.next() < 0.5 ? BID : ASK;
      // Mostly near the mid, one change in five up to 5,000 ticks away (20 windows).
      const away = rng.next() < 0.2 ? Math.floor(rng.next() * 5000) : Math.floor(rng.next() * 60);
      const tick = side === BID ? mid - 1 - away : mid + away;
      if (rng.next() < 0.003) {
        const worst = rng.next() < 0.2 ? NaN : tick;
        book.clearFrom(side, worst);
        m.clearFrom(side, worst);
      } else {
        const q = rng.next() < 0.45 ? 0 : 1 + Math.floor(rng.next() * 50);
        expect(book.set(side, tick, q)).toBe(m.sorted(side).find(([t]) => t === tick)?.[1] ?? 0);
        m.set(side, tick, q);
      }
      if (step % 53 !== 0) continue;
      for (const s of [BID, ASK] as Side[]) {
        const levels = m.sorted(s);
        expect(s === BID ? book.bestBid : book.bestAsk).toBe(levels[0]?.[0] ?? -1);
        const p = new Float64Array(30),
          q = new Float64Array(30);
        const n = book.top(s, 30, p, q);
        expect([...p.subarray(0, n)].map((t, i) => [t, q[i]])).toEqual(levels.slice(0, 30));
        const within = levels.filter(([t]) => Math.abs(t - levels[0]![0]) < 300).slice(0, 5);
        expect(book.depth(s, 5, 300)).toBe(within.reduce((a, [, x]) => a + x, 0));
        const limit = levels[7]?.[0];
        if (limit !== undefined) expect(book.top(s, 30, p, q, limit)).toBe(8);
      }
    }
    expect(book.recentres).toBeGreaterThan(10);
    const {bids, asks} = book.levels();
    expect(bids).toEqual(m.sorted(BID));
    expect(asks).toEqual(m.sorted(ASK));
    book.rescale(1000);
    expect(book.levels().bids).toEqual(m.sorted(BID).map(([t, x]) => [t * 1000, x]));
    expect(book.bestAsk).toBe((m.sorted(ASK)[0]?.[0] ?? -0.001) * 1000);
  });
});
