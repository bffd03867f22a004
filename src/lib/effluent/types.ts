/** One inlet/outlet reading of the CETP (DESIGN.md §3 `cetp_readings`); null = missing (NA). */
export interface CetpReading {
  ts: Date;
  inlet_cod: number | null;
  inlet_bod: number | null;
  inlet_ph: number | null;
  inlet_tss: number | null;
  outlet_cod: number | null;
  outlet_bod: number | null;
  outlet_ph: number | null;
  outlet_tss: number | null;
}

/** One reading of a factory's discharge sensor (`factory_readings`). */
export interface FactoryReading {
  ts: Date;
  factory_id: string;
  cod: number | null;
  bod: number | null;
  ph: number | null;
  tss: number | null;
  /** OK, or why the reading is suspect (filled by tamper detection). */
  status: string;
}

export interface ShockEvent {
  event_id: string;
  start_ts: Date;
  peak_ts: Date;
  end_ts: Date;
  peak_cod: number;
  /** Peak minus threshold, mg/L. */
  breach: number;
  level: "HIGH" | "MEDIUM";
}

export interface Attribution {
  event_id: string;
  method: "robust_lag" | "fixed_lookback";
  factory_id: string | null;
  lag_minutes: number | null;
  factory_cod: number | null;
  score: number | null;
  confidence: number;
  evidence: string;
}

export type TamperKind = "FROZEN" | "BLACKOUT" | "DILUTION" | "FINGERPRINT";

export interface TamperEvent {
  factory_id: string;
  kind: TamperKind;
  window_start: Date;
  window_end: Date;
  detail: string;
}
