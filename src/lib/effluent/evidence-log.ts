import {createHash, createHmac, timingSafeEqual} from "node:crypto";
import {appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync} from "node:fs";
import {tempPathFor} from "../core/atomic-file.js";
import {readSecret} from "../core/secret.js";
import type {Attribution} from "./types.js";

export interface EvidenceRecord {
  event_id: string;
  method: string;
  factory_id: string | null;
  score: number | null;
  confidence: number;
  evidence: string;
  recorded_at: string;
  /** SHA-256 of the previous line ("" for the first). */
  prev_hash: string;
  /** SHA-256 of this record without `hash` and `mac`. */
  hash: string;
  /** HMAC-SHA256 of `hash` under the evidence key (null when written without one). */
  mac: string | null;
}

/** Beside the log: how many records it holds and the last one's link, so a cut tail shows. */
export interface EvidenceHead {
  records: number;
  hash: string;
  /** HMAC-SHA256 of the head under the evidence key (null without one). */
  mac: string | null;
}

const GENESIS = "";

export const headPathFor = (path: string) => `${path}.head.json`;

/** The evidence key from $LAB_EVIDENCE_KEY_FILE or $LAB_EVIDENCE_KEY, if either is set. */
export function evidenceKeyFromEnv(): string | undefined {
  return readSecret({name: "evidence key", env: "LAB_EVIDENCE_KEY", file: process.env.LAB_EVIDENCE_KEY_FILE});
}

function digest(record: Omit<EvidenceRecord, "hash" | "mac">): string {
  const {event_id, method, factory_id, score, confidence, evidence, recorded_at, prev_hash} = record;
  return createHash("sha256")
    .update(JSON.stringify([event_id, method, factory_id, score, confidence, evidence, recorded_at, prev_hash]))
    .digest("hex");
}

const mac = (key: string, text: string) => createHmac("sha256", key).update(text).digest("hex");
const headMac = (key: string, head: Omit<EvidenceHead, "mac">) => mac(key, `head\n${head.records}\n${head.hash}`);

function macMatches(key: string, text: string, given: unknown): boolean {
  if (typeof given !== "string" || !/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(mac(key, text), "hex"), Buffer.from(given, "hex"));
}

/** What makes two records "the same finding", so a rerun does not append it again. */
const keyOf = (r: {event_id: string; method: string; factory_id: string | null; evidence: string}) =>
  JSON.stringify([r.event_id, r.method, r.factory_id, r.evidence]);

/** Writes the head record atomically (fsynced temp file renamed over the old head). */
function writeHead({path, head}: {path: string; head: EvidenceHead}): void {
  const target = headPathFor(path);
  const temp = tempPathFor(target);
  const fd = openSync(temp, "w");
  try {
    writeSync(fd, JSON.stringify(head) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
}

/**
 * Appends attributions to a chained JSON Lines log: each record carries the SHA-256 of the one
 * before, and, under the evidence key (`key`, else $LAB_EVIDENCE_KEY_FILE or $LAB_EVIDENCE_KEY),
 * an HMAC of its link, so only the key holder can rewrite the log with a chain that verifies. A
 * head record beside the log (count and last link) shows lines cut from the end. Findings already
 * in the log are skipped, so reruns never duplicate. Appends are fsynced.
 */
export function appendEvidence({
  path,
  attributions,
  key = evidenceKeyFromEnv(),
  now = () => new Date()
}: {
  path: string;
  attributions: readonly Attribution[];
  /** The evidence key; null writes an unkeyed log on purpose. */
  key?: string | null;
  now?: () => Date;
}): {appended: number; skipped: number} {
  const existing = existsSync(path)
    ? readFileSync(path, "utf-8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as EvidenceRecord)
    : [];
  const known = new Set(existing.map(keyOf));
  let prev = existing.at(-1)?.hash ?? GENESIS;
  const lines: string[] = [];
  let skipped = 0;
  for (const a of attributions) {
    if (known.has(keyOf(a))) {
      skipped++;
      continue;
    }
    const record: Omit<EvidenceRecord, "hash" | "mac"> = {
      event_id: a.event_id,
      method: a.method,
      factory_id: a.factory_id,
      score: a.score,
      confidence: a.confidence,
      evidence: a.evidence,
      recorded_at: now().toISOString(),
      prev_hash: prev
    };
    const hash = digest(record);
    const full: EvidenceRecord = {...record, hash, mac: key ? mac(key, hash) : null};
    lines.push(JSON.stringify(full));
    known.add(keyOf(a));
    prev = full.hash;
  }
  if (lines.length) {
    appendFileSync(path, lines.join("\n") + "\n");
    const fd = openSync(path, "r");
    fsyncSync(fd);
    closeSync(fd);
  }
  if (lines.length || (existsSync(path) && !existsSync(headPathFor(path)))) {
    const head = {records: existing.length + lines.length, hash: prev};
    writeHead({path, head: {...head, mac: key ? headMac(key, head) : null}});
  }
  return {appended: lines.length, skipped};
}

export interface EvidenceProblem {
  line: number;
  problem: string;
}

/**
 * Checks the chain and the head; names every line that was edited, or follows a removed or moved
 * line, and a tail cut off. With the key it also checks every record's HMAC, which is what makes a
 * rewritten log with a recomputed chain fail; without one, `keyed` is false and only the unkeyed
 * integrity was checked.
 */
export function verifyEvidence({path, key}: {path: string; key?: string}): {
  records: number;
  problems: EvidenceProblem[];
  keyed: boolean;
} {
  const lines = readFileSync(path, "utf-8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const problems: EvidenceProblem[] = [];
  let prev = GENESIS;
  lines.forEach((text, i) => {
    const line = i + 1;
    let record: EvidenceRecord;
    try {
      record = JSON.parse(text) as EvidenceRecord;
    } catch {
      problems.push({line, problem: "not a JSON record (edited or corrupted)"});
      return;
    }
    const {hash, mac: given, ...rest} = record;
    if (digest(rest) !== hash) problems.push({line, problem: "edited: its content no longer matches its hash"});
    else if (record.prev_hash !== prev)
      problems.push({line, problem: "chain broken: the line before it was removed, reordered or edited"});
    else if (key && !macMatches(key, hash, given))
      problems.push({
        line,
        problem:
          given === null || given === undefined
            ? "not keyed: written without the evidence key"
            : "forged: its link's HMAC does not match the evidence key (rewritten, or another key)"
      });
    prev = hash;
  });
  problems.push(...checkHead({path, key, records: lines.length, lastHash: prev}));
  return {records: lines.length, problems, keyed: Boolean(key)};
}

function checkHead({
  path,
  key,
  records,
  lastHash
}: {
  path: string;
  key?: string;
  records: number;
  lastHash: string;
}): EvidenceProblem[] {
  const headPath = headPathFor(path);
  const at = (problem: string) => [{line: records, problem}];
  if (!existsSync(headPath)) return at(`no head record (${headPath}): lines cut from the end would not show`);
  let head: EvidenceHead;
  try {
    head = JSON.parse(readFileSync(headPath, "utf-8")) as EvidenceHead;
  } catch {
    return at(`head record ${headPath} is not JSON (edited or corrupted)`);
  }
  if (key && !macMatches(key, `head\n${head.records}\n${head.hash}`, head.mac))
    return at(`head record ${headPath} does not match the evidence key (rewritten, or another key)`);
  if (head.records > records)
    return at(
      `${head.records - records} record(s) missing: the head counts ${head.records} (cut from the end, or removed)`
    );
  if (head.records < records) return at(`${records - head.records} record(s) past the head's count of ${head.records}`);
  if (head.hash !== lastHash) return at("the last record is not the one the head names (replaced)");
  return [];
}
