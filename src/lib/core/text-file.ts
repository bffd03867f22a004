import {readFileSync, statSync} from "node:fs";
import {gunzipSync} from "node:zlib";
import {LabError} from "./errors.js";

/** Text files above this size are refused: a reader that holds a file in memory needs a bound. */
export const MAX_TEXT_FILE_BYTES = 1 << 30;

/** Whether a path names a gzip-compressed file (`events.csv.gz`). */
export const isGzip = (path: string) => /\.gz$/i.test(path);

/** The extension that says a file's format, under any `.gz` (`a.CSV.gz` → `.csv`). */
export function formatExtension(path: string): string {
  const name = path.replace(/\.gz$/i, "");
  const dot = name.lastIndexOf(".");
  return dot > name.lastIndexOf("/") ? name.slice(dot).toLowerCase() : "";
}

/** The offset of the first byte that is not valid UTF-8 (bytes.length when all are). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  // Binary search for the shortest prefix that fails to decode: the bad byte is its last one.
  let lo = 0,
    hi = bytes.length;
  const ok = (n: number) => {
    try {
      new TextDecoder("utf-8", {fatal: true}).decode(bytes.subarray(0, n), {stream: true});
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  // The prefix up to `lo` may end inside a sequence whose bad byte came next: the offending
  // character starts at its lead byte, at most three bytes back.
  for (let n = lo; n >= Math.max(0, lo - 3); n--) {
    try {
      new TextDecoder("utf-8", {fatal: true}).decode(bytes.subarray(0, n));
      return n;
    } catch {
      // still inside the incomplete sequence
    }
  }
  return lo;
}

/**
 * A whole text file as a string, strictly: gzip is unpacked (`.gz`), the bytes must be UTF-8 (an
 * invalid byte is a LabError at its line and column, never a silent U+FFFD), a leading BOM is
 * dropped, and a file (or its unpacked content) over `maxBytes` is refused by name.
 */
export function readTextFile({
  path,
  file = path,
  maxBytes = MAX_TEXT_FILE_BYTES
}: {
  path: string;
  file?: string;
  maxBytes?: number;
}): string {
  const tooBig = (what: string) =>
    new LabError({file, reason: `${what} is over ${maxBytes.toLocaleString("en-US")} bytes`, hint: "split the file"});
  if (statSync(path).size > maxBytes) throw tooBig("the file");
  let bytes: Uint8Array = readFileSync(path);
  if (isGzip(path)) {
    try {
      bytes = gunzipSync(bytes, {maxOutputLength: maxBytes});
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooBig("the unpacked content");
      throw new LabError({file, reason: `not a readable gzip file (${(error as Error).message})`, cause: error});
    }
  }
  try {
    const text = new TextDecoder("utf-8", {fatal: true}).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = new TextDecoder().decode(bytes.subarray(0, at));
    const line = (before.match(/\n/g)?.length ?? 0) + 1;
    return failUtf8({file, line, column: before.length - before.lastIndexOf("\n"), byte: bytes[at]!});
  }
}

function failUtf8({file, line, column, byte}: {file: string; line: number; column: number; byte: number}): never {
  throw new LabError({
    file,
    line,
    column,
    reason: `not valid UTF-8 text (byte 0x${byte.toString(16).toUpperCase().padStart(2, "0")}: a Latin-1 or Windows export, or binary data)`,
    hint: "save the file as UTF-8"
  });
}
