import type {Duck} from "../core/duckdb.js";
import {quoteIdent, quoteString} from "../core/sql.js";
import type {TableSink} from "../core/table-sink.js";
import type {MetersDatasetOptions} from "./dataset-options.js";

/** The tables a readings dataset's silver and gold are written to, in order. */
export const READINGS_DATASET_TABLES = [
  "fleet",
  "meter_summary",
  "readings",
  "reading_issues",
  "reading_gaps",
  "meter_hourly",
  "meter_daily",
  "segment_daily",
  "transformer_daily",
  "meter_quarantine"
] as const;

/** The interval lengths a meter may report at, in minutes. */
export const INTERVAL_LENGTHS = [15, 30, 60];

/**
 * A meter's rows resolved and deduplicated: a local time passed twice (fall back) is the earlier
 * instant at its first occurrence in file order and the later one after that, so a 25-hour day
 * keeps its 50 half hours; then one row per meter and instant, the first in file order (a row
 * with a reading before one without).
 */
function resolveSql(source: string, options: MetersDatasetOptions): string {
  // Times outside the plausible window, or further back than max_span_days before the dataset's
  // latest plausible reading, are set aside first: a typo'd year must not make a meter's grid
  // (and every rollup) span centuries.
  const earliest = `${quoteString(options.earliest.toISOString())}::TIMESTAMP`;
  const latest = `${quoteString(options.latest.toISOString())}::TIMESTAMP`;
  return `
    CREATE OR REPLACE TEMP TABLE rm_window AS
      SELECT *, CASE WHEN reading_ts < ${earliest} THEN 'time before earliest (' || strftime(${earliest}, '%Y-%m-%d') || ')'
                     WHEN reading_ts > ${latest} THEN 'time after latest (' || strftime(${latest}, '%Y-%m-%d %H:%M') || ' UTC)' END AS out_reason
      FROM ${source} WHERE error IS NULL;
    CREATE OR REPLACE TEMP TABLE rm_window AS
      SELECT * REPLACE (coalesce(out_reason, CASE WHEN reading_ts < (SELECT max(reading_ts) FROM rm_window WHERE out_reason IS NULL) - INTERVAL ${options.maxSpanDays} DAY
               THEN 'more than max_span_days (${options.maxSpanDays}) before the dataset''s latest reading' END) AS out_reason)
      FROM rm_window;
    CREATE OR REPLACE TEMP TABLE rm_rows AS
      SELECT file, line, meter_id, kwh, voltage, customer_segment, transformer_id,
             CASE WHEN later_ts IS NOT NULL AND row_number() OVER (PARTITION BY meter_id, reading_ts ORDER BY file, line) >= 2
                  THEN later_ts ELSE reading_ts END AS reading_ts
      FROM rm_window WHERE out_reason IS NULL;
    CREATE OR REPLACE TEMP TABLE rm_ranked AS
      SELECT *, row_number() OVER w AS k, first_value(file || ':' || line) OVER w AS first_at
      FROM rm_rows WINDOW w AS (PARTITION BY meter_id, reading_ts ORDER BY kwh IS NULL, file, line);
    CREATE OR REPLACE TEMP TABLE rm_dedup AS SELECT * EXCLUDE (k, first_at) FROM rm_ranked WHERE k = 1;`;
}

/**
 * Each meter's interval length: the most common step between its readings (or the dataset's
 * `interval_minutes`), checked: 15, 30 or 60 minutes, every step a multiple of it, and no other
 * allowed length making up a quarter of the steps (a meter that changed from 30 to 15 minutes).
 * A meter that fails is named with its step lengths and left out of silver.
 */
function intervalSql(options: MetersDatasetOptions): string {
  const forced = options.intervalMinutes === undefined ? "NULL" : String(options.intervalMinutes * 60);
  const allowed = INTERVAL_LENGTHS.map((m) => m * 60).join(", ");
  return `
    CREATE OR REPLACE TEMP TABLE rm_steps AS
      SELECT meter_id, file, line, reading_ts,
             date_diff('second', lag(reading_ts) OVER (PARTITION BY meter_id ORDER BY reading_ts), reading_ts) AS d
      FROM rm_dedup;
    CREATE OR REPLACE TEMP TABLE rm_lengths AS SELECT meter_id, d, count(*) AS n FROM rm_steps WHERE d IS NOT NULL GROUP BY ALL;
    CREATE OR REPLACE TEMP TABLE rm_meter AS
      WITH m AS (
        SELECT meter_id, min(reading_ts) AS first_reading, max(reading_ts) AS last_reading, count(*) AS readings,
               mode(customer_segment) AS customer_segment, mode(transformer_id) AS transformer_id
        FROM rm_dedup GROUP BY meter_id),
      modal AS (
        SELECT meter_id, arg_max(d, n * 1e9 - d) AS modal, sum(n) AS steps,
               string_agg(CASE WHEN d % 60 = 0 THEN (d // 60)::VARCHAR ELSE round(d / 60, 2)::VARCHAR END || ' min ×' || n, ', ' ORDER BY n DESC, d) AS lengths
        FROM rm_lengths GROUP BY meter_id),
      c AS (SELECT m.*, coalesce(${forced}, modal.modal) AS iv_s, modal.steps, modal.lengths FROM m LEFT JOIN modal USING (meter_id)),
      mix AS (
        SELECT l.meter_id, bool_or(l.d % c.iv_s <> 0 OR (l.d <> c.iv_s AND l.d IN (${allowed}) AND l.n >= 0.25 * c.steps)) AS mixed
        FROM rm_lengths l JOIN c USING (meter_id) GROUP BY ALL)
      SELECT c.*, (c.iv_s // 60)::INTEGER AS iv, CASE
          WHEN c.iv_s IS NULL THEN 'one reading: its interval length is unknown'
          WHEN c.iv_s NOT IN (${allowed}) THEN 'steps of ' || c.lengths || ': the interval must be 15, 30 or 60 minutes'
          WHEN mix.mixed THEN 'mixed interval lengths (' || c.lengths || '): one length per meter, 15, 30 or 60 minutes'
          ELSE 'ok' END AS status
      FROM c LEFT JOIN mix USING (meter_id);
    -- Where a failing meter is first seen to fail: its first step that is not its interval (else its first row).
    CREATE OR REPLACE TEMP TABLE rm_meter_at AS
      SELECT s.meter_id, arg_min(s.file, (s.d IS NULL OR s.d = m.iv_s, s.reading_ts)) AS file,
             arg_min(s.line, (s.d IS NULL OR s.d = m.iv_s, s.reading_ts)) AS line
      FROM rm_steps s JOIN rm_meter m USING (meter_id) WHERE m.status <> 'ok' GROUP BY ALL;`;
}

/**
 * Interval values of the meters that passed: the readings themselves, or for register reads the
 * difference between consecutive reads, labelled with the interval it closes (a read at T ends the
 * interval starting T − interval). Reads a few intervals apart (up to the estimation limit) spread
 * their difference evenly over the intervals between them, ESTIMATED; a register that went
 * backwards gives one negative value, rejected by validation.
 */
function valuesSql(options: MetersDatasetOptions): string {
  if (options.kind === "interval")
    return `
    CREATE OR REPLACE TEMP TABLE rm_values AS
      SELECT d.meter_id, d.file, d.line, d.reading_ts, d.kwh, d.voltage, false AS estimated
      FROM rm_dedup d JOIN rm_meter m USING (meter_id) WHERE m.status = 'ok' AND d.kwh IS NOT NULL;`;
  return `
    CREATE OR REPLACE TEMP TABLE rm_values AS
      WITH r AS (
        SELECT d.*, m.iv, lag(d.reading_ts) OVER w AS prev_ts, lag(d.kwh) OVER w AS prev_reg
        FROM rm_dedup d JOIN rm_meter m USING (meter_id) WHERE m.status = 'ok' AND d.kwh IS NOT NULL
        WINDOW w AS (PARTITION BY d.meter_id ORDER BY d.reading_ts)),
      s AS (SELECT *, date_diff('second', prev_ts, reading_ts) // (iv * 60) AS n FROM r WHERE prev_ts IS NOT NULL)
      SELECT meter_id, file, line, unnest(range(prev_ts, reading_ts, to_minutes(iv))) AS reading_ts,
             (kwh - prev_reg) / n AS kwh, CASE WHEN n = 1 THEN voltage END AS voltage, n > 1 AS estimated
      FROM s WHERE kwh >= prev_reg AND n * iv <= ${options.maxEstimatedGapMinutes} + iv
      UNION ALL
      SELECT meter_id, file, line, reading_ts - to_minutes(iv), kwh - prev_reg, voltage, false FROM s WHERE kwh < prev_reg;`;
}

/**
 * Validation (rejected values go to reading_issues and the quarantine), then silver on each
 * meter's own interval grid from its first to its last reading, in UTC instants so a DST change is
 * neither a gap nor a duplicate: gaps up to the estimation limit are interpolated linearly and
 * ESTIMATED, longer ones stay missing and are listed in reading_gaps.
 */
function silverSql(options: MetersDatasetOptions): string {
  const [lo, hi] = options.voltageRange;
  const end = options.kind === "interval" ? "last_reading + to_minutes(iv)" : "last_reading";
  const negative = options.kind === "interval" ? "'negative usage'" : "'register went backwards'";
  const span = `to_minutes(${options.maxEstimatedGapMinutes} + iv)`;
  return `
    CREATE OR REPLACE TEMP TABLE rm_issues AS
      SELECT *, CASE
          WHEN kwh < 0 THEN ${negative}
          WHEN kwh > ${options.maxIntervalKwh} THEN 'usage above max_interval_kwh (${options.maxIntervalKwh} kWh in one interval)'
          WHEN voltage < ${lo} OR voltage > ${hi} THEN 'voltage out of range (${lo}–${hi} V)' END AS issue
      FROM rm_values WHERE issue IS NOT NULL;
    CREATE OR REPLACE TEMP TABLE rm_grid AS
      SELECT meter_id, customer_segment, iv, unnest(range(first_reading, ${end}, to_minutes(iv))) AS reading_ts
      FROM rm_meter WHERE status = 'ok';
    CREATE OR REPLACE TEMP TABLE rm_neighbours AS
      SELECT g.*, v.kwh, v.voltage, v.estimated,
        last_value(CASE WHEN v.kwh IS NOT NULL THEN g.reading_ts END IGNORE NULLS) OVER w_before AS prev_ts,
        last_value(v.kwh IGNORE NULLS) OVER w_before AS prev_kwh,
        last_value(v.voltage IGNORE NULLS) OVER w_before AS prev_voltage,
        first_value(CASE WHEN v.kwh IS NOT NULL THEN g.reading_ts END IGNORE NULLS) OVER w_after AS next_ts,
        first_value(v.kwh IGNORE NULLS) OVER w_after AS next_kwh,
        first_value(v.voltage IGNORE NULLS) OVER w_after AS next_voltage
      FROM rm_grid g LEFT JOIN (SELECT * FROM rm_values ANTI JOIN rm_issues USING (meter_id, reading_ts)) v USING (meter_id, reading_ts)
      WINDOW w_before AS (PARTITION BY g.meter_id ORDER BY g.reading_ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
             w_after AS (PARTITION BY g.meter_id ORDER BY g.reading_ts ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING);
    CREATE OR REPLACE TEMP TABLE rm_readings AS
      SELECT meter_id, reading_ts,
             CASE WHEN kwh IS NOT NULL THEN kwh
                  ELSE round(prev_kwh + (next_kwh - prev_kwh) * (epoch(reading_ts) - epoch(prev_ts)) / (epoch(next_ts) - epoch(prev_ts)), 4) END AS usage_kwh,
             CASE WHEN kwh IS NOT NULL THEN voltage ELSE round((prev_voltage + next_voltage) / 2, 1) END AS voltage,
             NULL::DOUBLE AS power_factor, customer_segment, NULL::VARCHAR AS emission_pattern,
             CASE WHEN kwh IS NULL OR estimated THEN 'ESTIMATED' ELSE 'VALID' END AS data_quality,
             false AS is_outage, NULL::VARCHAR AS run_pattern, iv
      FROM rm_neighbours
      WHERE kwh IS NOT NULL OR (prev_ts IS NOT NULL AND next_ts IS NOT NULL AND next_ts - prev_ts <= ${span});
    CREATE OR REPLACE TEMP TABLE rm_gaps AS
      SELECT meter_id, min(reading_ts) AS gap_start, max(reading_ts) + to_minutes(any_value(iv)) AS gap_end, count(*) AS intervals,
             bool_and(prev_ts IS NOT NULL AND next_ts IS NOT NULL AND next_ts - prev_ts <= ${span}) AS estimated,
             NULL::VARCHAR AS run_pattern
      FROM rm_neighbours WHERE kwh IS NULL GROUP BY meter_id, prev_ts;`;
}

/**
 * Gold in the dataset's local time: an hour is a local wall-clock hour (on the autumn change the
 * repeated hour has two rows, one per UTC offset), a day a local date whose completeness counts
 * against its real length (23, 24 or 25 hours).
 */
function goldSql(options: MetersDatasetOptions): string {
  const zone = quoteString(options.timeZone);
  return `
    -- The zone's offset once per quarter hour (offsets change on quarter hours), not once per reading.
    CREATE OR REPLACE TEMP TABLE rm_offsets AS
      SELECT q, timezone(${zone}, q::TIMESTAMPTZ) - q AS off
      FROM (SELECT DISTINCT time_bucket(INTERVAL 15 MINUTE, reading_ts) AS q FROM rm_readings);
    CREATE OR REPLACE TEMP TABLE rm_local AS
      SELECT r.*, r.reading_ts + o.off AS local_ts
      FROM rm_readings r JOIN rm_offsets o ON o.q = time_bucket(INTERVAL 15 MINUTE, r.reading_ts);
    CREATE OR REPLACE TEMP TABLE rm_hourly AS
      SELECT meter_id, date_trunc('hour', local_ts) AS hour, sum(usage_kwh) AS usage_kwh, count(*) AS readings,
             count(*) FILTER (WHERE data_quality = 'ESTIMATED') AS estimated, count(*) / (60 / any_value(iv)) AS completeness,
             NULL::VARCHAR AS run_pattern
      FROM rm_local GROUP BY meter_id, date_trunc('hour', local_ts), local_ts - reading_ts;
    CREATE OR REPLACE TEMP TABLE rm_daily AS
      SELECT meter_id, local_ts::DATE AS day, sum(usage_kwh) AS usage_kwh, max(usage_kwh) AS peak_interval_kwh,
             avg(voltage) AS avg_voltage, min(voltage) AS min_voltage, 0::BIGINT AS outage_minutes,
             count(*) / (date_diff('minute', timezone(${zone}, local_ts::DATE::TIMESTAMP), timezone(${zone}, (local_ts::DATE + 1)::TIMESTAMP)) / any_value(iv)) AS completeness,
             NULL::VARCHAR AS run_pattern
      FROM rm_local GROUP BY meter_id, local_ts::DATE;
    CREATE OR REPLACE TEMP TABLE rm_segment_daily AS
      SELECT m.customer_segment, d.day, count(*) AS meters, sum(d.usage_kwh) AS usage_kwh, avg(d.usage_kwh) AS usage_per_meter_kwh,
             avg(d.completeness) AS completeness, NULL::VARCHAR AS run_pattern
      FROM rm_daily d JOIN rm_meter m USING (meter_id) WHERE m.customer_segment IS NOT NULL GROUP BY ALL;
    CREATE OR REPLACE TEMP TABLE rm_transformer_daily AS
      SELECT m.transformer_id, d.day, count(*) AS meters, sum(d.usage_kwh) AS usage_kwh, max(d.outage_minutes) AS outage_minutes,
             avg(d.completeness) AS completeness, NULL::VARCHAR AS run_pattern
      FROM rm_daily d JOIN rm_meter m USING (meter_id) WHERE m.transformer_id IS NOT NULL GROUP BY ALL;`;
}

/** Every row left out, with file, line, column and why: unreadable rows, duplicates, failing meters, rejected values. */
function quarantineSql({source, options}: {source: string; options: MetersDatasetOptions}): string {
  const time = quoteString(options.columns.time.trim());
  const kwh = quoteString(options.columns.kwh.trim());
  const voltage = quoteString(options.columns.voltage.trim());
  const raw = "meter_id || ',' || strftime(reading_ts, '%Y-%m-%d %H:%M:%S') || ' UTC,' || coalesce(kwh::VARCHAR, '')";
  return `
    CREATE OR REPLACE TEMP TABLE rm_quarantine AS
      SELECT file, line, error_column AS "column", meter_id, NULL::TIMESTAMP AS reading_ts, error AS reason, raw
      FROM ${source} WHERE error IS NOT NULL
      UNION ALL
      SELECT file, line, ${time}, meter_id, reading_ts, out_reason, ${raw}
      FROM rm_window WHERE out_reason IS NOT NULL
      UNION ALL
      SELECT file, line, ${time}, meter_id, reading_ts,
             'duplicate interval: meter ' || meter_id || ' at ' || strftime(reading_ts, '%Y-%m-%d %H:%M') || ' UTC was read at ' || first_at || ' (the first is kept)', ${raw}
      FROM rm_ranked WHERE k > 1
      UNION ALL
      SELECT a.file, a.line, ${time}, m.meter_id, NULL, 'meter ' || m.meter_id || ': ' || m.status || '; its ' || m.readings || ' readings are left out', NULL
      FROM rm_meter m JOIN rm_meter_at a USING (meter_id) WHERE m.status <> 'ok'
      UNION ALL
      SELECT file, line, CASE WHEN issue LIKE 'voltage%' THEN ${voltage} ELSE ${kwh} END, meter_id, reading_ts, issue, NULL
      FROM rm_issues;`;
}

/**
 * Silver and gold for a real readings dataset, from its rows as read (a table or view `source` of
 * readings_rows, one dataset's), in DuckDB so data bigger than memory spills to disk instead of
 * failing: the same tables with the same columns as a simulated fleet's (in the catalog, beside
 * the simulation's in the same topics, told apart by `dataset`), NULL where a real export has
 * nothing (power factor, emission pattern, run pattern, the fleet's circuit, substation and
 * location; voltage, segment and transformer when the files lack them), plus `meter_summary` and
 * `meter_quarantine`.
 */
export async function buildReadingsMedallion({
  duck,
  source,
  options,
  sink
}: {
  duck: Duck;
  source: string;
  options: MetersDatasetOptions;
  sink: TableSink;
}): Promise<void> {
  const from = quoteIdent(source);
  await duck.run("SET TimeZone = 'UTC'");
  for (const sql of [
    resolveSql(from, options),
    intervalSql(options),
    valuesSql(options),
    silverSql(options),
    goldSql(options),
    quarantineSql({source: from, options})
  ])
    await duck.run(sql);
  const queries: Record<(typeof READINGS_DATASET_TABLES)[number], string> = {
    fleet:
      "SELECT meter_id, customer_segment, transformer_id, NULL::VARCHAR AS circuit_id, NULL::VARCHAR AS substation_id, NULL::DOUBLE AS lat, NULL::DOUBLE AS lon FROM rm_meter ORDER BY meter_id",
    meter_summary:
      "SELECT meter_id, customer_segment, transformer_id, iv AS interval_minutes, first_reading, last_reading, readings, status FROM rm_meter ORDER BY meter_id",
    readings: "SELECT * EXCLUDE (iv) FROM rm_readings ORDER BY meter_id, reading_ts",
    reading_issues:
      "SELECT meter_id, reading_ts, issue, kwh AS usage_kwh, voltage, NULL::DOUBLE AS power_factor, NULL::VARCHAR AS run_pattern FROM rm_issues ORDER BY meter_id, reading_ts",
    reading_gaps: "SELECT * FROM rm_gaps ORDER BY meter_id, gap_start",
    meter_hourly: "SELECT * FROM rm_hourly ORDER BY meter_id, hour",
    meter_daily: "SELECT * FROM rm_daily ORDER BY meter_id, day",
    segment_daily: "SELECT * FROM rm_segment_daily ORDER BY customer_segment, day",
    transformer_daily: "SELECT * FROM rm_transformer_daily ORDER BY transformer_id, day",
    meter_quarantine: "SELECT * FROM rm_quarantine ORDER BY file, line"
  };
  for (const table of READINGS_DATASET_TABLES) await sink.writeQuery(table, queries[table]);
}
