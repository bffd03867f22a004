/**
 * In the catalog: a user's KPI dataset beside the simulation. The user's `orders` (one row per
 * order, counted, with its dataset.json) and the simulation's `orders` (summed) are separate
 * series in every table, told apart by the `dataset` column.
 */
import {describe, expect, test} from "vitest";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject} from "../catalog/helpers.js";

describe("KPI datasets in the catalog", () => {
  test("a user's orders beside the simulated orders: separate days, values and forecasts", async () => {
    const p = makeProject({
      routing: [
        {glob: "kpi/**/*.sim.json", tag: "sim:kpi-events"},
        {glob: "kpi/**/*.csv", tag: "kpi:events"}
      ]
    });
    p.write("datasets/kpi/simulated/business.sim.json", JSON.stringify({seed: 1, days: 45}));
    // 155 orders on 2024-03-01 in India (some after 18:30 UTC the day before), 3 on each of 40 days before.
    const rows = ["order_id,placed,amount"];
    let id = 1;
    for (let d = 0; d < 40; d++)
      for (let k = 0; k < 3; k++)
        rows.push(`${id++},${new Date(Date.UTC(2024, 0, 21 + d, 5 + k)).toISOString().slice(0, 19)}+05:30,${10 + k}`);
    for (let k = 0; k < 155; k++) rows.push(`${id++},01/03/2024 ${String(k % 24).padStart(2, "0")}:15,${k}`);
    p.write("datasets/kpi/shop/orders.csv", rows.join("\r\n") + "\r\n");
    p.write(
      "datasets/kpi/shop/dataset.json",
      JSON.stringify({
        columns: {time: "placed"},
        time_format: "DD/MM/YYYY HH:mm",
        timezone: "Asia/Kolkata",
        key: "order_id",
        metrics: {orders: "count", revenue: {sum: "amount"}},
        holidays: "none"
      })
    );
    const {ingest} = await import("../../src/lib/catalog/ingest.js");
    await ingest({
      paths: p.paths,
      config: p.config,
      builtins: catalogBuiltins(),
      output: {write: () => {}, isTTY: false},
      log: () => {}
    });
    const byDataset = await p.query(
      ["metric_daily", "reliability", "clean_events"],
      `SELECT dataset, count(DISTINCT metric)::INT AS metrics, count(*)::INT AS days,
              max(CASE WHEN metric = 'orders' AND day = DATE '2024-03-01' THEN value END) AS orders_mar1,
              (SELECT count(*)::INT FROM reliability r WHERE r.dataset = m.dataset AND chosen) AS chosen,
              (SELECT count(*)::INT FROM clean_events c WHERE c.dataset = m.dataset AND c.metric = 'orders') AS order_events
       FROM metric_daily m GROUP BY dataset ORDER BY dataset`
    );
    expect(byDataset).toEqual([
      {dataset: "shop", metrics: 2, days: 82, orders_mar1: 155, chosen: 2, order_events: 275},
      {dataset: "simulated", metrics: 4, days: 180, orders_mar1: null, chosen: 4, order_events: 45 * 24}
    ]);
  }, 180_000);
});
