import {createHash} from "node:crypto";
import {rmSync} from "node:fs";
import {join} from "node:path";
import {openDuckDB} from "../core/duckdb.js";
import {quoteIdent} from "../core/sql.js";
import type {Derivation} from "./derivation.js";
import type {LabPaths} from "./paths.js";
import {schemaFingerprint, topicSource, type Manifest} from "./warehouse.js";

/**
 * Derived topics: each derivation's outputs are carried over from the previous manifest, and
 * recomputed (when `derive`) if its inputs' current files or its version changed. Outputs live
 * in `_derived/<name>-<stamp>/`; returns the folders the new manifest no longer names.
 */
export async function applyDerivations({
  paths,
  derivations,
  manifest,
  previous,
  derive,
  now,
  log
}: {
  paths: LabPaths;
  derivations: Derivation[];
  manifest: Manifest;
  previous: Manifest;
  derive: boolean;
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
    if (!derive || before?.inputKey === inputKey) {
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
    const duck = await openDuckDB();
    try {
      for (const topic of d.inputs)
        await duck.run(`CREATE VIEW ${quoteIdent(topic)} AS ${topicSource({paths, entry: manifest.topics[topic]!})}`);
      const started = performance.now();
      const outputs = await d.run({
        paths,
        duck,
        outDir: join(paths.warehouseDir, dir),
        outRel: dir,
        cacheDir: join(paths.labDir, "cache", `derive-${d.name}`),
        log
      });
      for (const o of outputs)
        manifest.topics[o.topic] = {
          fingerprint: schemaFingerprint(o.schema),
          schema: o.schema,
          files: [{path: o.path, job_id: null, file_version_id: null, file_id: null, rows: o.rows}]
        };
      manifest.derived[d.name] = {
        inputKey,
        dir,
        at: now().toISOString(),
        seconds: +((performance.now() - started) / 1000).toFixed(2)
      };
    } catch (error) {
      // A failed derivation keeps its previous outputs visible and says why.
      log(`derivation ${d.name} failed: ${(error as Error).message}`);
      rmSync(join(paths.warehouseDir, dir), {recursive: true, force: true});
      if (before) replaced.pop();
      carry();
    } finally {
      duck.close();
    }
  }
  return replaced;
}
