import {resolve} from "node:path";
import {ingest} from "../../src/lib/catalog/ingest.js";
import {loadConfig} from "../../src/lib/catalog/config.js";
import {labPaths} from "../../src/lib/catalog/paths.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {flag, numberFlag, stringFlag, type Verb} from "../verb.js";

export const ingestVerb: Verb = {
  name: "ingest",
  summary: "scout datasets/, version files by content, run plugins, promote Parquet to the warehouse",
  help: `usage: lab ingest [--watch] [--root DIR …] [--workers N] [--lab-dir DIR]

Scouts the source roots (lab.config.ts; default datasets/), registers every new or changed file as
an immutable version (SHA-256 of its content), routes it by glob rules to plugins, runs their jobs
on worker threads and promotes the output into .lab/warehouse atomically. Prints a summary; exits
1 when a job failed.

options:
  --watch          keep running: a dropped or changed file is processed within about a second
  --root DIR       scout DIR instead of the configured roots (repeat with commas: a,b)
  --workers N      worker threads (default: one per core)
  --lab-dir DIR    where the catalog and warehouse live (default .lab; also $LAB_DIR)

example: npm run lab -- ingest --watch`,
  flags: [flag.boolean("watch"), flag.string("root"), flag.count("workers"), flag.string("lab-dir")],
  async run(args) {
    const projectDir = process.cwd();
    const paths = labPaths({projectDir, labDir: stringFlag(args, "lab-dir")});
    const builtins = catalogBuiltins();
    const base = await loadConfig({projectDir, builtinRouting: builtins.routing});
    const root = stringFlag(args, "root");
    const config = {
      ...base,
      ...(root ? {sourceRoots: root.split(",").map((r) => resolve(r))} : {}),
      workers: numberFlag(args, "workers", base.workers)!
    };
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());
    process.once("SIGTERM", () => controller.abort());
    const summary = await ingest({
      paths,
      config,
      builtins,
      watch: Boolean(args.flags.watch),
      signal: controller.signal
    });
    if (!summary.scout.changed && !summary.scout.missing && !summary.jobsCompleted && !summary.jobsFailed)
      console.log(`ingest: ${summary.scout.filesSeen} files seen, nothing new (${summary.seconds.toFixed(2)}s)`);
    return summary.jobsFailed || summary.sinks?.some((s) => s.action === "failed") ? 1 : 0;
  }
};
