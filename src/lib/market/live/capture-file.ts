import {createCipheriv, createDecipheriv, randomBytes, type CipherGCM} from "node:crypto";
import {closeSync, openSync, readFileSync, renameSync, writeSync} from "node:fs";
import {gunzipSync, createGzip, type Gzip} from "node:zlib";
import {LabError} from "../../core/errors.js";

const MAGIC = Buffer.from("LABENC1\n");

/**
 * One capture file being written: JSON Lines through gzip (optional) and AES-256-GCM (optional:
 * a 32-byte key), into `<path>.partial`, renamed to `path` when closed — a reader never sees a
 * half-written file under its final name. Encrypted layout: "LABENC1\n", a 12-byte IV, the
 * ciphertext, the 16-byte GCM tag.
 */
export class CaptureFileWriter {
  private readonly fd: number;
  private readonly gzip: Gzip | undefined;
  private readonly cipher: CipherGCM | undefined;
  private pending: Buffer[] = [];
  private closed: Promise<void> | undefined;
  lines = 0;

  constructor(
    readonly path: string,
    {gzip = true, key}: {gzip?: boolean; key?: Buffer} = {}
  ) {
    this.fd = openSync(`${path}.partial`, "w");
    if (key) {
      if (key.length !== 32)
        throw new LabError({
          reason: `the capture encryption key must be 32 bytes (64 hex characters), got ${key.length} bytes`
        });
      const iv = randomBytes(12);
      this.cipher = createCipheriv("aes-256-gcm", key, iv);
      writeSync(this.fd, Buffer.concat([MAGIC, iv]));
    }
    if (gzip) {
      this.gzip = createGzip({level: 1});
      this.gzip.on("data", (chunk: Buffer) => this.sink(chunk));
    }
  }

  private sink(chunk: Buffer): void {
    const out = this.cipher ? this.cipher.update(chunk) : chunk;
    if (out.length) writeSync(this.fd, out);
  }

  write(line: string): void {
    this.lines++;
    const buf = Buffer.from(line + "\n");
    if (this.gzip) this.gzip.write(buf);
    else this.sink(buf);
  }

  /** Finishes compression and encryption, and renames the file into place. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      if (this.gzip) {
        await new Promise<void>((resolve) => {
          this.gzip!.once("end", resolve);
          this.gzip!.end();
        });
      }
      if (this.cipher) {
        const last = this.cipher.final();
        if (last.length) writeSync(this.fd, last);
        writeSync(this.fd, this.cipher.getAuthTag());
      }
      closeSync(this.fd);
      renameSync(`${this.path}.partial`, this.path);
    })();
    return this.closed;
  }
}

/** The lines of a capture file (decrypting with `key` and decompressing as needed). */
export function readCaptureLines(path: string, key?: Buffer): string[] {
  let bytes = readFileSync(path);
  if (bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    if (!key)
      throw new LabError({
        file: path,
        reason: "the file is encrypted",
        hint: "set LAB_CAPTURE_KEY to the 64-hex-character key it was written with"
      });
    const iv = bytes.subarray(MAGIC.length, MAGIC.length + 12);
    const tag = bytes.subarray(bytes.length - 16);
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAuthTag(tag);
    try {
      bytes = Buffer.concat([decipher.update(bytes.subarray(MAGIC.length + 12, bytes.length - 16)), decipher.final()]);
    } catch {
      throw new LabError({file: path, reason: "decryption failed: wrong key, or the file was altered"});
    }
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  return bytes.toString("utf-8").split("\n").filter(Boolean);
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
