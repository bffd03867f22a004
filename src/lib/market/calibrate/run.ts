import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {folderSink} from "../../core/table-sink.js";
import {simulateMarketFiles} from "../pipeline.js";
import {calibrateMarket, holdoutCheck, type HoldoutCheck} from "./calibrate.js";
import {observationOfSource} from "./source.js";
import {fittedSummary} from "./table.js";
import {writeCalibrationTable} from "./table.js";

/**
 * `lab simulate market --calibrate SOURCE`: the held-out check (calibrated on the first half,
 * tested on the second) and, with `outDir`, market_calibration.parquet, the parameters fitted to
 * the whole recording (calibration.json) and a simulation of `minutes` with them (the same files
 * `lab simulate market` writes).
 */
export async function runCalibration({
  source,
  outDir,
  minutes = 10,
  seed = 1,
  key,
  log = () => {}
}: {
  source: string;
  outDir?: string;
  minutes?: number;
  seed?: number;
  key?: Buffer;
  log?: (line: string) => void;
}): Promise<HoldoutCheck> {
  const {observation, file} = observationOfSource({path: source, key});
  log(
    `recording ${file}: ${observation.trades.tNs.length.toLocaleString("en-US")} trades, ${observation.samples.tNs.length.toLocaleString("en-US")} book samples`
  );
  const check = holdoutCheck({observation, seed});
  if (!outDir) return check;
  mkdirSync(outDir, {recursive: true});
  await writeCalibrationTable({sink: folderSink({outDir, dataset: "default"}), check, source: file, seed});
  const full = calibrateMarket({observation, seed});
  writeFileSync(
    join(outDir, "calibration.json"),
    JSON.stringify({source: file, fitted: fittedSummary(full), config: full.config}, null, 1)
  );
  await simulateMarketFiles({outDir, seed, minutes, config: full.config, log});
  return check;
}

/** The held-out check as a table for a terminal. */
export function calibrationText(check: HoldoutCheck): string {
  const f = (x: number) =>
    !Number.isFinite(x)
      ? "—"
      : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0)
        ? x.toExponential(3)
        : x.toFixed(4);
  const lines = [
    `calibrated on the first ${check.trainSeconds.toFixed(0)} s, tested on the last ${check.holdoutSeconds.toFixed(0)} s (${check.simulatedSeconds} s simulated): ${check.passed} of 7 KS tests pass (uncalibrated: ${check.uncalibratedPassed} of 7)`,
    "",
    `${"statistic".padEnd(18)}${"summary".padEnd(10)}${"recording".padStart(12)}${"calibrated".padStart(12)}${"default".padStart(12)}${"KS D".padStart(8)}${"p".padStart(10)}  passed`,
    ...check.rows.map(
      (r) =>
        `${r.statistic.padEnd(18)}${r.summary.padEnd(10)}${f(r.recording_value).padStart(12)}${f(r.calibrated_value).padStart(12)}${f(r.uncalibrated_value).padStart(12)}${r.ks_statistic.toFixed(3).padStart(8)}${r.p_value.toExponential(2).padStart(10)}  ${r.passed ? "yes" : "no"}`
    )
  ];
  return lines.join("\n");
}
