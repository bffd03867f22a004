import type {TableSink} from "../../core/table-sink.js";
import {
  FIDELITY_ACF_COLUMNS,
  FIDELITY_LEVELS_COLUMNS,
  FIDELITY_METRICS_COLUMNS,
  FIDELITY_VALUES_COLUMNS,
  fidelityMetricRows
} from "../tables.js";
import {distributions, type FidelityReport, type MarketObservation} from "./report.js";

/**
 * A fidelity report as the tables the fidelity page reads: fidelity_metrics, fidelity_values
 * (up to 3,000 values of each distribution per side), fidelity_acf and fidelity_levels.
 */
export async function writeFidelityTables({
  report,
  reconstructed,
  golden,
  sink
}: {
  report: FidelityReport;
  reconstructed: MarketObservation;
  golden: MarketObservation;
  sink: TableSink;
}): Promise<void> {
  await sink.write("fidelity_metrics", {columns: FIDELITY_METRICS_COLUMNS, rows: fidelityMetricRows(report)});
  const values: {metric: string; source: string; value: number}[] = [];
  for (const [source, obs] of [
    ["reconstructed", reconstructed],
    ["golden", golden]
  ] as const)
    for (const [metric, xs] of Object.entries(distributions(obs, 3000)))
      for (const value of xs) values.push({metric, source, value});
  await sink.write("fidelity_values", {columns: FIDELITY_VALUES_COLUMNS, rows: values});
  await sink.write("fidelity_acf", {columns: FIDELITY_ACF_COLUMNS, rows: report.acf});
  await sink.write("fidelity_levels", {columns: FIDELITY_LEVELS_COLUMNS, rows: report.levelCorrelation});
}
