import {availableParallelism} from "node:os";
import {loadConfig} from "../../src/lib/catalog/config.js";
import {LabQueue} from "../../src/lib/catalog/pg-queue.js";
import {serveQueue} from "../../src/lib/catalog/queue-worker.js";
import {UnitQueue} from "../../src/lib/catalog/unit-queue.js";
import {DEFAULT_QUEUE_SCHEMA, resolveQueueUrl} from "../../src/lib/catalog/queue-url.js";
import {LabError} from "../../src/lib/core/errors.js";
import {flag, numberFlag, type Verb} from "../verb.js";

export const workerVerb: Verb = {
  name: "worker",
  summary: "serve the PostgreSQL queue's ingest jobs and units on this host (lab ingest enqueues them)",
  help: `usage: lab worker [--threads N]

Fetches the ingest jobs that \`lab ingest\` sends to the PostgreSQL queue and runs their plugins
on N worker threads, staging the output where the coordinator told it (the lab folder must be
the same path on every host, as must the source roots and the plugins). Runs until Ctrl-C. Any
number of workers on any hosts may serve one queue; a worker that dies or goes silent loses its
job to another after the heartbeat timeout. A slot with no ingest job waiting serves units: the
symbol-days of a market history and the shards of a meter fleet that a coordinator spread over
the queue (docs/catalog.md "Units").

The queue's URL is a secret and is never taken from the command line: $LAB_QUEUE_URL, or
lab.config.ts \`queue: {urlFile}\` (a file holding it) or \`queue: {urlEnv}\`.

options:
  --threads N   jobs run at once (default: one per core)

example: LAB_QUEUE_URL=$(cat ~/.lab-queue-url) npm run lab -- worker --threads 4`,
  flags: [flag.count("threads")],
  async run(args) {
    const projectDir = process.cwd();
    const config = await loadConfig({projectDir});
    const url = resolveQueueUrl({setting: config.queue, projectDir});
    if (!url)
      throw new LabError({
        reason: "no queue to serve: LAB_QUEUE_URL is unset and lab.config.ts names no queue",
        hint: "export LAB_QUEUE_URL=postgres://user:password@host/db (the same queue as lab ingest's)"
      });
    const schema = config.queue?.schema ?? DEFAULT_QUEUE_SCHEMA;
    const units = await UnitQueue.open({url, schema});
    const queue = await LabQueue.open({url, schema}).catch(async (error: unknown) => {
      await units.close();
      throw error;
    });
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());
    process.once("SIGTERM", () => controller.abort());
    const threads = numberFlag(args, "threads", Math.max(1, availableParallelism()))!;
    console.log(`worker ${process.pid}: serving the queue with ${threads} thread(s)`);
    try {
      const served = await serveQueue({queue, units, threads, signal: controller.signal, log: (l) => console.log(l)});
      console.log(`worker ${process.pid}: ${served} job(s) served`);
    } finally {
      await units.close();
      await queue.close();
    }
    return 0;
  }
};
