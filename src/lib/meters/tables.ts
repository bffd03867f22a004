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

/** The simulated fleet's tables (what the simulation plugin publishes). */
export const simulatedTables: TableDeclaration[] = [
  {
    name: "fleet",
    description: "one row per meter: segment, transformer, circuit, substation, location",
    columns: fleetColumns
  },
  {
    name: "readings_bronze",
    description: "every delivery as received (duplicates and late arrivals included)",
    columns: columns("ingested_at:TIMESTAMP", "payload:JSON", RUN_PATTERN)
  },
  {
    name: "readings",
    description: "silver: one row per meter and 15-minute interval, typed, deduplicated, gaps ≤ 1 h estimated",
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

/**
 * A real readings dataset's silver and gold: the simulated fleet's tables with the same columns
 * (NULL where a real export has nothing), under names of their own, because in the catalog the
 * simulation's plugin publishes the fleet's and a per-dataset derivation publishes these.
 */
const REAL_TABLES: Record<string, string> = {
  readings:
    "silver of a readings dataset: one row per meter and interval (its own 15, 30 or 60 minutes, UTC), deduplicated, validated, gaps ≤ 1 h estimated",
  reading_issues:
    "silver of a readings dataset: values rejected by validation (range, a register going backwards), with the reason",
  reading_gaps: "silver of a readings dataset: every run of missing intervals, estimated (≤ 1 h) or left missing",
  meter_hourly:
    "gold of a readings dataset: per meter and local hour (the repeated autumn hour twice), with completeness",
  meter_daily:
    "gold of a readings dataset: per meter and local day, completeness against the day's real length (23, 24 or 25 h)",
  segment_daily: "gold of a readings dataset: per customer segment and local day (empty without a segment column)",
  transformer_daily: "gold of a readings dataset: per transformer and local day (empty without a transformer column)"
};

export const metersTables: TableDeclaration[] = [
  ...simulatedTables,
  ...Object.entries(REAL_TABLES).map(([name, description]) => ({
    name: `real_${name}`,
    description,
    columns: simulatedTables.find((t) => t.name === name)!.columns
  }))
];
