import type {EffluentConfig} from "./config.js";
import {MINUTE, robustStats} from "./grid.js";
import type {TravelEstimate} from "./travel-time.js";
import type {Attribution, ShockEvent} from "./types.js";

/** A stretch of the one-minute grid, [from, to] inclusive, with what to call it in the evidence. */
export interface MinuteWindow {
  from: number;
  to: number;
  label: string;
}

export interface FactorySeries {
  factory_id: string;
  /** COD on the one-minute grid (NaN = no reading), readings inside `setAside` windows already removed. */
  cod: Float64Array;
  /** COD as received, for the fixed look-back reference (default: `cod`). */
  raw?: Float64Array;
  /** Running count of readings as received: readings in minutes [a, b] = reported[b + 1] − reported[a]. */
  reported?: Int32Array;
  /** The factory's FROZEN, FINGERPRINT and DILUTION windows, whose readings were set aside. */
  setAside?: MinuteWindow[];
  /** The factory's BLACKOUT windows. */
  silences?: MinuteWindow[];
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
  /** Why the factory could not be checked for this shock (silent in its search window), else null. */
  silent: string | null;
  /** Its tamper windows whose readings were set aside in the search or baseline window. */
  setAside: string[];
}

const fmt = (d: Date) => d.toISOString().slice(11, 16);

/**
 * Where a discharge would have had to leave a factory to cause this shock, in grid minutes
 * (inclusive): [start − travel − tolerance, end − travel + tolerance].
 */
export function searchWindow({
  event,
  lagMinutes,
  t0,
  config
}: {
  event: ShockEvent;
  lagMinutes: number;
  t0: number;
  config: Pick<EffluentConfig, "onsetToleranceMinutes">;
}): {from: number; to: number} {
  const startM = Math.round((event.start_ts.getTime() - t0) / MINUTE);
  const endM = Math.round((event.end_ts.getTime() - t0) / MINUTE);
  return {
    from: startM - lagMinutes - config.onsetToleranceMinutes,
    to: endM - lagMinutes + config.onsetToleranceMinutes
  };
}

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
  return factories.map(({factory_id, cod, reported, setAside = [], silences = []}) => {
    const lag = travel.get(factory_id)?.lag_minutes ?? config.fixedLookbackMinutes;
    const {from, to} = searchWindow({event, lagMinutes: lag, t0, config});
    const lo = Math.max(0, from),
      hi = Math.min(cod.length - 1, to);
    const overlapping = (w: MinuteWindow, a: number) => w.from <= to && a <= w.to;
    const blackout = silences.find((w) => overlapping(w, from));
    const silent = blackout
      ? blackout.label
      : reported && hi >= lo && reported[hi + 1]! - reported[lo]! === 0
        ? `no reading ${fmt(new Date(t0 + lo * MINUTE))}–${fmt(new Date(t0 + hi * MINUTE))} UTC`
        : null;
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
      mad: base.mad,
      silent,
      setAside: setAside.filter((w) => overlapping(w, from - config.baselineWindowMinutes)).map((w) => w.label)
    };
    for (let m = lo; m <= hi; m++) {
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
 * the margin: (1 − minZ/z) × (1 − runnerUp/z), in [0, 1). A factory silent in its search window
 * could have caused the shock unseen: the shock is flagged and nobody else is blamed by elimination.
 */
export function attributeShock({
  event,
  scores,
  unchecked = [],
  config
}: {
  event: ShockEvent;
  scores: FactoryScore[];
  /** Factories left out for having too few readings to monitor: named, but they hold no verdict back. */
  unchecked?: {factory_id: string; reason: string}[];
  config: EffluentConfig;
}): Attribution {
  const silent = scores.filter((s) => s.silent);
  const ranked = scores.filter((s) => !s.silent).sort((a, b) => b.z - a.z);
  const [best, second] = ranked;
  const runnerUp = second?.z ?? 0;
  const evidenceOf = (s: FactoryScore) =>
    `${s.factory_id} z=${s.z.toFixed(1)}${s.cod !== null ? ` (COD ${s.cod.toFixed(0)} mg/L at ${fmt(s.at!)} UTC vs its ${config.baselineWindowMinutes / 60} h median ${s.baseline.toFixed(0)}, MAD ${s.mad.toFixed(1)}; travel ${s.lag_minutes} min)` : ""}`;
  const asideNotes = scores
    .filter((s) => s.setAside.length)
    .map((s) => `${s.factory_id}'s readings inside ${s.setAside.join(", ")}`);
  const aside =
    (asideNotes.length ? `. Set aside: ${asideNotes.join("; ")}` : "") +
    (unchecked.length
      ? `. Not checked: ${unchecked.map((u) => `${u.factory_id} could not be checked: ${u.reason}`).join("; ")}`
      : "");
  const flag = silent.length
    ? `flagged: ${silent.map((s) => `${s.factory_id} could not be checked: silent (${s.silent})`).join("; ")}; it could have caused this shock unseen, so nobody is blamed by elimination. `
    : "";
  const clears = !!best && best.z >= config.minRobustZ && best.z >= config.minMarginRatio * Math.max(runnerUp, 1e-9);
  const unattributed = (why: string, strongest: string) => ({
    event_id: event.event_id,
    method: "robust_lag" as const,
    factory_id: null,
    lag_minutes: null,
    factory_cod: null,
    score: best ? +best.z.toFixed(2) : null,
    confidence: 0,
    evidence: `${flag}${why}${strongest}${aside}`
  });
  if (best && clears && silent.length)
    return unattributed(`Best of the rest: ${evidenceOf(best)}`, `; runner-up ${second ? evidenceOf(second) : "none"}`);
  if (!best || !clears) {
    const why = !best
      ? "no factory data"
      : best.z < config.minRobustZ
        ? `no factory reached z ≥ ${config.minRobustZ}`
        : `${best.factory_id} (z=${best.z.toFixed(1)}) is not ${config.minMarginRatio}× clear of ${second!.factory_id} (z=${runnerUp.toFixed(1)})`;
    return unattributed(`unattributed: ${why}.`, ` Strongest: ${ranked.slice(0, 2).map(evidenceOf).join("; ")}`);
  }
  return {
    event_id: event.event_id,
    method: "robust_lag",
    factory_id: best.factory_id,
    lag_minutes: best.lag_minutes,
    factory_cod: best.cod,
    score: +best.z.toFixed(2),
    confidence: +((1 - config.minRobustZ / best.z) * (1 - runnerUp / best.z)).toFixed(3),
    evidence: `${evidenceOf(best)}; runner-up ${second ? evidenceOf(second) : "none"}${aside}`
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
  for (const {factory_id, cod: masked, raw} of factories) {
    const cod = raw ?? masked;
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
