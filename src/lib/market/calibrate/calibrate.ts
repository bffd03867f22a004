import {defaultMarketConfig, type MarketConfig} from "../config.js";
import type {MarketObservation} from "../fidelity/report.js";
import {ksRows, observationSpan, sliceObservation, type KsStatistic} from "./compare.js";
import {estimateFlow, type FlowEstimate} from "./estimate.js";
import {refineBySimulation, type Refinement} from "./refine.js";
import {observeSimulation} from "./simulated-observation.js";

export interface Calibration {
  estimate: FlowEstimate;
  refinement: Refinement;
  config: MarketConfig;
}

/** The simulator's parameters fitted to an observed market: estimated from it, then refined by simulation. */
export function calibrateMarket({observation, seed = 1}: {observation: MarketObservation; seed?: number}): Calibration {
  const estimate = estimateFlow({observation});
  const {config, refinement} = refineBySimulation({estimate, training: observation, seed});
  return {estimate, refinement, config};
}

/** One statistic of the held-out check: the recording's second half, the calibrated and the default simulator. */
export interface CalibrationRow {
  statistic: KsStatistic;
  summary: string;
  recording_value: number;
  calibrated_value: number;
  uncalibrated_value: number;
  ks_statistic: number;
  p_value: number;
  passed: boolean;
  uncalibrated_ks_statistic: number;
  uncalibrated_p_value: number;
  uncalibrated_passed: boolean;
  recording_n: number;
  calibrated_n: number;
  /** Effective sample sizes (n / τ) the p-value used. */
  recording_n_eff: number;
  calibrated_n_eff: number;
}

export interface HoldoutCheck {
  rows: CalibrationRow[];
  passed: number;
  uncalibratedPassed: number;
  trainSeconds: number;
  holdoutSeconds: number;
  simulatedSeconds: number;
  calibration: Calibration;
}

/**
 * Calibrated on the first half of a recording, tested on the second: the simulator with the
 * parameters fitted to the first half (it never sees the second) runs `simulatedSeconds` and each
 * of the seven KS tests (`ksRows`, effective-sample-size p-values) compares it with the second half; the default simulator
 * (uncalibrated) is tested the same way beside it. A pure function of the observation and seed.
 */
export function holdoutCheck({
  observation,
  seed = 1,
  simulatedSeconds = 600
}: {
  observation: MarketObservation;
  seed?: number;
  simulatedSeconds?: number;
}): HoldoutCheck {
  const {startNs, endNs} = observationSpan(observation);
  const half = startNs + (endNs - startNs) / 2;
  const training = sliceObservation(observation, startNs, half),
    holdout = sliceObservation(observation, half, endNs + 1);
  const calibration = calibrateMarket({observation: training, seed});
  const calibrated = observeSimulation({config: calibration.config, seconds: simulatedSeconds, seed});
  const uncalibrated = observeSimulation({config: defaultMarketConfig, seconds: simulatedSeconds, seed});
  const tickSize = calibration.estimate.tickSize;
  const c = ksRows({candidate: calibrated, reference: holdout, tickSize}),
    u = ksRows({candidate: uncalibrated, reference: holdout, tickSize});
  const rows = c.map((r, i): CalibrationRow => ({
    statistic: r.statistic,
    summary: r.summary,
    recording_value: r.reference,
    calibrated_value: r.candidate,
    uncalibrated_value: u[i]!.candidate,
    ks_statistic: r.ks,
    p_value: r.pValue,
    passed: r.passed,
    uncalibrated_ks_statistic: u[i]!.ks,
    uncalibrated_p_value: u[i]!.pValue,
    uncalibrated_passed: u[i]!.passed,
    recording_n: r.m,
    calibrated_n: r.n,
    recording_n_eff: r.mEff,
    calibrated_n_eff: r.nEff
  }));
  return {
    rows,
    passed: rows.filter((r) => r.passed).length,
    uncalibratedPassed: rows.filter((r) => r.uncalibrated_passed).length,
    trainSeconds: (half - startNs) / 1e9,
    holdoutSeconds: (endNs - half) / 1e9,
    simulatedSeconds,
    calibration
  };
}
