import {randomBytes} from "node:crypto";
import {rm, rename} from "node:fs/promises";
import {basename, dirname, join} from "node:path";

/** A temporary path beside `path` (same filesystem, so the final rename is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Produces a file atomically: `write` fills a temporary path beside the target, which is renamed
 * over the target only when it succeeds. A reader sees the old file or the new one, never half of
 * one; on failure the temporary file is removed and the old file is untouched.
 */
export async function writeAtomically<T>(path: string, write: (tempPath: string) => Promise<T>): Promise<T> {
  const temp = tempPathFor(path);
  try {
    const result = await write(temp);
    await rename(temp, path);
    return result;
  } catch (error) {
    await rm(temp, {force: true});
    throw error;
  }
}

/**
 * Produces several files together: every one is written to a temporary path beside its target
 * first, and only when all succeeded are they renamed into place. A failure while writing any of
 * them leaves every old file untouched and removes the temporary ones.
 */
export async function writeFilesAtomically(
  files: readonly {path: string; write: (tempPath: string) => Promise<unknown>}[]
): Promise<void> {
  const temps = files.map((f) => ({...f, temp: tempPathFor(f.path)}));
  try {
    for (const f of temps) await f.write(f.temp);
  } catch (error) {
    await Promise.all(temps.map((f) => rm(f.temp, {force: true})));
    throw error;
  }
  for (const f of temps) await rename(f.temp, f.path);
}
