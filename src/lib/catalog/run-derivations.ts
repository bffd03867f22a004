import {codeVersion} from "./code-version.js";
import {createHash} from "node:crypto";
import {rmSync} from "node:fs";
import {join} from "node:path";
import {startWorker} from "../core/worker.js";
import type {Derivation, DerivedOutput} from "./derivation.js";
import type {DerivationJob, DerivationReply} from "./derivation-worker.js";
import type {LabPaths} from "./paths.js";
import {quoteIdent} from "../core/sql.js";
import type {DatasetRef} from "./datasets.js";
import type {UnitsSetting} from "./units.js";
import {schemaFingerprint, topicSource, type Manifest, type ManifestFile, type ManifestTopic} from "./warehouse.js";

/**
 * Derived topics, per dataset: each derivation runs once for every dataset with rows in one of
 * its inputs, over that dataset's rows alone, and its outputs for that dataset are carried over
 * from the previous manifest unless (when `derive`) that dataset's input files or the
 * derivation's version changed — a new file in one dataset recomputes only that dataset. Outputs
 * live in `_derived/<name>-<dataset>-<stamp>/`; returns the folders the new manifest no longer
 * names. Each run is a worker thread with `memoryMb` of heap: one that runs out of memory or
 * throws is logged and keeps that dataset's previous outputs, and the caller goes on.
 */
export async function applyDerivations({
  paths,
  derivations,
  manifest,
  previous,
  derive,
  memoryMb,
  datasetFor,
  failed = new Map(),
  units,
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
  /** The dataset a folder names (its options are read in the derivation's thread). */
  datasetFor: (folder: string) => DatasetRef;
  /**
   * `<derivation>@<dataset folder>` → the input key it last failed on; kept by the caller across
   * passes, so a derivation that ran out of memory is not rerun (a minute or more, in the dev
   * server) on the very inputs it failed on, only once they change.
   */
  failed?: Map<string, string>;
  /** Where derivations that split into units run them (see DerivationContext.units). */
  units?: UnitsSetting;
  now: () => Date;
  log: (line: string) => void;
}): Promise<string[]> {
  manifest.derived = {};
  for (const d of derivations) {
    const outputs = new Map<string, ManifestTopic>();
    const add = (topic: string, entry: Pick<ManifestTopic, "fingerprint" | "schema">, files: ManifestFile[]) => {
      const into = outputs.get(topic) ?? {fingerprint: entry.fingerprint, schema: entry.schema, files: []};
      into.files.push(...files);
      outputs.set(topic, into);
    };
    const folders = [
      ...new Set(d.inputs.flatMap((t) => manifest.topics[t]?.files.map((f) => f.dataset_folder ?? "") ?? []))
    ].sort();
    for (const folder of folders) {
      const key = `${d.name}@${folder}`;
      const before = previous.derived?.[key];
      const inputFiles = d.inputs.map(
        (t) => manifest.topics[t]?.files.filter((f) => (f.dataset_folder ?? "") === folder) ?? []
      );
      const inputKey = createHash("sha256")
        .update(JSON.stringify([d.version, inputFiles.map((files) => files.map((f) => f.path))]))
        .digest("hex")
        .slice(0, 20);
      const carry = () => {
        if (!before) return;
        manifest.derived![key] = before;
        for (const topic of d.outputs) {
          const entry = previous.topics[topic];
          if (entry)
            add(
              topic,
              entry,
              entry.files.filter((f) => f.job_id === null && f.dataset_folder === folder)
            );
        }
      };
      if (!derive || before?.inputKey === inputKey || failed.get(key) === inputKey) {
        carry();
        continue;
      }
      const dataset = datasetFor(folder);
      const dir = `_derived/${d.name}-${folder.replace(/[^A-Za-z0-9_-]+/g, "-") || "root"}-${Date.now()}`;
      try {
        const started = performance.now();
        const written = await runDerivationWorker({
          derivation: d,
          memoryMb,
          log,
          job: {
            module: d.module,
            exportName: d.exportName,
            dataset,
            views: d.inputs.flatMap((topic, i) => {
              const entry = manifest.topics[topic];
              if (!entry) return [];
              return [
                {topic, sql: datasetView({paths, entry, files: inputFiles[i]!}), rows: inputFiles[i]!.length > 0}
              ];
            }),
            paths,
            outDir: join(paths.warehouseDir, dir),
            outRel: dir,
            cacheDir: join(
              paths.labDir,
              "cache",
              `derive-${d.name}`,
              folder.replace(/[^A-Za-z0-9_-]+/g, "-") || "root"
            ),
            duckMemoryLimit: `${memoryMb}MB`,
            ...(units ? {units} : {})
          }
        });
        for (const o of written)
          add(o.topic, {fingerprint: schemaFingerprint(o.schema), schema: o.schema}, [
            {path: o.path, job_id: null, file_version_id: null, file_id: null, dataset_folder: folder, rows: o.rows}
          ]);
        failed.delete(key);
        manifest.derived[key] = {
          inputKey,
          dir,
          at: now().toISOString(),
          seconds: +((performance.now() - started) / 1000).toFixed(2),
          codeVersion: codeVersion()
        };
      } catch (error) {
        // A failed derivation keeps that dataset's previous outputs visible and says why.
        log(`derivation ${d.name} (dataset ${dataset.name}) failed: ${(error as Error).message}`);
        failed.set(key, inputKey);
        rmSync(join(paths.warehouseDir, dir), {recursive: true, force: true});
        carry();
      }
    }
    // A derived topic is this derivation's files of every dataset, beside any a plugin publishes
    // to the same topic (a simulation writes market_events itself; history is replayed here).
    for (const topic of d.outputs) {
      const published = manifest.topics[topic]?.files.filter((f) => f.job_id !== null) ?? [];
      const derived = outputs.get(topic);
      if (published.length) manifest.topics[topic]!.files = [...published, ...(derived?.files ?? [])];
      else if (derived) manifest.topics[topic] = derived;
      else delete manifest.topics[topic];
    }
  }
  const kept = new Set(Object.values(manifest.derived).map((e) => e.dir));
  return [...new Set(Object.values(previous.derived ?? {}).map((e) => e.dir))].filter((dir) => !kept.has(dir));
}

/** One input topic's rows of one dataset, without the `dataset` column (the derivation's sink adds it back). */
function datasetView({paths, entry, files}: {paths: LabPaths; entry: ManifestTopic; files: ManifestFile[]}): string {
  const hasDataset = entry.schema.some((c) => c.name === "dataset");
  if (!files.length)
    return `SELECT ${
      entry.schema
        .filter((c) => c.name !== "dataset")
        .map((c) => `NULL::${c.type} AS ${quoteIdent(c.name)}`)
        .join(", ") || "NULL AS nothing"
    } LIMIT 0`;
  const source = topicSource({paths, entry: {...entry, files}});
  return hasDataset ? `SELECT * EXCLUDE (dataset) FROM (${source})` : source;
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
