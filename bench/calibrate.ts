import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {holdoutCheck} from "../src/lib/market/calibrate/calibrate.js";
import {ksRows, observationSpan, sliceObservation} from "../src/lib/market/calibrate/compare.js";
import {tickSizeOf} from "../src/lib/market/calibrate/estimate.js";
import {observationFromCapture} from "../src/lib/market/fidelity/observations.js";
import {realisticRecording} from "../src/lib/market/sim/recording-generator.js";
import type {Benchmark} from "./benchmark.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * The calibrated simulator's held-out check on realistic 6-minute BTCUSDT recordings (one per
 * seed; not the lab's simulator): how many of the 7 KS tests a simulation fitted to the first half
 * passes against the second, the default simulator's count beside it, and the recording's own
 * first half against its second (what a perfect model could hope for at this length). The median
 * over the seeds is the figure. Also a step of the market benchmark.
 */
export async function calibrationFigures({
  log,
  seeds = 3,
  minutes = 6
}: {
  log: (line: string) => void;
  seeds?: number;
  minutes?: number;
}): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "bench-calibrate-"));
  try {
    const calibrated: number[] = [],
      uncalibrated: number[] = [],
      self: number[] = [],
      seconds: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const path = join(dir, `recording-${seed}.txt`);
      writeFileSync(path, realisticRecording({seed, minutes}).text);
      const observation = observationFromCapture({dir: path});
      const started = performance.now();
      const check = holdoutCheck({observation, seed: 1});
      seconds.push((performance.now() - started) / 1000);
      const {startNs, endNs} = observationSpan(observation);
      const half = startNs + (endNs - startNs) / 2;
      const ownRows = ksRows({
        candidate: sliceObservation(observation, startNs, half),
        reference: sliceObservation(observation, half, endNs + 1),
        tickSize: tickSizeOf({observation})
      });
      const own = ownRows.filter((r) => r.passed).length;
      calibrated.push(check.passed);
      uncalibrated.push(check.uncalibratedPassed);
      self.push(own);
      log(
        `recording ${seed} (${minutes} min): calibrated ${check.passed} of 7 [${check.rows
          .filter((r) => r.passed)
          .map((r) => r.statistic)
          .join(
            ", "
          )}], default ${check.uncalibratedPassed} of 7, its own first half ${own} of 7; ${seconds.at(-1)!.toFixed(1)} s`
      );
      log(
        `  effective sample sizes (held-out half / calibrated simulation): ${check.rows
          .map((r) => `${r.statistic} ${Math.round(r.recording_n_eff)}/${Math.round(r.calibrated_n_eff)}`)
          .join(", ")}`
      );
      log(
        `  own halves: ${ownRows.map((r) => `${r.statistic} p=${r.pValue.toFixed(3)}`).join(", ")}; calibrated: ${check.rows
          .map((r) => `${r.statistic} p=${r.p_value.toFixed(3)}`)
          .join(
            ", "
          )}; default: ${check.rows.map((r) => `${r.statistic} p=${r.uncalibrated_p_value.toExponential(1)}`).join(", ")}`
      );
    }
    return {
      calibrated_ks_passed: median(calibrated),
      calibrated_ks_passed_min: Math.min(...calibrated),
      calibrated_ks_passed_max: Math.max(...calibrated),
      uncalibrated_ks_passed: median(uncalibrated),
      holdout_self_ks_passed: median(self),
      calibrate_s: +median(seconds).toFixed(1)
    };
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

export const calibrateBenchmark: Benchmark = {
  name: "calibrate",
  summary: "a simulator calibrated on a recording's first half: KS tests passed against the second half",
  targets: {calibrated_ks_passed: {min: 4}},
  async run({log, flags}) {
    return calibrationFigures({log, seeds: Number(flags.seeds ?? 3), minutes: Number(flags["recording-minutes"] ?? 6)});
  }
};
