import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  writeFileSync
} from "node:fs";
import {join} from "node:path";
import {createHash} from "node:crypto";
import {LabError} from "../../core/errors.js";
import {tempPathFor} from "../../core/atomic-file.js";
import type {MarketInputs} from "../history/inputs.js";

/**
 * What a replay's checkpoints were made from: the strategy, the options that shape its rows and
 * each input file's size and sampled content hash. Kept beside the segments' markers
 * (`segments/run.json`) so that `--resume` continues only the very replay that was interrupted:
 * a checkpoint taken from other inputs or options would splice two different replays into one
 * file.
 */
export interface RunRecord {
  strategy: string;
  options: Record<string, unknown>;
  inputs: Record<string, {path: string; bytes: number; sampled_sha256: string} | null>;
}

const BLOCK = 64 << 10,
  BLOCKS = 16;

/**
 * SHA-256 over a file's size and 16 blocks of 64 KiB spread evenly from its first byte to its
 * last (the whole file when smaller): cheap whatever the file's size (a full hash of a large input
 * would cost a good part of the replay itself), and a different file of the same size differs in
 * its header and footer blocks.
 */
export function sampledHash(path: string): {bytes: number; sampled_sha256: string} {
  const fd = openSync(path, "r");
  try {
    const bytes = fstatSync(fd).size;
    const hash = createHash("sha256").update(String(bytes));
    const buffer = Buffer.allocUnsafe(BLOCK);
    const starts =
      bytes <= BLOCK * BLOCKS
        ? Array.from({length: Math.ceil(bytes / BLOCK)}, (_, k) => k * BLOCK)
        : Array.from({length: BLOCKS}, (_, k) => Math.floor(((bytes - BLOCK) * k) / (BLOCKS - 1)));
    for (const at of starts) {
      const n = readSync(fd, buffer, 0, Math.min(BLOCK, bytes - at), at);
      hash.update(buffer.subarray(0, n));
    }
    return {bytes, sampled_sha256: hash.digest("hex")};
  } finally {
    closeSync(fd);
  }
}

/** The record of a replay about to start. */
export function runRecord({
  inputs,
  strategy,
  options
}: {
  inputs: MarketInputs;
  strategy: string;
  options: Record<string, unknown>;
}): RunRecord {
  const files: RunRecord["inputs"] = {};
  for (const name of ["trades", "book", "deltas"] as const) {
    const path = inputs[name];
    files[name] = path && existsSync(path) ? {path, ...sampledHash(path)} : null;
  }
  // Undefined options are left out, so a record reads the same after a JSON round trip.
  return {strategy, options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>, inputs: files};
}

const recordPath = (outDir: string) => join(outDir, "segments", "run.json");

/** Saves the record beside the segments (a fresh run, or a resume that found nothing to continue). */
export function saveRunRecord({outDir, record}: {outDir: string; record: RunRecord}): void {
  const path = recordPath(outDir),
    temp = tempPathFor(path);
  writeFileSync(temp, JSON.stringify(record, null, 1));
  renameSync(temp, path);
}

/** Thrown when `--resume` refuses a checkpoint: it and the partial output are kept as they are. */
export class ResumeRefused extends LabError {
  /** What `lab run` reads to keep the staging folder of a failed run (see cli/verbs/run.ts). */
  readonly keepsPartialOutput = true;
}

/**
 * Before a resumed replay touches anything: the checkpoint in `outDir` must have been made by the
 * same replay (see RunRecord). Refuses with what differs and how to go on; nothing is removed.
 * No checkpoint at all is no refusal (the replay starts over).
 */
export function checkResume({outDir, record}: {outDir: string; record: RunRecord}): void {
  const segments = join(outDir, "segments");
  const markers = existsSync(segments) ? readdirSync(segments).filter((f) => f.endsWith(".done.json")) : [];
  if (!markers.length) return;
  const hint = `rerun with the inputs and options of the interrupted run to continue it, or without --resume to start over (which discards the checkpoint in ${outDir})`;
  if (!existsSync(recordPath(outDir)))
    throw new ResumeRefused({
      file: segments,
      reason: "--resume refused: the checkpoint does not record which inputs and options it was made with",
      hint
    });
  const saved = JSON.parse(readFileSync(recordPath(outDir), "utf-8")) as RunRecord;
  const differences: string[] = [];
  if (saved.strategy !== record.strategy)
    differences.push(`strategy: ${saved.strategy} in the checkpoint, ${record.strategy} now`);
  for (const name of ["trades", "book", "deltas"]) {
    const was = saved.inputs[name] ?? null,
      now = record.inputs[name] ?? null;
    const show = (f: typeof was) => (f ? `${f.path} (${f.bytes.toLocaleString("en-US")} bytes)` : "none");
    if (!was && !now) continue;
    if (!was || !now) differences.push(`${name} input: ${show(was)} in the checkpoint, ${show(now)} now`);
    else if (was.bytes !== now.bytes || was.sampled_sha256 !== now.sampled_sha256)
      differences.push(
        `${name} input: ${show(was)} in the checkpoint, ${show(now)} now${was.bytes === now.bytes ? ", same size but other content" : ""}`
      );
  }
  const keys = new Set([...Object.keys(saved.options), ...Object.keys(record.options)]);
  for (const key of [...keys].sort()) {
    const was = JSON.stringify(saved.options[key] ?? null),
      now = JSON.stringify(record.options[key] ?? null);
    if (was !== now) differences.push(`${key}: ${was} in the checkpoint, ${now} now`);
  }
  if (differences.length)
    throw new ResumeRefused({
      file: outDir,
      reason: `--resume refused: the checkpoint was made by another replay (${differences.join("; ")}); the checkpoint and the partial output are kept`,
      hint
    });
}
