import {columns, type TableDeclaration} from "../domain.js";
import {DERIVED_COLUMNS} from "./derived-tables.js";

export const CLEAN_EVENT_COLUMNS = columns(
  "source:VARCHAR",
  "ts:TIMESTAMP",
  "day:DATE",
  "metric:VARCHAR",
  "value:DOUBLE",
  "item:VARCHAR",
  "event_id:BIGINT",
  "attributes:JSON"
);
export const QUARANTINE_COLUMNS = columns(
  "file:VARCHAR",
  "line:INTEGER",
  "column:VARCHAR",
  "reason:VARCHAR",
  "raw:VARCHAR"
);
export const KPI_TRUTH_COLUMNS = columns("metric:VARCHAR", "day:DATE", "kind:VARCHAR", "factor:DOUBLE");
export const METRIC_DAILY_COLUMNS = columns(
  "metric:VARCHAR",
  "day:DATE",
  "aggregation:VARCHAR",
  "value:DOUBLE",
  "value_sum:DOUBLE",
  "value_count:BIGINT",
  "value_avg:DOUBLE",
  "value_min:DOUBLE",
  "value_max:DOUBLE",
  "value_distinct:BIGINT"
);

export const kpiTables: TableDeclaration[] = [
  {
    name: "clean_events",
    description:
      "one row per input row and metric (a row repeated whole, or its key repeated, once): time, local day, value or counted item, extra columns as JSON",
    columns: CLEAN_EVENT_COLUMNS
  },
  {
    name: "quarantine",
    description: "rows the tolerant reader set aside: file, line, column and why",
    columns: QUARANTINE_COLUMNS
  },
  {
    name: "kpi_truth",
    description: "simulated runs only: the anomalies the simulator injected, per metric and day",
    columns: KPI_TRUTH_COLUMNS
  },
  {
    name: "metric_daily",
    description:
      "per metric and local day: the metric's value by its aggregation (count, sum, avg, min, max, distinct), and the sum, count, average, min, max and distinct values of its events (an event in two files counts once)",
    columns: METRIC_DAILY_COLUMNS
  },
  {
    name: "anomalies",
    description: "per metric, day and method: the score and whether it is an anomaly",
    columns: DERIVED_COLUMNS.anomalies
  },
  {
    name: "forecasts",
    description: "per metric, the next 28 days: the chosen model's forecast with 80% and 95% intervals",
    columns: DERIVED_COLUMNS.forecasts
  },
  {
    name: "reliability",
    description:
      "per metric and model: backtest MAPE, sMAPE, MASE and the reliability score; which model was chosen (lowest backtest MASE) and why",
    columns: DERIVED_COLUMNS.reliability
  }
];
