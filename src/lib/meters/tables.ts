import {columns, type TableDeclaration} from "../domain.js";

export const fleetColumns = columns(
  "meter_id:VARCHAR",
  "customer_segment:VARCHAR",
  "transformer_id:VARCHAR",
  "circuit_id:VARCHAR",
  "substation_id:VARCHAR",
  "lat:DOUBLE",
  "lon:DOUBLE"
);
export const STREAM_LATENCY_COLUMNS = columns(
  "commit:INTEGER",
  "from_offset:BIGINT",
  "to_offset:BIGINT",
  "latency_ms:DOUBLE"
);

/** Tables only a real readings dataset has (the simulation plugin publishes the rest). */
export const READINGS_ONLY_TABLES = ["readings_rows", "meter_summary", "meter_quarantine"];

/** A readings file's rows as read (readings_rows): see readings-load.ts. */
export const READINGS_ROW_COLUMNS = columns(
  "file:VARCHAR",
  "line:BIGINT",
  "meter_id:VARCHAR",
  "reading_ts:TIMESTAMP",
  "later_ts:TIMESTAMP",
  "kwh:DOUBLE",
  "voltage:DOUBLE",
  "customer_segment:VARCHAR",
  "transformer_id:VARCHAR",
  "error_column:VARCHAR",
  "error:VARCHAR",
  "raw:VARCHAR"
);

/** Each per-pattern table ends with the emission pattern of the run that wrote it. */
const RUN_PATTERN = "run_pattern:VARCHAR";

export const metersTables: TableDeclaration[] = [
  {
    name: "fleet",
    description:
      "one row per meter: segment, transformer, circuit, substation, location (a readings dataset: segment and transformer only)",
    columns: fleetColumns
  },
  {
    name: "readings_bronze",
    description: "every delivery as received (duplicates and late arrivals included)",
    columns: columns("ingested_at:TIMESTAMP", "payload:JSON", RUN_PATTERN)
  },
  {
    name: "readings",
    description:
      "silver: one row per meter and interval (15 minutes simulated; 15, 30 or 60 in a readings dataset), deduplicated, gaps ≤ 1 h estimated",
    columns: columns(
      "meter_id:VARCHAR",
      "reading_ts:TIMESTAMP",
      "usage_kwh:DOUBLE",
      "voltage:DOUBLE",
      "power_factor:DOUBLE",
      "customer_segment:VARCHAR",
      "emission_pattern:VARCHAR",
      "data_quality:VARCHAR",
      "is_outage:BOOLEAN",
      RUN_PATTERN
    )
  },
  {
    name: "reading_issues",
    description: "silver: readings rejected by validation (out of range, spikes), with the reason",
    columns: columns(
      "meter_id:VARCHAR",
      "reading_ts:TIMESTAMP",
      "issue:VARCHAR",
      "usage_kwh:DOUBLE",
      "voltage:DOUBLE",
      "power_factor:DOUBLE",
      RUN_PATTERN
    )
  },
  {
    name: "reading_gaps",
    description: "silver: gaps longer than the estimation limit, left missing",
    columns: columns(
      "meter_id:VARCHAR",
      "gap_start:TIMESTAMP",
      "gap_end:TIMESTAMP",
      "intervals:BIGINT",
      "estimated:BOOLEAN",
      RUN_PATTERN
    )
  },
  {
    name: "meter_hourly",
    description: "gold: per meter and hour, with completeness",
    columns: columns(
      "meter_id:VARCHAR",
      "hour:TIMESTAMP",
      "usage_kwh:DOUBLE",
      "readings:BIGINT",
      "estimated:BIGINT",
      "completeness:DOUBLE",
      RUN_PATTERN
    )
  },
  {
    name: "meter_daily",
    description: "gold: per meter and day, with completeness",
    columns: columns(
      "meter_id:VARCHAR",
      "day:DATE",
      "usage_kwh:DOUBLE",
      "peak_interval_kwh:DOUBLE",
      "avg_voltage:DOUBLE",
      "min_voltage:DOUBLE",
      "outage_minutes:BIGINT",
      "completeness:DOUBLE",
      RUN_PATTERN
    )
  },
  {
    name: "segment_daily",
    description: "gold: per customer segment and day",
    columns: columns(
      "customer_segment:VARCHAR",
      "day:DATE",
      "meters:BIGINT",
      "usage_kwh:DOUBLE",
      "usage_per_meter_kwh:DOUBLE",
      "completeness:DOUBLE",
      RUN_PATTERN
    )
  },
  {
    name: "transformer_daily",
    description: "gold: per transformer and day",
    columns: columns(
      "transformer_id:VARCHAR",
      "day:DATE",
      "meters:BIGINT",
      "usage_kwh:DOUBLE",
      "outage_minutes:BIGINT",
      "completeness:DOUBLE",
      RUN_PATTERN
    )
  },
  {
    name: "readings_rows",
    description:
      "bronze of a readings dataset (datasets/meters/<dataset>/): every data row of its files as read, time in UTC, or why it is no reading",
    columns: READINGS_ROW_COLUMNS
  },
  {
    name: "meter_summary",
    description:
      "a readings dataset's meters: the interval length inferred for each, its span, and ok or why it was left out",
    columns: columns(
      "meter_id:VARCHAR",
      "customer_segment:VARCHAR",
      "transformer_id:VARCHAR",
      "interval_minutes:INTEGER",
      "first_reading:TIMESTAMP",
      "last_reading:TIMESTAMP",
      "readings:BIGINT",
      "status:VARCHAR"
    )
  },
  {
    name: "meter_quarantine",
    description:
      "rows of a readings dataset left out of silver (unreadable, duplicate, rejected, a meter with mixed intervals), with file, line, column and reason",
    columns: columns(
      "file:VARCHAR",
      "line:BIGINT",
      "column:VARCHAR",
      "meter_id:VARCHAR",
      "reading_ts:TIMESTAMP",
      "reason:VARCHAR",
      "raw:VARCHAR"
    )
  },
  {
    name: "stream_latency",
    description: "a short live stream on loopback: each delivery's latency from the feed to the lander's commit",
    columns: STREAM_LATENCY_COLUMNS
  }
];
