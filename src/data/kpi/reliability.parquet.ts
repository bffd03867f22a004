// The rolling-origin backtest per dataset, metric and model, with the reliability score and the chosen model.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["reliability"],
  sql: `SELECT dataset, metric, model, chosen, mape, smape, mase, score, folds, "order", exog, fallback_reason, why, imputed_days FROM reliability ORDER BY dataset, metric, chosen DESC, mase`
});
