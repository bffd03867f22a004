/**
 * Loader input records: which files a data loader read, and what they looked like then.
 *
 * Framework only knows a loader's own file, so a change in the data it reads goes unnoticed. A
 * loader reads its data through helpers that call `noteLoaderInput`; the fingerprints land in
 * `.lab/loader-runs/<loader path>.json`, and the build compares them with the files as they are
 * now (`tools/loader-cache.ts`) to rerun exactly the loaders whose inputs changed.
 */
import {createHash} from "node:crypto";
import {existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";

export interface LoaderInput {
  /** Path relative to the project directory. */
  path: string;
  fingerprint: string;
  /** Set for a warehouse topic: its fingerprint is that of the topic's current view. */
  topic?: string;
}

export interface LoaderRunRecord {
  loader: string;
  inputs: LoaderInput[];
}

/**
 * A cheap, honest fingerprint of a file or a folder tree: relative path, size and mtime of every
 * file (temporary and hidden files skipped). Warehouse files are immutable once promoted, so a new
 * or replaced file always changes it.
 */
export function fingerprintPath(path: string): string {
  const hash = createHash("sha256");
  const visit = (p: string) => {
    const name = p.slice(p.lastIndexOf("/") + 1);
    if (p !== path && (name.startsWith(".") || name.includes(".tmp-"))) return;
    const stat = statSync(p, {throwIfNoEntry: false});
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const entry of readdirSync(p).sort()) visit(join(p, entry));
    } else {
      hash.update(`${relative(path, p)}\0${stat.size}\0${stat.mtimeMs}\n`);
    }
  };
  if (!existsSync(path)) return "missing";
  visit(path);
  return hash.digest("hex");
}

/** Where the run record of the loader at `loaderPath` lives. */
export function loaderRunRecordPath({projectDir, loaderPath}: {projectDir: string; loaderPath: string}): string {
  return join(projectDir, ".lab", "loader-runs", `${relative(projectDir, resolve(projectDir, loaderPath))}.json`);
}

export function readLoaderRunRecord(options: {projectDir: string; loaderPath: string}): LoaderRunRecord | undefined {
  const file = loaderRunRecordPath(options);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf-8")) as LoaderRunRecord) : undefined;
}

const started = new Set<string>();

/**
 * Records that the running loader read `path`. Outside a loader (no script path, or a script that
 * is not under src/data) this does nothing, so library code can call it unconditionally.
 */
export function noteLoaderInput({
  path,
  projectDir = process.cwd(),
  loaderPath = process.argv[1],
  fingerprint,
  topic
}: {
  path: string;
  projectDir?: string;
  loaderPath?: string;
  /** A fingerprint computed by the caller (warehouse topics); by default that of the path. */
  fingerprint?: string;
  topic?: string;
}): void {
  if (!loaderPath || !relative(projectDir, resolve(loaderPath)).startsWith(join("src", "data"))) return;
  const file = loaderRunRecordPath({projectDir, loaderPath});
  const loader = relative(projectDir, resolve(loaderPath));
  // The first note of a run replaces the previous run's record.
  const record: LoaderRunRecord =
    started.has(file) && existsSync(file) ? JSON.parse(readFileSync(file, "utf-8")) : {loader, inputs: []};
  started.add(file);
  const rel = relative(projectDir, resolve(projectDir, path));
  record.inputs = record.inputs.filter((input) => input.path !== rel);
  record.inputs.push({
    path: rel,
    fingerprint: fingerprint ?? fingerprintPath(resolve(projectDir, path)),
    ...(topic ? {topic} : {})
  });
  mkdirSync(dirname(file), {recursive: true});
  writeFileSync(file, JSON.stringify(record, null, 2));
}
