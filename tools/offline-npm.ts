/**
 * Offline npm: answers Observable Framework's CDN and registry requests from node_modules.
 *
 * Framework resolves every `npm:` import (including the implicit ones behind `Plot`, `Inputs`,
 * `DuckDBClient`, ```sql cells and `FileAttachment().parquet()`) by fetching
 * `https://registry.npmjs.org/<name>` for a version and `https://cdn.jsdelivr.net/npm/<spec>` for
 * the code, then caches the result under `<root>/.observablehq/cache/_npm/`. Neither host is
 * reachable here, and a published report must not depend on them. This module replaces
 * `globalThis.fetch` inside the Framework process so that those two hosts are answered from the
 * exact versions in node_modules (pinned by package-lock.json):
 *
 * - registry lookups answer with the installed versions of the package;
 * - `…/name@version/+esm` (or `…/sub/path/+esm`) is bundled with esbuild the way the CDN does it:
 *   one ES module per package, imports of other ES-module packages left as `/npm/dep@ver/+esm`
 *   (Framework rewrites and fetches those in turn), CommonJS-only dependencies inlined;
 * - any other file (`.wasm`, workers, `package.json`, CSS) is served as is.
 *
 * Anything else — a package or version that is not installed, any other host — is refused with
 * an error that names the package to add, and recorded so that the wrapper can fail the build
 * instead of letting Framework log the error and carry on.
 */
import {existsSync, readFileSync, readdirSync, rmSync, statSync} from "node:fs";
import {builtinModules} from "node:module";
import {dirname, extname, join, sep} from "node:path";
import * as esbuild from "esbuild";

const CDN = "https://cdn.jsdelivr.net/npm/";
/**
 * Framework's client runtime names every library it can load lazily (`React`, `echarts`, `vega`…),
 * so each build asks the registry for their versions even when no page uses them. Those lookups,
 * and only those, get this placeholder version when the package is not installed: nothing is
 * fetched unless a page really imports one, and then the code request is refused, naming the
 * package to install. `pruneNpmCache` removes the placeholder folders Framework leaves behind.
 */
export const NOT_INSTALLED = "0.0.0-not-installed";
const REGISTRY = "https://registry.npmjs.org/";

export interface InstalledPackage {
  name: string;
  version: string;
  dir: string;
  /** Whether this is the copy at the top of node_modules (what a bare import gets). */
  topLevel: boolean;
}

export interface OfflineNpmOptions {
  /** The project directory holding node_modules. */
  projectDir: string;
  /** Called once for every request answered or refused (for logs and tests). */
  onRequest?: (event: {url: string; status: "served" | "refused"; detail: string}) => void;
}

export class OfflineRefusal extends Error {
  constructor(
    readonly url: string,
    reason: string
  ) {
    super(`offline build: refused ${url}\n  ${reason}`);
    this.name = "OfflineRefusal";
  }
}

/** Indexes every package installed anywhere under node_modules, by name. */
export function indexInstalledPackages(projectDir: string): Map<string, InstalledPackage[]> {
  const index = new Map<string, InstalledPackage[]>();
  const visit = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return;
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith(".")) continue;
      const names = entry.startsWith("@")
        ? readdirSync(join(nodeModules, entry)).map((sub) => `${entry}/${sub}`)
        : [entry];
      for (const name of names) {
        const dir = join(nodeModules, name);
        const pkgPath = join(dir, "package.json");
        if (!existsSync(pkgPath)) continue;
        const {version} = JSON.parse(readFileSync(pkgPath, "utf-8")) as {version: string};
        const list = index.get(name) ?? [];
        list.push({name, version, dir, topLevel: nodeModules === join(projectDir, "node_modules")});
        index.set(name, list);
        visit(join(dir, "node_modules"));
      }
    }
  };
  visit(join(projectDir, "node_modules"));
  return index;
}

/** Splits `@scope/name@1.2.3/sub/path` (or without a version) into its parts. */
export function parseSpecifier(spec: string): {name: string; version?: string; path: string} {
  const parts = spec.split("/");
  const head = spec.startsWith("@") ? `${parts.shift()}/${parts.shift()}` : parts.shift()!;
  const at = head.indexOf("@", 1);
  return {
    name: at > 0 ? head.slice(0, at) : head,
    version: at > 0 ? head.slice(at + 1) : undefined,
    path: parts.join("/")
  };
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** The installed copy of `name` that a file in `fromDir` would get from Node's resolution. */
function findPackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The package directory that contains `file` (the nearest node_modules/<name> above it). */
function owningPackageDir(file: string): string | undefined {
  const parts = file.split(sep);
  const i = parts.lastIndexOf("node_modules");
  if (i < 0) return undefined;
  const n = parts[i + 1]?.startsWith("@") ? 3 : 2;
  return parts.slice(0, i + n).join(sep);
}

function readPackageJson(dir: string): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf-8"));
}

/** Whether a package ships ES modules (then it gets its own cached module, as on the CDN). */
function isEsmPackage(pkg: Record<string, any>): boolean {
  if (pkg.type === "module" || pkg.module) return true;
  return JSON.stringify(pkg.exports ?? null).includes('"import"');
}

const contentTypes: Record<string, string> = {
  ".js": "application/javascript",
  ".mjs": "application/javascript",
  ".cjs": "application/javascript",
  ".json": "application/json",
  ".css": "text/css",
  ".wasm": "application/wasm"
};

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Bundles one package entry (or subpath) into a single ES module, like the CDN's `+esm`. */
export async function bundleEsm(pkg: InstalledPackage, subpath: string): Promise<string> {
  // Resolve from the folder that holds this copy's node_modules, so nested copies resolve to themselves.
  const resolveDir = dirname(pkg.dir.slice(0, pkg.dir.length - pkg.name.length - 1));
  const specifier = subpath ? `${pkg.name}/${subpath}` : pkg.name;
  const entry = await resolveEntry(specifier, resolveDir);
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "eof",
    logLevel: "silent",
    define: {"process.env.NODE_ENV": '"production"'},
    plugins: [externalizeEsmPackages(pkg)]
  });
  return result.outputFiles[0]!.text;
}

async function resolveEntry(specifier: string, resolveDir: string): Promise<string> {
  let resolved: string | undefined;
  await esbuild.build({
    stdin: {contents: `import ${JSON.stringify(specifier)};`, resolveDir},
    bundle: true,
    write: false,
    platform: "browser",
    logLevel: "silent",
    plugins: [
      {
        name: "capture-entry",
        setup(build) {
          build.onResolve({filter: /.*/}, async (args) => {
            if (args.kind !== "import-statement" || args.pluginData === "inner") return;
            const result = await build.resolve(args.path, {kind: args.kind, resolveDir, pluginData: "inner"});
            if (result.errors.length) throw new Error(result.errors[0]!.text);
            resolved = result.path;
            return {path: args.path, external: true};
          });
        }
      }
    ]
  });
  if (!resolved) throw new Error(`cannot resolve ${specifier} from ${resolveDir}`);
  return resolved;
}

function externalizeEsmPackages(self: InstalledPackage): esbuild.Plugin {
  return {
    name: "externalize-esm-packages",
    setup(build) {
      build.onResolve({filter: /^[^./]/}, (args) => {
        if (args.kind === "entry-point") return;
        if (builtins.has(args.path)) return {path: args.path, namespace: "empty"};
        const name = packageNameOf(args.path);
        const importerPkg = owningPackageDir(args.importer);
        if (name === self.name && importerPkg === self.dir) return; // self-reference: bundle it
        const dir = findPackageDir(name, dirname(args.importer));
        if (!dir) return; // let esbuild report it
        const pkg = readPackageJson(dir);
        if (!isEsmPackage(pkg)) return; // CommonJS: inline, as the CDN does
        const sub = args.path.slice(name.length + 1);
        return {path: `/npm/${name}@${pkg.version}/${sub ? `${sub}/` : ""}+esm`, external: true};
      });
      build.onLoad({filter: /.*/, namespace: "empty"}, () => ({contents: "export default {};", loader: "js"}));
    }
  };
}

/** The npm packages Framework's own client code can import lazily (scanned from its sources). */
export function frameworkLazyPackages(projectDir: string): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".js")) {
        for (const [, spec] of readFileSync(path, "utf-8").matchAll(/["']npm:([^"']+)["']/g))
          names.add(packageNameOf(spec!).replace(/(.)@.*$/, "$1"));
      }
    }
  };
  visit(join(projectDir, "node_modules", "@observablehq", "framework", "dist", "client"));
  return names;
}

/** Answers one CDN or registry URL from node_modules, or throws OfflineRefusal. */
export async function answer(
  url: string,
  index: Map<string, InstalledPackage[]>,
  lazy: Set<string> = new Set()
): Promise<Response> {
  if (url.startsWith(REGISTRY)) {
    const rest = decodeURIComponent(url.slice(REGISTRY.length));
    const parts = rest.split("/");
    const name = rest.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
    const tag = parts.slice(rest.startsWith("@") ? 2 : 1).join("/");
    const installed = index.get(name);
    if (!installed?.length && lazy.has(name))
      return tag
        ? json({name, version: NOT_INSTALLED})
        : json({name, versions: {[NOT_INSTALLED]: {version: NOT_INSTALLED}}});
    if (!installed?.length) throw new OfflineRefusal(url, missingPackage(name));
    if (tag) {
      const top = installed.find((p) => p.topLevel) ?? installed[0]!;
      return json({name, version: top.version});
    }
    return json({name, versions: Object.fromEntries(installed.map((p) => [p.version, {version: p.version}]))});
  }
  if (url.startsWith(CDN)) {
    const {name, version, path} = parseSpecifier(url.slice(CDN.length));
    const pkg = index.get(name)?.find((p) => p.version === version);
    if (!pkg) {
      const have = index
        .get(name)
        ?.map((p) => p.version)
        .join(", ");
      throw new OfflineRefusal(
        url,
        have && version !== NOT_INSTALLED
          ? `${name}@${version} is needed but node_modules has ${name}@${have}; run \`npm install --save-exact ${name}@${version}\``
          : missingPackage(name)
      );
    }
    if (path === "+esm" || path.endsWith("/+esm")) {
      const subpath = path === "+esm" ? "" : path.slice(0, -"/+esm".length);
      return new Response(await bundleEsm(pkg, subpath), {headers: {"content-type": contentTypes[".js"]!}});
    }
    const file = join(pkg.dir, path);
    if (!file.startsWith(pkg.dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      throw new OfflineRefusal(url, `${name}@${version} has no file ${path} in node_modules`);
    }
    const type = contentTypes[extname(file)] ?? "application/octet-stream";
    return new Response(readFileSync(file), {headers: {"content-type": type}});
  }
  throw new OfflineRefusal(
    url,
    "the lab builds offline: only the npm CDN and registry are answered (from node_modules), and no other host"
  );
}

function missingPackage(name: string): string {
  return `npm package "${name}" is imported (by a page or by Framework's standard library) but is not installed; run \`npm install --save-exact ${name}\` so the offline build can serve it from node_modules`;
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {headers: {"content-type": "application/json"}});
}

/**
 * Replaces globalThis.fetch: CDN and registry URLs are answered from node_modules, loopback URLs
 * go through, everything else is refused. Returns the refusals seen so far (live array).
 */
export function installOfflineFetch({projectDir, onRequest}: OfflineNpmOptions): OfflineRefusal[] {
  const refusals: OfflineRefusal[] = [];
  const index = indexInstalledPackages(projectDir);
  const lazy = frameworkLazyPackages(projectDir);
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const {hostname} = new URL(url);
    if (hostname === "localhost" || hostname === "[::1]" || hostname.startsWith("127.")) return realFetch(input, init);
    try {
      const response = await answer(url, index, lazy);
      onRequest?.({url, status: "served", detail: "node_modules"});
      return response;
    } catch (error) {
      const refusal =
        error instanceof OfflineRefusal ? error : new OfflineRefusal(url, String((error as Error)?.message ?? error));
      refusals.push(refusal);
      onRequest?.({url, status: "refused", detail: refusal.message});
      throw refusal;
    }
  };
  return refusals;
}

/**
 * Removes cached `_npm/<name>@<version>` folders whose version is no longer installed, so that an
 * upgrade or downgrade in package-lock.json is never answered from an older cached copy.
 */
export function pruneNpmCache({cacheDir, index}: {cacheDir: string; index: Map<string, InstalledPackage[]>}): string[] {
  const npmDir = join(cacheDir, "_npm");
  if (!existsSync(npmDir)) return [];
  const removed: string[] = [];
  for (const entry of readdirSync(npmDir)) {
    const specs = entry.startsWith("@") ? readdirSync(join(npmDir, entry)).map((s) => `${entry}/${s}`) : [entry];
    for (const spec of specs) {
      const {name, version} = parseSpecifier(spec);
      if (index.get(name)?.some((p) => p.version === version)) continue;
      rmSync(join(npmDir, spec), {recursive: true, force: true});
      removed.push(spec);
    }
  }
  return removed;
}
