import {mkdtempSync, readFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {ASK, BID, Book} from "../../../src/lib/market/book.js";
import {simulateMarketFiles} from "../../../src/lib/market/pipeline.js";
import {topLevels} from "../helpers.js";

describe("the simulator's Binance-format live feed", () => {
  test("a REST snapshot plus the depth diffs after it, synchronised by Binance's rules, rebuild the truth's book", async () => {
    const dir = mkdtempSync(join(tmpdir(), "market-live-"));
    const sim = await simulateMarketFiles({outDir: dir, seed: 4, minutes: 2});
    const lines = readFileSync(sim.live!.stream, "utf-8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const snapshots = readFileSync(sim.live!.snapshots, "utf-8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(snapshots.length).toBeGreaterThanOrEqual(10);
    const depth = lines.filter((m) => m.stream === "btcusdt@depth@100ms").map((m) => m.data);
    const trades = lines.filter((m) => m.stream === "btcusdt@trade").map((m) => m.data);
    expect(depth[0]).toMatchObject({e: "depthUpdate", s: "BTCUSDT"});
    expect(trades[0]).toMatchObject({e: "trade", s: "BTCUSDT"});
    expect(typeof trades[0].p).toBe("string");
    // Diffs are contiguous: each U is the previous u + 1.
    for (let i = 1; i < depth.length; i++) expect(depth[i].U).toBe(depth[i - 1].u + 1);
    // Binance's rules: start from a snapshot, drop diffs with u <= lastUpdateId, the first kept
    // one must straddle lastUpdateId + 1, then apply in order.
    const snap = snapshots[3];
    const book = new Book();
    const tick = (p: string) => Math.round(Number(p) * 100),
      lots = (q: string) => Math.round(Number(q) * 1e4);
    for (const [p, q] of snap.bids) book.set(BID, tick(p), lots(q));
    for (const [p, q] of snap.asks) book.set(ASK, tick(p), lots(q));
    const kept = depth.filter((d) => d.u > snap.lastUpdateId);
    expect(kept[0].U).toBeLessThanOrEqual(snap.lastUpdateId + 1);
    expect(kept[0].u).toBeGreaterThanOrEqual(snap.lastUpdateId + 1);
    for (const d of kept) {
      for (const [p, q] of d.b) book.set(BID, tick(p), lots(q));
      for (const [p, q] of d.a) book.set(ASK, tick(p), lots(q));
    }
    // The truth at the last update id.
    const truth = new Book();
    const changes = await readParquetAll({
      path: sim.truthChanges,
      sql: "SELECT side, price_ticks::DOUBLE AS p, quantity_lots::DOUBLE AS q FROM t ORDER BY update_id"
    });
    for (const c of changes) truth.set(c.side === "bid" ? BID : ASK, c.p as number, c.q as number);
    expect(kept.at(-1).u).toBe(changes.length);
    expect(topLevels(book, 200)).toEqual(topLevels(truth, 200));
    // Trades carry the exchange's fields, and their count matches the truth.
    const counts = (await readParquetAll({path: sim.truthTrades, sql: "SELECT count(*)::INT AS n FROM t"})) as {
      n: number;
    }[];
    expect(trades.length).toBe(counts[0]?.n);
  }, 30_000);
});
