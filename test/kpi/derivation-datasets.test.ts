/**
 * The catalog's `kpi` derivation runs once per dataset: a user's `orders` metric and the
 * simulation's `orders` are derived apart, with each dataset's own options and cache folder.
 */
import {mkdirSync, mkdtempSync, readdirSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {labPaths} from "../../src/lib/catalog/paths.js";
import type {DatasetInfo} from "../../src/lib/core/dataset.js";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {kpiDerivation} from "../../src/lib/kpi/derivation.js";

const dir = mkdtempSync(join(tmpdir(), "kpi-derive-datasets-"));

/** Derives one dataset from its clean events, as the catalog does: a view of that dataset's rows only. */
async function derive(dataset: DatasetInfo, eventsSql: string) {
  const duck = await openDuckDB();
  try {
    await duck.run(`CREATE VIEW clean_events AS ${eventsSql}`);
    const outDir = join(dir, "out", dataset.name);
    mkdirSync(outDir, {recursive: true});
    const outputs = await kpiDerivation.run({
      paths: labPaths({projectDir: dir}),
      topics: ["clean_events"],
      dataset,
      duck,
      outDir,
      outRel: `out/${dataset.name}`,
      cacheDir: join(dir, "cache"),
      log: () => {}
    });
    return {outDir, outputs};
  } finally {
    duck.close();
  }
}

describe("per-dataset KPI derivation", () => {
  test("a user's orders (counted) and the simulation's orders (summed) stay apart, each in its own cache", async () => {
    // The simulation: hourly order counts summed per day, 1,398.33 on 2024-03-01.
    const simulated = await derive(
      {pipeline: "kpi", name: "simulated", options: {}, optionsFile: "kpi/simulated/dataset.json"},
      `SELECT 'sim' AS source, TIMESTAMP '2024-02-01' + INTERVAL (h) HOUR AS ts, (TIMESTAMP '2024-02-01' + INTERVAL (h) HOUR)::DATE AS day,
              'orders' AS metric, CASE WHEN h BETWEEN 696 AND 719 THEN 1398.33 / 24 ELSE 50 END AS value, NULL::VARCHAR AS item,
              h AS event_id, '{}' AS attributes, 1 AS _file_version_id FROM range(0, 24 * 40) t(h)`
    );
    // The user's shop: one row per order, `orders` a count: 155 orders on 2024-03-01.
    const shop = await derive(
      {pipeline: "kpi", name: "shop", options: {metrics: {orders: "count"}}, optionsFile: "kpi/shop/dataset.json"},
      `SELECT 'shop' AS source, TIMESTAMP '2024-03-01' + INTERVAL (i) MINUTE AS ts, DATE '2024-03-01' AS day, 'orders' AS metric,
              1.0 AS value, NULL::VARCHAR AS item, i AS event_id, '{}' AS attributes, 1 AS _file_version_id FROM range(0, 155) t(i)`
    );
    const day = (out: string) =>
      readParquetAll({
        path: join(out, "metric_daily.parquet"),
        sql: "SELECT dataset, metric, aggregation, round(value, 2) AS value FROM t WHERE day = DATE '2024-03-01'"
      });
    expect(await day(simulated.outDir)).toEqual([
      {dataset: "simulated", metric: "orders", aggregation: "sum", value: 1398.33}
    ]);
    expect(await day(shop.outDir)).toEqual([{dataset: "shop", metric: "orders", aggregation: "count", value: 155}]);
    expect(shop.outputs.map((o) => o.topic)).toEqual(["metric_daily", "anomalies", "forecasts", "reliability"]);
    expect(readdirSync(join(dir, "cache")).sort()).toEqual(["shop", "simulated"]);
  }, 60_000);

  test("a bad dataset.json fails the derivation naming the file and key", async () => {
    await expect(
      derive(
        {pipeline: "kpi", name: "typo", options: {holiday: "US"}, optionsFile: "kpi/typo/dataset.json"},
        "SELECT 1 AS x"
      )
    ).rejects.toThrow("kpi/typo/dataset.json:holiday: unknown option");
  });
});
