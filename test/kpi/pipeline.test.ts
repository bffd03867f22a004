import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {runKpi} from "../../src/lib/kpi/pipeline.js";

describe("lab run kpi", () => {
  const dir = mkdtempSync(join(tmpdir(), "kpi-run-"));
  const good = join(dir, "good.csv");
  const bad = join(dir, "bad.json");
  writeFileSync(
    good,
    [
      "ts,metric,value",
      ...Array.from(
        {length: 48},
        (_, h) => `2024-03-0${1 + Math.floor(h / 24)}T${String(h % 24).padStart(2, "0")}:00:00Z,visits,${h % 24}`
      )
    ].join("\n")
  );
  writeFileSync(
    bad,
    '[{"ts": "2024-03-01", "metric": "sales", "value": "lots"}, {"ts": "2024-03-02", "metric": "sales", "value": 5}]'
  );

  test("tolerant: good rows become daily KPIs, bad rows land in quarantine", async () => {
    const out = join(dir, "tolerant");
    const tables = await runKpi({files: [good, bad], outDir: out, strict: false, seed: 1});
    expect(tables.map((t) => t.name)).toEqual([
      "clean_events",
      "quarantine",
      "metric_daily",
      "anomalies",
      "forecasts",
      "reliability"
    ]);
    expect(
      await readParquetAll({
        path: join(out, "metric_daily.parquet"),
        sql: "SELECT metric, day::VARCHAR AS day, value_sum, value_count::INT AS n, value_avg FROM t ORDER BY metric, day"
      })
    ).toEqual([
      {metric: "sales", day: "2024-03-02", value_sum: 5, n: 1, value_avg: 5},
      {metric: "visits", day: "2024-03-01", value_sum: 276, n: 24, value_avg: 11.5},
      {metric: "visits", day: "2024-03-02", value_sum: 276, n: 24, value_avg: 11.5}
    ]);
    expect(
      await readParquetAll({path: join(out, "quarantine.parquet"), sql: 'SELECT line, "column", reason FROM t'})
    ).toEqual([{line: 1, column: "value", reason: 'not a number: "lots"'}]);
  });

  test("strict: one bad row fails the run, listing every problem with file and line", async () => {
    await expect(runKpi({files: [good, bad], outDir: join(dir, "strict"), strict: true, seed: 1})).rejects.toThrow(
      `${bad}:1:value: not a number: "lots"`
    );
  });
});
