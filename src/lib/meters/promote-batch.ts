import {existsSync, mkdirSync, readdirSync, renameSync} from "node:fs";
import {join} from "node:path";
import {tempPathFor} from "../core/atomic-file.js";
import type {Duck} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {quoteList, quoteString} from "../core/sql.js";
import {defaultMeterConfig, type MeterConfig} from "./config.js";
import type {BatchManifest} from "./promote-state.js";

/** Streaming silver tables (one file per batch) and gold tables (one file per local day, rewritten). */
export const STREAM_SILVER_TABLES = ["readings", "reading_issues"] as const;
export const STREAM_GOLD_TABLES = ["meter_hourly", "meter_daily", "segment_daily"] as const;

/** One output of a batch: written at `temp`, to be renamed to `path`. */
export interface BatchOutput {
  path: string;
  temp: string;
  rows: number;
}

export interface BatchBuild {
  silver: number;
  issues: number;
  /** Local hours and days whose gold this batch recomputed. */
  goldHours: number;
  goldDays: string[];
  /** Silver readings per feed send time (ms since 1970): the lag figures come from these once committed. */
  generated: {ms: number; n: number}[];
  outputs: BatchOutput[];
}

/** The reading as the feed sends it, for json_transform (the time is cast separately, leniently). */
const READING_SHAPE = JSON.stringify({
  meter_id: "VARCHAR",
  reading_ts: "VARCHAR",
  usage_kwh: "DOUBLE",
  voltage: "DOUBLE",
  power_factor: "DOUBLE",
  customer_segment: "VARCHAR",
  emission_pattern: "VARCHAR",
  is_outage: "BOOLEAN"
});

const partRange = (name: string) => {
  const [, from, to] = /^part-(\d+)-(\d+)\.parquet$/.exec(name) ?? [];
  return {from: Number(from), to: Number(to)};
};

const batchFile = (batch: number) => `batch-${String(batch).padStart(8, "0")}.parquet`;
export const silverDir = (outDir: string, table: (typeof STREAM_SILVER_TABLES)[number]) =>
  join(outDir, "silver", table);
export const goldDir = (outDir: string, table: (typeof STREAM_GOLD_TABLES)[number]) => join(outDir, "gold", table);

/** Silver files of batches 1…upTo (inclusive), in batch order. */
export function silverFiles({
  outDir,
  table,
  upTo
}: {
  outDir: string;
  table: (typeof STREAM_SILVER_TABLES)[number];
  upTo: number;
}): string[] {
  const dir = silverDir(outDir, table);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^batch-\d{8}\.parquet$/.test(name) && Number(name.slice(6, 14)) <= upTo)
    .sort()
    .map((name) => join(dir, name));
}

const ts = (ms: number) => `${quoteString(new Date(ms).toISOString().replace("T", " ").replace("Z", ""))}::TIMESTAMP`;

/**
 * Builds batch N's outputs at temporary paths (nothing visible changes): silver is the batch's
 * bronze rows, one per feed offset, typed, deduplicated on (meter, interval) against this batch
 * and every earlier one (the first delivery wins, so the result does not depend on where batches
 * were cut), and validated, rejects going to `reading_issues` with the reason. Gold is recomputed
 * from all silver for the local hours and days the batch touched, so redoing a batch whose gold
 * was already renamed into place writes the same files again.
 */
export async function buildBatch({
  duck,
  outDir,
  manifest,
  config = defaultMeterConfig,
  utcOffsetMinutes = 330
}: {
  duck: Duck;
  outDir: string;
  manifest: BatchManifest;
  config?: MeterConfig;
  utcOffsetMinutes?: number;
}): Promise<BatchBuild> {
  const parts = manifest.parts.map((name) => join(outDir, "bronze", name));
  const missing = parts.find((p) => !existsSync(p));
  if (missing)
    throw new LabError({
      file: missing,
      reason: `bronze part of batch ${manifest.batch} is missing (offsets ${manifest.from}–${manifest.to})`,
      hint: "bronze parts are the promotion's input: restore the part, or start a fresh --out DIR"
    });
  const scale = config.segmentScale;
  const local = `(reading_ts + INTERVAL ${utcOffsetMinutes} MINUTE)`;
  // A part re-landed after a crash repeats offsets: then each offset counts once (the first landed).
  let reach = -1;
  const overlapping = manifest.parts.some((name) => {
    const {from, to} = partRange(name);
    const overlaps = from < reach;
    reach = Math.max(reach, to);
    return overlaps;
  });
  await duck.run(`
    CREATE OR REPLACE TEMP TABLE batch_parsed AS
      SELECT feed_offset, landed_at, generated_at, r.meter_id, TRY_CAST(r.reading_ts AS TIMESTAMP) AS reading_ts,
             r.usage_kwh, r.voltage, r.power_factor, r.customer_segment, r.emission_pattern, coalesce(r.is_outage, false) AS is_outage
      FROM (
        -- One JSON parse per reading (json_transform), not one per field.
        SELECT feed_offset, ingested_at AS landed_at, generated_at, json_transform(payload, '${READING_SHAPE}') AS r
        FROM read_parquet(${quoteList(parts)})
        WHERE feed_offset >= ${manifest.from} AND feed_offset < ${manifest.to}
        ${overlapping ? "QUALIFY row_number() OVER (PARTITION BY feed_offset ORDER BY ingested_at) = 1" : ""}
      );
    -- The first delivery of a reading wins. Re-sends are rare, so find them by a hash aggregate
    -- and drop the later copies, rather than sort every reading in a window.
    CREATE OR REPLACE TEMP TABLE batch_first AS
      SELECT * FROM batch_parsed b
      ANTI JOIN (SELECT meter_id, reading_ts, min(feed_offset) AS first FROM batch_parsed GROUP BY ALL HAVING count(*) > 1) d
        ON b.meter_id IS NOT DISTINCT FROM d.meter_id AND b.reading_ts IS NOT DISTINCT FROM d.reading_ts AND b.feed_offset > d.first;
  `);
  const span = await duck.one<{lo: Date | null; hi: Date | null}>(
    "SELECT min(reading_ts) AS lo, max(reading_ts) AS hi FROM batch_first"
  );
  const prior = [
    ...silverFiles({outDir, table: "readings", upTo: manifest.batch - 1}),
    ...silverFiles({outDir, table: "reading_issues", upTo: manifest.batch - 1})
  ];
  // Readings already promoted by an earlier batch (re-sent by the meter) are not new.
  const seen =
    prior.length && span.lo && span.hi
      ? `ANTI JOIN (SELECT meter_id, reading_ts FROM read_parquet(${quoteList(prior)}, union_by_name = true)
                    WHERE reading_ts BETWEEN ${ts(span.lo.getTime())} AND ${ts(span.hi.getTime())}) p USING (meter_id, reading_ts)`
      : "";
  await duck.run(`
    CREATE OR REPLACE TEMP TABLE batch_checked AS
      SELECT b.*, CASE
               WHEN meter_id IS NULL OR reading_ts IS NULL THEN 'no meter id or reading time'
               WHEN usage_kwh IS NULL THEN 'no usage'
               WHEN usage_kwh < 0 OR usage_kwh > 4 * 3.5 * 3 * CASE customer_segment WHEN 'INDUSTRIAL' THEN ${scale.INDUSTRIAL} WHEN 'COMMERCIAL' THEN ${scale.COMMERCIAL} ELSE ${scale.RESIDENTIAL} END THEN 'usage out of range'
               WHEN NOT is_outage AND (voltage < 80 OR voltage > 160) THEN 'voltage out of range'
               WHEN power_factor < 0 OR power_factor > 1 THEN 'power factor out of range'
             END AS issue
      FROM batch_first b ${seen};
    CREATE OR REPLACE TEMP TABLE batch_silver AS
      SELECT meter_id, reading_ts, usage_kwh, voltage, power_factor, customer_segment, emission_pattern,
             CASE WHEN is_outage THEN 'OUTAGE' ELSE 'VALID' END AS data_quality, is_outage,
             feed_offset, generated_at, landed_at, ${manifest.batch} AS batch
      FROM batch_checked WHERE issue IS NULL;
    CREATE OR REPLACE TEMP TABLE batch_issues AS
      SELECT meter_id, reading_ts, issue, usage_kwh, voltage, power_factor, feed_offset, ${manifest.batch} AS batch
      FROM batch_checked WHERE issue IS NOT NULL;
    CREATE OR REPLACE TEMP TABLE touched_hours AS SELECT DISTINCT date_trunc('hour', ${local}) AS hour FROM batch_silver;
    CREATE OR REPLACE TEMP TABLE touched_days AS SELECT DISTINCT hour::DATE AS day FROM touched_hours;
  `);
  const outputs: BatchOutput[] = [];
  const copy = async (sql: string, path: string) => {
    mkdirSync(join(path, ".."), {recursive: true});
    const temp = tempPathFor(path);
    const rows = await duck.run(`COPY (${sql}) TO ${quoteString(temp)} (FORMAT parquet, COMPRESSION zstd)`);
    outputs.push({path, temp, rows});
    return rows;
  };
  const file = batchFile(manifest.batch);
  const silver = await copy(
    "SELECT * FROM batch_silver ORDER BY reading_ts, meter_id",
    join(silverDir(outDir, "readings"), file)
  );
  const issues = await copy(
    "SELECT * FROM batch_issues ORDER BY reading_ts, meter_id",
    join(silverDir(outDir, "reading_issues"), file)
  );
  const days = (
    await duck.all<{day: string}>("SELECT strftime(day, '%Y-%m-%d') AS day FROM touched_days ORDER BY 1")
  ).map((r) => r.day);
  const goldHours = Number((await duck.one<{n: bigint}>("SELECT count(*) AS n FROM touched_hours")).n);
  if (days.length) await buildGold({duck, outDir, batch: manifest.batch, days, utcOffsetMinutes, config, copy});
  const generated = await duck.all<{ms: bigint | number; n: bigint}>(
    "SELECT epoch_ms(generated_at) AS ms, count(*) AS n FROM batch_silver GROUP BY ALL"
  );
  await duck.run(
    "DROP TABLE batch_parsed; DROP TABLE batch_first; DROP TABLE batch_checked; DROP TABLE batch_silver; DROP TABLE batch_issues;"
  );
  return {
    silver,
    issues,
    goldHours,
    goldDays: days,
    generated: generated.map((g) => ({ms: Number(g.ms), n: Number(g.n)})),
    outputs
  };
}

/** Gold for the touched local days: hourly rows of touched hours recomputed (others kept), daily rows recomputed. */
async function buildGold({
  duck,
  outDir,
  batch,
  days,
  utcOffsetMinutes,
  config,
  copy
}: {
  duck: Duck;
  outDir: string;
  batch: number;
  days: string[];
  utcOffsetMinutes: number;
  config: MeterConfig;
  copy: (sql: string, path: string) => Promise<number>;
}): Promise<void> {
  const local = `(reading_ts + INTERVAL ${utcOffsetMinutes} MINUTE)`;
  // The touched local days as a UTC range, so the scan of earlier silver skips other row groups.
  const dayStartMs = (day: string) => Date.parse(`${day}T00:00:00Z`) - utcOffsetMinutes * 60_000;
  const lo = Math.min(...days.map(dayStartMs));
  const hi = Math.max(...days.map(dayStartMs)) + 86_400_000;
  const earlier = silverFiles({outDir, table: "readings", upTo: batch - 1});
  const earlierRows = earlier.length
    ? `SELECT * FROM read_parquet(${quoteList(earlier)}) WHERE reading_ts >= ${ts(lo)} AND reading_ts < ${ts(hi)} UNION ALL BY NAME `
    : "";
  const perHour = 60 / config.intervalMinutes;
  const perDay = (24 * 60) / config.intervalMinutes;
  await duck.run(`
    CREATE OR REPLACE TEMP TABLE touched AS
      SELECT meter_id, reading_ts, usage_kwh, voltage, is_outage, customer_segment, ${local} AS local_ts
      FROM (${earlierRows}SELECT * FROM batch_silver) s
      WHERE ${local}::DATE IN (SELECT day FROM touched_days);
    CREATE OR REPLACE TEMP TABLE gold_hourly AS
      SELECT meter_id, date_trunc('hour', local_ts) AS hour, sum(usage_kwh) AS usage_kwh, count(*) AS readings,
             count(*) FILTER (WHERE is_outage) AS outage_readings, count(*) / ${perHour} AS completeness
      FROM touched WHERE date_trunc('hour', local_ts) IN (SELECT hour FROM touched_hours) GROUP BY ALL;
    CREATE OR REPLACE TEMP TABLE gold_daily AS
      SELECT meter_id, local_ts::DATE AS day, any_value(customer_segment) AS customer_segment, sum(usage_kwh) AS usage_kwh,
             max(usage_kwh) AS peak_interval_kwh, avg(voltage) FILTER (WHERE NOT is_outage) AS avg_voltage,
             min(voltage) FILTER (WHERE NOT is_outage) AS min_voltage,
             count(*) FILTER (WHERE is_outage) * ${config.intervalMinutes} AS outage_minutes, count(*) AS readings,
             count(*) / ${perDay} AS completeness
      FROM touched GROUP BY ALL;
  `);
  for (const day of days) {
    const name = `day=${day}.parquet`;
    const hourlyPath = join(goldDir(outDir, "meter_hourly"), name);
    // Hours this batch did not touch are kept as they are: their silver did not change.
    const kept = existsSync(hourlyPath)
      ? `SELECT * FROM read_parquet(${quoteString(hourlyPath)}) WHERE hour NOT IN (SELECT hour FROM touched_hours) UNION ALL `
      : "";
    await copy(
      `SELECT * FROM (${kept}SELECT * FROM gold_hourly WHERE hour::DATE = DATE '${day}') ORDER BY hour, meter_id`,
      hourlyPath
    );
    await copy(
      `SELECT * FROM gold_daily WHERE day = DATE '${day}' ORDER BY meter_id`,
      join(goldDir(outDir, "meter_daily"), name)
    );
    await copy(
      `SELECT customer_segment, day, count(*) AS meters, sum(usage_kwh) AS usage_kwh, avg(usage_kwh) AS usage_per_meter_kwh,
              avg(completeness) AS completeness
       FROM gold_daily WHERE day = DATE '${day}' GROUP BY ALL ORDER BY customer_segment`,
      join(goldDir(outDir, "segment_daily"), name)
    );
  }
  await duck.run("DROP TABLE touched; DROP TABLE gold_hourly; DROP TABLE gold_daily;");
}

/** Renames one built output into place (atomic per file). */
export function placeOutput(output: BatchOutput): void {
  renameSync(output.temp, output.path);
}
