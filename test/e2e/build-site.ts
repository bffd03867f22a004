/**
 * Builds a project's site the way `npm run build` does (ingest, loaders, Framework), offline, with
 * every request the build makes logged to `netLog`; and lists the pages it built. Shared by the
 * suites that build the site from different datasets.
 */
import {readdirSync} from "node:fs";
import {join, relative} from "node:path";
import {runNode} from "../run-node.js";

export async function buildSite({projectDir, netLog}: {projectDir: string; netLog: string}): Promise<string> {
  const env: NodeJS.ProcessEnv = {...process.env, LAB_NET_LOG: netLog, FORCE_COLOR: "0"};
  delete env.LAB_DIR; // the project's own .lab/, whatever the calling shell points at
  const build = await runNode(["--import", "tsx", "tools/observable.ts", "build"], {
    cwd: projectDir,
    env,
    timeoutMs: 600_000
  });
  const output = `${build.stdout}\n${build.stderr}`;
  if (build.status !== 0)
    throw new Error(`build of ${projectDir} failed (exit ${build.status}):\n${output.slice(-4000)}`);
  return output;
}

/** The routes of every page in a built `dist/` (`/`, `/pages/kpi`, `/pages/market/fidelity`). */
export function builtPages(distDir: string): string[] {
  const pages: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith("_")) visit(path);
      else if (entry.name.endsWith(".html") && entry.name !== "404.html") {
        const route =
          "/" +
          relative(distDir, path)
            .replace(/\.html$/, "")
            .replace(/(^|\/)index$/, "");
        pages.push(route === "/" ? "/" : route.replace(/\/$/, ""));
      }
    }
  };
  visit(distDir);
  return pages.sort();
}
