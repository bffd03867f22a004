import {randomBytes} from "node:crypto";
import {copyFile, mkdir, readdir, rename, rm, stat, writeFile} from "node:fs/promises";
import {existsSync} from "node:fs";
import {basename, dirname, isAbsolute, join, parse, relative, resolve} from "node:path";
import {LabError} from "./errors.js";

/** The file a staged run leaves in its folder, so a later run knows the folder is its to replace. */
export const STAGED_MARKER = ".lab-run.json";

const besideName = (path: string, tag: string) =>
  join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString("hex")}`);

/**
 * Puts the folder `from` at `to`, replacing whatever was there: the old folder is renamed aside,
 * the new one renamed in, then the old one removed. Both renames are on one filesystem (`from`
 * should sit beside `to`), so `to` always holds either the whole old set or the whole new one.
 */
export async function replaceFolder({from, to}: {from: string; to: string}): Promise<void> {
  const aside = existsSync(to) ? besideName(to, "old") : undefined;
  if (aside) await rename(to, aside);
  try {
    await rename(from, to);
  } catch (error) {
    if (aside) await rename(aside, to);
    throw error;
  }
  if (aside) await rm(aside, {recursive: true, force: true});
}

/**
 * Refuses an output folder that a swap would wrongly delete: the working folder or one of its
 * parents, or a non-empty folder that no staged run wrote (it holds someone's other files).
 */
async function checkReplaceable(outDir: string): Promise<void> {
  const cwd = process.cwd();
  const rel = relative(outDir, cwd);
  if (outDir === parse(outDir).root || rel === "" || (!rel.startsWith("..") && !isAbsolute(rel)))
    throw new LabError({
      file: outDir,
      reason:
        "the output folder is the working folder or one of its parents, and a run replaces its output folder whole",
      hint: "pass a new folder of its own to --out"
    });
  if (!existsSync(outDir)) return;
  if (!(await stat(outDir)).isDirectory())
    throw new LabError({file: outDir, reason: "is a file, expected an output folder", hint: "pass a folder to --out"});
  const entries = await readdir(outDir);
  if (entries.length && !entries.includes(STAGED_MARKER))
    throw new LabError({
      file: outDir,
      reason: `holds files a run did not write (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""}), and a run replaces its output folder whole`,
      hint: "pass a new or empty folder to --out, or remove this one if its files are no longer needed"
    });
}

/**
 * Runs `write` into a staging folder beside `outDir` and swaps it in whole only when `write`
 * succeeds, so a failed run leaves the previous outputs byte for byte as they were.
 *
 * - `stageDir`: a stable staging folder (`<out>.partial`) that survives a failure, for runs that
 *   resume from a checkpoint in it (unless `keepOnFailure` says the error leaves nothing worth
 *   resuming); `resume: false` empties it first. Without it, a fresh hidden folder is used and
 *   removed on failure.
 * - `carry`: files copied from the old `outDir` into the staging folder first (state that grows
 *   from run to run, such as an append-only evidence log).
 */
export async function withStagedFolder<T>({
  outDir,
  stageDir,
  resume = false,
  carry = [],
  label = "lab run",
  keepOnFailure = () => true,
  write
}: {
  outDir: string;
  stageDir?: string;
  resume?: boolean;
  carry?: readonly string[];
  /** Written into the marker file: what made the folder. */
  label?: string;
  keepOnFailure?: (error: unknown) => boolean;
  write: (stageDir: string) => Promise<T>;
}): Promise<T> {
  const target = resolve(outDir);
  await checkReplaceable(target);
  const stage = stageDir ? resolve(stageDir) : besideName(target, "staging");
  if (!resume) await rm(stage, {recursive: true, force: true});
  await mkdir(stage, {recursive: true});
  try {
    for (const name of carry)
      if (existsSync(join(target, name)) && !(resume && existsSync(join(stage, name))))
        await copyFile(join(target, name), join(stage, name));
    const result = await write(stage);
    await writeFile(join(stage, STAGED_MARKER), `${JSON.stringify({by: label, at: new Date().toISOString()})}\n`);
    await replaceFolder({from: stage, to: target});
    return result;
  } catch (error) {
    if (!stageDir || !keepOnFailure(error)) await rm(stage, {recursive: true, force: true});
    throw error;
  }
}
