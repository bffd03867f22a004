/**
 * `npm run build` / `npm run dev`: Observable Framework, offline and with honest loader caching.
 *
 *   tsx tools/observable.ts build        → refresh stale loaders, then `observable build`
 *   tsx tools/observable.ts preview …    → the same, then the dev server, watching src/lib and
 *                                           the warehouse to rerun exactly the affected loaders
 *
 * Framework runs in this process, behind `installOfflineFetch` (npm CDN and registry answered from
 * node_modules) and the loopback-only net guard, which NODE_OPTIONS also loads into every loader
 * it spawns. Any refused request makes the command exit non-zero after Framework finishes, with
 * the refusals listed, so an offline gap can never pass as a successful build.
 *
 * SIGINT and SIGTERM stop it cleanly: the ingest (the dev server's watch) winds down and gives up
 * its lock, then the process exits, taking Framework's server with it. `npm run dev` execs this
 * process in place of npm's shell, so a signal npm forwards reaches it; and a dev server whose
 * parent is gone (npm killed outright) stops too rather than serve on, orphaned.
 */
import {rmSync, watch, type FSWatcher} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";
import {NOT_INSTALLED, indexInstalledPackages, installOfflineFetch, pruneNpmCache} from "./offline-npm.js";
import {refreshLoaderCache} from "./loader-cache.js";
import {ingest} from "../src/lib/catalog/ingest.js";
import {lockHolder} from "../src/lib/catalog/lock.js";
import {labPaths} from "../src/lib/catalog/paths.js";
import {catalogBuiltins} from "../src/lib/registry.js";

// The project is the working directory (npm scripts run there); the tools live beside this file.
const projectDir = process.cwd();
const sourceRoot = join(projectDir, "src");
const guard = join(dirname(fileURLToPath(import.meta.url)), "net-guard.mjs");
const [command = "build", ...rest] = process.argv.slice(2);

process.env.OBSERVABLE_TELEMETRY_DISABLE = "true";
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import=${pathToFileURL(guard).href}`.trim();
await import(pathToFileURL(guard).href);

const refusals = installOfflineFetch({projectDir});
const pruned = pruneNpmCache({
  cacheDir: join(sourceRoot, ".observablehq", "cache"),
  index: indexInstalledPackages(projectDir)
});
if (pruned.some((spec) => !spec.endsWith(NOT_INSTALLED)))
  console.log(
    `offline npm: dropped cached ${pruned.filter((spec) => !spec.endsWith(NOT_INSTALLED)).join(", ")} (no longer installed)`
  );

process.on("exit", () => {
  if (!refusals.length) return;
  console.error(
    `\n\x1b[31moffline build failed: ${refusals.length} request(s) could not be answered from node_modules:\x1b[0m`
  );
  for (const refusal of refusals) console.error(`  ${refusal.message.replace(/\n\s*/g, "\n    ")}`);
  process.exitCode = 1;
});

async function refresh(touch: boolean): Promise<void> {
  const stale = await refreshLoaderCache({projectDir, touch});
  for (const loader of stale) console.log(`loader cache: rerun ${loader.loaderPath} (${loader.reason})`);
}

// Bring the warehouse up to date with datasets/ first, unless an ingest (a dev server's watch)
// already owns the catalog: then its warehouse is current.
const paths = labPaths({projectDir});
const holder = lockHolder(paths.lockPath);
const stopWatch = new AbortController();
const watchers: FSWatcher[] = [];
let ingesting: Promise<unknown> = Promise.resolve();

// How long a stop waits for an ingest pass in flight before leaving it (its catalog writes are
// transactions, and the next ingest redoes an unfinished job).
const STOP_GRACE_MS = 4000;
let stopping = false;
async function stop(reason: string, exitCode: number): Promise<void> {
  // The ingest gives its lock up when it ends; one cut short (or a second signal) leaves it here.
  const exit = () => {
    if (lockHolder(paths.lockPath) === process.pid) rmSync(paths.lockPath, {force: true});
    process.exit(exitCode);
  };
  if (stopping) return exit();
  stopping = true;
  console.log(`\n${reason}: stopping${command === "preview" ? " the dev server and the ingest watch" : ""}`);
  stopWatch.abort();
  for (const watcher of watchers) watcher.close();
  const grace = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
  await Promise.race([ingesting.catch(() => {}), grace]);
  exit();
}
// A dev server stopped on purpose exits 0; an interrupted build reports the signal (128 + n).
const signalExit = (signal: "SIGINT" | "SIGTERM") => (command === "preview" ? 0 : 128 + (signal === "SIGINT" ? 2 : 15));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop(signal, signalExit(signal)));
if (command === "preview") {
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && void stop(`parent process ${parent} exited`, 0), 1000).unref();
}

if (holder) console.log(`ingest: pid ${holder} is already ingesting (watch mode); using its warehouse`);
else if (command === "preview") {
  let ready: () => void;
  const first = new Promise<void>((resolve) => (ready = resolve));
  ingesting = ingest({
    paths,
    builtins: catalogBuiltins(),
    watch: true,
    signal: stopWatch.signal,
    onPass: () => ready()
  }).catch((error) => {
    console.error(`ingest stopped: ${error instanceof Error ? error.message : error}`);
    ready();
  });
  await first;
} else await (ingesting = ingest({paths, builtins: catalogBuiltins()}));

await refresh(false);

if (command === "preview") {
  // Rerun loaders when library code or warehouse data change; debounce bursts of file events.
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(true).catch((error) => console.error(error)), 300);
  };
  for (const dir of [join(sourceRoot, "lib"), join(sourceRoot, "data"), paths.labDir]) {
    try {
      const watcher = watch(dir, {recursive: true}, (_event, file) => {
        if (file && /(^|\/)(loader-keys\.json|loader-runs\/|staging\/)|\.tmp-|catalog\.duckdb|ingest\.lock/.test(file))
          return;
        schedule();
      });
      watchers.push(watcher);
    } catch {
      // .lab appears with the first ingest; the loaders that read it are checked on the next build.
    }
  }
}

const bin = join(projectDir, "node_modules", "@observablehq", "framework", "dist", "bin", "observable.js");
process.argv = [process.argv[0]!, bin, command, ...rest];
await import(pathToFileURL(bin).href);
