/** `lab run kpi --dataset DIR`: a dataset folder run outside the site, with its dataset.json. */
import {mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import {describe, expect, it} from "vitest";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {runNode} from "../run-node.js";

const root = resolve(import.meta.dirname, "../..");
const lab = (...args: string[]) =>
  runNode(["--import", "tsx", "cli/lab.ts", ...args], {
    cwd: root,
    timeoutMs: 60_000,
    env: {...process.env, LAB_DEBUG: ""}
  });

const base = mkdtempSync(join(tmpdir(), "lab-kpi-dataset-"));
function folder(name: string, options: object | undefined, files: Record<string, string>): string {
  const dir = join(base, name);
  mkdirSync(dir, {recursive: true});
  if (options) writeFileSync(join(dir, "dataset.json"), JSON.stringify(options));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}
const orders = ["Order Date,Total,Customer", "01/05/2024,10.5,a", "01/05/2024,7,b", "01/06/2024,3,a", ""].join("\r\n");

describe("lab run kpi --dataset DIR", () => {
  it("reads the folder's files with its dataset.json; every table carries the folder's name", async () => {
    const dir = folder(
      "shop",
      {
        columns: {time: "Order Date"},
        time_format: "MM/DD/YYYY",
        metrics: {orders: "count", revenue: {sum: "Total"}, buyers: {distinct: "Customer"}},
        holidays: "US"
      },
      {"orders.csv": orders}
    );
    const out = join(base, "shop-out");
    const r = await lab("run", "kpi", "--dataset", dir, "--out", out);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(
      await readParquetAll({
        path: join(out, "metric_daily.parquet"),
        sql: "SELECT dataset, metric, day::VARCHAR AS day, value FROM t ORDER BY metric, day"
      })
    ).toEqual([
      {dataset: "shop", metric: "buyers", day: "2024-01-05", value: 2},
      {dataset: "shop", metric: "buyers", day: "2024-01-06", value: 1},
      {dataset: "shop", metric: "orders", day: "2024-01-05", value: 2},
      {dataset: "shop", metric: "orders", day: "2024-01-06", value: 1},
      {dataset: "shop", metric: "revenue", day: "2024-01-05", value: 17.5},
      {dataset: "shop", metric: "revenue", day: "2024-01-06", value: 3}
    ]);
  });

  it("without the time format the run fails with the file's first problem, exit 1", async () => {
    const dir = folder("no-format", {columns: {time: "Order Date", value: "Total"}}, {"orders.csv": orders});
    const r = await lab("run", "kpi", "--dataset", dir, "--out", join(base, "no-format-out"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'orders.csv: no good row (3 set aside: line 2, Order Date: unrecognised timestamp "01/05/2024"'
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a typo in dataset.json is refused naming the file and key", async () => {
    const dir = folder("typo", {time_zone: "Asia/Kolkata"}, {"orders.csv": orders});
    const r = await lab("run", "kpi", "--dataset", dir, "--out", join(base, "typo-out"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /typo\/dataset\.json:time_zone: unknown option \(hint: known: columns, metrics, key, timezone/
    );
  });
});
