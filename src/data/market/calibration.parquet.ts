// The simulator calibrated to each dataset's recording, statistic by statistic (src/lib/market/calibration-dataset.ts).
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["market_calibration"],
  sql: "SELECT dataset, statistic, summary, recording_value, calibrated_value, uncalibrated_value, ks_statistic, p_value, passed, uncalibrated_ks_statistic, uncalibrated_p_value, uncalibrated_passed, recording_n, calibrated_n, recording_n_eff, calibrated_n_eff, source, train_seconds, holdout_seconds, simulated_seconds, seed, fitted::VARCHAR AS fitted FROM market_calibration ORDER BY dataset, statistic"
});
