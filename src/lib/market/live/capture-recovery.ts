import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync
} from "node:fs";
import {basename, join} from "node:path";
import {constants as zlibConstants, createGunzip, gzipSync} from "node:zlib";
import {
  CAPTURE_MAGIC,
  FINISHED_CAPTURE,
  numberedName,
  placeWithoutReplacing,
  readCaptureLines,
  syncDir
} from "./capture-file.js";
import {SEALED_MAGIC, openSealed, sealFile} from "./capture-seal.js";

export interface RecoveredPartial {
  partial: string;
  /** recovered: `lines` complete lines now in `file`; unrecoverable: kept aside as `file`. */
  outcome: "recovered" | "already recovered" | "unrecoverable" | "empty" | "in use" | "needs the key";
  file?: string;
  lines: number;
}

/**
 * Whether process `pid` may still be writing a file last modified at `mtimeMs`: it exists, and
 * (where /proc says when it started) it started before that write — a reused pid is not the writer.
 */
export function writerAlive(pid: number, mtimeMs: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf-8");
    const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf-8"))?.[1]);
    // Clock ticks are 1/100 s on Linux; a second of slack covers the rounding of btime.
    const startedMs = (bootSeconds + startTicks / 100) * 1000;
    if (Number.isFinite(startedMs) && startedMs > mtimeMs + 1000) return false;
  } catch {
    // No /proc: the pid alone decides.
  }
  return true;
}

/** As much of a gzip stream cut short as decodes (a stream error ends it there). */
function gunzipPrefix(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const gunzip = createGunzip({finishFlush: zlibConstants.Z_SYNC_FLUSH});
    gunzip.on("data", (chunk: Buffer) => chunks.push(chunk));
    gunzip.on("error", () => resolve(Buffer.concat(chunks)));
    gunzip.on("end", () => resolve(Buffer.concat(chunks)));
    gunzip.end(bytes);
  });
}

/** The complete lines of decoded text, up to the first that is not JSON (the torn last one is dropped). */
function completeLines(text: string): string[] {
  const lines = text.slice(0, text.lastIndexOf("\n") + 1).split("\n");
  const out: string[] = [];
  for (const line of lines) {
    if (!line) continue;
    try {
      JSON.parse(line);
    } catch {
      break;
    }
    out.push(line);
  }
  return out;
}

function startsWith(path: string, magic: Buffer): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(magic.length);
    return readSync(fd, head, 0, magic.length, 0) === magic.length && head.equals(magic);
  } finally {
    closeSync(fd);
  }
}

/** A partial without a pid in its name (older captures) is taken as abandoned once idle this long. */
const LEGACY_IDLE_MS = 15 * 60_000;

/**
 * Turns the `.partial` files a killed capture left in `dir` into finished files, before a new
 * capture starts there. A gzip stream cut by a kill is read as far as it decodes, every complete
 * line kept; the lines are written to `<final>.<pid>.recovering`, synced, and given the
 * writer's intended name (or the next free numbered one, never replacing a file); only then is
 * the partial removed. A partial whose writer is alive (the pid in its name) is left alone; one
 * is claimed by renaming it to this process's pid first, so two captures starting together do
 * not both recover it. An encrypted partial is recovered with `key` up to its last chunk that
 * authenticates (and encrypted again), left alone without it; one of the older single-tag layout
 * cannot be authenticated before its end, so it is kept aside as `<final>.unrecoverable`.
 */
export async function recoverCapturePartials({
  dir,
  key,
  log = () => {}
}: {
  dir: string;
  /** The capture key: an encrypted partial is recovered with it, and left alone without. */
  key?: Buffer;
  log?: (line: string) => void;
}): Promise<RecoveredPartial[]> {
  const results: RecoveredPartial[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    // A recovery killed before it finished: its partial is still there, so its output can go.
    const recovering = /^(.+)\.(\d+)\.recovering$/.exec(name);
    if (recovering && !writerAlive(Number(recovering[2]), statSync(path).mtimeMs)) {
      unlinkSync(path);
      continue;
    }
    const m = /^(.+?)(?:\.(\d+))?\.partial$/.exec(name);
    if (!m || !FINISHED_CAPTURE.test(m[1]!)) continue;
    const final = m[1]!;
    const mtimeMs = statSync(path).mtimeMs;
    const inUse = m[2] === undefined ? Date.now() - mtimeMs < LEGACY_IDLE_MS : writerAlive(Number(m[2]), mtimeMs);
    if (inUse) {
      log(
        m[2] === undefined
          ? `left ${name} alone: it names no writer and changed less than ${LEGACY_IDLE_MS / 60_000} minutes ago`
          : `left ${name} alone: process ${m[2]} is still writing it`
      );
      results.push({partial: name, outcome: "in use", lines: 0});
      continue;
    }
    if (!key && startsWith(path, SEALED_MAGIC)) {
      log(`left ${name} alone: it is encrypted, and recovering it needs LAB_CAPTURE_KEY`);
      results.push({partial: name, outcome: "needs the key", lines: 0});
      continue;
    }
    const claimed = join(dir, `${final}.${process.pid}.partial`);
    if (existsSync(claimed)) continue;
    try {
      renameSync(path, claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // another capture claimed it
      throw error;
    }
    results.push(await recoverOne({dir, name, claimed, final, key, log}));
  }
  return results;
}

async function recoverOne({
  dir,
  name,
  claimed,
  final,
  key,
  log
}: {
  dir: string;
  name: string;
  claimed: string;
  final: string;
  key: Buffer | undefined;
  log: (line: string) => void;
}): Promise<RecoveredPartial> {
  let bytes: Buffer = readFileSync(claimed);
  const sealed = key && startsWith(claimed, SEALED_MAGIC);
  if (startsWith(claimed, CAPTURE_MAGIC)) {
    const file = placeWithoutReplacing(claimed, join(dir, final), ".unrecoverable");
    log(
      `kept ${name} aside as ${basename(file)}: an encrypted capture of this older layout cannot be authenticated before it is closed (its one GCM tag is written last)`
    );
    return {partial: name, outcome: "unrecoverable", file: basename(file), lines: 0};
  }
  const size = bytes.length;
  if (sealed) bytes = openSealed({bytes, key}).plain;
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const text = (gzipped ? await gunzipPrefix(bytes) : bytes).toString("utf-8");
  const lines = completeLines(text);
  if (!lines.length) {
    // Nothing beyond the headers (the file's own, or gzip's) had reached the disk.
    if (!text.length && size <= (sealed ? SEALED_MAGIC.length + 16 : 10)) {
      unlinkSync(claimed);
      syncDir(dir);
      log(`removed ${name}: nothing written to it had reached the disk`);
      return {partial: name, outcome: "empty", lines: 0};
    }
    const file = placeWithoutReplacing(claimed, join(dir, final), ".unrecoverable");
    log(`kept ${name} aside as ${basename(file)}: not one complete line decodes`);
    return {partial: name, outcome: "unrecoverable", file: basename(file), lines: 0};
  }
  // A recovery or close killed between placing the file and removing the partial left both.
  for (let n = 0; existsSync(numberedName(join(dir, final), n)); n++) {
    const existing = numberedName(join(dir, final), n);
    let same = false;
    try {
      const got = readCaptureLines(existing, key);
      same = got.length === lines.length && got.every((l, i) => l === lines[i]);
    } catch {
      // Encrypted or damaged: not this partial's copy.
    }
    if (same) {
      unlinkSync(claimed);
      syncDir(dir);
      log(`removed ${name}: its ${lines.length.toLocaleString("en-US")} lines are already in ${basename(existing)}`);
      return {partial: name, outcome: "already recovered", file: basename(existing), lines: lines.length};
    }
  }
  const body = Buffer.from(lines.join("\n") + "\n");
  const tmp = join(dir, `${final}.${process.pid}.recovering`);
  const fd = openSync(tmp, "wx");
  try {
    const plain = gzipped ? gzipSync(body, {level: 1}) : body;
    writeSync(fd, sealed ? sealFile({key, plain}) : plain);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const file = placeWithoutReplacing(tmp, join(dir, final));
  unlinkSync(claimed);
  syncDir(dir);
  log(`recovered ${lines.length.toLocaleString("en-US")} lines from ${name} into ${basename(file)}`);
  return {partial: name, outcome: "recovered", file: basename(file), lines: lines.length};
}
