import type {EffluentConfig} from "./config.js";
import {MINUTE, robustStats} from "./grid.js";
import type {TravelEstimate} from "./travel-time.js";
import type {Attribution, ShockEvent} from "./types.js";

export interface FactorySeries {
  factory_id: string;
  /** COD on the one-minute grid (NaN = no reading). */
  cod: Float64Array;
}

export interface FactoryScore {
  factory_id: string;
  lag_minutes: number;
  /** The largest robust z in the factory's window, against its own trailing baseline. */
  z: number;
  cod: number | null;
  at: Date | null;
  baseline: number;
  mad: number;
}

const fmt = (d: Date) => d.toISOString().slice(11, 16);

/**
 * For each factory: how abnormal it was, against its own trailing baseline (median / MAD over
 * `baselineWindowMinutes`), in the window where a discharge would have had to leave it to cause
 * this shock: [start − travel − tolerance, end − travel + tolerance].
 */
export function scoreFactories({
  event,
  factories,
  travel,
  t0,
  config
}: {
  event: ShockEvent;
  factories: FactorySeries[];
  travel: Map<string, TravelEstimate>;
  t0: number;
  config: EffluentConfig;
}): FactoryScore[] {
  const startM = Math.round((event.start_ts.getTime() - t0) / MINUTE);
  const endM = Math.round((event.end_ts.getTime() - t0) / MINUTE);
  return factories.map(({factory_id, cod}) => {
    const lag = travel.get(factory_id)?.lag_minutes ?? config.fixedLookbackMinutes;
    const from = startM - lag - config.onsetToleranceMinutes;
    const to = endM - lag + config.onsetToleranceMinutes;
    const base = robustStats(cod, from - config.baselineWindowMinutes, from);
    // A MAD floor of 1% of the median keeps a frozen or very quiet sensor from scoring infinity.
    const scale = Math.max(base.mad, 0.01 * Math.abs(base.median), 1e-9);
    let best: FactoryScore = {
      factory_id,
      lag_minutes: lag,
      z: 0,
      cod: null,
      at: null,
      baseline: base.median,
      mad: base.mad
    };
    for (let m = Math.max(0, from); m <= Math.min(cod.length - 1, to); m++) {
      const v = cod[m]!;
      if (!Number.isFinite(v) || base.n < 10) continue;
      const z = (v - base.median) / scale;
      if (z > best.z) best = {...best, z, cod: v, at: new Date(t0 + m * MINUTE)};
    }
    return best;
  });
}

/**
 * Our method (`robust_lag`): the factory with the largest robust z at its learned travel time,
 * only when the evidence clears the bar — z ≥ minRobustZ and at least minMarginRatio × the
 * runner-up. Otherwise the shock stays unattributed. Confidence grows with both the strength and
 * the margin: (1 − minZ/z) × (1 − runnerUp/z), in [0, 1).
 */
export function attributeShock({
  event,
  scores,
  config
}: {
  event: ShockEvent;
  scores: FactoryScore[];
  config: EffluentConfig;
}): Attribution {
  const ranked = scores.slice().sort((a, b) => b.z - a.z);
  const [best, second] = ranked;
  const runnerUp = second?.z ?? 0;
  const evidenceOf = (s: FactoryScore) =>
    `${s.factory_id} z=${s.z.toFixed(1)}${s.cod !== null ? ` (COD ${s.cod.toFixed(0)} mg/L at ${fmt(s.at!)} UTC vs its ${config.baselineWindowMinutes / 60} h median ${s.baseline.toFixed(0)}, MAD ${s.mad.toFixed(1)}; travel ${s.lag_minutes} min)` : ""}`;
  const clears = !!best && best.z >= config.minRobustZ && best.z >= config.minMarginRatio * Math.max(runnerUp, 1e-9);
  if (!best || !clears) {
    const why = !best
      ? "no factory data"
      : best.z < config.minRobustZ
        ? `no factory reached z ≥ ${config.minRobustZ}`
        : `${best.factory_id} (z=${best.z.toFixed(1)}) is not ${config.minMarginRatio}× clear of ${second!.factory_id} (z=${runnerUp.toFixed(1)})`;
    return {
      event_id: event.event_id,
      method: "robust_lag",
      factory_id: null,
      lag_minutes: null,
      factory_cod: null,
      score: best ? +best.z.toFixed(2) : null,
      confidence: 0,
      evidence: `unattributed: ${why}. Strongest: ${ranked.slice(0, 2).map(evidenceOf).join("; ")}`
    };
  }
  return {
    event_id: event.event_id,
    method: "robust_lag",
    factory_id: best.factory_id,
    lag_minutes: best.lag_minutes,
    factory_cod: best.cod,
    score: +best.z.toFixed(2),
    confidence: +((1 - config.minRobustZ / best.z) * (1 - runnerUp / best.z)).toFixed(3),
    evidence: `${evidenceOf(best)}; runner-up ${second ? evidenceOf(second) : "none"}`
  };
}

/**
 * The reference design, kept as a named baseline: look back a fixed `fixedLookbackMinutes` from
 * the shock start, take each factory's readings within ± `fixedToleranceMinutes`, and blame the
 * highest COD. It always blames someone when any reading is there.
 */
export function attributeFixedLookback({
  event,
  factories,
  t0,
  config
}: {
  event: ShockEvent;
  factories: FactorySeries[];
  t0: number;
  config: EffluentConfig;
}): Attribution {
  const center = Math.round((event.start_ts.getTime() - t0) / MINUTE) - config.fixedLookbackMinutes;
  let best: {factory_id: string; cod: number} | undefined;
  for (const {factory_id, cod} of factories) {
    for (let m = center - config.fixedToleranceMinutes; m <= center + config.fixedToleranceMinutes; m++) {
      const v = cod[m];
      if (v !== undefined && Number.isFinite(v) && (!best || v > best.cod)) best = {factory_id, cod: v};
    }
  }
  return {
    event_id: event.event_id,
    method: "fixed_lookback",
    factory_id: best?.factory_id ?? null,
    lag_minutes: config.fixedLookbackMinutes,
    factory_cod: best?.cod ?? null,
    score: best?.cod ?? null,
    confidence: best ? 1 : 0,
    evidence: best
      ? `highest COD ${best.cod.toFixed(0)} mg/L within ±${config.fixedToleranceMinutes} min of ${config.fixedLookbackMinutes} min before the shock`
      : "no factory readings in the look-back window"
  };
}
