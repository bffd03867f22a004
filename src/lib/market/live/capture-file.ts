import {createDecipheriv, randomBytes} from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync
} from "node:fs";
import {basename, dirname, join} from "node:path";
import {constants as zlibConstants, gunzipSync, createGzip, type Gzip} from "node:zlib";
import {LabError} from "../../core/errors.js";
import {SEALED_MAGIC, openSealed, sealChunk, sealedHeader} from "./capture-seal.js";

/** Encrypted files of earlier captures: "LABENC1\n", a 12-byte IV, the ciphertext, one GCM tag. */
export const CAPTURE_MAGIC = Buffer.from("LABENC1\n");

/** A finished capture file's name (a `.partial` or `.unrecoverable` one is not). */
export const FINISHED_CAPTURE = /\.jsonl(\.gz)?(\.enc)?$/;

/** `dir/a.jsonl.gz` → `dir/a-2.jsonl.gz`: the n-th alternative to a taken name. */
export function numberedName(path: string, n: number): string {
  if (n === 0) return path;
  const name = basename(path);
  const at = name.indexOf(".jsonl");
  const [stem, ext] = at < 0 ? [name, ""] : [name.slice(0, at), name.slice(at)];
  return join(dirname(path), `${stem}-${n}${ext}`);
}

/** Makes a directory's entries (a rename, link or unlink in it) durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Gives the finished file `from` its final name without ever replacing a file: `to` if free,
 * otherwise the next free numbered name from `firstN` on (a hard link fails instead of replacing,
 * unlike rename).
 * Returns the name it got.
 */
export function placeWithoutReplacing(from: string, to: string, suffix = "", firstN = 0): string {
  for (let n = firstN; ; n++) {
    const target = numberedName(to, n) + suffix;
    try {
      linkSync(from, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      // A file system without hard links: check, then rename (not atomic against a racing writer).
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EXDEV") throw error;
      if (existsSync(target)) continue;
      renameSync(from, target);
      syncDir(dirname(target));
      return target;
    }
    unlinkSync(from);
    syncDir(dirname(target));
    return target;
  }
}

/**
 * One capture file being written: JSON Lines through gzip (optional) and AES-256-GCM (optional:
 * a 32-byte key), into `<path>.<pid>.partial`, renamed to `path` when closed — a reader never
 * sees a half-written file under its final name, and the pid says whether a writer still holds a
 * partial (recovery leaves those alone). Nothing is ever truncated or replaced: the partial is
 * created with `wx`, and a name already taken (as a final file or by any partial) moves on to
 * `<stem>-1.jsonl…`, `-2`…. Every `flushMs` gzip is flushed and what it gave sealed as one
 * encrypted chunk (`capture-seal.ts`), so a killed capture loses at most that much.
 */
export class CaptureFileWriter {
  /** The final name (it may move on to a numbered name if taken meanwhile). */
  path: string;
  readonly partialPath: string;
  private readonly base: string;
  private readonly n: number;
  private readonly fd: number;
  private readonly gzip: Gzip | undefined;
  private readonly key: Buffer | undefined;
  private readonly fileId = randomBytes(16);
  private chunks = 0;
  private pending: Buffer[] = [];
  private readonly flusher: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;
  lines = 0;
  /** Lines on disk in decodable form (written out up to a gzip sync flush). */
  flushedLines = 0;

  constructor(path: string, {gzip = true, key, flushMs = 1000}: {gzip?: boolean; key?: Buffer; flushMs?: number} = {}) {
    if (key && key.length !== 32)
      throw new LabError({
        reason: `the capture encryption key must be 32 bytes (64 hex characters), got ${key.length} bytes`
      });
    const taken = new Set(readdirSync(dirname(path)).map((f) => f.replace(/(\.\d+)?\.(partial|recovering)$/, "")));
    for (let n = 0; ; n++) {
      const candidate = numberedName(path, n);
      if (taken.has(basename(candidate))) continue;
      try {
        this.fd = openSync(`${candidate}.${process.pid}.partial`, "wx");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw error;
      }
      this.base = path;
      this.n = n;
      this.path = candidate;
      this.partialPath = `${candidate}.${process.pid}.partial`;
      break;
    }
    this.key = key;
    if (key) writeSync(this.fd, sealedHeader(this.fileId));
    if (gzip) {
      const gz = createGzip({level: 1});
      gz.on("data", (chunk: Buffer) => this.sink(chunk));
      this.gzip = gz;
    }
    if (gzip || key) {
      this.flusher = setInterval(() => {
        const upTo = this.lines;
        if (upTo <= this.flushedLines || this.closed) return;
        const flushed = () => {
          this.seal(false);
          this.flushedLines = Math.max(this.flushedLines, upTo);
        };
        if (this.gzip) this.gzip.flush(zlibConstants.Z_SYNC_FLUSH, flushed);
        else flushed();
      }, flushMs);
      this.flusher.unref();
    }
  }

  private sink(chunk: Buffer): void {
    if (this.key) this.pending.push(chunk);
    else if (chunk.length) writeSync(this.fd, chunk);
  }

  /** Encrypts what waits as one chunk (the last one at close). */
  private seal(final: boolean): void {
    if (!this.key || (!final && !this.pending.length)) return;
    const plain = Buffer.concat(this.pending);
    this.pending = [];
    writeSync(this.fd, sealChunk({key: this.key, fileId: this.fileId, index: this.chunks++, final, plain}));
  }

  write(line: string): void {
    this.lines++;
    const buf = Buffer.from(line + "\n");
    if (this.gzip) this.gzip.write(buf);
    else {
      this.sink(buf);
      if (!this.key) this.flushedLines = this.lines;
    }
  }

  /** Finishes compression and encryption, syncs the file and gives it its final name. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.flusher);
      if (this.gzip) {
        await new Promise<void>((resolve) => {
          this.gzip!.once("end", resolve);
          this.gzip!.end();
        });
      }
      this.seal(true);
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.flushedLines = this.lines;
      this.path = placeWithoutReplacing(this.partialPath, this.base, "", this.n);
    })();
    return this.closed;
  }
}

/** The lines of a finished capture file (decrypting with `key` and decompressing as needed). */
export function readCaptureLines(path: string, key?: Buffer): string[] {
  let bytes: Buffer = readFileSync(path);
  const encrypted = [CAPTURE_MAGIC, SEALED_MAGIC].some((m) => bytes.subarray(0, m.length).equals(m));
  if (encrypted && !key)
    throw new LabError({
      file: path,
      reason: "the file is encrypted",
      hint: "set LAB_CAPTURE_KEY to the 64-hex-character key it was written with"
    });
  if (key && bytes.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)) {
    const opened = openSealed({bytes, key});
    if (!opened.complete)
      throw new LabError({
        file: path,
        reason: opened.chunks
          ? `decryption stopped after chunk ${opened.chunks}: the file was cut short or altered`
          : "decryption failed: wrong key, or the file was altered",
        hint: path.endsWith(".partial")
          ? "a .partial file is unfinished: the next `lab capture` into its folder recovers it"
          : undefined
      });
    bytes = opened.plain;
  } else if (key && bytes.subarray(0, CAPTURE_MAGIC.length).equals(CAPTURE_MAGIC)) {
    const iv = bytes.subarray(CAPTURE_MAGIC.length, CAPTURE_MAGIC.length + 12);
    const tag = bytes.subarray(bytes.length - 16);
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAuthTag(tag);
    try {
      bytes = Buffer.concat([
        decipher.update(bytes.subarray(CAPTURE_MAGIC.length + 12, bytes.length - 16)),
        decipher.final()
      ]);
    } catch {
      throw new LabError({file: path, reason: "decryption failed: wrong key, or the file was altered"});
    }
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new LabError({
        file: path,
        reason: `not a complete gzip file (${(error as Error).message})`,
        hint: path.endsWith(".partial")
          ? "a .partial file is unfinished: the next `lab capture` into its folder recovers it"
          : "the file was cut short or altered",
        cause: error
      });
    }
  }
  return bytes.toString("utf-8").split("\n").filter(Boolean);
}

/**
 * The lines of every finished capture file in `dir`, file after file in time order (by each
 * file's first local_ns: numbered names do not sort by time). `.partial` files are skipped: a
 * live capture is still writing them (their end torn and moving), and a dead one's lines join the
 * finished files at the next `lab capture` into the folder (`capture-recovery.ts`).
 */
export function readCaptureFolder({dir, key}: {dir: string; key?: Buffer}): string[] {
  const files = readdirSync(dir)
    .filter((f) => FINISHED_CAPTURE.test(f))
    .map((f) => {
      const lines = readCaptureLines(join(dir, f), key);
      const first = lines[0] ? (JSON.parse(lines[0]) as {local_ns?: string}).local_ns : undefined;
      return {f, lines, start: first === undefined ? -1n : BigInt(first)};
    })
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.f < b.f ? -1 : a.f > b.f ? 1 : 0));
  return files.flatMap((x) => x.lines);
}

/** The key from $LAB_CAPTURE_KEY (64 hex characters), if set. */
export function captureKeyFromEnv(env = process.env): Buffer | undefined {
  const hex = env.LAB_CAPTURE_KEY;
  if (!hex) return undefined;
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new LabError({
      column: "LAB_CAPTURE_KEY",
      reason: "must be 64 hexadecimal characters (a 32-byte AES-256 key)"
    });
  return Buffer.from(hex, "hex");
}
