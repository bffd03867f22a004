import type {TableDeclaration} from "../domain.js";
import type {Column} from "../core/parquet-write.js";

/** Parquet columns of every effluent table. */
export const effluentColumns = {
  cetp_readings: [
    "ts:TIMESTAMP",
    "inlet_cod:DOUBLE",
    "inlet_bod:DOUBLE",
    "inlet_ph:DOUBLE",
    "inlet_tss:DOUBLE",
    "outlet_cod:DOUBLE",
    "outlet_bod:DOUBLE",
    "outlet_ph:DOUBLE",
    "outlet_tss:DOUBLE",
    "extra:VARCHAR"
  ].map(col),
  factory_readings: [
    "ts:TIMESTAMP",
    "factory_id:VARCHAR",
    "cod:DOUBLE",
    "bod:DOUBLE",
    "ph:DOUBLE",
    "tss:DOUBLE",
    "status:VARCHAR"
  ].map(col),
  shock_events: [
    "event_id:VARCHAR",
    "start_ts:TIMESTAMP",
    "peak_ts:TIMESTAMP",
    "end_ts:TIMESTAMP",
    "peak_cod:DOUBLE",
    "breach:DOUBLE",
    "level:VARCHAR"
  ].map(col),
  attributions: [
    "event_id:VARCHAR",
    "method:VARCHAR",
    "factory_id:VARCHAR",
    "lag_minutes:INTEGER",
    "factory_cod:DOUBLE",
    "score:DOUBLE",
    "confidence:DOUBLE",
    "evidence:VARCHAR"
  ].map(col),
  tamper_events: [
    "factory_id:VARCHAR",
    "kind:VARCHAR",
    "window_start:TIMESTAMP",
    "window_end:TIMESTAMP",
    "detail:VARCHAR"
  ].map(col),
  travel_times: ["factory_id:VARCHAR", "lag_minutes:INTEGER", "clarity:DOUBLE"].map(col),
  truth_shocks: [
    "shock_id:VARCHAR",
    "factory_id:VARCHAR",
    "start:TIMESTAMP",
    "end:TIMESTAMP",
    "inlet_start:TIMESTAMP",
    "inlet_end:TIMESTAMP",
    "inlet_rise:DOUBLE"
  ].map(col),
  effluent_quarantine: ["file:VARCHAR", "line:INTEGER", "column:VARCHAR", "reason:VARCHAR", "raw:VARCHAR"].map(col),
  effluent_sites: [
    "threshold_mgl:DOUBLE",
    "timezone:VARCHAR",
    "time_format:VARCHAR",
    "factory_source:VARCHAR",
    "factories:INTEGER",
    "export_readings:INTEGER",
    "first_reading:TIMESTAMP",
    "last_reading:TIMESTAMP",
    "note:VARCHAR"
  ].map(col),
  truth_tamper: [
    "factory_id:VARCHAR",
    "kind:VARCHAR",
    "window_start:TIMESTAMP",
    "window_end:TIMESTAMP",
    "source:VARCHAR"
  ].map(col)
} satisfies Record<string, Column[]>;

export type EffluentTable = keyof typeof effluentColumns;

const meaning: Record<EffluentTable, string> = {
  cetp_readings:
    'CETP inlet and outlet, one row a minute (with gaps); extra: the export\'s extra columns as JSON when dataset.json says extraColumns "keep"',
  factory_readings: "each factory's discharge sensor, with tamper status",
  shock_events: "inlet COD breaches of the threshold",
  attributions: "one row per shock and method: the factory blamed and the evidence",
  tamper_events: "frozen, blackout, dilution and fingerprint findings",
  travel_times: "per factory: the estimated travel time to the CETP inlet and how clear the estimate is",
  effluent_quarantine:
    "rows of the export and the feeds that cannot be real readings (implausible times, impossible values), with file, line and reason",
  effluent_sites:
    "one row per site: its threshold (mg/L) and time zone from dataset.json, where its factory readings come from (feeds, or none: the export alone), its span and what the run noted",
  truth_shocks:
    "simulated runs and trial sites only: the shocks injected (by the simulator, or into a real export by lab simulate effluent --on-export), with the inlet window they reach",
  truth_tamper: "simulated runs only: the tampering the simulator injected"
};

/** The readings topics the catalog's file plugins publish per file, which the per-site derivation analyses. */
export const readingTopics = {
  exports: "effluent_export_readings",
  feeds: "effluent_feed_readings"
} as const;

/** Every table the effluent pipeline writes, in order, plus the catalog's per-file readings topics. */
export const effluentTables: TableDeclaration[] = [
  ...(Object.keys(meaning) as EffluentTable[]).map((name) => ({
    name,
    description: meaning[name],
    columns: effluentColumns[name]
  })),
  {
    name: readingTopics.exports,
    description:
      "catalog only: each site's MPCB export rows as read (files under datasets/effluent/<site>/, and lab serve mpcb's uploads)",
    columns: effluentColumns.cetp_readings
  },
  {
    name: readingTopics.feeds,
    description:
      "catalog only: each site's factory feed rows as read (status OK; tamper status comes with factory_readings)",
    columns: effluentColumns.factory_readings
  }
];

function col(spec: string): Column {
  const [name, type] = spec.split(":") as [string, string];
  return {name, type};
}
