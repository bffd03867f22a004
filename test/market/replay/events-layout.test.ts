import {openSync, readdirSync, writeSync, closeSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../../src/lib/core/duckdb.js";
import {marketTables} from "../../../src/lib/market/tables.js";
import {eventColumns} from "../../../src/lib/market/replay/event-columns.js";
import {reconstructMarket, StoppedForTest} from "../../../src/lib/market/replay/reconstruct.js";
import {fingerprint, simulatedHistory} from "../helpers.js";

/** 2024-03-01T00:00:00Z in ns. */
const MARCH_1 = 1709251200000000000n;

/** The simulated history moved `seconds` earlier, so that it straddles midnight before 2024-03-01. */
async function acrossMidnight(seconds: number) {
  const sim = await simulatedHistory({seed: 11, seconds: 90});
  const duck = await openDuckDB();
  const inputs: Record<string, string> = {};
  for (const [name, path] of Object.entries(sim.inputs)) {
    inputs[name] = join(sim.dir, `${name}-moved.parquet`);
    await duck.run(
      `COPY (SELECT * REPLACE (origin_time - INTERVAL ${seconds} SECOND AS origin_time, received_time - INTERVAL ${seconds} SECOND AS received_time) FROM read_parquet('${path}')) TO '${inputs[name]}' (FORMAT parquet)`
    );
  }
  duck.close();
  return {sim, inputs: inputs as {trades: string; book: string; deltas: string}};
}

describe("market_events layout", () => {
  test("the fast writer's columns are tables.ts's declaration, then dataset", () => {
    const declared = marketTables.find((t) => t.name === "market_events")!.columns.map((c) => c.name);
    const written = eventColumns({
      base: 0n,
      tickSize: 0.01,
      lotSize: 0.0001,
      priceScale: 2,
      quantityScale: 4,
      symbol: "X",
      dataset: "d"
    }).map((c) => c.name);
    expect(written).toEqual([...declared, "dataset"]);
  });

  test("partitioned by symbol and day, with received_time, trade_id and symbol; a resume across midnight gives the clean rows", async () => {
    const {sim, inputs} = await acrossMidnight(45);
    const options = {
      inputs,
      strategy: "full_event_replay" as const,
      symbol: "BTCUSDT",
      dataset: "moved",
      segmentEvents: 4000
    };
    const clean = await reconstructMarket({...options, outDir: join(sim.dir, "clean")});
    const files = readdirSync(join(sim.dir, "clean", "market_events"), {recursive: true, encoding: "utf-8"})
      .filter((f) => f.endsWith(".parquet"))
      .sort();
    expect(files).toEqual([
      join("symbol=BTCUSDT", "day=2024-02-29", "part-0.parquet"),
      join("symbol=BTCUSDT", "day=2024-03-01", "part-0.parquet")
    ]);
    const duck = await openDuckDB();
    const [days] = await duck.all<{before: bigint; after: bigint; late: bigint; n: bigint}>(
      `SELECT count(*) FILTER (WHERE day = DATE '2024-02-29') AS before, count(*) FILTER (WHERE day = DATE '2024-03-01') AS after,
              count(*) FILTER (WHERE day = DATE '2024-02-29' AND event_ts_ns >= ${MARCH_1}) AS late, count(*) AS n
       FROM read_parquet('${clean.path}')`
    );
    expect(Number(days!.n)).toBe(clean.events);
    expect(Number(days!.before)).toBeGreaterThan(1000);
    expect(Number(days!.after)).toBeGreaterThan(1000);
    // A file never holds a row past its day's end.
    expect(Number(days!.late)).toBe(0);
    // The new columns: the inputs' received_time, trade ids on trades only, the symbol and dataset.
    const [check] = await duck.all<Record<string, bigint | string>>(
      `WITH e AS (SELECT * FROM read_parquet('${clean.path}')),
            t AS (SELECT trade_id, epoch_ns(received_time) AS r FROM read_parquet('${inputs.trades}'))
       SELECT count(*) FILTER (WHERE event_type = 'TRADE' AND trade_id IS NULL) AS trades_without_id,
              count(*) FILTER (WHERE event_type <> 'TRADE' AND trade_id IS NOT NULL) AS others_with_id,
              count(*) FILTER (WHERE received_time IS NULL) AS no_received,
              (SELECT count(*) FROM e JOIN t USING (trade_id) WHERE e.received_time <> t.r) AS received_differs,
              (SELECT count(*) FROM e JOIN t USING (trade_id)) AS joined,
              string_agg(DISTINCT symbol) AS symbols, string_agg(DISTINCT dataset) AS datasets
       FROM e`
    );
    expect(check).toMatchObject({
      trades_without_id: 0n,
      others_with_id: 0n,
      no_received: 0n,
      received_differs: 0n,
      symbols: "BTCUSDT",
      datasets: "moved"
    });
    expect(Number(check!.joined)).toBe(clean.counts.trades);
    duck.close();

    // Killed after a segment past midnight: the first day's file is finished, the second's partial.
    const out = join(sim.dir, "killed");
    const segmentOfMidnight = Math.ceil(Number(days!.before) / options.segmentEvents) + 1;
    await expect(
      reconstructMarket({...options, outDir: out, stopAfterSegments: segmentOfMidnight})
    ).rejects.toBeInstanceOf(StoppedForTest);
    const resumed = await reconstructMarket({...options, outDir: out, resume: true});
    expect(await fingerprint(resumed.path)).toEqual(await fingerprint(clean.path));
  }, 120_000);

  test("row-group statistics let DuckDB skip every row group outside a time window", async () => {
    const sim = await simulatedHistory({seed: 12, seconds: 120});
    const r = await reconstructMarket({
      inputs: sim.inputs,
      strategy: "full_event_replay",
      outDir: join(sim.dir, "out"),
      symbol: "BTCUSDT",
      segmentEvents: 5000
    });
    const duck = await openDuckDB();
    const groups = await duck.all<{file: string; g: bigint; lo: string; hi: string}>(
      `SELECT file_name AS file, row_group_id AS g, stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata('${r.path}') WHERE path_in_schema = 'event_ts_ns' ORDER BY g`
    );
    expect(groups.length).toBeGreaterThan(8);
    // A window of the middle row groups' times.
    const lo = BigInt(groups[4]!.lo),
      hi = BigInt(groups[5]!.hi);
    const window = `SELECT count(*) AS n, sum(best_bid)::VARCHAR AS bids, sum(trade_id)::VARCHAR AS ids FROM read_parquet('${r.path}') WHERE event_ts_ns BETWEEN ${lo} AND ${hi}`;
    const [expected] = await duck.all(window);
    // Every byte of the row groups outside it overwritten: a reader that opened one would fail.
    const chunks = await duck.all<{file: string; g: bigint; at: bigint; size: bigint}>(
      `SELECT file_name AS file, row_group_id AS g, coalesce(dictionary_page_offset, data_page_offset) AS at, total_compressed_size AS size FROM parquet_metadata('${r.path}')`
    );
    const outside = new Set(groups.filter((g) => BigInt(g.hi) < lo || BigInt(g.lo) > hi).map((g) => g.g));
    // (Row groups next to the window may overlap it by the inputs' disorder: those are read.)
    expect(outside.size).toBeGreaterThanOrEqual(groups.length - 4);
    for (const c of chunks) {
      if (!outside.has(c.g)) continue;
      const fd = openSync(c.file, "r+");
      writeSync(fd, Buffer.alloc(Number(c.size), 0xff), 0, Number(c.size), Number(c.at));
      closeSync(fd);
    }
    duck.close();
    const fresh = await openDuckDB();
    expect(await fresh.all(window)).toEqual([expected]);
    expect(Number((expected as {n: bigint}).n)).toBeGreaterThan(5000);
    await expect(fresh.all(`SELECT sum(best_bid) FROM read_parquet('${r.path}')`)).rejects.toThrow();
    fresh.close();
  }, 60_000);
});
