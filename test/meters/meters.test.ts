import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {createRng} from "../../src/lib/core/random.js";
import {emissionPatterns, utilityProfiles, type EmissionPattern} from "../../src/lib/meters/config.js";
import {generateFleet} from "../../src/lib/meters/fleet.js";
import {loadShape} from "../../src/lib/meters/readings.js";
import {runMeters} from "../../src/lib/meters/pipeline.js";

describe("fleet", () => {
  test("10,000 meters follow the utility mix within 1%, with ids and a hierarchy", () => {
    for (const [name, mix] of Object.entries(utilityProfiles)) {
      const fleet = generateFleet({rng: createRng(name), meters: 10_000, mix});
      for (const [segment, share] of Object.entries(mix))
        expect(
          Math.abs([...fleet].filter((m) => m.customer_segment === segment).length / 10_000 - share)
        ).toBeLessThanOrEqual(0.01);
      expect(fleet.at(122).meter_id).toBe("MTR-PUN-000123");
      // Transformers never mix segments, and industrial customers have their own.
      const bySegment = new Map<string, Set<string>>();
      for (const m of fleet)
        bySegment.set(m.transformer_id, (bySegment.get(m.transformer_id) ?? new Set()).add(m.customer_segment));
      expect([...bySegment.values()].every((s) => s.size === 1)).toBe(true);
      const industrialTx = [...fleet].filter((m) => m.customer_segment === "INDUSTRIAL").map((m) => m.transformer_id);
      expect(new Set(industrialTx).size).toBe(industrialTx.length);
    }
  });

  test("the daily shapes sit in the reference bands", () => {
    const mean = (from: number, to: number) => {
      const xs = Array.from({length: (to - from) * 4}, (_, i) => loadShape("RESIDENTIAL", from + i / 4));
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean(14, 19)).toBeGreaterThan(1.5);
    expect(mean(14, 19)).toBeLessThan(3.5);
    expect(mean(6, 9)).toBeGreaterThan(1.0);
    expect(mean(6, 9)).toBeLessThan(2.5);
    expect(mean(0, 5)).toBeGreaterThan(0.3);
    expect(mean(0, 5)).toBeLessThan(1.5);
  });
});

describe("medallion", () => {
  const runs = new Map<EmissionPattern, string>();
  beforeAll(async () => {
    for (const pattern of ["UNIFORM", "PARTIAL", "DEGRADED"] as EmissionPattern[]) {
      const out = mkdtempSync(join(tmpdir(), `meters-${pattern}-`));
      await runMeters({outDir: out, seed: 7, meters: 1000, days: 3, pattern});
      runs.set(pattern, out);
    }
  }, 120_000);

  test("each pattern reports at its target rate within 0.5%", async () => {
    for (const [pattern, out] of runs) {
      const [row] = await readParquetAll({
        path: join(out, "readings_bronze.parquet"),
        sql: "SELECT count(DISTINCT (payload->>'meter_id') || (payload->>'reading_ts'))::INT AS n FROM t"
      });
      const rate = Number(row!.n) / (1000 * 3 * 96);
      expect(Math.abs(rate - emissionPatterns[pattern].reportRate), pattern).toBeLessThanOrEqual(0.005);
    }
  });

  test("bronze keeps duplicates and late arrivals; silver has exactly one row per meter and interval", async () => {
    const out = runs.get("PARTIAL")!;
    const [bronze] = await readParquetAll({
      path: join(out, "readings_bronze.parquet"),
      sql: "SELECT count(*)::INT AS deliveries, count(DISTINCT payload->>'meter_id' || (payload->>'reading_ts'))::INT AS readings, count(*) FILTER (WHERE ingested_at > (payload->>'reading_ts')::TIMESTAMP + INTERVAL 1 HOUR)::INT AS late FROM t"
    });
    expect(bronze!.deliveries).toBeGreaterThan(bronze!.readings as number);
    expect(bronze!.late).toBeGreaterThan(0);
    const [silver] = await readParquetAll({
      path: join(out, "readings.parquet"),
      sql: "SELECT count(*)::INT AS n, count(DISTINCT (meter_id, reading_ts))::INT AS distinct_n FROM t"
    });
    expect(silver!.n).toBe(silver!.distinct_n);
  });

  test("every ESTIMATED value lies between its neighbours, and gaps over an hour stay missing", async () => {
    const out = runs.get("DEGRADED")!;
    const [check] = await readParquetAll({
      path: join(out, "readings.parquet"),
      sql: `WITH ordered AS (
              SELECT *, last_value(CASE WHEN data_quality <> 'ESTIMATED' THEN usage_kwh END IGNORE NULLS) OVER (PARTITION BY meter_id ORDER BY reading_ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before,
                        first_value(CASE WHEN data_quality <> 'ESTIMATED' THEN usage_kwh END IGNORE NULLS) OVER (PARTITION BY meter_id ORDER BY reading_ts ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS after
              FROM t)
            SELECT count(*)::INT AS estimated,
                   count(*) FILTER (WHERE usage_kwh < least(before, after) - 0.001 OR usage_kwh > greatest(before, after) + 0.001)::INT AS outside
            FROM ordered WHERE data_quality = 'ESTIMATED'`
    });
    expect(check!.estimated).toBeGreaterThan(1000);
    expect(check!.outside).toBe(0);
    const [gaps] = await readParquetAll({
      path: join(out, "reading_gaps.parquet"),
      sql: "SELECT count(*) FILTER (WHERE estimated AND intervals > 4)::INT AS long_estimated, count(*) FILTER (WHERE NOT estimated)::INT AS left_missing FROM t"
    });
    expect(gaps!.long_estimated).toBe(0);
    expect(gaps!.left_missing).toBeGreaterThan(0);
  });

  test("gold: daily completeness and voltage in ANSI Range A most of the time; outages take out transformers", async () => {
    const out = runs.get("UNIFORM")!;
    const [daily] = await readParquetAll({
      path: join(out, "meter_daily.parquet"),
      sql: "SELECT count(*)::INT AS n, min(completeness) AS min_c, max(completeness) AS max_c FROM t"
    });
    expect(daily).toMatchObject({n: 3000, max_c: 1});
    const [volts] = await readParquetAll({
      path: join(out, "readings.parquet"),
      sql: "SELECT avg(CASE WHEN voltage BETWEEN 114 AND 126 THEN 1 ELSE 0 END) FILTER (WHERE NOT is_outage) AS in_range FROM t"
    });
    expect(volts!.in_range as number).toBeGreaterThan(0.95);
    const {openDuckDB} = await import("../../src/lib/core/duckdb.js");
    const duck = await openDuckDB();
    const [outage] = await duck.all<{events: bigint; partial: bigint}>(`
      SELECT count(*) AS events, count(*) FILTER (WHERE out_meters < meters) AS partial FROM (
        SELECT f.transformer_id, r.reading_ts, count(*) FILTER (WHERE r.is_outage) AS out_meters, count(*) AS meters
        FROM '${join(out, "readings.parquet")}' r JOIN '${join(out, "fleet.parquet")}' f USING (meter_id)
        GROUP BY ALL HAVING out_meters > 0)`);
    duck.close();
    // Outages happen, and each takes out every meter on its transformer.
    expect(Number(outage!.events)).toBeGreaterThan(0);
    expect(Number(outage!.partial)).toBe(0);
  });

  test("deterministic for a seed", async () => {
    const out = mkdtempSync(join(tmpdir(), "meters-again-"));
    await runMeters({outDir: out, seed: 7, meters: 1000, days: 3, pattern: "PARTIAL"});
    const sql = "SELECT sum(usage_kwh)::DECIMAL(18,3) AS s, count(*)::INT AS n FROM t";
    expect(await readParquetAll({path: join(out, "readings.parquet"), sql})).toEqual(
      await readParquetAll({path: join(runs.get("PARTIAL")!, "readings.parquet"), sql})
    );
  }, 60_000);
});

describe("columnar fast path", () => {
  test("parts written by the writer threads hold exactly the generated readings", async () => {
    const {writeReadingsColumnar} = await import("../../src/lib/meters/columnar-writer.js");
    const {generateIntervals} = await import("../../src/lib/meters/readings.js");
    const {defaultMeterConfig} = await import("../../src/lib/meters/config.js");
    const fleet = generateFleet({rng: createRng(4), meters: 300, mix: utilityProfiles.default!});
    const start = new Date("2024-06-02T18:30:00Z");
    const out = mkdtempSync(join(tmpdir(), "meters-columnar-"));
    const {parts, rows} = await writeReadingsColumnar({
      rng: createRng(9),
      fleet,
      start,
      days: 2,
      config: defaultMeterConfig,
      outDir: out,
      rowsPerPart: 10_000
    });
    expect(rows).toBe(300 * 192);
    expect(parts.length).toBe(Math.ceil(192 / Math.floor(10_000 / 300)));
    let usage = 0,
      outages = 0;
    for (const iv of generateIntervals({rng: createRng(9), fleet, start, days: 2, config: defaultMeterConfig})) {
      for (let i = 0; i < iv.usage.length; i++) ((usage += iv.usage[i]!), (outages += iv.outage[i]!));
    }
    const [check] = await readParquetAll({
      path: parts,
      sql: "SELECT count(*)::INT AS n, count(DISTINCT (meter_id, reading_ts))::INT AS d, sum(usage_kwh) AS usage, count(*) FILTER (WHERE is_outage)::INT AS outages, min(reading_ts) AS first FROM t"
    });
    expect(check).toMatchObject({n: rows, d: rows, outages, first: start});
    expect(check!.usage as number).toBeCloseTo(usage, 6);
  });
});
