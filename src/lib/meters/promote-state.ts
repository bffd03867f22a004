import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tempPathFor} from "../core/atomic-file.js";
import {LabError} from "../core/errors.js";

/*
 * The promotion's durable state, as small JSON files in DIR/_promote/:
 *   batch-NNNNNNNN.json  the manifest of batch N: the feed offsets [from, to) it promotes and the
 *                        bronze parts that hold them, written (atomically) before any output;
 *   watermark.json       the last committed batch and the offset through which silver is complete,
 *                        written (atomically) after every output of that batch is in place.
 * A manifest newer than the watermark is a batch that was planned and maybe partly written but
 * never committed: a restart redoes it from its manifest, which makes the same outputs again.
 */

/** Batch N's plan: which feed offsets it promotes, from which bronze parts. */
export interface BatchManifest {
  batch: number;
  from: number;
  to: number;
  /** Bronze part file names (in DIR/bronze/) holding offsets in [from, to). */
  parts: string[];
  planned_at: string;
}

/** The committed state: silver and gold hold every reading of offsets [0, offset), batches 1…batch. */
export interface Watermark {
  batch: number;
  offset: number;
  committed_at: string;
}

export const promoteDir = (outDir: string) => join(outDir, "_promote");
const watermarkPath = (outDir: string) => join(promoteDir(outDir), "watermark.json");
const manifestPath = (outDir: string, batch: number) =>
  join(promoteDir(outDir), `batch-${String(batch).padStart(8, "0")}.json`);

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf-8")) as T;
  } catch (error) {
    throw new LabError({
      file: path,
      reason: `unreadable promotion state (${(error as Error).message})`,
      hint: "it is written atomically, so this is not a crash: restore the file or start a fresh --out DIR"
    });
  }
}

/** Writes a JSON file atomically: a temporary file beside it, then a rename. */
export function writeJsonAtomically(path: string, value: unknown): void {
  mkdirSync(join(path, ".."), {recursive: true});
  const temp = tempPathFor(path);
  writeFileSync(temp, JSON.stringify(value, null, 1));
  renameSync(temp, path);
}

export function readWatermark(outDir: string): Watermark {
  const path = watermarkPath(outDir);
  return existsSync(path) ? readJson<Watermark>(path) : {batch: 0, offset: 0, committed_at: ""};
}

export function commitWatermark(outDir: string, watermark: Watermark): void {
  writeJsonAtomically(watermarkPath(outDir), watermark);
}

/** The manifest of the batch after the watermark, when one was planned but never committed. */
export function pendingManifest(outDir: string, watermark: Watermark): BatchManifest | undefined {
  const path = manifestPath(outDir, watermark.batch + 1);
  return existsSync(path) ? readJson<BatchManifest>(path) : undefined;
}

export function writeManifest(outDir: string, manifest: BatchManifest): void {
  writeJsonAtomically(manifestPath(outDir, manifest.batch), manifest);
}

/** Bronze parts (`part-FROM-TO.parquet`, offsets [from, to)) that hold any offset in [from, to). */
export function partsCovering({outDir, from, to}: {outDir: string; from: number; to: number}): string[] {
  const dir = join(outDir, "bronze");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({name, match: /^part-(\d+)-(\d+)\.parquet$/.exec(name)}))
    .filter(({match}) => match && Number(match[1]) < to && Number(match[2]) > from)
    .map(({name}) => name)
    .sort();
}

/** Removes temporary files a killed batch left (outputs not yet renamed into place), recursively. */
export function removeStaleTemps(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) removeStaleTemps(path);
    else if (/^\..*\.tmp-\d+-[0-9a-f]+$/.test(entry.name)) rmSync(path, {force: true});
  }
}
