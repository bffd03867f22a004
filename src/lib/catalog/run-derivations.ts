import {createHash} from "node:crypto";
import {rmSync} from "node:fs";
import {join} from "node:path";
import {startWorker} from "../core/worker.js";
import type {Derivation, DerivedOutput} from "./derivation.js";
import type {DerivationJob, DerivationReply} from "./derivation-worker.js";
import type {LabPaths} from "./paths.js";
import {schemaFingerprint, topicSource, type Manifest} from "./warehouse.js";

/**
 * Derived topics: each derivation's outputs are carried over from the previous manifest, and
 * recomputed (when `derive`) if its inputs' current files or its version changed. Outputs live
 * in `_derived/<name>-<stamp>/`; returns the folders the new manifest no longer names. Each run
 * is a worker thread with `memoryMb` of heap: one that runs out of memory or throws is logged
 * and keeps its previous outputs, and the caller goes on.
 */
export async function applyDerivations({
  paths,
  derivations,
  manifest,
  previous,
  derive,
  memoryMb,
  failed = new Map(),
  now,
  log
}: {
  paths: LabPaths;
  derivations: Derivation[];
  manifest: Manifest;
  previous: Manifest;
  derive: boolean;
  /** Each derivation thread's V8 heap limit (and its DuckDB's memory limit). */
  memoryMb: number;
  /**
   * Derivation name → the input key it last failed on; kept by the caller across passes, so a
   * derivation that ran out of memory is not rerun (a minute or more, in the dev server) on the very
   * inputs it failed on, only once they change.
   */
  failed?: Map<string, string>;
  now: () => Date;
  log: (line: string) => void;
}): Promise<string[]> {
  const replaced: string[] = [];
  manifest.derived = {...previous.derived};
  for (const d of derivations) {
    const before = previous.derived?.[d.name];
    const carry = () => {
      for (const topic of d.outputs)
        if (previous.topics[topic] && before) manifest.topics[topic] = previous.topics[topic]!;
    };
    const present = d.inputs.filter((t) => manifest.topics[t]?.files.length);
    const inputKey = createHash("sha256")
      .update(JSON.stringify([d.version, d.inputs.map((t) => manifest.topics[t]?.files.map((f) => f.path) ?? [])]))
      .digest("hex")
      .slice(0, 20);
    if (!derive || before?.inputKey === inputKey || failed.get(d.name) === inputKey) {
      carry();
      continue;
    }
    if (before) replaced.push(before.dir);
    if (present.length < d.inputs.length) {
      // No input rows (yet, or any more): the derived topics are gone too.
      delete manifest.derived[d.name];
      for (const topic of d.outputs) delete manifest.topics[topic];
      continue;
    }
    const dir = `_derived/${d.name}-${Date.now()}`;
    try {
      const started = performance.now();
      const outputs = await runDerivationWorker({
        derivation: d,
        memoryMb,
        log,
        job: {
          module: d.module,
          exportName: d.exportName,
          dataset: {name: "default", options: {}, optionsFile: "dataset.json"},
          views: d.inputs.map((topic) => ({topic, sql: topicSource({paths, entry: manifest.topics[topic]!})})),
          paths,
          outDir: join(paths.warehouseDir, dir),
          outRel: dir,
          cacheDir: join(paths.labDir, "cache", `derive-${d.name}`),
          duckMemoryLimit: `${memoryMb}MB`
        }
      });
      for (const o of outputs)
        manifest.topics[o.topic] = {
          fingerprint: schemaFingerprint(o.schema),
          schema: o.schema,
          files: [{path: o.path, job_id: null, file_version_id: null, file_id: null, rows: o.rows}]
        };
      failed.delete(d.name);
      manifest.derived[d.name] = {
        inputKey,
        dir,
        at: now().toISOString(),
        seconds: +((performance.now() - started) / 1000).toFixed(2)
      };
    } catch (error) {
      // A failed derivation keeps its previous outputs visible and says why.
      log(`derivation ${d.name} failed: ${(error as Error).message}`);
      failed.set(d.name, inputKey);
      rmSync(join(paths.warehouseDir, dir), {recursive: true, force: true});
      if (before) replaced.pop();
      carry();
    }
  }
  return replaced;
}

/**
 * One derivation run in a worker thread with a heap limit: resolves with its outputs, or rejects
 * with why it failed — its own error, running out of memory, or the thread dying.
 */
function runDerivationWorker({
  derivation,
  job,
  memoryMb,
  log
}: {
  derivation: Derivation;
  job: DerivationJob;
  memoryMb: number;
  log: (line: string) => void;
}): Promise<DerivedOutput[]> {
  return new Promise((resolve, reject) => {
    const worker = startWorker({
      module: new URL("./derivation-worker.ts", import.meta.url),
      workerData: job,
      options: {resourceLimits: {maxOldGenerationSizeMb: memoryMb}}
    });
    let settled = false;
    const settle = (error: Error | undefined, outputs?: DerivedOutput[]) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (error) reject(error);
      else resolve(outputs!);
    };
    worker.on("message", (reply: DerivationReply) => {
      if (reply.type === "log") log(reply.line);
      else if (reply.type === "done") settle(undefined, reply.outputs);
      else settle(new Error(reply.error));
    });
    worker.on("error", (error: Error & {code?: string}) =>
      settle(
        new Error(
          error.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? `ran out of memory (its limit is ${memoryMb} MB; raise derivationMemoryMb in lab.config.ts if the data needs it)`
            : `its worker thread crashed: ${error.message}`
        )
      )
    );
    worker.on("exit", (code) =>
      settle(new Error(`its worker thread exited (code ${code}) before ${derivation.name} finished`))
    );
  });
}
