import type {Column} from "../core/parquet-write.js";

/** Parquet columns of every effluent table (DESIGN.md §3 "Effluent"). */
export const effluentColumns: Record<string, Column[]> = {
  cetp_readings: [
    "ts:TIMESTAMP",
    "inlet_cod:DOUBLE",
    "inlet_bod:DOUBLE",
    "inlet_ph:DOUBLE",
    "inlet_tss:DOUBLE",
    "outlet_cod:DOUBLE",
    "outlet_bod:DOUBLE",
    "outlet_ph:DOUBLE",
    "outlet_tss:DOUBLE"
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
  truth_tamper: [
    "factory_id:VARCHAR",
    "kind:VARCHAR",
    "window_start:TIMESTAMP",
    "window_end:TIMESTAMP",
    "source:VARCHAR"
  ].map(col)
};

function col(spec: string): Column {
  const [name, type] = spec.split(":") as [string, string];
  return {name, type};
}
