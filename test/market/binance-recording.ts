import {createRng} from "../../src/lib/core/random.js";
import {
  binancePrice as price,
  binanceQuantity as qty,
  recordingLine
} from "../../src/lib/market/sim/recording-format.js";

/**
 * A recording in the format public Binance spot captures are shared in: `<local_ns> <json>`
 * lines of combined-stream messages (depth@100ms diffs, trades) and one REST snapshot line
 * written a little after the first diffs (its lastUpdateId inside them). Prices are 8-decimal
 * strings of a 0.01 tick ("61837.63000000"); levels 700–900 USDT from the mid come and go (beyond
 * a 131,072-tick window at 0.01); late on, every bid within 500 USDT is removed, so a far bid
 * becomes the best, and bids come back near the top after.
 */
export function binanceRecording({
  seed = 1,
  diffs = 400,
  snapshotAt = 6
}: {seed?: number; diffs?: number; snapshotAt?: number} = {}) {
  const rng = createRng(`recording-${seed}`);
  const bids = new Map<number, number>(),
    asks = new Map<number, number>();
  const mid = 6_183_763; // cents
  const lots = () => 1 + Math.floor(rng.next() * 5_000_000); // 1e-8 BTC
  for (let k = 0; k < 60; k++) {
    bids.set(mid - 1 - k * (1 + Math.floor(rng.next() * 20)) - k, lots());
    asks.set(mid + 1 + k * (1 + Math.floor(rng.next() * 20)) + k, lots());
  }
  for (let k = 0; k < 20; k++) {
    bids.set(mid - 70_000 - Math.floor(rng.next() * 20_000), lots());
    asks.set(mid + 70_000 + Math.floor(rng.next() * 20_000), lots());
  }
  const best = (m: Map<number, number>, bid: boolean) => {
    let b = bid ? -Infinity : Infinity;
    for (const t of m.keys()) if (bid ? t > b : t < b) b = t;
    return b;
  };
  const levels = (m: Map<number, number>, bid: boolean) =>
    [...m].sort((x, y) => (bid ? y[0] - x[0] : x[0] - y[0])).map(([t, l]): [string, string] => [price(t), qty(l)]);

  const lines: string[] = [];
  const diffList: {U: number; u: number; b: [string, string][]; a: [string, string][]; E: number}[] = [];
  let ns = 1_765_000_000_000_000_000n;
  let E = 1_765_000_000_000;
  let u = 9_000_000;
  let tradeId = 5_000_000;
  let snapshot: {lastUpdateId: number; bids: [string, string][]; asks: [string, string][]} | undefined;
  const line = (obj: object) => lines.push(recordingLine(ns, obj));
  const wipeAt = Math.floor(diffs * 0.7);
  for (let i = 0; i < diffs; i++) {
    E += 100;
    ns += 100_000_000n + BigInt(Math.floor(rng.next() * 3_000_000));
    const b: [string, string][] = [],
      a: [string, string][] = [];
    const change = (side: "b" | "a", tick: number, l: number) => {
      (side === "b" ? bids : asks)[l ? "set" : "delete"](tick, l);
      (side === "b" ? b : a).push([price(tick), qty(l)]);
    };
    const bb = best(bids, true),
      ba = best(asks, false);
    if (i === wipeAt) {
      for (const t of [...bids.keys()]) if (t > bb - 50_000) change("b", t, 0);
    } else {
      const n = 1 + Math.floor(rng.next() * 6);
      for (let k = 0; k < n; k++) {
        const side = rng.next() < 0.5 ? "b" : "a";
        const from = side === "b" ? (Number.isFinite(bb) ? bb : mid) : ba;
        const off = Math.floor(rng.next() * 40) - (i > wipeAt && side === "b" && rng.next() < 0.3 ? 0 : 5);
        let tick = side === "b" ? from - off : from + off;
        // Never cross: a bid stays below the best ask and an ask above the best bid.
        if (side === "b" && tick >= ba) tick = ba - 1;
        if (side === "a" && tick <= bb) tick = bb + 1;
        change(side, tick, rng.next() < 0.35 && (side === "b" ? bids : asks).has(tick) ? 0 : lots());
      }
      if (rng.next() < 0.6) {
        // A level far from the mid: set, or an existing far one removed.
        const side = rng.next() < 0.5 ? "b" : "a";
        const far = [...(side === "b" ? bids : asks).keys()].filter((t) => Math.abs(t - mid) > 60_000);
        if (far.length && rng.next() < 0.4) change(side, far[Math.floor(rng.next() * far.length)]!, 0);
        else
          change(
            side,
            side === "b"
              ? mid - 65_536 - Math.floor(rng.next() * 30_000)
              : mid + 65_536 + Math.floor(rng.next() * 30_000),
            lots()
          );
      }
    }
    const U = u + 1;
    u += b.length + a.length;
    const diff = {e: "depthUpdate", E, s: "BTCUSDT", U, u, b, a};
    diffList.push({U, u, b, a, E});
    line({stream: "btcusdt@depth@100ms", data: diff});
    if (i === snapshotAt - 3) snapshot = {lastUpdateId: u, bids: levels(bids, true), asks: levels(asks, false)};
    if (i === snapshotAt) line(snapshot!);
    if (rng.next() < 0.5) {
      const buy = rng.next() < 0.5;
      const p = buy ? best(asks, false) : best(bids, true);
      line({
        stream: "btcusdt@trade",
        data: {
          e: "trade",
          E: E + 3,
          s: "BTCUSDT",
          t: tradeId++,
          p: price(p),
          q: qty(lots() % 200_000),
          T: E + 2,
          m: !buy
        }
      });
    }
  }
  return {lines, snapshot: snapshot!, diffs: diffList, text: lines.join("\n") + "\n"};
}

/**
 * Binance's rules the plain way: the snapshot as a map of levels (in cents and 1e-8 lots, the
 * recording's known units), then every diff with u > lastUpdateId; the book after each applied diff.
 */
export function referenceBooks(rec: ReturnType<typeof binanceRecording>) {
  const sides = [new Map<number, number>(), new Map<number, number>()];
  const cents = (p: string) => Math.round(Number(p) * 100);
  const lots = (q: string) => Math.round(Number(q) * 1e8);
  const load = (side: number, levels: [string, string][]) => {
    for (const [p, q] of levels) {
      if (lots(q)) sides[side]!.set(cents(p), lots(q));
      else sides[side]!.delete(cents(p));
    }
  };
  load(0, rec.snapshot.bids);
  load(1, rec.snapshot.asks);
  const sorted = (side: number) => [...sides[side]!].sort((x, y) => (side === 0 ? y[0] - x[0] : x[0] - y[0]));
  const after: {u: number; E: number; bids: [number, number][]; asks: [number, number][]}[] = [];
  for (const d of rec.diffs) {
    if (d.u <= rec.snapshot.lastUpdateId) continue;
    load(0, d.b);
    load(1, d.a);
    after.push({u: d.u, E: d.E, bids: sorted(0), asks: sorted(1)});
  }
  return after;
}
