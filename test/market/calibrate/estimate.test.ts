/**
 * Estimation recovers what it can see: a simulation of the lab's own simulator with set
 * parameters, observed as a recording is (trades to the millisecond, the book every 100 ms), gives
 * back its tick, lot, Hawkes market-order process, market-order sizes and limit placement law
 * within stated tolerances; what 100 ms netting hides (limit rates and sizes) comes back as the
 * bounds the estimator documents.
 */
import {describe, expect, test} from "vitest";
import {defaultMarketConfig, type MarketConfig} from "../../../src/lib/market/config.js";
import {estimateFlow, fitPowerLaw, quantileFunction} from "../../../src/lib/market/calibrate/estimate.js";
import {fitHawkes} from "../../../src/lib/market/calibrate/hawkes.js";
import {observeSimulation} from "../../../src/lib/market/calibrate/simulated-observation.js";
import {createRng} from "../../../src/lib/core/random.js";

const marketSizes = quantileFunction({
  values: Array.from({length: 1001}, (_, i) => Math.round(20 * Math.exp(4.8 * (i / 1000 - 0.5))))
});
const config: MarketConfig = {
  ...defaultMarketConfig,
  tickSize: 0.01,
  lotSize: 0.00001,
  priceScale: 2,
  quantityScale: 5,
  startPriceTicks: 6_000_000,
  eventsPerSecond: 300,
  limitShare: 0.6,
  marketShare: 0,
  regimes: [{name: "normal", rate: 1, weight: 1}],
  burstChancePerMinute: 0,
  marketSizeQuantiles: marketSizes,
  marketHawkes: {baselinePerS: 6, branching: 0.5, decayMs: 120},
  limitDistanceExponent: 1.2,
  maxDistanceTicks: 30
};

describe("estimating the flow behind a market", () => {
  test("recovers a simulation's set parameters", () => {
    const observation = observeSimulation({config, seconds: 300, seed: 1});
    const e = estimateFlow({observation});
    expect(e.tickSize).toBe(0.01);
    expect(e.lotSize).toBe(0.00001);
    expect(Math.abs(e.startPriceTicks - 6_000_000)).toBeLessThan(500);
    // Hawkes: mean rate μ/(1−n) = 12/s within 10%, branching within 0.1, decay within 25%.
    expect(e.hawkes.ratePerS).toBeGreaterThan(12 * 0.9);
    expect(e.hawkes.ratePerS).toBeLessThan(12 * 1.1);
    expect(Math.abs(e.hawkes.branching - 0.5)).toBeLessThanOrEqual(0.1);
    expect(e.hawkes.decayMs).toBeGreaterThan(120 * 0.75);
    expect(e.hawkes.decayMs).toBeLessThan(120 * 1.25);
    // Market-order sizes (trades of one side in one millisecond): median and 90th percentile within 5%.
    for (const q of [50, 90]) {
      expect(e.marketSizeQuantiles[q]!).toBeGreaterThan(marketSizes[q]! * 0.95);
      expect(e.marketSizeQuantiles[q]!).toBeLessThan(marketSizes[q]! * 1.05);
    }
    // Where limit orders land (power law from the opposite best): the exponent within 0.25.
    expect(Math.abs(e.limitDistanceExponent - 1.2)).toBeLessThan(0.25);
    // Netting over 100 ms: fewer limit orders seen than sent, each at least as large.
    expect(e.limitsPerS).toBeGreaterThan(20);
    expect(e.limitsPerS).toBeLessThan(300 * 0.6);
    const paretoMedian = Math.ceil(config.sizeMinLots * 2 ** (1 / config.sizeTailIndex));
    expect(e.limitSizeQuantiles[50]!).toBeGreaterThanOrEqual(paretoMedian);
  }, 60_000);

  test("a power law's exponent and a Hawkes process come back from their own draws", () => {
    const rng = createRng("fits");
    // Values 1…40 with weight v^-1.5, by inverse transform.
    const w = Array.from({length: 40}, (_, i) => (i + 1) ** -1.5);
    const total = w.reduce((a, b) => a + b, 0);
    const values = Array.from({length: 20_000}, () => {
      let u = rng.next() * total,
        v = 0;
      while ((u -= w[v]!) > 0 && v < 39) v++;
      return v + 1;
    });
    expect(Math.abs(fitPowerLaw({values, count: 40}) - 1.5)).toBeLessThan(0.05);
    // A Hawkes process by Ogata thinning: μ = 4/s, n = 0.6, τ = 200 ms, over an hour.
    const times: number[] = [];
    let t = 0,
      excitation = 0;
    while (t < 3600) {
      const bound = 4 + excitation;
      const dt = rng.exponential(bound);
      excitation *= Math.exp(-dt / 0.2);
      t += dt;
      if (rng.next() * bound < 4 + excitation) (times.push(t * 1e9), (excitation += 0.6 / 0.2));
    }
    const fit = fitHawkes({timesNs: times});
    expect(Math.abs(fit.branching - 0.6)).toBeLessThanOrEqual(0.05);
    expect(fit.decayMs).toBeGreaterThan(170);
    expect(fit.decayMs).toBeLessThan(235);
    expect(Math.abs(fit.ratePerS - 10) / 10).toBeLessThan(0.1);
  }, 60_000);
});
