/**
 * Where warehouse files live, so that readers other than the lab see the current view by path
 * alone: a topic's current files are `<topic>/dataset=<name>/job-….parquet` (a plain glob or a
 * hive-partitioned read of `<topic>/` returns exactly the current rows), and files that left the
 * view wait under `_superseded/<same path>` until they are garbage-collected. `_manifest.json`
 * stays the lab's own source of truth; this keeps the folders in step with it.
 */
import {existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, utimesSync} from "node:fs";
import {dirname, join} from "node:path";
import type {Duck} from "../core/duckdb.js";
import type {LabPaths} from "./paths.js";
import {readManifest} from "./warehouse.js";

/** Files that left the current view, under the same relative paths. */
export const SUPERSEDED_DIR = "_superseded";

/** A promoted output's path relative to the warehouse (the dataset name escaped as a path segment). */
export function outputPath({
  topic,
  dataset,
  jobId,
  attempt,
  n
}: {
  topic: string;
  dataset: string;
  jobId: number;
  attempt: number;
  n: number;
}): string {
  return `${topic}/dataset=${encodeURIComponent(dataset)}/job-${jobId}-a${attempt}-${n}.parquet`;
}

function move(from: string, to: string): void {
  mkdirSync(dirname(to), {recursive: true});
  renameSync(from, to);
}

/** Moves files that (re)enter the view back from `_superseded/` (a file edited back to old content). */
export function placeCurrent({paths, files}: {paths: LabPaths; files: Iterable<string>}): number {
  let moved = 0;
  for (const rel of files) {
    const live = join(paths.warehouseDir, rel);
    const parked = join(paths.warehouseDir, SUPERSEDED_DIR, rel);
    if (!existsSync(live) && existsSync(parked)) (move(parked, live), moved++);
  }
  return moved;
}

/** Moves files that left the view to `_superseded/`, stamping the time they left (for collection). */
export function retireSuperseded({paths, files, now}: {paths: LabPaths; files: Iterable<string>; now: Date}): number {
  let moved = 0;
  for (const rel of files) {
    const live = join(paths.warehouseDir, rel);
    if (!existsSync(live)) continue;
    const parked = join(paths.warehouseDir, SUPERSEDED_DIR, rel);
    move(live, parked);
    utimesSync(parked, now, now);
    removeEmptyParents({dir: dirname(live), stop: join(paths.warehouseDir, rel.split("/")[0]!)});
    moved++;
  }
  return moved;
}

/** Every Parquet file under the topics' folders (relative paths), skipping `_`-prefixed folders. */
export function liveFiles({paths}: {paths: LabPaths}): string[] {
  const found: string[] = [];
  const visit = (dir: string, rel: string) => {
    for (const entry of readdirSafe(dir)) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!(rel === "" && (entry.name.startsWith("_") || entry.name.startsWith("."))))
          visit(join(dir, entry.name), r);
      } else if (rel && entry.name.endsWith(".parquet")) found.push(r);
    }
  };
  visit(paths.warehouseDir, "");
  return found;
}

/**
 * Deletes superseded files that left the view more than `retentionMs` ago; returns the job ids
 * whose files went (their jobs must be run again should their content come back).
 */
export function collectSuperseded({
  paths,
  retentionMs,
  now
}: {
  paths: LabPaths;
  retentionMs: number;
  now: Date;
}): number[] {
  const root = join(paths.warehouseDir, SUPERSEDED_DIR);
  const jobs = new Set<number>();
  const visit = (dir: string) => {
    for (const entry of readdirSafe(dir)) {
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) visit(abs);
      else if (now.getTime() - statSync(abs).mtimeMs > retentionMs) {
        rmSync(abs, {force: true});
        const id = /^job-(\d+)-/.exec(entry.name)?.[1];
        if (id) jobs.add(Number(id));
      }
    }
    if (dir !== root && !readdirSafe(dir).length) rmdirSync(dir); // after its children: bottom-up
  };
  visit(root);
  return [...jobs];
}

function removeEmptyParents({dir, stop}: {dir: string; stop: string}): void {
  for (let d = dir; d.startsWith(stop) && d !== stop; d = dirname(d)) {
    if (readdirSafe(d).length) return;
    rmdirSync(d);
  }
}

function readdirSafe(dir: string) {
  try {
    return readdirSync(dir, {withFileTypes: true});
  } catch {
    return [];
  }
}

/**
 * Puts the topic folders in step with the manifest after an interrupted run (a file the view no
 * longer holds moves to _superseded/), then deletes superseded files older than the retention;
 * their jobs become COLLECTED, so content that comes back is processed again. Returns how many
 * jobs' outputs were collected.
 */
export async function tidyWarehouse({
  catalog,
  paths,
  retentionMs,
  now
}: {
  catalog: Duck;
  paths: LabPaths;
  retentionMs: number;
  now: Date;
}): Promise<number> {
  const current = new Set(
    Object.values(readManifest(paths).topics).flatMap((t) =>
      t.files.filter((f) => f.job_id !== null).map((f) => f.path)
    )
  );
  retireSuperseded({paths, files: liveFiles({paths}).filter((f) => !current.has(f)), now});
  const collected = collectSuperseded({paths, retentionMs, now});
  for (let i = 0; i < collected.length; i += 500)
    await catalog.run(
      `UPDATE jobs SET status = 'COLLECTED' WHERE status IN ('COMPLETED', 'FAILED') AND job_id IN (${collected.slice(i, i + 500).join(",")})`
    );
  return collected.length;
}
