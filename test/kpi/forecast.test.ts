import {describe, expect, test} from "vitest";
import {accuracy, backtest, forecastSeries, naive, reliabilityScore, seasonalNaive} from "../../src/lib/kpi/forecast.js";

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
    expect(accuracy({actual: [10, 20], predicted: [11, 18], train})).toEqual({mape: 10, smape: expect.closeTo(100 * ((2 / 21 + 4 / 38) / 2), 6), mase: 1.5});
  });

  test("reliability: one formula from MASE and sMAPE, 0 to 100", () => {
    expect(reliabilityScore({mase: 0, smape: 0})).toBe(100);
    expect(reliabilityScore({mase: 1, smape: 20})).toBe(45);
    expect(reliabilityScore({mase: 2.5, smape: 10})).toBe(0);
  });

  test("backtest: a perfectly weekly series is forecast exactly by seasonal naive", () => {
    expect(backtest({series: weekly, model: (train, h) => seasonalNaive({series: train, horizon: h}).yhat})).toEqual({mape: 0, smape: 0, mase: 0});
    expect(backtest({series: weekly, model: (train, h) => naive({series: train, horizon: h}).yhat}).mase).toBeGreaterThan(1);
  });

  test("short series fall back to simpler models, saying why", () => {
    expect(forecastSeries({series: weekly.slice(0, 10), horizon: 7})).toMatchObject({model: "naive", fallbackReason: "only 10 days: under two seasons"});
    expect(forecastSeries({series: weekly.slice(0, 20), horizon: 7})).toMatchObject({model: "seasonal_naive", fallbackReason: "only 20 days: under four seasons"});
  });
});
