import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {EVENT_DELTA, reconstructMarket} from "../../../src/lib/market/replay/reconstruct.js";
import {ASK, BID} from "../../../src/lib/market/book.js";
import {simulatedHistory, topLevels} from "../helpers.js";

describe("order book reconstruction", () => {
  test("with complete deltas, full event replay equals the truth's top-20 book at every event", async () => {
    const sim = await simulatedHistory({seed: 3, seconds: 90});
    const truth = sim.truthBook();
    let checked = 0,
      mismatches = 0,
      known = 0;
    // Depth over 5 levels walked afresh from the live book after every event: the replay keeps it incrementally.
    const walked: number[] = [];
    const result = await reconstructMarket({
      inputs: sim.inputs,
      strategy: "full_event_replay",
      outDir: join(sim.dir, "out"),
      onEvent(view) {
        truth.upTo(view.updateId);
        // Compared over the price range the replay can know (see ReplayView): deeper levels were
        // never in a snapshot or a delta. It must cover most of the top 20.
        if (JSON.stringify(topLevels(view.book, 20, view)) !== JSON.stringify(topLevels(truth.book, 20, view)))
          mismatches++;
        known += topLevels(view.book, 20, view).length;
        walked.push(view.book.depth(BID, 5), view.book.depth(ASK, 5));
        checked++;
      }
    });
    expect(checked).toBe(result.events);
    expect(checked).toBeGreaterThan(20_000);
    expect(mismatches).toBe(0);
    expect(known / checked).toBeGreaterThan(36);
    expect(result.counts).toMatchObject({gaps: 0, missingUpdates: 0, crossedEvents: 0, resyncs: 0, driftMax: 0});
    const [row] = await readParquetAll({
      path: result.path,
      sql: `SELECT count(*)::INT AS n, count(*) FILTER (WHERE event_type = 'BOOK_DELTA')::INT AS deltas, count(*) FILTER (WHERE gap)::INT AS gaps,
      min(spread)::DOUBLE AS min_spread, typeof(any_value(best_bid)) AS price_type, bool_and(mid = (best_bid + best_ask) / 2) AS mid_ok FROM t`
    });
    expect(row).toMatchObject({
      n: result.events,
      deltas: result.counts.deltas,
      gaps: 0,
      price_type: "DECIMAL(18,2)",
      mid_ok: true
    });
    expect(row!.min_spread).toBeGreaterThanOrEqual(0.01);
    expect(EVENT_DELTA).toBe(2);
    const depths = await readParquetAll({
      path: result.path,
      sql: `SELECT round(bid_depth_5 / ${result.lotSize})::DOUBLE AS b, round(ask_depth_5 / ${result.lotSize})::DOUBLE AS a FROM t`
    });
    expect(depths.flatMap((d) => [d.b, d.a])).toEqual(walked);
  }, 60_000);
});
