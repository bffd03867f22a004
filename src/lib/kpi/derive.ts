import {createHash} from "node:crypto";
import {createRng} from "../core/random.js";
import {addDays, DEFAULT_HOLIDAYS, isHoliday} from "./calendar.js";
import {dailyFeatures} from "./features.js";
import {backtest, forecastSeries, naive, reliabilityScore, seasonalNaive, type Accuracy} from "./forecast.js";
import {isolationForest} from "./isolation-forest.js";
import {rollingZScore, type DailyPoint} from "./zscore.js";

/** Bump when anything below changes what a metric derives: cached results of older versions are ignored. */
export const DERIVE_VERSION = 4;
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
  holidays?: readonly string[];
}

/** What a metric's derived tables depend on: its daily series, the seed, the holidays and this code's version. */
export function seriesKey({metric, points, seed, holidays = DEFAULT_HOLIDAYS}: MetricSeries): string {
  const h = createHash("sha256").update(JSON.stringify([DERIVE_VERSION, metric, String(seed), holidays]));
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
 * z-score and the Isolation Forest, a 28-day forecast (SARIMAX, or its recorded fallback) with 80%
 * and 95% intervals, and a rolling-origin backtest (5 folds × 7 days) of SARIMAX, seasonal naive
 * and naive, each with its reliability score. A pure function of the series, seed and holidays.
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
  const holidayFlags = Array.from({length: days.length + FORECAST_HORIZON}, (_, i) =>
    isHoliday(addDays(days[0] ?? "1970-01-01", i), holidays)
  );
  const outliers = days.map((d, i) => (zFlags.get(d) ?? false) && !holidayFlags[i]);
  const forecast = forecastSeries({series: values, horizon: FORECAST_HORIZON, holidays: holidayFlags, outliers});
  const forecasts: ForecastRow[] = forecast.yhat.map((yhat, h) => ({
    metric,
    day: addDays(days.at(-1)!, h + 1),
    model: forecast.model,
    yhat: round(yhat),
    lo80: round(forecast.lo80[h]!),
    hi80: round(forecast.hi80[h]!),
    lo95: round(forecast.lo95[h]!),
    hi95: round(forecast.hi95[h]!)
  }));
  const models: Record<string, (train: number[], h: number, cut: number) => number[]> = {
    sarimax: (train, h) => forecastSeries({series: train, horizon: h, holidays: holidayFlags, outliers}).yhat,
    seasonal_naive: (train, h) => seasonalNaive({series: train, horizon: h}).yhat,
    naive: (train, h) => naive({series: train, horizon: h}).yhat
  };
  const reliability: ReliabilityRow[] = Object.entries(models).map(([model, fn]) => {
    const acc: Accuracy & {folds: number} = backtest({series: values, model: fn, ...BACKTEST});
    const ok = acc.folds > 0;
    const chosen = model === forecast.model;
    return {
      metric,
      model,
      chosen,
      mape: ok ? round(acc.mape, 3) : NaN,
      smape: ok ? round(acc.smape, 3) : NaN,
      mase: ok ? round(acc.mase, 4) : NaN,
      score: ok ? reliabilityScore(acc) : 0,
      folds: acc.folds,
      order: chosen ? (forecast.order ?? null) : null,
      exog: chosen && forecast.exog.length ? forecast.exog.join(",") : null,
      fallback_reason: chosen ? (forecast.fallbackReason ?? null) : null,
      imputed_days: imputed
    };
  });
  return {metric, anomalies, forecasts, reliability};
}
