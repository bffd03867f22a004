/**
 * The queue as `lab status` and `lab ingest` show it: with no worker alive, an ingest says so
 * within seconds and gives up after queue.workerWaitMs (never hanging CI); a serving worker
 * announces itself, and the status lists it and the jobs by state.
 */
import pg from "pg";
import {afterAll, describe, expect, test} from "vitest";
import {ingest} from "../../src/lib/catalog/ingest.js";
import {LabQueue} from "../../src/lib/catalog/pg-queue.js";
import {formatQueueStatus, queueStatus} from "../../src/lib/catalog/queue-status.js";
import {serveQueue} from "../../src/lib/catalog/queue-worker.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject} from "./helpers.js";

const url = process.env.LAB_TEST_POSTGRES_URL;
if (!url) {
  if (process.env.CI)
    throw new Error("LAB_TEST_POSTGRES_URL is not set: CI must start PostgreSQL (tools/postgres-up.sh)");
  console.warn("queue status tests skipped: no server (export LAB_TEST_POSTGRES_URL=$(bash tools/postgres-up.sh))");
}

describe.skipIf(!url)("the queue's status", () => {
  // A schema of its own: other tests serve queues on the same server.
  const schema = `lab_queue_status_${process.pid}_${Date.now() % 100000}`;
  afterAll(async () => {
    const client = new pg.Client({connectionString: url});
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  test("no worker: ingest says so within seconds and gives up; a worker announces itself and serves", async () => {
    const p = makeProject({queue: {schema, workerWaitMs: 4000}, heartbeatMs: 200});
    p.write("datasets/sales/jan.csv", "day,amount\n2024-01-01,10\n");
    const said: string[] = [];
    const run = (signal?: AbortSignal) =>
      ingest({
        paths: p.paths,
        config: p.config,
        builtins: catalogBuiltins(),
        queueUrl: url!,
        signal,
        output: {write: (t: string) => void said.push(t), isTTY: false},
        log: (l) => said.push(l)
      });
    // Ctrl-C (the signal) stops the wait at once.
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 500);
    await expect(run(interrupt.signal)).rejects.toThrow(
      /^interrupted; [01] job\(s\) taken back from the queue: the jobs not done run at the next ingest$/
    );
    const started = performance.now();
    await expect(run()).rejects.toThrow(
      /^no worker served the queue for 4 s; 1 job\(s\) taken back from the queue: the jobs not done run at the next ingest \(hint: start `npm run lab -- worker` on a host that reaches postgres:\/\/lab@127\.0\.0\.1:5432\/lab \(schema lab_queue_status_/
    );
    expect(performance.now() - started).toBeLessThan(15_000);
    const notice = said.find((l) => l.startsWith("no worker has taken a job for"));
    expect(notice).toMatch(
      /^no worker has taken a job for [23] s: start `npm run lab -- worker` on a host that can reach postgres:\/\/lab@127\.0\.0\.1:5432\/lab \(schema lab_queue_status_\d+_\d+\) and the same paths; waiting up to 4 s in all \(queue\.workerWaitMs\), Ctrl-C to stop\n$/
    );
    expect(said.join("")).not.toContain("lab:lab@"); // never the password

    const idle = await queueStatus({url: url!, schema});
    expect(idle).toMatchObject({waiting: 0, running: 0, workers: []});
    expect(idle.takenBack).toBeGreaterThanOrEqual(1); // the job the ingest took back when it gave up
    expect(formatQueueStatus(idle)).toContain(
      "  workers 0 alive: start `npm run lab -- worker` on a host that reaches the queue"
    );

    // A worker serving the queue: listed as alive, and the jobs left behind run at the next ingest.
    const queue = await LabQueue.open({url: url!, schema});
    const controller = new AbortController();
    const serving = serveQueue({queue, threads: 1, signal: controller.signal, pollMs: 50});
    try {
      await new Promise((r) => setTimeout(r, 300));
      const live = await queueStatus({url: url!, schema});
      expect(live.workers).toEqual([expect.objectContaining({threads: 1, alive: true, pid: process.pid})]);
      expect(formatQueueStatus(live)[2]).toBe("  workers 1 alive");
      const summary = await run();
      expect(summary.jobsCompleted).toBe(1);
      // The worker's own code version is the job's lineage.
      expect(await p.catalog("SELECT code_version FROM jobs WHERE status = 'COMPLETED'")).toEqual([
        {code_version: expect.stringMatching(/^git:[0-9a-f]{40}(\+dirty)?$/)}
      ]);
      expect(await p.query(["raw_sales"], "SELECT sum(amount)::INT AS s FROM raw_sales")).toEqual([{s: 10}]);
    } finally {
      controller.abort();
      await serving;
      await queue.close();
    }
    expect((await queueStatus({url: url!, schema})).workers).toEqual([]); // it retired on stopping
  }, 120_000);
});
