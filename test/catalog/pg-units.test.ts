/**
 * Units through the PostgreSQL queue, served by two `lab worker` processes with working folders
 * of their own: a two-day, two-symbol market history ingested by the catalog (its replay's
 * symbol-days spread over both workers, each run once, the assembled market_events equal to the
 * whole history replayed on one machine), and a meter fleet's shards with one worker killed
 * mid-shard (the other runs that shard again after the heartbeat timeout; the tables are still
 * those of the run on one machine).
 */
import {mkdtempSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import pg from "pg";
import {afterAll, afterEach, describe, expect, test} from "vitest";
import {genericRouting} from "../../src/lib/catalog/config.js";
import {ingest} from "../../src/lib/catalog/ingest.js";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {runMeters} from "../../src/lib/meters/pipeline.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {eventsDigestSql, wholeReplay, writeTwoDayHistory} from "../market/two-day-history.js";
import {tableDigests} from "../meters/table-digest.js";
import {startNode} from "../run-node.js";
import {makeProject, readManifest, repoDir} from "./helpers.js";

const url = process.env.LAB_TEST_POSTGRES_URL;
if (!url) {
  if (process.env.CI)
    throw new Error("LAB_TEST_POSTGRES_URL is not set: CI must start PostgreSQL (tools/postgres-up.sh)");
  console.warn(
    "postgres unit tests skipped: no server (run `export LAB_TEST_POSTGRES_URL=$(bash tools/postgres-up.sh)` to enable them)"
  );
}

/** Each `unit <id> (attempt n)` line a worker printed: what it started. */
const started = (output: string) =>
  [...output.matchAll(/: unit (\S+) \(attempt (\d+)\)/g)].map((m) => `${m[1]}#${m[2]}`);

describe.skipIf(!url)("units through the queue in PostgreSQL", () => {
  // A schema of its own: other tests use the same server at the same time.
  const schema = `lab_units_test_${process.pid}_${Date.now() % 100000}`;
  // Every worker started, killed after its test whatever happened (a leftover would serve the next test's units).
  const live: ReturnType<typeof startNode>[] = [];
  afterEach(async () => {
    for (const w of live.splice(0)) w.kill();
  });
  afterAll(async () => {
    const client = new pg.Client({connectionString: url});
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  function startWorker() {
    const dir = mkdtempSync(join(tmpdir(), "lab-worker-"));
    symlinkSync(join(repoDir, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "package.json"), '{"type": "module"}');
    writeFileSync(join(dir, "lab.config.ts"), `export default {queue: {schema: ${JSON.stringify(schema)}}};\n`);
    const worker = startNode(["--import", "tsx", join(repoDir, "cli", "lab.ts"), "worker", "--threads", "1"], {
      cwd: dir,
      env: {...process.env, LAB_QUEUE_URL: url!, CI: "true"},
      timeoutMs: 280_000
    });
    live.push(worker);
    return worker;
  }

  test("a market history's symbol-days spread over two workers, each once; the events equal the whole replay's", async () => {
    const p = makeProject({
      routing: [...catalogBuiltins().routing, ...genericRouting],
      heartbeatMs: 200,
      heartbeatTimeoutMs: 10_000,
      queue: {schema}
    });
    const files = await writeTwoDayHistory({
      dir: join(p.dir, "datasets", "market", "two"),
      scratch: mkdtempSync(join(tmpdir(), "two-day-sim-"))
    });
    const reference = join(mkdtempSync(join(tmpdir(), "two-day-whole-")), "whole");
    const duck = await openDuckDB();
    const whole = await duck.one(eventsDigestSql(await wholeReplay({files, outDir: reference})));

    const workers = [startWorker(), startWorker()];
    await Promise.all(workers.map((w) => w.waitFor("serving the queue", 60_000)));
    const lines: string[] = [];
    const summary = await ingest({
      paths: p.paths,
      config: p.config,
      queueUrl: url,
      builtins: catalogBuiltins(),
      output: {write: () => {}, isTTY: false},
      log: (l) => lines.push(l)
    });
    for (const w of workers) w.kill();
    await Promise.all(workers.map((w) => w.done));
    expect(summary.failures).toEqual([]);
    expect(lines.join("\n")).toMatch(/market: 4 unit\(s\) through the queue/);
    const runs = workers.map((w) => started(w.output()));
    // Both workers took units, and every unit ran exactly once.
    expect(runs.every((r) => r.length >= 1)).toBe(true);
    expect(runs.flat().sort()).toEqual([
      "AAA-2024-02-29#1",
      "AAA-2024-03-01#1",
      "BBB-2024-02-29#1",
      "BBB-2024-03-01#1"
    ]);
    const events = readManifest(p.paths).topics.market_events!.files.filter((f) => f.dataset_folder === "market/two");
    expect(events).toHaveLength(1);
    const assembled = await duck.one(eventsDigestSql([join(p.paths.warehouseDir, events[0]!.path)]));
    duck.close();
    expect(assembled).toEqual(whole);
    expect(await p.query(["market_events"], "SELECT DISTINCT symbol, dataset FROM market_events ORDER BY 1")).toEqual([
      {symbol: "AAA", dataset: "two"},
      {symbol: "BBB", dataset: "two"}
    ]);
  }, 300_000);

  test("a market day whose worker is killed -9 mid-unit is replayed by the other; the events still equal the whole replay's", async () => {
    const p = makeProject({
      routing: [...catalogBuiltins().routing, ...genericRouting],
      heartbeatMs: 200,
      heartbeatTimeoutMs: 3000,
      queue: {schema}
    });
    const files = await writeTwoDayHistory({
      dir: join(p.dir, "datasets", "market", "two"),
      scratch: mkdtempSync(join(tmpdir(), "two-day-sim-"))
    });
    const duck = await openDuckDB();
    const whole = await duck.one(
      eventsDigestSql(await wholeReplay({files, outDir: join(mkdtempSync(join(tmpdir(), "two-day-whole-")), "w")}))
    );
    // One worker serves the files' jobs and is killed as soon as it starts a unit; then a second.
    const a = startWorker();
    const lines: string[] = [];
    const running = ingest({
      paths: p.paths,
      config: p.config,
      queueUrl: url,
      builtins: catalogBuiltins(),
      output: {write: () => {}, isTTY: false},
      log: (l) => lines.push(l)
    });
    await a.waitFor(": unit ", 120_000);
    a.kill();
    await a.done;
    const [killed] = started(a.output());
    const b = startWorker();
    const summary = await running;
    expect(summary.failures).toEqual([]);
    const unit = killed!.replace(/#1$/, "");
    expect(lines.join("\n")).toMatch(new RegExp(`unit ${unit} attempt 1 failed \\(no heartbeat for`));
    expect(started(b.output()).sort()).toEqual(
      ["AAA-2024-02-29", "AAA-2024-03-01", "BBB-2024-02-29", "BBB-2024-03-01"].map((u) => `${u}#${u === unit ? 2 : 1}`)
    );
    const [events] = readManifest(p.paths).topics.market_events!.files.filter((f) => f.dataset_folder === "market/two");
    const assembled = await duck.one(eventsDigestSql([join(p.paths.warehouseDir, events!.path)]));
    duck.close();
    expect(assembled).toEqual(whole);
  }, 300_000);

  test("a fleet's shards: kill -9 of a worker mid-shard, the other runs it again; the tables equal one machine's", async () => {
    const fleet = {seed: 9, meters: 400, days: 3, pattern: "DEGRADED" as const, shardMeters: 100};
    const here = mkdtempSync(join(tmpdir(), "fleet-here-"));
    const reference = await tableDigests(
      Object.fromEntries((await runMeters({outDir: here, ...fleet})).map((t) => [t.name, t.path]))
    );

    // One worker first, killed once it has started a shard; the second then serves everything.
    const a = startWorker();
    await a.waitFor("serving the queue", 60_000);
    const out = mkdtempSync(join(tmpdir(), "fleet-queue-"));
    const lines: string[] = [];
    const running = runMeters({
      outDir: out,
      ...fleet,
      units: {queue: {url: url!, schema}, threads: 1, heartbeatMs: 200, heartbeatTimeoutMs: 3000, maxAttempts: 3},
      log: (l) => lines.push(l)
    });
    await a.waitFor(": unit DEGRADED-shard-", 60_000);
    a.kill();
    expect((await a.done).signal).toBe("SIGKILL");
    const [killed] = started(a.output());
    const b = startWorker();
    const tables = await running;
    b.kill();
    await b.done;
    expect(killed).toMatch(/#1$/);
    const shard = killed!.replace(/#1$/, "");
    expect(lines.join("\n")).toMatch(new RegExp(`unit ${shard} attempt 1 failed \\(no heartbeat for`));
    // The other worker ran the killed shard as attempt 2, and every other shard once.
    const runs = started(b.output());
    expect(runs).toContain(`${shard}#2`);
    expect(runs.filter((r) => r.startsWith(`${shard}#`))).toEqual([`${shard}#2`]);
    expect(new Set(runs.map((r) => r.replace(/#\d+$/, ""))).size).toBe(runs.length);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(await tableDigests(Object.fromEntries(tables.map((t) => [t.name, t.path])))).toEqual(reference);
  }, 300_000);
});
