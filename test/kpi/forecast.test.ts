import {describe, expect, test} from "vitest";
import {createRng} from "../../src/lib/core/random.js";
import {addDays, namedCalendar} from "../../src/lib/kpi/calendar.js";
import {deriveMetric} from "../../src/lib/kpi/derive.js";
import {simulateKpiEvents} from "../../src/lib/kpi/simulate.js";
import {
  accuracy,
  backtest,
  forecastSeries,
  naive,
  reliabilityScore,
  seasonalNaive
} from "../../src/lib/kpi/forecast.js";

const weekly = Array.from({length: 70}, (_, i) => [10, 20, 30, 40, 50, 60, 70][i % 7]!);

describe("forecasting building blocks", () => {
  test("seasonal naive repeats last week; its intervals widen each week ahead", () => {
    const f = seasonalNaive({series: weekly, horizon: 14});
    expect(f.yhat).toEqual([...weekly.slice(-7), ...weekly.slice(-7)]);
    const noisy = weekly.map((y, i) => y + (i % 3) - 1);
    const g = seasonalNaive({series: noisy, horizon: 14});
    expect(g.hi80[7]! - g.lo80[7]!).toBeGreaterThan(g.hi80[0]! - g.lo80[0]!);
    expect(g.hi95[0]! - g.lo95[0]!).toBeGreaterThan(g.hi80[0]! - g.lo80[0]!);
  });

  test("MAPE, sMAPE and MASE (scaled by in-sample seasonal naive)", () => {
    const train = [1, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7, 8]; // seasonal naive error 1 everywhere
    expect(accuracy({actual: [10, 20], predicted: [11, 18], train})).toEqual({
      mape: 10,
      smape: expect.closeTo(100 * ((2 / 21 + 4 / 38) / 2), 6),
      mase: 1.5
    });
  });

  test("reliability: one formula from MASE and sMAPE, 0 to 100", () => {
    expect(reliabilityScore({mase: 0, smape: 0})).toBe(100);
    expect(reliabilityScore({mase: 1, smape: 20})).toBe(45);
    expect(reliabilityScore({mase: 2.5, smape: 10})).toBe(0);
  });

  test("backtest: a perfectly weekly series is forecast exactly by seasonal naive", () => {
    expect(backtest({series: weekly, model: (train, h) => seasonalNaive({series: train, horizon: h}).yhat})).toEqual({
      mape: 0,
      smape: 0,
      mase: 0,
      folds: 5
    });
    expect(
      backtest({series: weekly, model: (train, h) => naive({series: train, horizon: h}).yhat}).mase
    ).toBeGreaterThan(1);
  });

  test("short series fall back to simpler models, saying why", () => {
    expect(forecastSeries({series: weekly.slice(0, 10), horizon: 7})).toMatchObject({
      model: "naive",
      fallbackReason: "only 10 days: under two seasons"
    });
    expect(forecastSeries({series: weekly.slice(0, 20), horizon: 7})).toMatchObject({
      model: "seasonal_naive",
      fallbackReason: "only 20 days: under four seasons"
    });
  });

  test("a failing fit falls back to seasonal naive and records why", () => {
    const f = forecastSeries({
      series: weekly.slice(0, 60),
      horizon: 7,
      grid: [{p: -1, d: 0, q: 0, P: 0, D: 1, Q: 1, s: 7}]
    });
    expect(f.model).toBe("seasonal_naive");
    expect(f.fallbackReason).toMatch(
      /^no SARIMAX order fitted \(\(-1,0,0\)\(0,1,1\)7: Model parameter can't be negative\)$/
    );
  });
});

describe("SARIMAX on the simulated KPIs", () => {
  const sim = simulateKpiEvents({rng: createRng(1)});
  const metrics = ["orders", "revenue", "signups", "support_tickets"];
  const derived = metrics.map((metric) =>
    deriveMetric({
      metric,
      points: sim.daily.filter((d) => d.metric === metric).map((d) => ({day: d.day, value: d.value})),
      seed: 1
    })
  );

  test("the chosen model beats seasonal naive's backtest MASE on most metrics, and says which orders it chose", () => {
    const wins = derived.filter((d) => {
      const chosen = d.reliability.find((r) => r.chosen)!;
      const snaive = d.reliability.find((r) => r.model === "seasonal_naive")!;
      expect(chosen).toMatchObject({model: expect.stringMatching(/^sarimax(_d1)?$/), folds: 5, exog: "holiday"});
      expect(chosen.order).toMatch(/^\(\d,[01],\d\)\(\d,1,1\)7$/);
      // Chosen by the backtest: the lowest MASE of the four, and it says so.
      expect(chosen.mase).toBe(Math.min(...d.reliability.map((r) => r.mase)));
      expect(chosen.why).toMatch(
        /^lowest backtest MASE \d\.\d{3} \(.*\); order \(\d,[01],\d\)\(\d,1,1\)7 by AIC among \d fitted orders with d=[01], D=1, on the log$/
      );
      return chosen.mase < snaive.mase;
    });
    expect(wins.length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  test("intervals nest around the forecast, widen with the horizon, and the holiday regressor dips holidays", () => {
    for (const d of derived) {
      expect(d.forecasts).toHaveLength(28);
      for (const f of d.forecasts)
        expect(f.lo95 <= f.lo80 && f.lo80 <= f.yhat && f.yhat <= f.hi80 && f.hi80 <= f.hi95).toBe(true);
      expect(d.forecasts[27]!.hi95 - d.forecasts[27]!.lo95).toBeGreaterThan(
        d.forecasts[0]!.hi95 - d.forecasts[0]!.lo95
      );
    }
    // The series end on 2024-12-30; the horizon holds 2025-01-26 (Republic Day, a Sunday).
    const orders = derived[0]!.forecasts;
    const holiday = orders.find((f) => f.day === "2025-01-26")!;
    const weekBefore = orders.find((f) => f.day === "2025-01-19")!;
    expect(holiday.yhat / weekBefore.yhat).toBeLessThan(0.75);
  });
});

describe("the model is chosen by the backtest", () => {
  test("a level that wanders (daily web traffic, a random walk on the log) gets a d=1 SARIMAX, saying why", () => {
    const rng = createRng(2);
    const week = [0.15, 0.1, 0.05, 0, -0.05, -0.2, -0.25];
    let level = Math.log(5000);
    const points = Array.from({length: 600}, (_, i) => {
      level += 0.04 * rng.normal();
      return {day: addDays("2022-01-01", i), value: Math.round(Math.exp(level + week[i % 7]! + 0.02 * rng.normal()))};
    });
    const d = deriveMetric({metric: "visits", points, seed: 1, holidays: namedCalendar("none")});
    const chosen = d.reliability.find((r) => r.chosen)!;
    expect(chosen).toMatchObject({model: "sarimax_d1", order: "(1,1,1)(1,1,1)7", exog: null, folds: 5});
    for (const other of d.reliability.filter((r) => !r.chosen)) {
      expect(other.mase).toBeGreaterThan(chosen.mase);
      expect(other.why).toBe(
        `backtest MASE ${other.mase.toFixed(3)}, above the chosen sarimax_d1's ${chosen.mase.toFixed(3)}`
      );
    }
    expect(chosen.why).toMatch(
      /^lowest backtest MASE 0\.\d{3} \(sarimax 0\.\d{3}, seasonal_naive 0\.\d{3}, naive 1\.\d{3}\); order \(1,1,1\)\(1,1,1\)7 by AIC among 2 fitted orders with d=1, D=1, on the log$/
    );
    expect(new Set(d.forecasts.map((f) => f.model))).toEqual(new Set(["sarimax_d1"]));
  }, 60_000);

  test("too short to backtest: the fallback rule decides and says so", () => {
    const points = weekly.slice(0, 16).map((value, i) => ({day: addDays("2024-01-01", i), value}));
    const d = deriveMetric({metric: "new", points, seed: 1});
    expect(d.reliability.find((r) => r.chosen)).toMatchObject({
      model: "seasonal_naive",
      folds: 0,
      why: "too short to backtest (16 days): only 16 days: under four seasons"
    });
  });
});
