import {join} from "node:path";
import type {Derivation, DerivedOutput} from "../catalog/derivation.js";
import {copyQueryToParquet, writeParquet} from "../core/parquet-write.js";
import {DERIVE_VERSION} from "./derive.js";
import {deriveAll, derivedRows, DERIVED_COLUMNS, type DerivedTable} from "./derived-tables.js";

// An event delivered in two files counts once: the newest file version's copy wins.
const METRIC_DAILY_SQL = `WITH events AS (SELECT * FROM clean_events QUALIFY row_number() OVER (PARTITION BY source, ts, metric ORDER BY _file_version_id DESC) = 1)
                          SELECT metric, ts::DATE AS day, sum(value) AS value_sum, count(*) AS value_count, avg(value) AS value_avg, count(DISTINCT value) AS value_distinct
                          FROM events GROUP BY ALL ORDER BY metric, day`;

/**
 * KPIs across every ingested event file: `metric_daily` in SQL over all of `clean_events`, then
 * per metric the anomalies, forecasts and backtest (`deriveMetric`), each metric cached under the
 * hash of its daily series — a new file that touches one metric refits only that metric.
 */
export const kpiDerivation: Derivation = {
  name: "kpi",
  version: DERIVE_VERSION,
  inputs: ["clean_events"],
  outputs: ["metric_daily", "anomalies", "forecasts", "reliability"],
  async run({duck, outDir, outRel, cacheDir, log}) {
    const outputs: DerivedOutput[] = [];
    const dailyPath = join(outDir, "metric_daily.parquet");
    const schema = (await duck.all<{column_name: string; column_type: string}>(`DESCRIBE ${METRIC_DAILY_SQL}`)).map(
      (c) => ({name: c.column_name, type: c.column_type})
    );
    outputs.push({
      topic: "metric_daily",
      path: `${outRel}/metric_daily.parquet`,
      rows: await copyQueryToParquet({duck, sql: METRIC_DAILY_SQL, path: dailyPath}),
      schema
    });
    const daily = await duck.all<{metric: string; day: Date; value_sum: number}>(
      `SELECT metric, day, value_sum FROM read_parquet('${dailyPath.replaceAll("'", "''")}')`
    );
    const result = deriveAll({
      daily: daily.map((d) => ({metric: d.metric, day: d.day.toISOString().slice(0, 10), value: d.value_sum})),
      seed: "catalog",
      cacheDir,
      log
    });
    if (result.computed.length || result.reused.length)
      log(
        `kpi: ${result.computed.length} metric(s) derived${result.computed.length ? ` (${result.computed.join(", ")})` : ""}, ${result.reused.length} unchanged and reused`
      );
    for (const [topic, rows] of Object.entries(derivedRows(result))) {
      const columns = DERIVED_COLUMNS[topic as DerivedTable];
      const written = await writeParquet({path: join(outDir, `${topic}.parquet`), columns, rows});
      outputs.push({topic, path: `${outRel}/${topic}.parquet`, rows: written.rows, schema: columns});
    }
    return outputs;
  }
};
