import {spawn, type ChildProcess} from "node:child_process";
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import pg from "pg";
import {defaultConfig} from "../src/lib/catalog/config.js";
import {ingest} from "../src/lib/catalog/ingest.js";
import {labPaths} from "../src/lib/catalog/paths.js";
import {LabError} from "../src/lib/core/errors.js";
import {catalogBuiltins} from "../src/lib/registry.js";
import type {Benchmark} from "./benchmark.js";

const repoDir = join(import.meta.dirname, "..");

/** A project with `files` small CSV files (200 rows each, contents of their own). */
function makeProject(files: number): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-queue-"));
  symlinkSync(join(repoDir, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), '{"type": "module"}');
  mkdirSync(join(dir, "datasets", "bench"), {recursive: true});
  for (let i = 0; i < files; i++)
    writeFileSync(
      join(dir, "datasets", "bench", `f${i}.csv`),
      `a,b\n${Array.from({length: 200}, (_, k) => `${k},${i}`).join("\n")}\n`
    );
  return dir;
}

/** One ingest pass of the files: jobs per second (scan, jobs and commits; workers already up). */
async function measure(o: {files: number; workers: number; url?: string; schema: string}): Promise<number> {
  const dir = makeProject(o.files);
  const procs: ChildProcess[] = [];
  try {
    if (o.url) {
      writeFileSync(join(dir, "lab.config.ts"), `export default {queue: {schema: ${JSON.stringify(o.schema)}}};\n`);
      const ready = Array.from({length: o.workers}, () => {
        const child = spawn(
          process.execPath,
          ["--import", "tsx", join(repoDir, "cli/lab.ts"), "worker", "--threads", "1"],
          {
            cwd: dir,
            env: {...process.env, LAB_QUEUE_URL: o.url},
            stdio: ["ignore", "pipe", "inherit"]
          }
        );
        procs.push(child);
        return new Promise<void>((resolve) =>
          child.stdout!.on("data", (d: Buffer) => d.includes("serving") && resolve())
        );
      });
      await Promise.all(ready);
    }
    const summary = await ingest({
      paths: labPaths({projectDir: dir, labDir: ".lab"}),
      config: {...defaultConfig, workers: o.workers, stableWaitMs: 10, queue: o.url ? {schema: o.schema} : undefined},
      queueUrl: o.url ?? false,
      builtins: catalogBuiltins(),
      output: {write: () => {}, isTTY: false},
      log: () => {}
    });
    if (summary.jobsCompleted !== o.files) throw new Error(`${summary.jobsCompleted} of ${o.files} jobs completed`);
    return summary.jobsCompleted / summary.seconds;
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    rmSync(dir, {recursive: true, force: true});
  }
}

/**
 * Jobs per second through the PostgreSQL queue (`lab worker` processes) vs the embedded catalog's
 * worker threads, on the same files, with one and with two workers. The queue's URL comes from
 * LAB_QUEUE_URL (a secret: never a flag); the bench uses a schema of its own and drops it.
 */
export const queueBenchmark: Benchmark = {
  name: "queue",
  summary: "ingest jobs/s through the PostgreSQL queue with 1 and 2 lab workers vs the embedded catalog",
  targets: {queue_ratio_vs_embedded: {min: 0.8}, queue_ratio_vs_embedded_1_worker: {min: 0.8}},
  async run({log, flags}) {
    const url = process.env.LAB_QUEUE_URL;
    if (!url)
      throw new LabError({
        reason: "the queue bench needs PostgreSQL: LAB_QUEUE_URL is unset",
        hint: "export LAB_QUEUE_URL=$(bash tools/postgres-up.sh)"
      });
    const files = Number(flags.files ?? 100);
    const schema = `lab_queue_bench_${process.pid}`;
    const figures: Record<string, number> = {};
    try {
      for (const workers of [1, 2]) {
        const embedded = await measure({files, workers, schema});
        const queued = await measure({files, workers, url, schema});
        log(
          `${files} files, ${workers} worker(s): embedded ${embedded.toFixed(1)} jobs/s, queue ${queued.toFixed(1)} jobs/s`
        );
        const suffix = workers === 1 ? "_1_worker" : "";
        figures[`embedded_jobs_per_s${suffix}`] = +embedded.toFixed(2);
        figures[`queue_jobs_per_s${suffix}`] = +queued.toFixed(2);
        figures[`queue_ratio_vs_embedded${suffix}`] = +(queued / embedded).toFixed(3);
      }
    } finally {
      const client = new pg.Client({connectionString: url});
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
    return figures;
  }
};
