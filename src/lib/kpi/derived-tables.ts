import {existsSync, mkdirSync, readFileSync, writeFileSync, renameSync} from "node:fs";
import {join} from "node:path";
import {DEFAULT_HOLIDAYS, type HolidayCalendar} from "./calendar.js";
import {deriveMetric, seriesKey, type MetricDerived} from "./derive.js";
import type {DailyPoint} from "./zscore.js";

/** The derived tables' columns, as written to Parquet (the data contract pages rely on). */
export type DerivedTable = "anomalies" | "forecasts" | "reliability";

export const DERIVED_COLUMNS: Record<DerivedTable, {name: string; type: string}[]> = {
  anomalies: [
    {name: "metric", type: "VARCHAR"},
    {name: "day", type: "DATE"},
    {name: "value", type: "DOUBLE"},
    {name: "zscore", type: "DOUBLE"},
    {name: "iforest_score", type: "DOUBLE"},
    {name: "is_anomaly", type: "BOOLEAN"},
    {name: "method", type: "VARCHAR"}
  ],
  forecasts: [
    {name: "metric", type: "VARCHAR"},
    {name: "day", type: "DATE"},
    {name: "model", type: "VARCHAR"},
    {name: "yhat", type: "DOUBLE"},
    {name: "lo80", type: "DOUBLE"},
    {name: "hi80", type: "DOUBLE"},
    {name: "lo95", type: "DOUBLE"},
    {name: "hi95", type: "DOUBLE"}
  ],
  reliability: [
    {name: "metric", type: "VARCHAR"},
    {name: "model", type: "VARCHAR"},
    {name: "chosen", type: "BOOLEAN"},
    {name: "mape", type: "DOUBLE"},
    {name: "smape", type: "DOUBLE"},
    {name: "mase", type: "DOUBLE"},
    {name: "score", type: "INTEGER"},
    {name: "folds", type: "INTEGER"},
    {name: "order", type: "VARCHAR"},
    {name: "exog", type: "VARCHAR"},
    {name: "fallback_reason", type: "VARCHAR"},
    {name: "imputed_days", type: "INTEGER"},
    {name: "why", type: "VARCHAR"}
  ]
};

/**
 * Derives every metric of a daily table. With `cacheDir`, each metric's result is kept under the
 * key of its series (`seriesKey`): a metric whose days did not change is read back, not
 * recomputed — a new event file for one metric refits only that metric. One dataset's metrics:
 * the cache folder is the dataset's own (metric names repeat across datasets).
 */
export function deriveAll({
  daily,
  seed,
  holidays = DEFAULT_HOLIDAYS,
  cacheDir,
  log = () => {}
}: {
  daily: {metric: string; day: string; value: number}[];
  seed: number | string;
  holidays?: HolidayCalendar;
  cacheDir?: string;
  log?: (line: string) => void;
}): {derived: MetricDerived[]; computed: string[]; reused: string[]} {
  const byMetric = new Map<string, DailyPoint[]>();
  for (const d of daily) {
    let points = byMetric.get(d.metric);
    if (!points) byMetric.set(d.metric, (points = []));
    points.push({day: d.day, value: d.value});
  }
  const derived: MetricDerived[] = [];
  const computed: string[] = [];
  const reused: string[] = [];
  for (const [metric, points] of [...byMetric].sort(([a], [b]) => (a < b ? -1 : 1))) {
    points.sort((a, b) => (a.day < b.day ? -1 : 1));
    const key = seriesKey({metric, points, seed, holidays});
    const cached = cacheDir ? join(cacheDir, `${key}.json`) : undefined;
    if (cached && existsSync(cached)) {
      derived.push(JSON.parse(readFileSync(cached, "utf-8")) as MetricDerived);
      reused.push(metric);
      continue;
    }
    const t = performance.now();
    const result = deriveMetric({metric, points, seed, holidays});
    log(
      `kpi ${metric}: ${points.length} days → ${result.anomalies.filter((a) => a.is_anomaly).length} anomaly flags, forecast by ${result.reliability.find((r) => r.chosen)?.model ?? "?"} in ${((performance.now() - t) / 1000).toFixed(1)}s`
    );
    if (cached) {
      mkdirSync(cacheDir!, {recursive: true});
      writeFileSync(`${cached}.tmp`, JSON.stringify(result));
      renameSync(`${cached}.tmp`, cached);
    }
    derived.push(result);
    computed.push(metric);
  }
  return {derived, computed, reused};
}

export function derivedRows({derived}: {derived: MetricDerived[]}): Record<DerivedTable, object[]> {
  return {
    anomalies: derived.flatMap((d) => d.anomalies),
    forecasts: derived.flatMap((d) => d.forecasts),
    reliability: derived.flatMap((d) => d.reliability)
  };
}
