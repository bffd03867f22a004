import {appendFileSync, rmSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readManifest} from "../../src/lib/catalog/warehouse.js";
import {makeProject, pluginTypes} from "./helpers.js";

describe("ingest", () => {
  test("malformed CSVs fail with file, line and reason while the other files of the run succeed", async () => {
    const p = makeProject();
    p.write("datasets/good.csv", "day,amount\n2024-01-01,10\n2024-01-02,12\n");
    p.write("datasets/ragged.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n");
    p.write(
      "datasets/latin1.csv",
      Buffer.concat([Buffer.from("name,city\nx,M"), Buffer.from([0xfc]), Buffer.from("nchen\n")])
    );
    p.write("datasets/junk.csv", Buffer.from(Array.from({length: 4096}, (_, i) => (i * 7919) % 256)));
    p.write("datasets/events.jsonl", '{"kind":"a","n":1}\n{"kind":"b","n":2}\n');
    const summary = await p.ingest();
    expect(summary.jobsCompleted).toBe(2);
    expect(summary.jobsFailed).toBe(3);
    const errors = Object.fromEntries(summary.failures.map((f) => [f.path.split("/").pop(), f.error]));
    expect(errors["ragged.csv"]).toBe("ragged.csv:4: ragged row: expected 3 fields, found 2");
    expect(errors["latin1.csv"]).toMatch(/^latin1\.csv:2: not valid UTF-8 text/);
    expect(errors["junk.csv"]).toMatch(/^junk\.csv:1: (not valid UTF-8 text|binary data)/);
    expect(await p.query(["raw_good"], "SELECT sum(amount)::INT AS total, count(*)::INT AS n FROM raw_good")).toEqual([
      {total: 22, n: 2}
    ]);
    expect(await p.query(["raw_events"], "SELECT kind, n FROM raw_events ORDER BY n")).toEqual([
      {kind: "a", n: 1n},
      {kind: "b", n: 2n}
    ]);
    const failed = await p.catalog("SELECT status, attempts FROM jobs WHERE status = 'FAILED'");
    // Bad input fails the same way every time, so it is not retried.
    expect(failed.every((j) => j.attempts === 1)).toBe(true);
  });

  test("every row carries its lineage back to the file version", async () => {
    const p = makeProject();
    p.write("datasets/sales/jan.csv", "day,amount\n2024-01-01,10\n");
    await p.ingest();
    const [row] = await p.query(
      ["raw_sales", "catalog_files", "catalog_versions"],
      `
      SELECT s.amount, s._job_id, f.rel_path, v.content_hash
      FROM raw_sales s JOIN catalog_files f ON f.file_id = s._file_id JOIN catalog_versions v ON v.file_version_id = s._file_version_id`
    );
    expect(row).toMatchObject({amount: 10n, rel_path: "sales/jan.csv"});
    expect(row!.content_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the same content at two paths, or dropped twice, gives one version and one set of rows", async () => {
    const p = makeProject();
    const content = "id,v\n1,a\n2,b\n";
    p.write("datasets/inbox/a.csv", content);
    p.write("datasets/inbox/b.csv", content);
    const first = await p.ingest();
    expect(first.scout).toMatchObject({filesSeen: 2, changed: 2, newVersions: 1});
    expect(first.jobsCompleted).toBe(1);
    p.write("datasets/inbox/c.csv", content); // dropped again later
    const second = await p.ingest();
    expect(second.scout).toMatchObject({changed: 1, newVersions: 0});
    expect(second.jobsQueued).toBe(0);
    expect(await p.query(["raw_inbox"], "SELECT count(*)::INT AS n FROM raw_inbox")).toEqual([{n: 2}]);
    expect(await p.catalog("SELECT count(*)::INT AS n FROM file_versions")).toEqual([{n: 1}]);
  });

  test("a changed file gets a new version; the old stays in the catalog and leaves the current view", async () => {
    const p = makeProject();
    const path = p.write("datasets/prices.csv", "item,price\napple,1\n");
    await p.ingest();
    await new Promise((r) => setTimeout(r, 20));
    p.write("datasets/prices.csv", "item,price\napple,2\npear,3\n");
    const summary = await p.ingest();
    expect(summary.scout).toMatchObject({changed: 1, newVersions: 1});
    expect(await p.query(["raw_prices"], "SELECT item, price FROM raw_prices ORDER BY item")).toEqual([
      {item: "apple", price: 2n},
      {item: "pear", price: 3n}
    ]);
    expect(await p.catalog("SELECT count(*)::INT AS versions FROM file_versions")).toEqual([{versions: 2}]);
    expect(await p.catalog("SELECT count(*)::INT AS n FROM location_versions")).toEqual([{n: 2}]);
    // Lineage of the superseded version stays queryable through its job's outputs.
    expect(await p.catalog("SELECT count(*)::INT AS n FROM job_outputs")).toEqual([{n: 2}]);
    rmSync(path);
    await p.ingest();
    expect(readManifest(p.paths).topics.raw_prices!.files).toEqual([]);
  });

  test("a job whose output schema differs from its topic fails, showing both schemas", async () => {
    const p = makeProject();
    p.write("datasets/m/one.csv", "day,amount\n2024-01-01,10\n");
    await p.ingest();
    p.write("datasets/m/two.csv", "day,amount,note\n2024-01-02,oops,x\n");
    const summary = await p.ingest();
    expect(summary.jobsFailed).toBe(1);
    const error = summary.failures[0]!.error;
    expect(error).toContain("schema of topic raw_m changed");
    expect(error).toMatch(/column\s+topic has\s+this job wrote/);
    expect(error).toMatch(/≠ amount\s+BIGINT\s+VARCHAR/);
    expect(error).toMatch(/≠ note\s+—\s+VARCHAR/);
    expect(await p.query(["raw_m"], "SELECT count(*)::INT AS n FROM raw_m")).toEqual([{n: 1}]);
  });

  test("a failing plugin is retried with backoff up to the limit while other jobs go on", async () => {
    const p = makeProject({
      routing: [
        {glob: "**/*.flaky", tag: "flaky"},
        {glob: "**/*.csv", tag: "csv"}
      ]
    });
    p.write(
      "plugins/flaky.ts",
      `import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {name: "flaky", tags: ["flaky"], topics: ["flaky_rows"], async execute() { throw new Error("upstream timed out"); }};
export default plugin;\n`
    );
    p.write("datasets/x.flaky", "x");
    p.write("datasets/ok.csv", "a\n1\n");
    const started = performance.now();
    const summary = await p.ingest();
    const elapsed = performance.now() - started;
    expect(summary.jobsCompleted).toBe(1);
    expect(summary.jobsFailed).toBe(1);
    expect(summary.jobsRetried).toBe(2);
    expect(await p.catalog("SELECT plugin, status, attempts, error FROM jobs WHERE plugin = 'flaky'")).toEqual([
      {plugin: "flaky", status: "FAILED", attempts: 3, error: "upstream timed out"}
    ]);
    expect(elapsed).toBeGreaterThan(50 + 100); // backoff 50 ms, then 100 ms
  });

  test("user plugins are type-checked; a broken one is reported and skipped, a good one runs", async () => {
    const p = makeProject({routing: [{glob: "**/*.txt", tag: "text"}]});
    p.write(
      "plugins/bad-types.ts",
      `import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {name: "bad", tags: ["text"], topics: ["x"], async execute(ctx) { const n: number = "not a number"; ctx.log(String(n)); }};
export default plugin;\n`
    );
    p.write("plugins/not-a-plugin.ts", "export default {hello: 1};\n");
    p.write(
      "plugins/lines.ts",
      `import {readFileSync} from "node:fs";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {
  name: "lines", tags: ["text"], topics: ["text_lines"],
  async execute(ctx, file) {
    const lines = readFileSync(file.path, "utf-8").split("\\n").filter(Boolean);
    await ctx.publish("text_lines", {columns: [{name: "n", type: "INTEGER"}, {name: "line", type: "VARCHAR"}], rows: lines.map((line, i) => ({n: i + 1, line}))});
  }
};
export default plugin;\n`
    );
    p.write("datasets/poem.txt", "roses\nviolets\n");
    const summary = await p.ingest();
    expect(summary.brokenPlugins.map((b) => b.module).sort()).toEqual([
      "plugins/bad-types.ts",
      "plugins/not-a-plugin.ts"
    ]);
    expect(summary.brokenPlugins.find((b) => b.module === "plugins/bad-types.ts")!.error).toMatch(
      /plugins\/bad-types\.ts:2:\d+: Type 'string' is not assignable to type 'number'/
    );
    expect(summary.jobsCompleted).toBe(1);
    expect(await p.query(["text_lines"], "SELECT n, line, _job_id FROM text_lines ORDER BY n")).toEqual([
      {n: 1, line: "roses", _job_id: 1n},
      {n: 2, line: "violets", _job_id: 1n}
    ]);
    expect(await p.catalog("SELECT name, status FROM plugins WHERE source = 'user' ORDER BY name")).toEqual([
      {name: "lines", status: "OK"},
      {name: "plugins/bad-types.ts", status: "BROKEN"},
      {name: "plugins/not-a-plugin.ts", status: "BROKEN"}
    ]);
  });

  test("the scout leaves a file that is still being written for the next pass, and never re-hashes unchanged files", async () => {
    const p = makeProject({stableWaitMs: 300});
    p.write("datasets/done.csv", "a\n1\n");
    const growing = p.write("datasets/growing.csv", "a\n");
    let i = 0;
    const writer = setInterval(() => appendFileSync(growing, `${i++}\n`), 20);
    const first = await p.ingest();
    clearInterval(writer);
    expect(first.scout.unstable.map((f) => f.split("/").pop())).toEqual(["growing.csv"]);
    expect(first.scout.changed).toBe(1);
    const second = await p.ingest();
    expect(second.scout).toMatchObject({changed: 1, unstable: []});
    expect(await p.query(["raw_growing"], "SELECT count(*)::INT AS n FROM raw_growing")).toEqual([{n: i}]);
    const third = await p.ingest();
    expect(third.scout).toMatchObject({filesSeen: 2, changed: 0, newVersions: 0});
    expect(third.jobsQueued).toBe(0);
  });

  test("newer files get higher priority", async () => {
    const p = makeProject({workers: 1});
    const {utimesSync} = await import("node:fs");
    for (const [name, days] of [
      ["old", 30],
      ["week", 3],
      ["today", 0]
    ] as const) {
      const path = p.write(`datasets/${name}.csv`, `a\n${days}\n`);
      const t = new Date(Date.now() - days * 86_400_000);
      utimesSync(path, t, t);
    }
    await p.ingest();
    const jobs = await p.catalog(
      "SELECT priority, started_at, f.rel_path FROM jobs JOIN file_locations f USING (file_id) ORDER BY started_at, job_id"
    );
    expect(jobs.map((j) => [j.rel_path, j.priority])).toEqual([
      ["today.csv", 3],
      ["week.csv", 2],
      ["old.csv", 1]
    ]);
  });

  test("a plugin can publish an Arrow table, and worker threads heartbeat into the catalog", async () => {
    const p = makeProject({routing: [{glob: "**/*.arrow-src", tag: "arrow"}], heartbeatMs: 50});
    p.write(
      "plugins/arrow.ts",
      `import {tableFromArrays} from "apache-arrow";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {
  name: "arrow", tags: ["arrow"], topics: ["arrow_rows"],
  async execute(ctx) {
    await new Promise((r) => setTimeout(r, 200));
    const table = tableFromArrays({id: Int32Array.from([1, 2, 3]), x: Float64Array.from([0.5, 1.5, 2.5]), name: ["a", "b", "c"]});
    await ctx.publishArrow("arrow_rows", table);
  }
};
export default plugin;\n`
    );
    p.write("datasets/one.arrow-src", "1");
    const summary = await p.ingest();
    expect(summary.jobsCompleted).toBe(1);
    expect(await p.query(["arrow_rows"], "SELECT id, x, name FROM arrow_rows ORDER BY id")).toEqual([
      {id: 1, x: 0.5, name: "a"},
      {id: 2, x: 1.5, name: "b"},
      {id: 3, x: 2.5, name: "c"}
    ]);
    const workers = await p.catalog(
      "SELECT status, heartbeat_at > started_at AS beat FROM workers ORDER BY status, worker_id"
    );
    expect(workers.map((w) => w.status)).toEqual(["COORDINATOR", "WORKER", "WORKER"]);
    expect(workers.some((w) => w.beat)).toBe(true);
  });

  test("the DuckDB table sink mirrors the topics", async () => {
    const p = makeProject({sinks: ["parquet", "duckdb"]});
    p.write("datasets/t.csv", "a,b\n1,x\n2,y\n");
    await p.ingest();
    const {openDuckDB} = await import("../../src/lib/core/duckdb.js");
    const duck = await openDuckDB({path: join(p.paths.labDir, "warehouse.duckdb")});
    expect(await duck.all("SELECT a, b FROM raw_t ORDER BY a")).toEqual([
      {a: 1n, b: "x"},
      {a: 2n, b: "y"}
    ]);
    duck.close();
  });
});
