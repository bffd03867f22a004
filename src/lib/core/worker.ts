import {createHash} from "node:crypto";
import {existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";
import {Worker, type WorkerOptions} from "node:worker_threads";
import {buildSync} from "esbuild";
import {tempPathFor} from "./atomic-file.js";

/**
 * Starts a worker thread on `module`. A TypeScript module runs through the bootstrap beside this
 * file, which registers tsx first (worker threads do not inherit the loader of the thread that
 * starts them); a JavaScript module runs as it is. With `bundle`, a TypeScript module runs as
 * one plain-JavaScript file instead (see `bundledWorker`) — no loader to start in the thread —
 * and through the bootstrap where the bundle cannot be made (a read-only install).
 */
export function startWorker({
  module,
  workerData,
  bundle = false,
  options = {}
}: {
  module: URL;
  workerData?: unknown;
  /** Run a self-contained module as a cached bundle (see `bundledWorker` for what it may import). */
  bundle?: boolean;
  /** Other `new Worker` options (resourceLimits, env, …). */
  options?: Omit<WorkerOptions, "workerData">;
}): Worker {
  if (!/\.[mc]?tsx?$/.test(module.pathname)) return new Worker(module, {...options, workerData});
  if (bundle) {
    let bundled: URL | undefined;
    try {
      bundled = bundledWorker(module);
    } catch {
      bundled = undefined;
    }
    if (bundled) return new Worker(bundled, {...options, workerData});
  }
  // The module's URL goes last on the thread's argv, which the bootstrap takes off again: the
  // caller's workerData reaches the module as it is, whichever way the thread starts.
  return new Worker(new URL("./worker-bootstrap.mjs", import.meta.url), {
    ...options,
    workerData,
    argv: [...(options.argv ?? []), module.href]
  });
}

/**
 * A plain-JavaScript copy of a self-contained TypeScript worker module (it and what it imports,
 * bundled by esbuild), for `new Worker(...)`: a worker started on the TypeScript source needs a
 * TypeScript loader of its own (tsx, with its own loader thread), which compiles every module the
 * worker imports before it does any work — a cost paid at every start.
 *
 * The copy is cached in node_modules/.cache/pipeline-lab, with the sizes and modification times
 * of the sources it was built from; a source that changed rebuilds it. It is written to a
 * temporary name and renamed, so a concurrent run sees a whole file or none. Only for modules
 * that do not locate files through `import.meta.url` (a bundle lives elsewhere) and import
 * nothing but Node's own modules and their own sources.
 */
export function bundledWorker(entry: URL): URL {
  const source = fileURLToPath(entry);
  const root = projectRoot(source);
  const cacheDir = join(root, "node_modules", ".cache", "pipeline-lab");
  const key = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const out = join(cacheDir, `${key}.mjs`),
    manifest = join(cacheDir, `${key}.json`);
  if (existsSync(out) && existsSync(manifest) && fresh(JSON.parse(readFileSync(manifest, "utf-8")) as Stamp[]))
    return pathToFileURL(out);
  const result = buildSync({
    entryPoints: [source],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    metafile: true,
    logLevel: "silent"
  });
  const inputs = Object.keys(result.metafile!.inputs).map((p) => join(root, p));
  mkdirSync(cacheDir, {recursive: true});
  // Temporary names of their own (a random tag): two builds at once each rename a whole file.
  const tempOut = tempPathFor(out),
    tempManifest = tempPathFor(manifest);
  writeFileSync(tempOut, result.outputFiles[0]!.text);
  writeFileSync(tempManifest, JSON.stringify(inputs.map(stamp)));
  renameSync(tempOut, out);
  renameSync(tempManifest, manifest);
  return pathToFileURL(out);
}

interface Stamp {
  path: string;
  size: number;
  mtimeMs: number;
}

function stamp(path: string): Stamp {
  const s = statSync(path);
  return {path, size: s.size, mtimeMs: s.mtimeMs};
}

function fresh(stamps: Stamp[]): boolean {
  return stamps.every((s) => {
    if (!existsSync(s.path)) return false;
    const now = stamp(s.path);
    return now.size === s.size && now.mtimeMs === s.mtimeMs;
  });
}

/** The nearest folder above `file` holding a package.json. */
function projectRoot(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return dirname(file);
  }
}
