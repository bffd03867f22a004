import {join} from "node:path";
import {copyQueryToParquet} from "../core/parquet-write.js";
import type {Duck} from "../core/duckdb.js";
import {quoteString} from "../core/sql.js";
import type {MeterConfig} from "./config.js";

/** The silver and gold tables the medallion writes, in order. */
export const MEDALLION_TABLES = [
  "readings",
  "reading_issues",
  "reading_gaps",
  "meter_hourly",
  "meter_daily",
  "segment_daily",
  "transformer_daily"
] as const;

export interface MedallionOptions {
  duck: Duck;
  /** Bronze Parquet file(s): (ingested_at, payload JSON). */
  bronzePath: string;
  fleetPath: string;
  /** The intervals the fleet should have reported: [start, end). */
  start: Date;
  end: Date;
  config: MeterConfig;
  outDir: string;
  /** Gold hours and days are local wall-clock (IST by default). */
  utcOffsetMinutes?: number;
}

const ts = (d: Date) => `${quoteString(d.toISOString().replace("T", " ").replace("Z", ""))}::TIMESTAMP`;

/**
 * Bronze → silver → gold, in SQL. Silver (`readings`): typed, deduplicated on (meter, interval)
 * keeping the first received, validated (ranges, spikes: rejected into `reading_issues`), put on
 * the full interval grid; gaps up to `maxEstimatedGapMinutes` are filled by linear interpolation
 * between the neighbouring readings and flagged ESTIMATED, longer gaps stay missing and are listed
 * in `reading_gaps`. Gold: per meter hourly and daily, per segment and per transformer daily, each
 * with completeness (share of intervals with a valid or estimated reading).
 */
export async function buildMedallion({
  duck,
  bronzePath,
  fleetPath,
  start,
  end,
  config,
  outDir,
  utcOffsetMinutes = 330
}: MedallionOptions): Promise<{name: string; path: string; rows: number}[]> {
  const step = `INTERVAL ${config.intervalMinutes} MINUTE`;
  const maxSpan = config.maxEstimatedGapMinutes + config.intervalMinutes;
  const perDay = (24 * 60) / config.intervalMinutes;
  await duck.run(`
    CREATE OR REPLACE TABLE fleet AS SELECT * FROM read_parquet(${quoteString(fleetPath)});
    CREATE OR REPLACE TABLE parsed AS
      SELECT ingested_at,
             payload->>'meter_id' AS meter_id,
             (payload->>'reading_ts')::TIMESTAMP AS reading_ts,
             (payload->>'usage_kwh')::DOUBLE AS usage_kwh,
             (payload->>'voltage')::DOUBLE AS voltage,
             (payload->>'power_factor')::DOUBLE AS power_factor,
             payload->>'emission_pattern' AS emission_pattern,
             (payload->>'is_outage')::BOOLEAN AS is_outage
      FROM read_parquet(${quoteString(bronzePath)});
    CREATE OR REPLACE TABLE deduped AS
      SELECT * FROM parsed WHERE reading_ts >= ${ts(start)} AND reading_ts < ${ts(end)}
      QUALIFY row_number() OVER (PARTITION BY meter_id, reading_ts ORDER BY ingested_at) = 1;
    CREATE OR REPLACE TABLE medians AS SELECT meter_id, median(usage_kwh) AS med FROM deduped WHERE NOT is_outage GROUP BY meter_id;
    CREATE OR REPLACE TABLE reading_issues AS
      SELECT d.meter_id, d.reading_ts, CASE
               WHEN d.usage_kwh < 0 OR d.usage_kwh > 4 * 3.5 * f.scale_cap THEN 'usage out of range'
               WHEN NOT d.is_outage AND (d.voltage < 80 OR d.voltage > 160) THEN 'voltage out of range'
               WHEN d.power_factor < 0 OR d.power_factor > 1 THEN 'power factor out of range'
               WHEN d.usage_kwh > 12 * m.med AND m.med > 0 THEN 'spike: over 12x the meter''s median'
             END AS issue, d.usage_kwh, d.voltage, d.power_factor
      FROM deduped d JOIN (SELECT meter_id, CASE customer_segment WHEN 'INDUSTRIAL' THEN ${config.segmentScale.INDUSTRIAL} WHEN 'COMMERCIAL' THEN ${config.segmentScale.COMMERCIAL} ELSE ${config.segmentScale.RESIDENTIAL} END * 3 AS scale_cap FROM fleet) f USING (meter_id)
      LEFT JOIN medians m USING (meter_id)
      WHERE issue IS NOT NULL;
    CREATE OR REPLACE TABLE grid AS
      SELECT f.meter_id, f.customer_segment, f.transformer_id, g.range AS reading_ts
      FROM fleet f CROSS JOIN range(${ts(start)}, ${ts(end)}, ${step}) g;
    CREATE OR REPLACE TABLE joined AS
      SELECT g.meter_id, g.customer_segment, g.transformer_id, g.reading_ts, d.usage_kwh, d.voltage, d.power_factor, d.emission_pattern, d.is_outage
      FROM grid g LEFT JOIN (SELECT * FROM deduped ANTI JOIN reading_issues USING (meter_id, reading_ts)) d USING (meter_id, reading_ts);
    CREATE OR REPLACE TABLE neighbours AS
      SELECT *,
        last_value(CASE WHEN usage_kwh IS NOT NULL THEN reading_ts END IGNORE NULLS) OVER w_before AS prev_ts,
        last_value(usage_kwh IGNORE NULLS) OVER w_before AS prev_usage,
        last_value(CASE WHEN NOT is_outage THEN voltage END IGNORE NULLS) OVER w_before AS prev_voltage,
        last_value(power_factor IGNORE NULLS) OVER w_before AS prev_pf,
        first_value(CASE WHEN usage_kwh IS NOT NULL THEN reading_ts END IGNORE NULLS) OVER w_after AS next_ts,
        first_value(usage_kwh IGNORE NULLS) OVER w_after AS next_usage,
        first_value(CASE WHEN NOT is_outage THEN voltage END IGNORE NULLS) OVER w_after AS next_voltage,
        first_value(power_factor IGNORE NULLS) OVER w_after AS next_pf,
        any_value(emission_pattern) OVER (PARTITION BY meter_id) AS pattern
      FROM joined
      WINDOW w_before AS (PARTITION BY meter_id ORDER BY reading_ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
             w_after AS (PARTITION BY meter_id ORDER BY reading_ts ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING);
    CREATE OR REPLACE TABLE readings AS
      SELECT meter_id, reading_ts,
             CASE WHEN usage_kwh IS NOT NULL THEN usage_kwh
                  ELSE round(prev_usage + (next_usage - prev_usage) * (epoch(reading_ts) - epoch(prev_ts)) / (epoch(next_ts) - epoch(prev_ts)), 3) END AS usage_kwh,
             -- Voltage is interpolated between the nearest live readings (an outage's 0 V is no neighbour).
             CASE WHEN usage_kwh IS NOT NULL THEN voltage ELSE round((prev_voltage + next_voltage) / 2, 1) END AS voltage,
             CASE WHEN usage_kwh IS NOT NULL THEN power_factor ELSE round(prev_pf + (next_pf - prev_pf) * (epoch(reading_ts) - epoch(prev_ts)) / (epoch(next_ts) - epoch(prev_ts)), 3) END AS power_factor,
             customer_segment, coalesce(emission_pattern, pattern) AS emission_pattern,
             CASE WHEN usage_kwh IS NULL THEN 'ESTIMATED' WHEN is_outage THEN 'OUTAGE' ELSE 'VALID' END AS data_quality,
             coalesce(is_outage, false) AS is_outage
      FROM neighbours
      WHERE usage_kwh IS NOT NULL OR (prev_ts IS NOT NULL AND next_ts IS NOT NULL AND next_ts - prev_ts <= INTERVAL ${maxSpan} MINUTE);
    CREATE OR REPLACE TABLE reading_gaps AS
      SELECT meter_id, min(reading_ts) AS gap_start, max(reading_ts) + ${step} AS gap_end, count(*) AS intervals,
             bool_and(prev_ts IS NOT NULL AND next_ts IS NOT NULL AND next_ts - prev_ts <= INTERVAL ${maxSpan} MINUTE) AS estimated
      FROM neighbours WHERE usage_kwh IS NULL
      GROUP BY meter_id, prev_ts;
    CREATE OR REPLACE TABLE meter_hourly AS
      SELECT meter_id, date_trunc('hour', reading_ts + INTERVAL ${utcOffsetMinutes} MINUTE) AS hour, sum(usage_kwh) AS usage_kwh, count(*) AS readings,
             count(*) FILTER (WHERE data_quality = 'ESTIMATED') AS estimated, count(*) / ${60 / config.intervalMinutes} AS completeness
      FROM readings GROUP BY ALL;
    CREATE OR REPLACE TABLE meter_daily AS
      SELECT meter_id, (reading_ts + INTERVAL ${utcOffsetMinutes} MINUTE)::DATE AS day, sum(usage_kwh) AS usage_kwh, max(usage_kwh) AS peak_interval_kwh,
             avg(voltage) FILTER (WHERE NOT is_outage) AS avg_voltage, min(voltage) FILTER (WHERE NOT is_outage) AS min_voltage,
             count(*) FILTER (WHERE is_outage) * ${config.intervalMinutes} AS outage_minutes, count(*) / ${perDay} AS completeness
      FROM readings GROUP BY ALL;
    CREATE OR REPLACE TABLE segment_daily AS
      SELECT f.customer_segment, md.day, count(*) AS meters, sum(md.usage_kwh) AS usage_kwh, avg(md.usage_kwh) AS usage_per_meter_kwh, avg(md.completeness) AS completeness
      FROM meter_daily md JOIN fleet f USING (meter_id) GROUP BY ALL;
    CREATE OR REPLACE TABLE transformer_daily AS
      SELECT f.transformer_id, md.day, count(*) AS meters, sum(md.usage_kwh) AS usage_kwh, max(md.outage_minutes) AS outage_minutes, avg(md.completeness) AS completeness
      FROM meter_daily md JOIN fleet f USING (meter_id) GROUP BY ALL;
  `);
  const written = [];
  for (const name of MEDALLION_TABLES) {
    const path = join(outDir, `${name}.parquet`);
    const order = name === "readings" ? " ORDER BY meter_id, reading_ts" : "";
    written.push({name, path, rows: await copyQueryToParquet({duck, sql: `SELECT * FROM ${name}${order}`, path})});
  }
  return written;
}
