// The market's fidelity metrics per dataset (see src/lib/market/plugin.ts).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["fidelity_metrics"],
  sql: "SELECT dataset, metric, statistic, p_value, reconstructed_mean, golden_mean, reconstructed_variance, golden_variance, reconstructed_skewness, golden_skewness, reconstructed_kurtosis, golden_kurtosis, passed, note, score, verdict, reasons FROM fidelity_metrics ORDER BY dataset"
});
