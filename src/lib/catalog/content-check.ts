/**
 * A job's guard against reading a file that changed after the scan: the scan versions a file by
 * its content hash, and a job must publish rows of exactly that version, never credit newer bytes
 * to it. The worker re-hashes the file before the plugin reads it, and checks after the plugin
 * has run that the file's size and mtime are still those it hashed.
 */
import {createHash} from "node:crypto";
import {createReadStream, statSync} from "node:fs";
import {LabError} from "../core/errors.js";

/** The reason a stale job fails with (the next scan registers the new content as a new version). */
export const STALE_FILE_REASON = "the file changed since it was scanned";

export interface ContentStamp {
  size: number;
  mtimeMs: number;
}

/** The SHA-256 (hex) of a file's content, read as a stream (the thread keeps heartbeating). */
export async function hashFile({path}: {path: string}): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function staleError({file, found}: {file: string; found: string}): LabError {
  return new LabError({
    file,
    reason: `${STALE_FILE_REASON} (${found})`,
    hint: "nothing was published for the old version; the next scan registers the new content and processes it"
  });
}

/**
 * Checks that `path` still holds the content hashed as `contentHash`; returns its size and mtime
 * for `assertStillUnchanged`. Throws a LabError (a failed, not retried, job) when it does not.
 */
export async function assertScannedContent({
  path,
  file,
  contentHash
}: {
  path: string;
  /** The file as messages name it. */
  file: string;
  contentHash: string;
}): Promise<ContentStamp> {
  const before = statSync(path, {throwIfNoEntry: false});
  if (!before) throw staleError({file, found: "it is gone"});
  const actual = await hashFile({path});
  const after = statSync(path, {throwIfNoEntry: false});
  if (actual !== contentHash)
    throw staleError({file, found: `content hash ${actual.slice(0, 12)}…, scanned ${contentHash.slice(0, 12)}…`});
  if (!after || after.size !== before.size || after.mtimeMs !== before.mtimeMs)
    throw staleError({file, found: "it was written while being checked"});
  return {size: after.size, mtimeMs: after.mtimeMs};
}

/** After the plugin ran: the file must still be the one checked (same size and mtime). */
export function assertStillUnchanged({path, file, stamp}: {path: string; file: string; stamp: ContentStamp}): void {
  const now = statSync(path, {throwIfNoEntry: false});
  if (!now) throw staleError({file, found: "it was removed while the job read it"});
  if (now.size !== stamp.size || now.mtimeMs !== stamp.mtimeMs)
    throw staleError({file, found: "it was written while the job read it"});
}
