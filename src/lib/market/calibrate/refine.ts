import type {MarketConfig} from "../config.js";
import {distributions, type MarketObservation} from "../fidelity/report.js";
import {ksRows} from "./compare.js";
import type {FlowEstimate} from "./estimate.js";
import {fittedConfig} from "./fitted-config.js";
import {observeSimulation} from "./simulated-observation.js";

export interface Refinement {
  cancelRateScale: number;
  touchWeightScale: number;
  cancelDistanceExponent: number;
}

export interface RefineStep extends Refinement {
  /** Sum of the KS distances to the training data over the seven statistics (lower is closer). */
  loss: number;
}

const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * The simulated method of moments over three parameters the samples cannot pin down: the cancel
 * rate (the depth stream nets orders within 100 ms, so the cancels it shows are too few and the
 * simulated book would pile up), the weight of limit orders inside the spread (improvements
 * filled within 100 ms never show) and the exponent of the cancels' rank law. Each step simulates
 * `seconds` with the same seed and moves each parameter against its own moment of the training
 * data: the depth over 5 levels for the cancel rate, the share of one-tick spreads for the weight
 * inside the spread, the top-of-book depth for the exponent. The steps closest to the training
 * data (sum of the seven KS distances) are simulated again for longer, and the closest wins.
 * Deterministic: a pure function of its inputs.
 */
export function refineBySimulation({
  estimate,
  training,
  seed,
  steps = 14,
  seconds = 180
}: {
  estimate: FlowEstimate;
  training: MarketObservation;
  seed: number | string;
  steps?: number;
  seconds?: number;
}): {config: MarketConfig; refinement: Refinement; steps: RefineStep[]} {
  const target = distributions(training);
  // The spread sits on whole ticks: its one-tick share is what the touch weight moves.
  const oneTick = (xs: Float64Array) => xs.filter((x) => x < 1.5 * estimate.tickSize).length / Math.max(1, xs.length);
  const tSpread = oneTick(target.spread!),
    tDepth5 = mean(target.depth_5!),
    tTop = mean(target.top_depth!);
  let r: Refinement = {cancelRateScale: 1, touchWeightScale: 1, cancelDistanceExponent: 0};
  const history: RefineStep[] = [];
  for (let k = 0; k < steps; k++) {
    const config = fittedConfig({estimate, ...r});
    const sim = observeSimulation({config, seconds, seed: `${seed}-refine`});
    const d = distributions(sim);
    const loss = ksRows({candidate: sim, reference: training, tickSize: estimate.tickSize}).reduce(
      (a, row) => a + row.ks,
      0
    );
    history.push({...r, loss});
    const spread = oneTick(d.spread!),
      depth5 = mean(d.depth_5!),
      top = mean(d.top_depth!);
    if (![spread, depth5, top].every((x) => Number.isFinite(x) && x > 0)) break;
    // Damped steps: depth answers the cancel rate steeply (the book's equilibrium).
    r = {
      cancelRateScale: clamp(r.cancelRateScale * clamp((depth5 / tDepth5) ** 0.8, 0.6, 1.6), 0.05, 50),
      touchWeightScale: clamp(r.touchWeightScale * clamp((tSpread / spread) ** 1.5, 0.6, 1.6), 0.05, 50),
      cancelDistanceExponent: clamp(r.cancelDistanceExponent + 0.7 * Math.log(top / tTop), -3, 3)
    };
  }
  // Each step's short simulation is noisy: the few closest steps are simulated again for longer
  // (another seed), and the closest of those wins.
  const finalists = [...history].sort((a, b) => a.loss - b.loss).slice(0, 3);
  const scored = finalists.map((step) => {
    const sim = observeSimulation({
      config: fittedConfig({estimate, ...step}),
      seconds: 3 * seconds,
      seed: `${seed}-check`
    });
    return {
      step,
      loss: ksRows({candidate: sim, reference: training, tickSize: estimate.tickSize}).reduce((a, row) => a + row.ks, 0)
    };
  });
  const best = scored.reduce((a, b) => (b.loss < a.loss ? b : a)).step;
  const refinement: Refinement = {
    cancelRateScale: best.cancelRateScale,
    touchWeightScale: best.touchWeightScale,
    cancelDistanceExponent: best.cancelDistanceExponent
  };
  return {config: fittedConfig({estimate, ...refinement}), refinement, steps: history};
}
