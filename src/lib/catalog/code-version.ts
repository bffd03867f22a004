/**
 * The version of the lab's code that produced an output, for lineage: the git commit of the
 * checkout this module runs from (`git:<sha>`, `git:<sha>+dirty` when tracked files differ from
 * it), else the package's version (`npm:<name>@<version>`, an install without git), else
 * `unknown`. Each process (a coordinator, a `lab worker` on another host, a job thread) asks once:
 * it is the code that process runs, so a worker running older code shows as such.
 */
import {spawnSync} from "node:child_process";
import {existsSync, readFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

let cached: string | undefined;

function git(dir: string, args: string[]): string | undefined {
  const result = spawnSync("git", ["-C", dir, ...args], {encoding: "utf-8", timeout: 5000});
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function packageVersion(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const path = join(d, "package.json");
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, "utf-8")) as {name?: string; version?: string};
      if (pkg.version) return `npm:${pkg.name ?? "unnamed"}@${pkg.version}`;
    }
    if (dirname(d) === d) return undefined;
  }
}

/** `git:<sha>[+dirty]`, `npm:<name>@<version>` or `unknown` (computed once per process). */
export function codeVersion(): string {
  if (cached) return cached;
  const dir = dirname(fileURLToPath(import.meta.url));
  const sha = git(dir, ["rev-parse", "HEAD"]);
  if (sha) {
    // Untracked files are not counted: scratch and data folders would mark every checkout dirty.
    const changes = git(dir, ["status", "--porcelain", "--untracked-files=no"]);
    cached = `git:${sha}${changes ? "+dirty" : ""}`;
  } else cached = packageVersion(dir) ?? "unknown";
  return cached;
}
