/**
 * Fuzzing the generic CSV / JSON Lines plugin's reader (the strict CSV check, then DuckDB's
 * read_csv / read_json): each malformed file is either staged as rows or refused with a LabError
 * naming the file — never another exception, never a hang.
 */
import {commandLineDataset} from "../../src/lib/core/dataset.js";
import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, describe, expect, test} from "vitest";
import type {PluginContext} from "../../src/lib/catalog/plugin.js";
import {genericTablePlugin} from "../../src/lib/catalog/plugins/generic-table.js";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {createRng} from "../../src/lib/core/random.js";
import {quoteString} from "../../src/lib/core/sql.js";
import {fuzzEach, fuzzFiles} from "../fuzz-files.js";

const csv = 'day,amount,note\n2024-01-01,10,"a, b"\n2024-01-02,12.5,"say ""hi"""\n2024-01-03,,\n';
const jsonl =
  '{"kind":"a","n":1,"tags":["x"]}\n{"kind":"b","n":2.5,"at":"2024-01-01T00:00:00Z"}\n{"kind":null,"n":3}\n';

describe("fuzzing the generic table plugin's reader", async () => {
  const duck = await openDuckDB({threads: 1, memoryLimit: "1GB"});
  afterAll(() => duck.close());

  test("malformed CSV and JSON Lines files are staged as rows or refused with a LabError naming the file", async () => {
    const files = fuzzFiles({seed: "fuzz-generic", seeds: [csv, jsonl], count: 300, exts: [".csv", ".jsonl"]});
    let rows = 0;
    const outcome = await fuzzEach(files, async (f) => {
      const out = join(f.path.replace(/[^/]+$/, ""), `${f.name}.parquet`);
      const ctx = {
        jobId: 1,
        params: {},
        fileId: 1,
        fileVersionId: 1,
        rng: createRng(f.name),
        scratchDir: "",
        log: () => {},
        publish: () => Promise.reject(new Error("unused")),
        publishArrow: () => Promise.reject(new Error("unused")),
        publishQuery: (_topic: string, sql: string) => duck.run(`COPY (${sql}) TO ${quoteString(out)} (FORMAT parquet)`)
      } satisfies PluginContext;
      const before = rows;
      await genericTablePlugin.execute(
        {...ctx, publishQuery: async (topic, sql) => (rows = before + (await ctx.publishQuery(topic, sql)))},
        {
          path: f.path,
          relPath: f.name,
          dataset: commandLineDataset("samples"),
          contentHash: f.name,
          size: 0,
          mtime: new Date(0),
          tag: f.name.endsWith(".csv") ? "csv" : "jsonl"
        }
      );
    });
    expect(outcome.bugs).toEqual([]);
    expect(outcome.slowest.ms, outcome.slowest.name).toBeLessThan(5000);
    expect(outcome.heapGrowthMb).toBeLessThan(300);
    expect(rows).toBeGreaterThan(50);
    expect(outcome.refused).toBeGreaterThan(10);
  }, 60_000);

  test("DuckDB's reader errors give DuckDB's reason and name the file as the catalog shows it (relative to its source root)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "generic-")), "bad.jsonl");
    writeFileSync(path, '{"a":1}\n{"a":\n');
    const ctx = {
      publishQuery: (_topic: string, sql: string) => duck.run(`SELECT count(*) FROM (${sql})`),
      log: () => {}
    } as unknown as PluginContext;
    const file = {
      path,
      relPath: "sub/bad.jsonl",
      contentHash: "",
      size: 0,
      mtime: new Date(0),
      tag: "jsonl",
      dataset: commandLineDataset("samples")
    };
    // The reason is DuckDB's own sentence about the file, not the SQL it was running.
    await expect(genericTablePlugin.execute(ctx, file)).rejects.toThrow(
      'sub/bad.jsonl:3: Malformed JSON in file "sub/bad.jsonl", at byte 7 in line 3: unexpected end of data.'
    );
  });
});
