import {existsSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {reconstructMarket} from "../../../src/lib/market/replay/reconstruct.js";
import {decimalsOf} from "../../../src/lib/market/history/inputs.js";

const dir = mkdtempSync(join(tmpdir(), "market-bad-"));
const write = (name: string, lines: string[]) => {
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
};
const t = (ms: number) => new Date(Date.UTC(2024, 2, 1) + ms).toISOString().replace("T", " ").replace("Z", "");
const levels = (bid: number, ask: number) => [`${bid}`, "1.0", `${ask}`, "1.0"];
const bookHeader = "origin_time,received_time,sequence_number,bid_0_price,bid_0_size,ask_0_price,ask_0_size";
const book = write("book.csv", [
  bookHeader,
  [t(0), t(1), 10, ...levels(100.0, 100.1)].join(","),
  [t(100), t(101), 14, ...levels(100.0, 100.1)].join(",")
]);
const trades = write("trades.csv", [
  "origin_time,received_time,trade_id,side,price,quantity",
  [t(50), t(51), 1, "buy", "100.1", "0.5"].join(",")
]);
const deltaHeader = "origin_time,received_time,update_id,side,price,new_quantity";

describe("malformed market inputs", () => {
  test("a missing column is an error naming the file and the column", async () => {
    const deltas = write("no-side.csv", [
      "origin_time,received_time,update_id,price,new_quantity",
      [t(10), t(11), 11, "100.0", "2.0"].join(",")
    ]);
    await expect(
      reconstructMarket({inputs: {book, trades, deltas}, strategy: "full_event_replay", outDir: join(dir, "o1")})
    ).rejects.toThrow(`${deltas}: missing column(s) side for the deltas table`);
  });

  test("a NaN price is an error naming the file and line, and nothing is written", async () => {
    const deltas = write("nan.csv", [
      deltaHeader,
      [t(10), t(11), 11, "bid", "100.0", "2.0"].join(","),
      [t(20), t(21), 12, "ask", "NaN", "1.0"].join(",")
    ]);
    await expect(
      reconstructMarket({inputs: {book, trades, deltas}, strategy: "full_event_replay", outDir: join(dir, "o2")})
    ).rejects.toThrow(`${deltas}:3: a delta with a missing, NaN or negative price or quantity`);
  });

  test("an unknown side or a missing origin_time is an error naming the file and line, and leaves no partial output", async () => {
    const side = write("bad-side.csv", [
      deltaHeader,
      [t(10), t(11), 11, "bid", "100.0", "2.0"].join(","),
      [t(20), t(21), 12, "bdi", "100.0", "1.0"].join(",")
    ]);
    const out = join(dir, "o6");
    await expect(
      reconstructMarket({inputs: {book, trades, deltas: side}, strategy: "full_event_replay", outDir: out})
    ).rejects.toThrow(
      `${side}:3: a delta with a missing, NaN or negative price or quantity, or a side other than bid/ask`
    );
    expect(existsSync(join(out, "market_events"))).toBe(false);
    const noTime = write("no-time.csv", [
      deltaHeader,
      [t(10), t(11), 11, "bid", "100.0", "2.0"].join(","),
      ["", t(21), 12, "ask", "100.1", "1.0"].join(",")
    ]);
    await expect(
      reconstructMarket({
        inputs: {book, trades, deltas: noTime},
        strategy: "full_event_replay",
        outDir: join(dir, "o7")
      })
    ).rejects.toThrow(`${noTime}:3: a row without origin_time or its id`);
  });

  test("update ids out of order in the file are replayed in sequence; a missing id is a gap that the next snapshot repairs", async () => {
    // Ids 13, 11 (out of order in the file), 12 missing → a gap from 13 until the snapshot at 14.
    const deltas = write("shuffled.csv", [
      deltaHeader,
      [t(30), t(31), 13, "ask", "100.1", "3.0"].join(","),
      [t(10), t(11), 11, "bid", "100.0", "2.0"].join(",")
    ]);
    const r = await reconstructMarket({
      inputs: {book, trades, deltas},
      strategy: "full_event_replay",
      outDir: join(dir, "o3"),
      tickSize: 0.1,
      lotSize: 0.1
    });
    expect(r.counts).toMatchObject({deltas: 2, gaps: 1, missingUpdates: 1, resyncs: 1});
    const rows = await readParquetAll({
      path: r.path,
      sql: "SELECT event_type, update_id::INT AS u, gap, resync, best_bid::DOUBLE AS bid, bid_depth_5::DOUBLE AS bid5 FROM t"
    });
    expect(rows).toEqual([
      {event_type: "BOOK_SNAPSHOT", u: 10, gap: false, resync: false, bid: 100, bid5: 1},
      {event_type: "BOOK_DELTA", u: 11, gap: false, resync: false, bid: 100, bid5: 2},
      {event_type: "BOOK_DELTA", u: 13, gap: true, resync: false, bid: 100, bid5: 2},
      {event_type: "TRADE", u: null, gap: true, resync: false, bid: 100, bid5: 2},
      {event_type: "BOOK_SNAPSHOT", u: 14, gap: false, resync: true, bid: 100, bid5: 1}
    ]);
  });

  test("an overridden tick of 0.05 or a lot of 0.5 is written exactly (decimals that hold their multiples)", async () => {
    expect([0.01, 0.5, 0.25, 0.05, 5, 1, 0.001].map(decimalsOf)).toEqual([2, 1, 2, 2, 0, 0, 3]);
    const deltas = write("coarse.csv", [deltaHeader, [t(10), t(11), 11, "bid", "100.05", "2.5"].join(",")]);
    const r = await reconstructMarket({
      inputs: {book, trades, deltas},
      strategy: "full_event_replay",
      outDir: join(dir, "o8"),
      tickSize: 0.05,
      lotSize: 0.5
    });
    const rows = await readParquetAll({
      path: r.path,
      sql: "SELECT event_type, best_bid::DOUBLE AS bid, delta_price::DOUBLE AS dp, delta_quantity::DOUBLE AS dq, typeof(best_bid) AS type FROM t WHERE event_type = 'BOOK_DELTA'"
    });
    expect(rows).toEqual([{event_type: "BOOK_DELTA", bid: 100.05, dp: 100.05, dq: 2.5, type: "DECIMAL(18,2)"}]);
  });

  test("a crossed snapshot is flagged and not used; a crossed book after a delta is flagged as a gap", async () => {
    const crossed = write("crossed-book.csv", [
      bookHeader,
      [t(0), t(1), 10, ...levels(100.0, 100.1)].join(","),
      [t(100), t(101), 12, ...levels(100.2, 100.1)].join(",")
    ]);
    const deltas = write("crossing.csv", [deltaHeader, [t(10), t(11), 11, "bid", "100.3", "1.0"].join(",")]);
    const r = await reconstructMarket({
      inputs: {book: crossed, trades, deltas},
      strategy: "full_event_replay",
      outDir: join(dir, "o4"),
      tickSize: 0.1,
      lotSize: 0.1
    });
    expect(r.counts).toMatchObject({crossedSnapshots: 1, crossedEvents: 3, gaps: 1});
  });

  test("a trade between deltas on a crossed book is a crossed event too, and the snapshot after them resyncs the book", async () => {
    // Delta 11 crosses the book (bid 100.3 over the ask 100.1); the trade at 50 ms comes before
    // delta 12 (60 ms), inside the same run of deltas; the snapshot at 100 ms repairs the book.
    const deltas = write("crossing-run.csv", [
      deltaHeader,
      [t(10), t(11), 11, "bid", "100.3", "1.0"].join(","),
      [t(60), t(61), 12, "bid", "100.3", "2.0"].join(",")
    ]);
    const r = await reconstructMarket({
      inputs: {book, trades, deltas},
      strategy: "full_event_replay",
      outDir: join(dir, "o9"),
      tickSize: 0.1,
      lotSize: 0.1
    });
    expect(r.counts).toMatchObject({crossedEvents: 3, gaps: 1, resyncs: 1});
    const rows = await readParquetAll({
      path: r.path,
      sql: "SELECT event_type, gap, best_bid::DOUBLE AS bid, best_ask::DOUBLE AS ask FROM t"
    });
    expect(rows).toEqual([
      {event_type: "BOOK_SNAPSHOT", gap: false, bid: 100.0, ask: 100.1},
      {event_type: "BOOK_DELTA", gap: true, bid: 100.3, ask: 100.1},
      {event_type: "TRADE", gap: true, bid: 100.3, ask: 100.1},
      {event_type: "BOOK_DELTA", gap: true, bid: 100.3, ask: 100.1},
      {event_type: "BOOK_SNAPSHOT", gap: false, bid: 100.0, ask: 100.1}
    ]);
  });

  test("origin_time order that disagrees with the update ids is flagged", async () => {
    const deltas = write("late-origin.csv", [
      deltaHeader,
      [t(30), t(31), 11, "bid", "100.0", "2.0"].join(","),
      [t(20), t(21), 12, "bid", "100.0", "5.0"].join(",")
    ]);
    const r = await reconstructMarket({
      inputs: {book, trades, deltas},
      strategy: "origin_time_sort",
      outDir: join(dir, "o5"),
      tickSize: 0.1,
      lotSize: 0.1
    });
    expect(r.counts.outOfOrder).toBe(1);
  });
});
