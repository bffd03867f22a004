import {createHash} from "node:crypto";
import {createRng} from "../core/random.js";
import {addDays, DEFAULT_HOLIDAYS, holidaysBetween, type HolidayCalendar} from "./calendar.js";
import {chooseForecast} from "./choose-model.js";
import {dailyFeatures} from "./features.js";
import {isolationForest} from "./isolation-forest.js";
import {rollingZScore, type DailyPoint} from "./zscore.js";

/** Bump when anything below changes what a metric derives: cached results of older versions are ignored. */
export const DERIVE_VERSION = 5;
export const FORECAST_HORIZON = 28;
export const BACKTEST = {folds: 5, horizon: 7};
/** A metric's series is derived over its most recent days at most: bounds the work any file can cause. */
export const MAX_SERIES_DAYS = 3660;

export interface AnomalyRow {
  metric: string;
  day: string;
  value: number;
  zscore: number | null;
  iforest_score: number | null;
  is_anomaly: boolean;
  method: "zscore" | "iforest";
}

export interface ForecastRow {
  metric: string;
  day: string;
  model: string;
  yhat: number;
  lo80: number;
  hi80: number;
  lo95: number;
  hi95: number;
}

export interface ReliabilityRow {
  metric: string;
  model: string;
  chosen: boolean;
  mape: number;
  smape: number;
  mase: number;
  /** The reliability score, 0–100 (reliabilityScore). */
  score: number;
  folds: number;
  order: string | null;
  exog: string | null;
  fallback_reason: string | null;
  imputed_days: number;
  /** Why the model was chosen (its backtest against the others, its order's AIC), or why not. */
  why: string;
}

export interface MetricDerived {
  metric: string;
  anomalies: AnomalyRow[];
  forecasts: ForecastRow[];
  reliability: ReliabilityRow[];
}

/** One metric's daily series and what its derivation is seeded and calendared with. */
export interface MetricSeries {
  metric: string;
  points: DailyPoint[];
  seed: number | string;
  /** The dataset's holiday calendar (default: IN, the simulator's). */
  holidays?: HolidayCalendar;
}

/** What a metric's derived tables depend on: its daily series, the seed, its holidays and this code's version. */
export function seriesKey({metric, points, seed, holidays = DEFAULT_HOLIDAYS}: MetricSeries): string {
  const days =
    points.length === 0
      ? []
      : holidaysBetween({
          calendar: holidays,
          first: points[0]!.day,
          last: addDays(points.at(-1)!.day, FORECAST_HORIZON)
        });
  const h = createHash("sha256").update(JSON.stringify([DERIVE_VERSION, metric, String(seed), days]));
  for (const p of points) h.update(`${p.day}=${p.value}\n`);
  return h.digest("hex").slice(0, 20);
}

/**
 * Days from the first to the last point (at most the last `maxDays`), each present; a missing day
 * takes the value a week earlier (or 0).
 */
export function contiguous(
  points: DailyPoint[],
  maxDays = MAX_SERIES_DAYS
): {days: string[]; values: number[]; imputed: number} {
  if (!points.length) return {days: [], values: [], imputed: 0};
  const last = points.at(-1)!.day;
  const first = [points[0]!.day, addDays(last, 1 - maxDays)].sort().at(-1)!;
  const byDay = new Map(points.map((p) => [p.day, p.value]));
  const days: string[] = [];
  const values: number[] = [];
  let imputed = 0;
  for (let day = first; day <= last; day = addDays(day, 1)) {
    const v = byDay.get(day);
    if (v === undefined) imputed++;
    days.push(day);
    values.push(v ?? values[values.length - 7] ?? 0);
  }
  return {days, values, imputed};
}

const round = (x: number, digits = 4) => +x.toFixed(digits);

/**
 * Everything the KPI pipeline derives from one metric's daily series: anomalies from the trailing
 * z-score and the Isolation Forest, a 28-day forecast by the model with the lowest backtest MASE
 * (two SARIMAX grids, seasonal naive, naive; chooseForecast) with 80% and 95% intervals, and each
 * model's rolling-origin backtest (5 folds × 7 days) with its reliability score and why it was
 * or was not chosen. A pure function of the series, seed and holiday calendar.
 */
export function deriveMetric({metric, points, seed, holidays = DEFAULT_HOLIDAYS}: MetricSeries): MetricDerived {
  const {days, values, imputed} = contiguous(points);
  const series = days.map((day, i) => ({day, value: values[i]!}));
  const anomalies: AnomalyRow[] = [];
  const zFlags = new Map<string, boolean>();
  for (const f of rollingZScore({points: series})) {
    zFlags.set(f.day, f.isAnomaly);
    anomalies.push({
      metric,
      day: f.day,
      value: f.value,
      zscore: f.score,
      iforest_score: null,
      is_anomaly: f.isAnomaly,
      method: "zscore"
    });
  }
  const features = dailyFeatures(series);
  if (features.length >= 32) {
    const forest = isolationForest({rows: features.map((f) => f.features), rng: createRng(`${seed} ${metric}`)});
    features.forEach((f, i) =>
      anomalies.push({
        metric,
        day: f.day,
        value: series[i + 28]!.value,
        zscore: null,
        iforest_score: round(forest.scores[i]!),
        is_anomaly: forest.flags[i]!,
        method: "iforest"
      })
    );
  }
  // The forecaster cleans the days the trailing z-score flagged: it looks only backwards, so a
  // backtest fold never learns from what comes after its origin. Holidays are never cleaned:
  // their dip is what the holiday regressor has to learn.
  const first = days[0] ?? "1970-01-01";
  const holidayDays = new Set(
    holidaysBetween({calendar: holidays, first, last: addDays(days.at(-1) ?? first, FORECAST_HORIZON)})
  );
  const holidayFlags = Array.from({length: days.length + FORECAST_HORIZON}, (_, i) =>
    holidayDays.has(addDays(first, i))
  );
  const outliers = days.map((d, i) => (zFlags.get(d) ?? false) && !holidayFlags[i]);
  const {forecast, chosen, results} = chooseForecast({
    series: values,
    holidays: holidayFlags,
    outliers,
    forecastHorizon: FORECAST_HORIZON,
    ...BACKTEST
  });
  const forecasts: ForecastRow[] = forecast.yhat.map((yhat, h) => ({
    metric,
    day: addDays(days.at(-1)!, h + 1),
    model: chosen,
    yhat: round(yhat),
    lo80: round(forecast.lo80[h]!),
    hi80: round(forecast.hi80[h]!),
    lo95: round(forecast.lo95[h]!),
    hi95: round(forecast.hi95[h]!)
  }));
  const reliability: ReliabilityRow[] = results.map((r) => ({
    metric,
    model: r.model,
    chosen: r.chosen,
    mape: r.mape,
    smape: r.smape,
    mase: r.mase,
    score: r.score,
    folds: r.folds,
    order: r.chosen ? (forecast.order ?? null) : null,
    exog: r.chosen && forecast.exog.length ? forecast.exog.join(",") : null,
    fallback_reason: r.chosen ? (forecast.fallbackReason ?? null) : null,
    imputed_days: imputed,
    why: r.why
  }));
  return {metric, anomalies, forecasts, reliability};
}
