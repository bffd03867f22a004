/**
 * Honest rebuilds: decide which data loaders' cached outputs are stale and remove exactly those.
 *
 * Framework reruns a loader only when its cached output is missing (build) or older than the
 * loader file (preview). A loader's output really depends on (1) its code — the loader and every
 * local module it imports, transitively — plus the installed packages, and (2) the data it read.
 * (1) is found with esbuild's metafile and hashed by content; (2) is what the loader recorded with
 * `noteLoaderInput` on its last run. The keys of the last run live in `.lab/loader-keys.json`.
 */
import {createHash} from "node:crypto";
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync} from "node:fs";
import {dirname, join, relative} from "node:path";
import * as esbuild from "esbuild";
import {
  fingerprintPath,
  loaderRunRecordPath,
  readLoaderRunRecord,
  type LoaderInput
} from "../src/lib/core/loader-inputs.js";
import {labPaths} from "../src/lib/catalog/paths.js";
import {topicFingerprint} from "../src/lib/catalog/warehouse.js";

export interface Loader {
  /** The loader file, relative to the project directory (`src/data/home.json.ts`). */
  loaderPath: string;
  /** Its cached output, relative to the project directory. */
  cachePath: string;
}

export interface StaleLoader extends Loader {
  reason: string;
}

interface KeyEntry {
  /** Content hash of every local source file the loader imports (and of the lockfile). */
  files: Record<string, string>;
}

const LOADER = /^[^.].*\.[A-Za-z0-9]+\.(ts|js|mjs)$/;

export function findLoaders({projectDir, sourceRoot = "src"}: {projectDir: string; sourceRoot?: string}): Loader[] {
  const root = join(projectDir, sourceRoot);
  const loaders: Loader[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (LOADER.test(entry.name) && !entry.name.endsWith(".d.ts") && !entry.name.includes("[")) {
        const target = relative(root, path).replace(/\.(ts|js|mjs)$/, "");
        loaders.push({
          loaderPath: relative(projectDir, path),
          cachePath: relative(projectDir, join(root, ".observablehq", "cache", target))
        });
      }
    }
  };
  if (existsSync(join(root, "data"))) visit(join(root, "data"));
  return loaders.sort((a, b) => a.loaderPath.localeCompare(b.loaderPath));
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Content hashes of the loader's local module graph (packages count through the lockfile). */
export async function loaderCodeFiles({
  projectDir,
  loaderPath
}: {
  projectDir: string;
  loaderPath: string;
}): Promise<Record<string, string>> {
  const result = await esbuild.build({
    entryPoints: [join(projectDir, loaderPath)],
    absWorkingDir: projectDir,
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent"
  });
  const files: Record<string, string> = {};
  for (const input of Object.keys(result.metafile!.inputs).sort()) {
    files[input] = sha256(readFileSync(join(projectDir, input)));
  }
  const lock = join(projectDir, "package-lock.json");
  if (existsSync(lock)) files["package-lock.json"] = sha256(readFileSync(lock));
  return files;
}

function keysPath(projectDir: string): string {
  return join(projectDir, ".lab", "loader-keys.json");
}

function readKeys(projectDir: string): Record<string, KeyEntry> {
  const file = keysPath(projectDir);
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf-8")) : {};
}

function describeChange(before: Record<string, string>, after: Record<string, string>): string | undefined {
  for (const [file, hash] of Object.entries(after)) {
    if (before[file] === undefined) return `imports ${file}`;
    if (before[file] !== hash) return `${file} changed`;
  }
  for (const file of Object.keys(before)) if (after[file] === undefined) return `no longer imports ${file}`;
  return undefined;
}

/** The loaders whose cached output no longer matches their code or inputs, with the reason. */
export async function findStaleLoaders({
  projectDir,
  loaders = findLoaders({projectDir})
}: {
  projectDir: string;
  loaders?: Loader[];
}): Promise<{stale: StaleLoader[]; keys: Record<string, KeyEntry>}> {
  const previous = readKeys(projectDir);
  const keys: Record<string, KeyEntry> = {};
  const stale: StaleLoader[] = [];
  for (const loader of loaders) {
    const files = await loaderCodeFiles({projectDir, loaderPath: loader.loaderPath});
    keys[loader.loaderPath] = {files};
    if (!existsSync(join(projectDir, loader.cachePath))) continue; // Framework runs it anyway
    const before = previous[loader.loaderPath];
    let reason = before ? describeChange(before.files, files) : "no record of the code that made it";
    if (!reason) {
      const run = readLoaderRunRecord({projectDir, loaderPath: loader.loaderPath});
      const paths = labPaths({projectDir});
      const current = (input: LoaderInput) =>
        input.topic ? topicFingerprint({paths, topic: input.topic}) : fingerprintPath(join(projectDir, input.path));
      const changed = run?.inputs.find((input) => current(input) !== input.fingerprint);
      if (changed) reason = `input ${changed.path} changed`;
    }
    if (reason) stale.push({...loader, reason});
  }
  return {stale, keys};
}

/**
 * Removes the stale outputs and records the current code keys. With `touch` (the dev server),
 * each stale loader's mtime is bumped so Framework's watcher reruns it and reloads open pages.
 */
export function invalidateLoaders({
  projectDir,
  stale,
  keys,
  touch = false
}: {
  projectDir: string;
  stale: StaleLoader[];
  keys: Record<string, KeyEntry>;
  touch?: boolean;
}): void {
  for (const loader of stale) {
    rmSync(join(projectDir, loader.cachePath), {force: true});
    rmSync(loaderRunRecordPath({projectDir, loaderPath: loader.loaderPath}), {force: true});
    if (touch) {
      const now = new Date();
      utimesSync(join(projectDir, loader.loaderPath), now, now);
    }
  }
  const file = keysPath(projectDir);
  mkdirSync(dirname(file), {recursive: true});
  writeFileSync(file, JSON.stringify({...readKeys(projectDir), ...keys}, null, 2));
}

/** One pass: find and invalidate; returns what was invalidated (for the log). */
export async function refreshLoaderCache(options: {projectDir: string; touch?: boolean}): Promise<StaleLoader[]> {
  const {stale, keys} = await findStaleLoaders(options);
  invalidateLoaders({...options, stale, keys});
  return stale;
}
