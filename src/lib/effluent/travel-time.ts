import {robustStats} from "./grid.js";

/** The longest a reading is held across the blank rows after it (a 5-minute sensor's cadence). */
const MAX_HOLD_MINUTES = 4;

export interface TravelEstimate {
  factory_id: string;
  lag_minutes: number;
  /** Peak cross-correlation over the mean at other lags: how clearly the history shows it. */
  clarity: number;
}

/**
 * Learns a factory's travel time to the inlet from history: the lag that best lines up the
 * factory's positive excursions (robust z against its own median/MAD) with the inlet's. Excursions
 * are clipped so one huge slug cannot dominate, and only positive parts count (a factory raises the
 * inlet, never lowers it), which keeps shared diurnal cycles from blurring the peak.
 */
export function estimateTravelTime({
  factoryId,
  factory,
  inlet,
  maxLagMinutes
}: {
  factoryId: string;
  factory: Float64Array;
  inlet: Float64Array;
  maxLagMinutes: number;
}): TravelEstimate {
  const excursions = (series: Float64Array) => {
    const {median, mad} = robustStats(series, 0, series.length);
    const scale = mad > 0 ? mad : 1;
    return series.map((v) => (Number.isFinite(v) ? Math.min(20, Math.max(0, (v - median) / scale - 3)) : 0));
  };
  // Sensors that report every few minutes: carry the last value forward before correlating, but
  // only across a sensor's cadence — a longer silence stays silence, not a held value.
  const filled = Float64Array.from(factory);
  let held = 0;
  for (let i = 1; i < filled.length; i++) {
    if (Number.isFinite(filled[i]!)) held = 0;
    else if (Number.isFinite(filled[i - 1]!) && held < MAX_HOLD_MINUTES) ((filled[i] = filled[i - 1]!), held++);
  }
  const f = excursions(filled);
  const g = excursions(inlet);
  const scores: number[] = [];
  for (let lag = 0; lag <= maxLagMinutes; lag++) {
    let sum = 0;
    for (let t = lag; t < g.length; t++) sum += f[t - lag]! * g[t]!;
    scores.push(sum);
  }
  let best = 0;
  for (let lag = 1; lag < scores.length; lag++) if (scores[lag]! > scores[best]!) best = lag;
  const others = scores.filter((_, lag) => Math.abs(lag - best) > 3);
  const mean = others.reduce((a, b) => a + b, 0) / Math.max(1, others.length);
  return {
    factory_id: factoryId,
    lag_minutes: best,
    clarity: mean > 0 ? scores[best]! / mean : scores[best]! > 0 ? Infinity : 0
  };
}
