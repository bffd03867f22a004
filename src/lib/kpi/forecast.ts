import {createRequire} from "node:module";

const require = createRequire(import.meta.url);

export interface Forecast {
  model: "sarima" | "seasonal_naive" | "naive";
  yhat: number[];
  lo80: number[];
  hi80: number[];
  lo95: number[];
  hi95: number[];
  /** Why a simpler model was used, when it was. */
  fallbackReason?: string;
}

const Z80 = 1.2816, Z95 = 1.96;

function bands(yhat: number[], sd: number[]): Omit<Forecast, "model"> {
  return {
    yhat,
    lo80: yhat.map((y, i) => y - Z80 * sd[i]!),
    hi80: yhat.map((y, i) => y + Z80 * sd[i]!),
    lo95: yhat.map((y, i) => y - Z95 * sd[i]!),
    hi95: yhat.map((y, i) => y + Z95 * sd[i]!)
  };
}

const std = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};

/** Each day as the same weekday last week; spread from the seasonal differences, growing per week ahead. */
export function seasonalNaive({series, horizon, season = 7}: {series: number[]; horizon: number; season?: number}): Forecast {
  const sd = std(series.slice(season).map((y, i) => y - series[i]!));
  const yhat = Array.from({length: horizon}, (_, h) => series[series.length - season + (h % season)]!);
  return {model: "seasonal_naive", ...bands(yhat, yhat.map((_, h) => sd * Math.sqrt(Math.floor(h / season) + 1)))};
}

export function naive({series, horizon}: {series: number[]; horizon: number}): Forecast {
  const sd = std(series.slice(1).map((y, i) => y - series[i]!));
  const last = series.at(-1)!;
  return {model: "naive", ...bands(Array(horizon).fill(last), Array.from({length: horizon}, (_, h) => sd * Math.sqrt(h + 1)))};
}

/**
 * Seasonal ARIMA with a weekly season (the `arima` package: orders chosen automatically), falling
 * back to seasonal naive when the series is under four weeks or the fit fails or diverges, and to
 * naive under two weeks; the reason is recorded. Intervals from the model's forecast variance.
 */
export function forecastSeries({series, horizon, season = 7}: {series: number[]; horizon: number; season?: number}): Forecast {
  if (series.length < 2 * season) return {...naive({series, horizon}), fallbackReason: `only ${series.length} days: under two seasons`};
  if (series.length < 4 * season) return {...seasonalNaive({series, horizon, season}), fallbackReason: `only ${series.length} days: under four seasons`};
  try {
    const ARIMA = require("arima") as new (options: Record<string, unknown>) => {train(ts: number[]): {predict(h: number): [number[], number[]]}};
    const [yhat, variance] = new ARIMA({auto: true, s: season, verbose: false}).train(series).predict(horizon);
    const scale = Math.max(...series.map(Math.abs));
    if (yhat.some((y) => !Number.isFinite(y) || Math.abs(y) > 10 * scale) || variance.some((v) => !Number.isFinite(v) || v < 0)) {
      return {...seasonalNaive({series, horizon, season}), fallbackReason: "SARIMA forecast diverged"};
    }
    return {model: "sarima", ...bands(yhat, variance.map(Math.sqrt))};
  } catch (error) {
    return {...seasonalNaive({series, horizon, season}), fallbackReason: `SARIMA fit failed: ${(error as Error).message}`};
  }
}

export interface Accuracy {
  mape: number;
  smape: number;
  mase: number;
}

/** MAPE and sMAPE in percent; MASE scaled by the in-sample seasonal naive error. */
export function accuracy({actual, predicted, train, season = 7}: {actual: number[]; predicted: number[]; train: number[]; season?: number}): Accuracy {
  const n = actual.length;
  let ape = 0, sape = 0, ae = 0;
  for (let i = 0; i < n; i++) {
    const a = actual[i]!, p = predicted[i]!;
    ape += Math.abs(a - p) / Math.max(Math.abs(a), 1e-9);
    sape += (2 * Math.abs(a - p)) / Math.max(Math.abs(a) + Math.abs(p), 1e-9);
    ae += Math.abs(a - p);
  }
  const scale = train.slice(season).reduce((s, y, i) => s + Math.abs(y - train[i]!), 0) / Math.max(1, train.length - season);
  return {mape: (100 * ape) / n, smape: (100 * sape) / n, mase: ae / n / Math.max(scale, 1e-9)};
}

/**
 * The reliability score, one formula: 100 × clamp(1 − MASE/2) × clamp(1 − sMAPE/200). A forecast
 * twice as wrong as seasonal naive, or with sMAPE at its 200% ceiling, scores 0; a perfect one 100.
 */
export function reliabilityScore({mase, smape}: {mase: number; smape: number}): number {
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  return Math.round(100 * clamp(1 - mase / 2) * clamp(1 - smape / 200));
}

/** Rolling-origin backtest: `folds` origins, each forecasting the next `horizon` days. */
export function backtest({series, model, folds = 5, horizon = 7, season = 7}: {series: number[]; model: (train: number[], h: number) => number[]; folds?: number; horizon?: number; season?: number}): Accuracy {
  const results: Accuracy[] = [];
  for (let f = folds; f >= 1; f--) {
    const cut = series.length - f * horizon;
    if (cut < 2 * season) continue;
    const train = series.slice(0, cut);
    results.push(accuracy({actual: series.slice(cut, cut + horizon), predicted: model(train, horizon), train, season}));
  }
  const mean = (k: keyof Accuracy) => results.reduce((s, r) => s + r[k], 0) / Math.max(1, results.length);
  return {mape: mean("mape"), smape: mean("smape"), mase: mean("mase")};
}
