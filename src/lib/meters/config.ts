export type Segment = "RESIDENTIAL" | "COMMERCIAL" | "INDUSTRIAL";
export type EmissionPattern = "UNIFORM" | "STAGGERED" | "PARTIAL" | "DEGRADED";

/** Customer mixes of a utility's service area (shares sum to 1). */
export const utilityProfiles: Record<string, Record<Segment, number>> = {
  default: {RESIDENTIAL: 0.7, COMMERCIAL: 0.2, INDUSTRIAL: 0.1},
  suburban: {RESIDENTIAL: 0.85, COMMERCIAL: 0.12, INDUSTRIAL: 0.03},
  "urban-commercial": {RESIDENTIAL: 0.55, COMMERCIAL: 0.35, INDUSTRIAL: 0.1},
  "industrial-park": {RESIDENTIAL: 0.3, COMMERCIAL: 0.3, INDUSTRIAL: 0.4}
};

/** How meters report: the share that reports each interval, and how far reports spread after it. */
export const emissionPatterns: Record<
  EmissionPattern,
  {reportRate: number; staggerSeconds: number; stormBursts: boolean}
> = {
  UNIFORM: {reportRate: 1, staggerSeconds: 0, stormBursts: false},
  STAGGERED: {reportRate: 1, staggerSeconds: 900, stormBursts: false},
  PARTIAL: {reportRate: 0.98, staggerSeconds: 600, stormBursts: false},
  DEGRADED: {reportRate: 0.85, staggerSeconds: 900, stormBursts: true}
};

export const presets: Record<string, {meters: number; days: number}> = {
  "quick-demo": {meters: 100, days: 7},
  "se-demo": {meters: 1000, days: 90},
  "enterprise-poc": {meters: 5000, days: 180},
  "ml-training": {meters: 10_000, days: 365}
};

/** Everything tunable about the fleet's readings, units in the names. */
export interface MeterConfig {
  intervalMinutes: number;
  /** Reference bands for a residential meter (kWh per interval), scaled ×5 commercial, ×15 industrial. */
  peakBandKwh: [number, number];
  morningBandKwh: [number, number];
  offBandKwh: [number, number];
  segmentScale: Record<Segment, number>;
  nominalVoltage: number;
  /** ANSI C84.1 Range A. */
  voltageRangeA: [number, number];
  /** Expected transformer outages per transformer per 30 days. */
  outagesPerTransformerMonth: number;
  /** Share of readings sent twice, and share that arrive hours late (bronze keeps both). */
  duplicateRate: number;
  lateRate: number;
  /** Silver: gaps up to this long are estimated by linear interpolation. */
  maxEstimatedGapMinutes: number;
}

export const defaultMeterConfig: MeterConfig = {
  intervalMinutes: 15,
  peakBandKwh: [1.5, 3.5],
  morningBandKwh: [1.0, 2.5],
  offBandKwh: [0.3, 1.5],
  segmentScale: {RESIDENTIAL: 1, COMMERCIAL: 5, INDUSTRIAL: 15},
  nominalVoltage: 120,
  voltageRangeA: [114, 126],
  outagesPerTransformerMonth: 0.15,
  duplicateRate: 0.005,
  lateRate: 0.01,
  maxEstimatedGapMinutes: 60
};
