import {existsSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {writeParquet} from "../../src/lib/core/parquet-write.js";
import {parseFeedStart} from "../../src/lib/meters/feed-server.js";
import {BRONZE_COLUMNS} from "../../src/lib/meters/land.js";
import {LagHistogram, openPromoter, type PromoteStep} from "../../src/lib/meters/promote.js";
import {readWatermark} from "../../src/lib/meters/promote-state.js";

const T0 = Date.parse("2024-06-02T18:30:00Z"); // 00:00 on 3 June in IST, the gold's local time
const at = (k: number) => new Date(T0 + k * 900_000).toISOString();

interface Delivery {
  meter: string;
  k: number;
  usage: number;
  voltage?: number;
}

const reading = ({meter, k, usage, voltage = 120}: Delivery) =>
  JSON.stringify({
    meter_id: meter,
    reading_ts: at(k),
    usage_kwh: usage,
    voltage,
    power_factor: 0.95,
    customer_segment: "RESIDENTIAL",
    emission_pattern: "UNIFORM",
    is_outage: false
  });

/** A bronze part of offsets [from, from + deliveries.length), as the lander writes it. */
async function part(dir: string, from: number, deliveries: Delivery[], landedMs = Date.now()) {
  const to = from + deliveries.length;
  await writeParquet({
    path: join(dir, "bronze", `part-${String(from).padStart(12, "0")}-${String(to).padStart(12, "0")}.parquet`),
    columns: BRONZE_COLUMNS,
    rows: deliveries.map((d, i) => ({
      ingested_at: new Date(landedMs),
      feed_offset: from + i,
      generated_at: new Date(landedMs - 50),
      payload: reading(d)
    }))
  });
}

const checkpoint = (dir: string, offset: number) =>
  writeFileSync(join(dir, "_checkpoint.json"), JSON.stringify({offset}));

const BATCH_1: Delivery[] = [
  ...[1.0, 1.1, 1.2, 1.3].map((usage, k) => ({meter: "M1", k, usage})),
  ...[2.0, 2.1, 2.2, 2.3].map((usage, k) => ({meter: "M2", k, usage})),
  {meter: "M1", k: 3, usage: 9.9}, // re-sent in the same batch: the first delivery wins
  {meter: "M3", k: 0, usage: 0.4, voltage: 300} // rejected: voltage out of range
];
const BATCH_2: Delivery[] = [
  {meter: "M1", k: 3, usage: 7.7}, // re-sent after batch 1 promoted it
  {meter: "M1", k: 4, usage: 1.4},
  {meter: "M2", k: 4, usage: -1}, // rejected: usage out of range
  {meter: "M3", k: 0, usage: 0.4, voltage: 300}, // re-sent reject: already in reading_issues
  {meter: "M3", k: 1, usage: 0.5}, // lands in hour 00, which batch 1 already rolled up
  {meter: "M2", k: 5, usage: 2.5}
];

/** Two batches in `dir`: batch 2's first four offsets also sit in a part a killed lander wrote. */
async function twoBatches(dir: string) {
  await part(dir, 0, BATCH_1);
  checkpoint(dir, 10);
  return async () => {
    await part(dir, 10, BATCH_2.slice(0, 4), Date.now() - 1000);
    await part(dir, 10, BATCH_2);
    checkpoint(dir, 16);
  };
}

async function tables(dir: string) {
  const duck = await openDuckDB();
  const q = (sql: string) => duck.all(sql);
  try {
    return {
      silver: await q(
        `SELECT meter_id, strftime(reading_ts, '%H:%M') AS t, usage_kwh, batch FROM read_parquet('${dir}/silver/readings/*.parquet') ORDER BY ALL`
      ),
      issues: await q(
        `SELECT meter_id, strftime(reading_ts, '%H:%M') AS t, issue, batch FROM read_parquet('${dir}/silver/reading_issues/*.parquet') ORDER BY ALL`
      ),
      hourly: await q(
        `SELECT meter_id, strftime(hour, '%H') AS h, round(usage_kwh, 6) AS kwh, readings FROM read_parquet('${dir}/gold/meter_hourly/*.parquet') ORDER BY ALL`
      ),
      daily: await q(
        `SELECT meter_id, strftime(day, '%Y-%m-%d') AS day, round(usage_kwh, 6) AS kwh, readings, peak_interval_kwh FROM read_parquet('${dir}/gold/meter_daily/*.parquet') ORDER BY ALL`
      ),
      segments: await q(
        `SELECT customer_segment, meters, round(usage_kwh, 6) AS kwh FROM read_parquet('${dir}/gold/segment_daily/*.parquet')`
      )
    };
  } finally {
    duck.close();
  }
}

describe("streaming promotion", () => {
  test("silver keeps the first delivery of each reading across batches, rejects with reasons, and gold recomputes the touched hours", async () => {
    const dir = mkdtempSync(join(tmpdir(), "promote-"));
    const second = await twoBatches(dir);
    const promoter = await openPromoter({outDir: dir});
    try {
      const first = await promoter.promoteOnce();
      expect(first).toMatchObject({batch: 1, from: 0, to: 10, silver: 8, issues: 1, goldHours: 1, redone: false});
      expect(await promoter.promoteOnce()).toBeUndefined();
      await second();
      const next = await promoter.promoteOnce();
      expect(next).toMatchObject({batch: 2, from: 10, to: 16, parts: 2, silver: 3, issues: 1, goldHours: 2});
      expect(next!.lags.reduce((n, l) => n + l.n, 0)).toBe(3);
    } finally {
      promoter.close();
    }
    expect(readWatermark(dir)).toMatchObject({batch: 2, offset: 16});
    const t = await tables(dir);
    expect(t.silver).toHaveLength(11);
    expect(t.silver.filter((r) => r.meter_id === "M1" && r.t === "19:15")).toEqual([
      {meter_id: "M1", t: "19:15", usage_kwh: 1.3, batch: 1}
    ]);
    expect(t.issues).toEqual([
      {meter_id: "M2", t: "19:30", issue: "usage out of range", batch: 2},
      {meter_id: "M3", t: "18:30", issue: "voltage out of range", batch: 1}
    ]);
    expect(t.hourly).toEqual([
      {meter_id: "M1", h: "00", kwh: 4.6, readings: 4n},
      {meter_id: "M1", h: "01", kwh: 1.4, readings: 1n},
      {meter_id: "M2", h: "00", kwh: 8.6, readings: 4n},
      {meter_id: "M2", h: "01", kwh: 2.5, readings: 1n},
      {meter_id: "M3", h: "00", kwh: 0.5, readings: 1n}
    ]);
    expect(t.daily).toEqual([
      {meter_id: "M1", day: "2024-06-03", kwh: 6, readings: 5n, peak_interval_kwh: 1.4},
      {meter_id: "M2", day: "2024-06-03", kwh: 11.1, readings: 5n, peak_interval_kwh: 2.5},
      {meter_id: "M3", day: "2024-06-03", kwh: 0.5, readings: 1n, peak_interval_kwh: 0.5}
    ]);
    expect(t.segments).toEqual([{customer_segment: "RESIDENTIAL", meters: 3n, kwh: 17.6}]);
  });

  test.each<PromoteStep>(["planned", "mid-outputs", "outputs-placed"])(
    "a batch stopped at %s is redone after a restart, with the same silver and gold as an uninterrupted run",
    async (step) => {
      const clean = mkdtempSync(join(tmpdir(), "promote-clean-"));
      const second = await twoBatches(clean);
      const reference = await openPromoter({outDir: clean});
      await reference.promoteOnce();
      await second();
      await reference.promoteOnce();
      reference.close();

      const dir = mkdtempSync(join(tmpdir(), `promote-${step}-`));
      const secondAgain = await twoBatches(dir);
      const crashing = await openPromoter({
        outDir: dir,
        onStep: (at, batch) => {
          if (at === step && batch === 2) throw new Error("killed");
        }
      });
      await crashing.promoteOnce();
      await secondAgain();
      await expect(crashing.promoteOnce()).rejects.toThrow("killed");
      crashing.close();
      expect(readWatermark(dir)).toMatchObject({batch: 1, offset: 10});
      // More landed while it was down: the redo still promotes exactly its planned offsets.
      await part(dir, 16, [{meter: "M1", k: 5, usage: 1.5}]);
      checkpoint(dir, 17);
      const restarted = await openPromoter({outDir: dir});
      const redo = await restarted.promoteOnce();
      expect(redo).toMatchObject({batch: 2, from: 10, to: 16, silver: 3, issues: 1, redone: true});
      expect(await tables(dir)).toEqual(await tables(clean));
      expect(await restarted.promoteOnce()).toMatchObject({batch: 3, from: 16, to: 17, silver: 1, redone: false});
      restarted.close();
    }
  );

  test("a batch takes at most maxBatchReadings offsets and says when more are waiting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "promote-cap-"));
    await twoBatches(dir);
    const promoter = await openPromoter({outDir: dir, maxBatchReadings: 6});
    try {
      expect(await promoter.promoteOnce()).toMatchObject({batch: 1, from: 0, to: 6, behind: true, silver: 6});
      expect(await promoter.promoteOnce()).toMatchObject({
        batch: 2,
        from: 6,
        to: 10,
        behind: false,
        silver: 2,
        issues: 1
      });
    } finally {
      promoter.close();
    }
  });

  test("a restart removes the temporary outputs a killed batch left", async () => {
    const dir = mkdtempSync(join(tmpdir(), "promote-temps-"));
    await twoBatches(dir);
    const promoter = await openPromoter({outDir: dir});
    await promoter.promoteOnce();
    promoter.close();
    const stale = join(dir, "gold", "meter_daily", ".day=2024-06-03.parquet.tmp-123-abcdef12");
    writeFileSync(stale, "half a file");
    (await openPromoter({outDir: dir})).close();
    expect(existsSync(stale)).toBe(false);
  });

  test("the silver lag histogram gives weighted percentiles in seconds", () => {
    const lag = new LagHistogram();
    lag.add([
      {ms: 1000, n: 98},
      {ms: 30_000, n: 1},
      {ms: 59_990, n: 1}
    ]);
    expect(lag.total).toBe(100);
    expect(lag.percentileSeconds(50)).toBe(1);
    expect(lag.percentileSeconds(99)).toBe(30);
    expect(lag.percentileSeconds(100)).toBe(59.99);
  });

  test("--start now begins at the current interval; ISO times are kept; anything else is refused", () => {
    const now = Date.parse("2026-12-06T14:37:12Z");
    expect(parseFeedStart({text: "now", now})?.toISOString()).toBe("2026-12-06T14:30:00.000Z");
    expect(parseFeedStart({text: "2025-01-01T00:00:00Z"})?.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(parseFeedStart({text: "yesterday"})).toBeUndefined();
  });
});
