import {mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {dirname} from "node:path";
import {LabError} from "../core/errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid holding the ingest lock, if that process is alive. */
export function lockHolder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf-8").trim());
    return pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the ingest lock (one coordinator owns the catalog database); a lock left by a dead
 * process (kill -9) is taken over. Returns the release function.
 */
export function acquireIngestLock(path: string): () => void {
  mkdirSync(dirname(path), {recursive: true});
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), {flag: "wx"});
      return () => rmSync(path, {force: true});
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = lockHolder(path);
      if (holder && holder !== process.pid) {
        throw new LabError({
          file: path,
          reason: `another lab ingest (pid ${holder}) owns the catalog`,
          hint: "wait for it, or stop it (a dev server runs one in watch mode)"
        });
      }
      rmSync(path, {force: true}); // stale: its process is gone
    }
  }
  throw new LabError({file: path, reason: "could not take the ingest lock"});
}
