import {createRequire} from "node:module";
import {dirname, join} from "node:path";

export interface Forecast {
  model: "sarimax" | "seasonal_naive" | "naive";
  yhat: number[];
  lo80: number[];
  hi80: number[];
  lo95: number[];
  hi95: number[];
  /** Why a simpler model was used, when it was. */
  fallbackReason?: string;
}

const Z80 = 1.2816,
  Z95 = 1.96;

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
export function seasonalNaive({
  series,
  horizon,
  season = 7
}: {
  series: number[];
  horizon: number;
  season?: number;
}): Forecast {
  const sd = std(series.slice(season).map((y, i) => y - series[i]!));
  const yhat = Array.from({length: horizon}, (_, h) => series[series.length - season + (h % season)]!);
  return {
    model: "seasonal_naive",
    ...bands(
      yhat,
      yhat.map((_, h) => sd * Math.sqrt(Math.floor(h / season) + 1))
    )
  };
}

export function naive({series, horizon}: {series: number[]; horizon: number}): Forecast {
  const sd = std(series.slice(1).map((y, i) => y - series[i]!));
  const last = series.at(-1)!;
  return {
    model: "naive",
    ...bands(
      Array(horizon).fill(last),
      Array.from({length: horizon}, (_, h) => sd * Math.sqrt(h + 1))
    )
  };
}

/** A SARIMA order (p,d,q)(P,D,Q)s. */
export interface Order {
  p: number;
  d: number;
  q: number;
  P: number;
  D: number;
  Q: number;
  s: number;
}

export const formatOrder = (o: Order) => `(${o.p},${o.d},${o.q})(${o.P},${o.D},${o.Q})${o.s}`;

/**
 * The order grids. Within a grid every candidate has the same differencing, so all fit the same
 * differenced data and their AICs compare; AIC across different orders of differencing compares
 * likelihoods of different series and is meaningless, so the grids are compared by their
 * backtest instead (derive.ts). ORDER_GRID: one seasonal difference, no regular one.
 */
export const ORDER_GRID: readonly Order[] = [
  {p: 1, d: 0, q: 0, P: 0, D: 1, Q: 1, s: 7},
  {p: 1, d: 0, q: 1, P: 0, D: 1, Q: 1, s: 7},
  {p: 2, d: 0, q: 0, P: 0, D: 1, Q: 1, s: 7},
  {p: 0, d: 0, q: 1, P: 0, D: 1, Q: 1, s: 7},
  {p: 1, d: 0, q: 0, P: 1, D: 1, Q: 1, s: 7}
];

/**
 * One regular and one seasonal difference: for a level that wanders (a long web-traffic series),
 * which a stationary AR term after the weekly difference pulls back to its mean. The airline model
 * and its (1,1,1)(1,1,1)7 extension.
 */
export const ORDER_GRID_D1: readonly Order[] = [
  {p: 0, d: 1, q: 1, P: 0, D: 1, Q: 1, s: 7},
  {p: 1, d: 1, q: 1, P: 1, D: 1, Q: 1, s: 7}
];

/** A grid's differencing, "d=0, D=1"; a grid that mixes differencing is refused (its AICs would not compare). */
export function gridDifferencing(grid: readonly Order[]): string {
  const kinds = new Set(grid.map((o) => `d=${o.d}, D=${o.D}`));
  if (kinds.size !== 1) throw new Error(`an order grid must share one differencing, found ${[...kinds].join("; ")}`);
  return [...kinds][0]!;
}

type ArimaModel = {
  train(ts: number[], exog?: number[]): ArimaModel;
  predict(h: number, exog?: number[]): [number[], number[]];
  destroy?(): void;
};
let arimaClass: (new (options: Record<string, unknown>) => ArimaModel) | undefined;

/** The solver's own console messages (it prints to stdout, which is a data loader's output). */
const solverMessages: string[] = [];

/**
 * The `arima` package's WebAssembly module, built the way its index.js builds it but with the
 * solver's prints captured instead of written to stdout.
 */
function loadArima(): new (options: Record<string, unknown>) => ArimaModel {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("arima"));
  const capture = (line: string) => void (line.trim() && solverMessages.push(line.trim()));
  const module = require(join(dir, "wasm", "native-sync.js"))({
    wasmBinary: require(join(dir, "wrapper", "native.bin.js")),
    print: capture,
    printErr: capture
  });
  return require(join(dir, "load.js"))(module);
}

export interface SarimaxForecast extends Forecast {
  order?: string;
  aic?: number;
  /** How many orders of the grid fitted (the AIC chose among them). */
  fitted?: number;
  /** The regressors the chosen model used. */
  exog: string[];
}

/**
 * SARIMAX with a weekly season, for a daily KPI series:
 * - fitted on the log of the series when it is positive (weekly and yearly effects multiply),
 *   over the last `window` days, with the days in `outliers` (flagged anomalies) replaced by the
 *   same weekday a week earlier so one spike does not bend the model;
 * - a holiday regressor (1 on public holidays) when the training window holds a holiday — the
 *   weekly seasonal difference already carries the day-of-week effect, so a day-of-week dummy
 *   would be collinear with it;
 * - orders chosen from `grid` (one differencing) by AIC = n·ln σ̂² + 2k, with σ̂² the model's one-step
 *   innovation variance and k its coefficients plus the variance;
 * - 80% and 95% intervals from the model's forecast variance (back-transformed: asymmetric).
 * Falls back to seasonal naive under four weeks of data or when no order fits, and to naive under
 * two weeks, recording the reason.
 */
export function forecastSeries({
  series,
  horizon,
  season = 7,
  holidays,
  outliers,
  window = 364,
  grid = ORDER_GRID
}: {
  series: number[];
  horizon: number;
  season?: number;
  holidays?: boolean[];
  outliers?: boolean[];
  window?: number;
  grid?: readonly Order[];
}): SarimaxForecast {
  if (series.length < 2 * season)
    return {...naive({series, horizon}), exog: [], fallbackReason: `only ${series.length} days: under two seasons`};
  if (series.length < 4 * season)
    return {
      ...seasonalNaive({series, horizon, season}),
      exog: [],
      fallbackReason: `only ${series.length} days: under four seasons`
    };
  const from = Math.max(0, series.length - window);
  const raw = series.slice(from);
  const useLog = raw.every((y) => y > 0);
  const y = raw.map((v) => (useLog ? Math.log(v) : v));
  for (let i = season; i < y.length; i++) if (outliers?.[from + i]) y[i] = y[i - season]!;
  const hol = holidays ? holidays.slice(from, series.length + horizon).map((h) => (h ? 1 : 0)) : [];
  const withExog = hol.slice(0, y.length).includes(1);
  gridDifferencing(grid);
  arimaClass ??= loadArima();
  let fitted = 0;
  let best: {order: Order; aic: number; yhat: number[]; variance: number[]} | undefined;
  const failures: string[] = [];
  const scale = Math.max(...y.map(Math.abs));
  for (const order of grid) {
    let model: ArimaModel | undefined;
    solverMessages.length = 0;
    try {
      model = new arimaClass!({...order, verbose: false});
      if (withExog) model.train(y, hol.slice(0, y.length));
      else model.train(y);
      const [yhat, variance] = withExog
        ? model.predict(horizon, hol.slice(y.length, y.length + horizon))
        : model.predict(horizon);
      const sigma2 = variance[0]!;
      if (
        !(sigma2 > 0) ||
        yhat.some((v) => !Number.isFinite(v) || Math.abs(v) > 10 * scale) ||
        variance.some((v) => !Number.isFinite(v) || v < 0)
      ) {
        failures.push(`${formatOrder(order)} diverged`);
        continue;
      }
      const n = y.length - order.d - order.D * order.s;
      const k = order.p + order.q + order.P + order.Q + (withExog ? 1 : 0) + 1;
      const aic = n * Math.log(sigma2) + 2 * k;
      fitted++;
      if (!best || aic < best.aic) best = {order, aic, yhat, variance};
    } catch (error) {
      failures.push(
        `${formatOrder(order)}: ${(error as Error).message}${solverMessages.length ? ` (solver: ${solverMessages.join(" ")})` : ""}`
      );
    } finally {
      model?.destroy?.();
    }
  }
  if (!best)
    return {
      ...seasonalNaive({series, horizon, season}),
      exog: [],
      fallbackReason: `no SARIMAX order fitted (${failures.join("; ")})`
    };
  const back = (v: number) => (useLog ? Math.exp(v) : v);
  const sd = best.variance.map(Math.sqrt);
  return {
    model: "sarimax",
    yhat: best.yhat.map(back),
    lo80: best.yhat.map((v, i) => back(v - Z80 * sd[i]!)),
    hi80: best.yhat.map((v, i) => back(v + Z80 * sd[i]!)),
    lo95: best.yhat.map((v, i) => back(v - Z95 * sd[i]!)),
    hi95: best.yhat.map((v, i) => back(v + Z95 * sd[i]!)),
    order: formatOrder(best.order),
    aic: +best.aic.toFixed(2),
    fitted,
    exog: withExog ? ["holiday"] : []
  };
}

export interface Accuracy {
  mape: number;
  smape: number;
  mase: number;
}

/** MAPE and sMAPE in percent; MASE scaled by the in-sample seasonal naive error. */
export function accuracy({
  actual,
  predicted,
  train,
  season = 7
}: {
  actual: number[];
  predicted: number[];
  train: number[];
  season?: number;
}): Accuracy {
  const n = actual.length;
  let ape = 0,
    sape = 0,
    ae = 0;
  for (let i = 0; i < n; i++) {
    const a = actual[i]!,
      p = predicted[i]!;
    ape += Math.abs(a - p) / Math.max(Math.abs(a), 1e-9);
    sape += (2 * Math.abs(a - p)) / Math.max(Math.abs(a) + Math.abs(p), 1e-9);
    ae += Math.abs(a - p);
  }
  const scale =
    train.slice(season).reduce((s, y, i) => s + Math.abs(y - train[i]!), 0) / Math.max(1, train.length - season);
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
export function backtest({
  series,
  model,
  folds = 5,
  horizon = 7,
  season = 7
}: {
  series: number[];
  model: (train: number[], h: number, cut: number) => number[];
  folds?: number;
  horizon?: number;
  season?: number;
}): Accuracy & {folds: number} {
  const results: Accuracy[] = [];
  for (let f = folds; f >= 1; f--) {
    const cut = series.length - f * horizon;
    if (cut < 2 * season) continue;
    const train = series.slice(0, cut);
    results.push(
      accuracy({actual: series.slice(cut, cut + horizon), predicted: model(train, horizon, cut), train, season})
    );
  }
  const mean = (k: keyof Accuracy) => results.reduce((s, r) => s + r[k], 0) / Math.max(1, results.length);
  return {mape: mean("mape"), smape: mean("smape"), mase: mean("mase"), folds: results.length};
}
