/**
 * A derivation's worker thread: one run of one derivation, in a thread of its own with a memory
 * limit, so a derivation that runs away (a hostile input, a bug) fails alone instead of taking the
 * coordinator — `lab ingest` or the dev server — down with it. It opens its own DuckDB with a view
 * per input topic, imports the derivation by module and export name, and reports its outputs.
 */
import {parentPort, workerData} from "node:worker_threads";
import {openDuckDB} from "../core/duckdb.js";
import {quoteIdent} from "../core/sql.js";
import {loadDataset, type DatasetRef} from "./datasets.js";
import {isDerivation, type DerivedOutput} from "./derivation.js";
import type {LabPaths} from "./paths.js";
import type {UnitsSetting} from "./units.js";

export interface DerivationJob {
  module: string;
  exportName: string;
  dataset: DatasetRef;
  /** One view per input topic: its name, the SELECT over the dataset's files, and whether it has rows. */
  views: {topic: string; sql: string; rows: boolean}[];
  paths: LabPaths;
  outDir: string;
  outRel: string;
  cacheDir: string;
  /** DuckDB's own memory (outside the V8 heap the thread's limit covers), e.g. "2GB". */
  duckMemoryLimit: string;
  units?: UnitsSetting;
}

export type DerivationReply =
  {type: "log"; line: string} | {type: "done"; outputs: DerivedOutput[]} | {type: "failed"; error: string};

const post = (reply: DerivationReply) => parentPort!.postMessage(reply);

async function run(job: DerivationJob): Promise<DerivedOutput[]> {
  const module = (await import(job.module)) as Record<string, unknown>;
  const derivation = module[job.exportName];
  if (!isDerivation(derivation)) throw new Error(`${job.module} does not export a derivation as ${job.exportName}`);
  const duck = await openDuckDB({memoryLimit: job.duckMemoryLimit});
  try {
    for (const v of job.views) await duck.run(`CREATE VIEW ${quoteIdent(v.topic)} AS ${v.sql}`);
    return await derivation.run({
      dataset: loadDataset(job.dataset),
      topics: job.views.filter((v) => v.rows).map((v) => v.topic),
      paths: job.paths,
      duck,
      outDir: job.outDir,
      outRel: job.outRel,
      cacheDir: job.cacheDir,
      ...(job.units ? {units: job.units} : {}),
      log: (line) => post({type: "log", line})
    });
  } finally {
    duck.close();
  }
}

run(workerData as DerivationJob).then(
  (outputs) => post({type: "done", outputs}),
  (error: unknown) => post({type: "failed", error: error instanceof Error ? error.message : String(error)})
);
