import {describe, expect, test} from "vitest";
import {readManifest} from "../../src/lib/catalog/warehouse.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject} from "../catalog/helpers.js";

/** A daily series as a CSV: `days` days from 2024-01-01, weekly shape, for one metric. */
function csv(metric: string, days: number, level: number, from = 0): string {
  const lines = ["source,ts,metric,value"];
  for (let d = from; d < from + days; d++) {
    const day = new Date(Date.UTC(2024, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
    lines.push(
      `shop,${day}T12:00:00Z,${metric},${(level * [0.8, 1, 1.05, 1.1, 1.05, 1, 0.9][d % 7]! * (1 + 0.03 * Math.sin(d))).toFixed(2)}`
    );
  }
  return lines.join("\n") + "\n";
}

describe("KPI refresh in the catalog", () => {
  test("a new file for one metric refits that metric only; KPIs, anomalies and forecasts follow the new data", async () => {
    const p = makeProject({routing: [{glob: "kpi/**/*.csv", tag: "kpi:events"}]});
    p.write("datasets/kpi/orders-2024.csv", csv("orders", 70, 1000));
    p.write("datasets/kpi/signups-2024.csv", csv("signups", 70, 300));
    const logs: string[] = [];
    const {ingest} = await import("../../src/lib/catalog/ingest.js");
    const run = () =>
      ingest({
        paths: p.paths,
        config: p.config,
        builtins: catalogBuiltins(),
        output: {write: () => {}, isTTY: false},
        log: (l) => logs.push(l)
      });
    await run();
    expect(logs.filter((l) => l.startsWith("kpi: "))).toEqual([
      "kpi: 2 metric(s) derived (orders, signups), 0 unchanged and reused"
    ]);
    const before = await p.query(
      ["metric_daily", "forecasts", "reliability"],
      `SELECT (SELECT count(*)::INT FROM metric_daily WHERE metric = 'orders') AS days, (SELECT max(day)::VARCHAR FROM forecasts WHERE metric = 'orders') AS last_forecast, (SELECT count(*)::INT FROM reliability) AS models`
    );
    expect(before).toEqual([{days: 70, last_forecast: "2024-04-07", models: 6}]);

    // Two more weeks of orders arrive in a new file, overlapping one day: the same (source, ts,
    // metric) delivered twice counts once.
    logs.length = 0;
    p.write("datasets/kpi/orders-2024-03.csv", csv("orders", 15, 1000, 69));
    await run();
    expect(logs.filter((l) => l.startsWith("kpi: "))).toEqual([
      "kpi: 1 metric(s) derived (orders), 1 unchanged and reused"
    ]);
    const after = await p.query(
      ["metric_daily", "forecasts", "anomalies"],
      `SELECT (SELECT count(*)::INT FROM metric_daily WHERE metric = 'orders') AS days, (SELECT max(value_count)::INT FROM metric_daily) AS per_day, (SELECT max(day)::VARCHAR FROM forecasts WHERE metric = 'orders') AS last_forecast, (SELECT max(day)::VARCHAR FROM anomalies WHERE metric = 'orders') AS last_scored`
    );
    expect(after).toEqual([{days: 84, per_day: 1, last_forecast: "2024-04-21", last_scored: "2024-03-24"}]);

    // Nothing changed: nothing is derived, and the derived files stay as they were.
    logs.length = 0;
    const derived = readManifest(p.paths).derived!["kpi@kpi"]!.dir;
    await run();
    expect(logs.filter((l) => l.startsWith("kpi"))).toEqual([]);
    expect(readManifest(p.paths).derived!["kpi@kpi"]!.dir).toBe(derived);
  }, 120_000);
});
