/**
 * The catalog's queue in PostgreSQL: `lab ingest` enqueues, two `lab worker` processes with working
 * folders of their own serve the jobs; kill -9 of one mid-job and the other finishes that job after
 * the heartbeat timeout, each job's rows committed exactly once.
 */
import {mkdtempSync, readdirSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import pg from "pg";
import {afterAll, describe, expect, test} from "vitest";
import {ingest} from "../../src/lib/catalog/ingest.js";
import {startNode} from "../run-node.js";
import {makeProject, pluginTypes, repoDir} from "./helpers.js";

const url = process.env.LAB_TEST_POSTGRES_URL;
if (!url) {
  if (process.env.CI)
    throw new Error("LAB_TEST_POSTGRES_URL is not set: CI must start PostgreSQL (tools/postgres-up.sh)");
  console.warn(
    "postgres queue tests skipped: no server (run `export LAB_TEST_POSTGRES_URL=$(bash tools/postgres-up.sh)` to enable them)"
  );
}

const FILES = 12;

// Every file: `n` rows. With LAB_TEST_PAUSE set (the worker that will be killed), the job for
// slow.s says "halfway" and then waits, heartbeating, until the process is killed.
const plugin = `import {readFileSync} from "node:fs";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {
  name: "numbers", tags: ["n"], topics: ["numbers"],
  async execute(ctx, file) {
    const n = Number(readFileSync(file.path, "utf-8"));
    if (file.relPath === "slow.n" && process.env.LAB_TEST_PAUSE) {
      ctx.log("halfway");
      await new Promise((r) => setTimeout(r, 120_000));
    }
    await ctx.publish("numbers", {columns: [{name: "file", type: "VARCHAR"}, {name: "i", type: "INTEGER"}],
      rows: Array.from({length: n}, (_, i) => ({file: file.relPath, i}))});
  }
};
export default plugin;
`;

describe.skipIf(!url)("the queue in PostgreSQL", () => {
  const schema = `lab_queue_test_${process.pid}_${Date.now() % 100000}`;
  afterAll(async () => {
    const client = new pg.Client({connectionString: url});
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  function startWorker(env: Record<string, string> = {}, threads = "1") {
    const dir = mkdtempSync(join(tmpdir(), "lab-worker-"));
    symlinkSync(join(repoDir, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "package.json"), '{"type": "module"}');
    writeFileSync(join(dir, "lab.config.ts"), `export default {queue: {schema: ${JSON.stringify(schema)}}};\n`);
    return startNode(["--import", "tsx", join(repoDir, "cli", "lab.ts"), "worker", "--threads", threads], {
      cwd: dir,
      env: {...process.env, ...env, LAB_QUEUE_URL: url!, CI: "true"},
      timeoutMs: 170_000
    });
  }

  test("two workers serve the jobs; kill -9 of one mid-job and the other finishes it, exactly once", async () => {
    const p = makeProject({
      routing: [{glob: "**/*.n", tag: "n"}],
      heartbeatMs: 200,
      heartbeatTimeoutMs: 3000,
      queue: {schema}
    });
    p.write("plugins/numbers.ts", plugin);
    p.write("datasets/slow.n", "500");
    for (let i = 0; i < FILES - 1; i++) p.write(`datasets/f${String(i).padStart(2, "0")}.n`, String(10 + i));
    const lines: string[] = [];
    const a = startWorker({LAB_TEST_PAUSE: "1"});
    const running = ingest({
      paths: p.paths,
      config: p.config,
      queueUrl: url,
      output: {write: () => {}, isTTY: false},
      log: (l) => lines.push(l)
    });
    await a.waitFor("halfway", 120_000);
    const b = startWorker();
    await b.waitFor("serving the queue", 60_000);
    a.kill();
    expect((await a.done).signal).toBe("SIGKILL");
    const summary = await running;
    b.kill();
    await b.done;
    expect(summary.failures).toEqual([]);
    expect(summary.jobsCompleted).toBe(FILES);
    expect(summary.jobsRetried).toBe(1);
    expect(b.output()).toMatch(/job \d+ \(attempt 2\) datasets\/slow\.n/);
    const jobs = await p.catalog(
      "SELECT l.rel_path AS file, j.status, j.attempts, j.error FROM jobs j JOIN file_locations l USING (file_id) ORDER BY 1"
    );
    expect(jobs.filter((j) => j.file !== "slow.n").every((j) => j.status === "COMPLETED" && j.attempts === 1)).toBe(
      true
    );
    expect(jobs.find((j) => j.file === "slow.n")).toMatchObject({status: "COMPLETED", attempts: 2});
    // Each file's rows once: the killed attempt's staged rows never reached the warehouse.
    const expected = [{file: "slow.n", n: 500, d: 500}];
    for (let i = 0; i < FILES - 1; i++) expected.push({file: `f${String(i).padStart(2, "0")}.n`, n: 10 + i, d: 10 + i});
    expect(
      await p.query(
        ["numbers"],
        "SELECT file, count(*)::INT AS n, count(DISTINCT i)::INT AS d FROM numbers GROUP BY 1 ORDER BY 1"
      )
    ).toEqual(expected.sort((x, y) => x.file.localeCompare(y.file)));
    expect(
      readdirSync(join(p.paths.warehouseDir, "numbers", "dataset=default")).filter((f) => /-a2-/.test(f))
    ).toHaveLength(1);
  }, 180_000);

  test("through the queue, a plugin that always hangs ends FAILED without blocking the other jobs", async () => {
    const p = makeProject({
      routing: [{glob: "**/*.n", tag: "n"}],
      heartbeatMs: 100,
      heartbeatTimeoutMs: 2000,
      retry: {maxAttempts: 2, backoffMs: 50},
      queue: {schema}
    });
    p.write(
      "plugins/numbers.ts",
      plugin.replace(
        "const n = Number(",
        `if (file.relPath === "hang.n") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    const n = Number(`
      )
    );
    p.write("datasets/hang.n", "100"); // content of its own: identical bytes in one dataset are one job
    for (let i = 0; i < 5; i++) p.write(`datasets/ok${i}.n`, String(i + 1));
    const worker = startWorker({}, "2");
    const summary = await ingest({
      paths: p.paths,
      config: p.config,
      queueUrl: url,
      output: {write: () => {}, isTTY: false},
      log: () => {}
    });
    worker.kill();
    await worker.done;
    expect(summary.jobsCompleted).toBe(5);
    expect(summary.failures).toEqual([
      {path: "datasets/hang.n", plugin: "numbers", error: expect.stringMatching(/^no heartbeat for \d+\.\d s /)}
    ]);
    expect(
      await p.catalog("SELECT status, attempts FROM jobs JOIN file_locations USING (file_id) WHERE rel_path = 'hang.n'")
    ).toEqual([{status: "FAILED", attempts: 2}]);
    expect(await p.query(["numbers"], "SELECT count(*)::INT AS n FROM numbers")).toEqual([{n: 15}]);
  }, 120_000);

  test("200 files through two workers: every job runs once, and the view equals a single-machine run's", async () => {
    const files = (p: ReturnType<typeof makeProject>) => {
      p.write("plugins/numbers.ts", plugin);
      for (let i = 0; i < 200; i++) p.write(`datasets/d${i % 4}/f${String(i).padStart(3, "0")}.n`, String(i + 1)); // contents of their own: equal bytes in one dataset are one job
    };
    const config = {routing: [{glob: "**/*.n", tag: "n"}], heartbeatMs: 200, heartbeatTimeoutMs: 5000};
    const quiet = {output: {write: () => {}, isTTY: false}, log: () => {}};
    const distributed = makeProject({...config, queue: {schema}});
    files(distributed);
    const workers = [startWorker(), startWorker()];
    const summary = await ingest({paths: distributed.paths, config: distributed.config, queueUrl: url, ...quiet});
    for (const w of workers) w.kill();
    await Promise.all(workers.map((w) => w.done));
    expect(summary.jobsCompleted).toBe(200);
    expect(summary.jobsRetried).toBe(0);
    const served = workers.flatMap((w) => [...w.output().matchAll(/job (\d+) \(attempt (\d+)\)/g)].map((m) => m[1]));
    expect(served.length).toBe(200);
    expect(new Set(served).size).toBe(200);
    expect(workers.every((w) => /job \d+ done/.test(w.output()))).toBe(true); // both took a share

    const local = makeProject(config);
    files(local);
    expect((await ingest({paths: local.paths, config: local.config, ...quiet})).jobsCompleted).toBe(200);
    const view = "SELECT dataset, file, i FROM numbers ORDER BY ALL";
    const rows = await distributed.query(["numbers"], view);
    expect(rows.length).toBe((200 * 201) / 2);
    expect(rows).toEqual(await local.query(["numbers"], view));
  }, 300_000);
});
