import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {writeFilesAtomically} from "../../core/atomic-file.js";
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
  // The report's three files are replaced together, only once all three are written.
  await writeFilesAtomically([
    {path: join(outDir, "fidelity.json"), write: async (temp) => writeFileSync(temp, JSON.stringify(report, null, 1))},
    {path: join(outDir, "fidelity.md"), write: async (temp) => writeFileSync(temp, fidelityMarkdown(report))},
    {
      path: join(outDir, "fidelity_metrics.parquet"),
      write: (temp) => writeParquet({path: temp, columns: FIDELITY_METRICS_COLUMNS, rows: fidelityMetricRows(report)})
    }
  ]);
  return report;
}
