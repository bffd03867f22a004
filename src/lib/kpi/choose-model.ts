/**
 * The forecast model of a metric, chosen by its rolling-origin backtest: every candidate is
 * refitted at each origin and the lowest mean MASE wins. AIC chooses only among the SARIMAX orders
 * of one differencing (inside `forecastSeries`); the two SARIMAX grids, seasonal naive and naive
 * are compared by the backtest alone.
 */
import {
  backtest,
  forecastSeries,
  gridDifferencing,
  naive,
  ORDER_GRID,
  ORDER_GRID_D1,
  reliabilityScore,
  seasonalNaive,
  type Forecast,
  type Order,
  type SarimaxForecast
} from "./forecast.js";

export type ModelName = "sarimax" | "sarimax_d1" | "seasonal_naive" | "naive";

/** A candidate's backtest and, for the chosen one, its forecast and why it was chosen. */
export interface ModelResult {
  model: ModelName;
  mape: number;
  smape: number;
  mase: number;
  score: number;
  folds: number;
  chosen: boolean;
  why: string;
}

const GRIDS: Partial<Record<ModelName, readonly Order[]>> = {sarimax: ORDER_GRID, sarimax_d1: ORDER_GRID_D1};
const CANDIDATES: readonly ModelName[] = ["sarimax", "sarimax_d1", "seasonal_naive", "naive"];
const round = (x: number, digits: number) => +x.toFixed(digits);

/**
 * Backtests every candidate on `series` (`folds` origins × `horizon` days), picks the lowest MASE,
 * and forecasts `forecastHorizon` days with it. `holidays` covers the series and the forecast
 * horizon; `outliers` are days the forecaster replaces by the week before. Under two weeks of
 * history at every origin nothing can be backtested: SARIMAX's own fallback rule decides.
 */
export function chooseForecast({
  series,
  holidays,
  outliers,
  forecastHorizon,
  folds,
  horizon
}: {
  series: number[];
  holidays: boolean[];
  outliers: boolean[];
  forecastHorizon: number;
  folds: number;
  horizon: number;
}): {forecast: SarimaxForecast; chosen: ModelName; results: ModelResult[]} {
  const fit = (model: ModelName, train: number[], h: number): SarimaxForecast | Forecast => {
    const grid = GRIDS[model];
    if (grid) return forecastSeries({series: train, horizon: h, holidays, outliers, grid});
    return model === "seasonal_naive" ? seasonalNaive({series: train, horizon: h}) : naive({series: train, horizon: h});
  };
  const scored = CANDIDATES.map((model) => {
    const acc = backtest({series, model: (train, h) => fit(model, train, h).yhat, folds, horizon});
    return {model, acc, ok: acc.folds > 0 && Number.isFinite(acc.mase)};
  });
  const ranked = scored.filter((s) => s.ok).sort((a, b) => a.acc.mase - b.acc.mase);
  const best = ranked[0];
  let forecast: SarimaxForecast;
  let chosen: ModelName;
  let reason: string;
  if (!best) {
    forecast = forecastSeries({series, horizon: forecastHorizon, holidays, outliers});
    chosen = forecast.model === "sarimax" ? "sarimax" : forecast.model;
    reason = `too short to backtest (${series.length} days)${forecast.fallbackReason ? `: ${forecast.fallbackReason}` : ""}`;
  } else {
    const full = fit(best.model, series, forecastHorizon);
    forecast = "exog" in full ? full : {...full, exog: []};
    chosen = best.model;
    const others = ranked
      .slice(1)
      .map((s) => `${s.model} ${s.acc.mase.toFixed(3)}`)
      .join(", ");
    reason = `lowest backtest MASE ${best.acc.mase.toFixed(3)}${others ? ` (${others})` : ""}`;
    const grid = GRIDS[best.model];
    if (grid && forecast.model === "sarimax")
      reason += `; order ${forecast.order} by AIC among ${forecast.fitted} fitted orders with ${gridDifferencing(grid)}${useLogNote(series)}`;
    else if (grid) {
      // The full series failed every order its folds fitted: the forecast is the fallback's.
      chosen = forecast.model as ModelName;
      reason += `; but no order fitted the full series, so ${forecast.model} forecasts: ${forecast.fallbackReason}`;
    }
  }
  const chosenMase = scored.find((s) => s.model === chosen && s.ok)?.acc.mase;
  const results = scored.map(({model, acc, ok}): ModelResult => {
    const isChosen = model === chosen;
    return {
      model,
      mape: ok ? round(acc.mape, 3) : NaN,
      smape: ok ? round(acc.smape, 3) : NaN,
      mase: ok ? round(acc.mase, 4) : NaN,
      score: ok ? reliabilityScore(acc) : 0,
      folds: acc.folds,
      chosen: isChosen,
      why: isChosen
        ? reason
        : !ok
          ? "not backtested: too little history before every origin"
          : chosenMase === undefined
            ? `backtest MASE ${acc.mase.toFixed(3)}; not used (${reason})`
            : `backtest MASE ${acc.mase.toFixed(3)}, above the chosen ${chosen}'s ${chosenMase.toFixed(3)}`
    };
  });
  return {forecast, chosen, results};
}

// forecastSeries fits the log when its window (the last 364 days) is positive.
const useLogNote = (series: number[]) => (series.slice(-364).every((y) => y > 0) ? ", on the log" : "");
