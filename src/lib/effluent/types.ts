/** One inlet/outlet reading of the CETP (the `cetp_readings` table); null = missing (NA). */
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
  /**
   * The export's extra columns, kept when the site's dataset.json says `extraColumns: "keep"`: a JSON
   * object of numbers (null for blank or NA) by mangled header name (`extraColumnKeys`), else absent.
   */
  extra?: string | null;
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

export type ShockLevel = "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";

export interface ShockEvent {
  event_id: string;
  start_ts: Date;
  peak_ts: Date;
  end_ts: Date;
  peak_cod: number;
  /** Peak minus threshold, mg/L. */
  breach: number;
  /** Against the larger of the consent limit and the site's inlet baseline (config.ts, level*Multiple). */
  level: ShockLevel;
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

/**
 * SITE_OUTAGE is the plant's own logger down (the export and every feed silent): no factory's doing.
 * TOO_FEW_READINGS: a factory with readings in too few of the site's hours to be monitored at all.
 */
export type TamperKind = "FROZEN" | "BLACKOUT" | "DILUTION" | "FINGERPRINT" | "SITE_OUTAGE" | "TOO_FEW_READINGS";

export interface TamperEvent {
  /** null for a SITE_OUTAGE, which belongs to the plant. */
  factory_id: string | null;
  kind: TamperKind;
  window_start: Date;
  window_end: Date;
  detail: string;
}
