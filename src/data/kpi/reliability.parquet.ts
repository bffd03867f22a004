// The rolling-origin backtest per metric and model, with the reliability score and the chosen model.
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["reliability"],
  sql: `SELECT metric, model, chosen, mape, smape, mase, score, folds, "order", exog, fallback_reason, imputed_days FROM reliability ORDER BY metric, chosen DESC, mase`
});
