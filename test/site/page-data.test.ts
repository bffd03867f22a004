import {METRIC_DAILY_COLUMNS} from "../../src/lib/kpi/tables.js";
import {mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {PassThrough} from "node:stream";
import {describe, expect, test} from "vitest";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {labPaths} from "../../src/lib/catalog/paths.js";
import {writeManifest} from "../../src/lib/catalog/warehouse.js";
import {emitPageParquet, quarantineSummarySql, quarantineTopics, queryPageData} from "../../src/lib/site/page-data.js";

/** A warehouse with one quarantine table (KPI's) holding five bad rows in two datasets. */
async function warehouse() {
  const paths = labPaths({projectDir: mkdtempSync(join(tmpdir(), "page-data-")), labDir: ".lab"});
  const duck = await openDuckDB();
  const file = join(paths.warehouseDir, "quarantine", "q.parquet");
  mkdirSync(join(paths.warehouseDir, "quarantine"), {recursive: true});
  await duck.run(`COPY (SELECT * FROM (VALUES
      ('shop/a.csv', 3, 'date', 'impossible date', '', 'shop'),
      ('shop/a.csv', 9, 'date', 'impossible date', '', 'shop'),
      ('shop/a.csv', 4, 'amount', 'not a number', '', 'shop'),
      ('shop/b.csv', 2, 'date', 'impossible date', '', 'shop'),
      ('web/v.csv', 7, NULL, 'missing a value column', '', 'web')) t(file, line, "column", reason, raw, dataset))
    TO '${file}' (FORMAT parquet)`);
  duck.close();
  const schema = [
    "file:VARCHAR",
    "line:INTEGER",
    "column:VARCHAR",
    "reason:VARCHAR",
    "raw:VARCHAR",
    "dataset:VARCHAR"
  ].map((s) => {
    const [name, type] = s.split(":") as [string, string];
    return {name, type};
  });
  writeManifest({
    paths,
    manifest: {
      generated_at: new Date().toISOString(),
      topics: {
        quarantine: {
          fingerprint: "f",
          schema,
          files: [{path: "quarantine/q.parquet", job_id: 1, file_version_id: 1, file_id: 1, rows: 5}]
        }
      }
    }
  });
  return paths;
}

describe("page data", () => {
  test("a topic never published reads as an empty table with its declared columns and dataset", async () => {
    const paths = await warehouse();
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    const rows = await emitPageParquet({paths, topics: ["metric_daily"], sql: "SELECT * FROM metric_daily", out});
    expect(rows).toBe(0);
    const parquet = join(paths.labDir, "empty.parquet");
    writeFileSync(parquet, Buffer.concat(chunks));
    const duck = await openDuckDB();
    const columns = await duck.all<{column_name: string}>(`DESCRIBE SELECT * FROM read_parquet('${parquet}')`);
    duck.close();
    // The declared columns (src/lib/kpi/tables.ts), then the dataset.
    expect(columns.map((c) => c.column_name)).toEqual([...METRIC_DAILY_COLUMNS.map((c) => c.name), "dataset"]);
    expect(columns.map((c) => c.column_name).slice(0, 4)).toEqual(["metric", "day", "aggregation", "value"]);
  });

  test("the quarantine summary groups each dataset's rows by file, column and reason, with the first lines", async () => {
    const paths = await warehouse();
    const topics = quarantineTopics({paths});
    expect(topics).toContainEqual({topic: "quarantine", pipeline: "kpi"});
    expect(topics).toContainEqual({topic: "effluent_quarantine", pipeline: "effluent"});
    const rows = await queryPageData({paths, topics: topics.map((t) => t.topic), sql: quarantineSummarySql({topics})});
    expect(rows.map((r) => ({...r, rows: Number(r.rows), first_line: Number(r.first_line)}))).toEqual([
      {
        pipeline: "kpi",
        dataset: "shop",
        file: "shop/a.csv",
        column: "date",
        reason: "impossible date",
        rows: 2,
        first_line: 3,
        lines: "3, 9"
      },
      {
        pipeline: "kpi",
        dataset: "shop",
        file: "shop/a.csv",
        column: "amount",
        reason: "not a number",
        rows: 1,
        first_line: 4,
        lines: "4"
      },
      {
        pipeline: "kpi",
        dataset: "shop",
        file: "shop/b.csv",
        column: "date",
        reason: "impossible date",
        rows: 1,
        first_line: 2,
        lines: "2"
      },
      {
        pipeline: "kpi",
        dataset: "web",
        file: "web/v.csv",
        column: "",
        reason: "missing a value column",
        rows: 1,
        first_line: 7,
        lines: "7"
      }
    ]);
  });
});
