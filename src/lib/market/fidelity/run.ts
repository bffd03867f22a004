import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {writeAtomically} from "../../core/atomic-file.js";
import {openDuckDB} from "../../core/duckdb.js";
import {writeParquet} from "../../core/parquet-write.js";
import {fidelityMarkdown, fidelityReport, type FidelityReport} from "./report.js";
import {observationFromCapture, observationFromReplay} from "./observations.js";

/**
 * `lab fidelity`: a reconstruction (`lab run market` output) against a golden sample (a `lab
 * capture` folder, or a simulator's `live/` folder), written as fidelity.json, fidelity.md and
 * fidelity_metrics.parquet (DESIGN §3) into `outDir`.
 */
export async function runFidelity({
  reconstructedDir,
  goldenDir,
  outDir,
  key
}: {
  reconstructedDir: string;
  goldenDir: string;
  outDir: string;
  key?: Buffer;
}): Promise<FidelityReport> {
  const duck = await openDuckDB();
  let report: FidelityReport;
  try {
    const reconstructed = await observationFromReplay({duck, dir: reconstructedDir});
    const golden = observationFromCapture({dir: goldenDir, key});
    report = fidelityReport({reconstructed, golden});
  } finally {
    duck.close();
  }
  mkdirSync(outDir, {recursive: true});
  await writeAtomically(join(outDir, "fidelity.json"), async (temp) =>
    writeFileSync(temp, JSON.stringify(report, null, 1))
  );
  await writeAtomically(join(outDir, "fidelity.md"), async (temp) => writeFileSync(temp, fidelityMarkdown(report)));
  const D = "DOUBLE";
  await writeParquet({
    path: join(outDir, "fidelity_metrics.parquet"),
    columns: [
      ["metric", "VARCHAR"],
      ["statistic", D],
      ["p_value", D],
      ["reconstructed_mean", D],
      ["reconstructed_variance", D],
      ["reconstructed_skewness", D],
      ["reconstructed_kurtosis", D],
      ["golden_mean", D],
      ["golden_variance", D],
      ["golden_skewness", D],
      ["golden_kurtosis", D],
      ["passed", "BOOLEAN"],
      ["note", "VARCHAR"],
      ["score", D],
      ["verdict", "VARCHAR"]
    ].map(([name, type]) => ({name: name!, type: type!})),
    rows: report.metrics.map((m) => ({
      metric: m.metric,
      statistic: m.statistic,
      p_value: m.p_value,
      reconstructed_mean: m.reconstructed?.mean,
      reconstructed_variance: m.p_value === null ? null : m.reconstructed?.variance,
      reconstructed_skewness: m.p_value === null ? null : m.reconstructed?.skewness,
      reconstructed_kurtosis: m.p_value === null ? null : m.reconstructed?.kurtosis,
      golden_mean: m.golden?.mean,
      golden_variance: m.p_value === null ? null : m.golden?.variance,
      golden_skewness: m.p_value === null ? null : m.golden?.skewness,
      golden_kurtosis: m.p_value === null ? null : m.golden?.kurtosis,
      passed: m.passed,
      note: m.note,
      score: report.score,
      verdict: report.verdict
    }))
  });
  return report;
}
