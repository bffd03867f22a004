import {createHash} from "node:crypto";
import {appendFileSync, existsSync, fsyncSync, openSync, closeSync, readFileSync} from "node:fs";
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
  /** SHA-256 of this record without `hash`. */
  hash: string;
}

const GENESIS = "";

function digest(record: Omit<EvidenceRecord, "hash">): string {
  const {event_id, method, factory_id, score, confidence, evidence, recorded_at, prev_hash} = record;
  return createHash("sha256")
    .update(JSON.stringify([event_id, method, factory_id, score, confidence, evidence, recorded_at, prev_hash]))
    .digest("hex");
}

/** What makes two records "the same finding", so a rerun does not append it again. */
const keyOf = (r: {event_id: string; method: string; factory_id: string | null; evidence: string}) =>
  JSON.stringify([r.event_id, r.method, r.factory_id, r.evidence]);

/**
 * Appends attributions to a hash-chained JSON Lines log: each record carries the SHA-256 of the
 * one before, so editing, removing or reordering any line breaks the chain. Findings already in
 * the log are skipped, so reruns never duplicate. Appends are fsynced.
 */
export function appendEvidence({
  path,
  attributions,
  now = () => new Date()
}: {
  path: string;
  attributions: readonly Attribution[];
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
    const record: Omit<EvidenceRecord, "hash"> = {
      event_id: a.event_id,
      method: a.method,
      factory_id: a.factory_id,
      score: a.score,
      confidence: a.confidence,
      evidence: a.evidence,
      recorded_at: now().toISOString(),
      prev_hash: prev
    };
    const full: EvidenceRecord = {...record, hash: digest(record)};
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
  return {appended: lines.length, skipped};
}

export interface EvidenceProblem {
  line: number;
  problem: string;
}

/** Checks the chain; names every line that was edited, or follows a removed or moved line. */
export function verifyEvidence({path}: {path: string}): {records: number; problems: EvidenceProblem[]} {
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
    const {hash, ...rest} = record;
    if (digest(rest) !== hash) problems.push({line, problem: "edited: its content no longer matches its hash"});
    else if (record.prev_hash !== prev)
      problems.push({line, problem: "chain broken: the line before it was removed, reordered or edited"});
    prev = hash;
  });
  return {records: lines.length, problems};
}
