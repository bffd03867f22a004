import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {writeAtomically} from "../../core/atomic-file.js";
import {openDuckDB} from "../../core/duckdb.js";
import {writeParquet} from "../../core/parquet-write.js";
import {fidelityMarkdown, fidelityReport, type FidelityReport} from "./report.js";
import {observationFromCapture, observationFromReplay} from "./observations.js";
import {FIDELITY_METRICS_COLUMNS, fidelityMetricRows} from "../tables.js";

/**
 * `lab fidelity`: a reconstruction (`lab run market` output) against a golden sample (a `lab
 * capture` folder, or a simulator's `live/` folder), written as fidelity.json, fidelity.md and
 * fidelity_metrics.parquet (the same table the catalog publishes) into `outDir`.
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
  await writeParquet({
    path: join(outDir, "fidelity_metrics.parquet"),
    columns: FIDELITY_METRICS_COLUMNS,
    rows: fidelityMetricRows(report)
  });
  return report;
}
