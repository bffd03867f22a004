import {createHash} from "node:crypto";
import {existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";
import {buildSync} from "esbuild";
import {tempPathFor} from "./atomic-file.js";

/**
 * A plain-JavaScript copy of a self-contained TypeScript worker module (it and what it imports,
 * bundled by esbuild), for `new Worker(...)`: a worker started on the TypeScript source needs a
 * TypeScript loader of its own (tsx, with its own loader thread), which cost the market replay's
 * writer thread ~0.3 CPU-seconds and ~350 ms before its first row group, every run.
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
