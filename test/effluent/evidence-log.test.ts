import {createHash} from "node:crypto";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {appendEvidence, verifyEvidence} from "../../src/lib/effluent/evidence-log.js";
import type {Attribution} from "../../src/lib/effluent/types.js";

const attribution = (i: number): Attribution => ({
  event_id: `E${i}`,
  method: "robust_lag",
  factory_id: `F0${i}`,
  lag_minutes: 10 + i,
  factory_cod: 1000 + i,
  score: 10 + i,
  confidence: 0.9,
  evidence: `F0${i} z=${10 + i}`
});

const KEY = "evidence-key-for-tests";

function freshLog(key: string | null = null): string {
  const path = join(mkdtempSync(join(tmpdir(), "evidence-")), "evidence_log.jsonl");
  appendEvidence({
    path,
    key,
    attributions: [1, 2, 3, 4].map(attribution),
    now: () => new Date("2024-03-01T00:00:00Z")
  });
  return path;
}

/** What an attacker without the key can do: edit a record and recompute every SHA-256 link. */
function rewriteWithRecomputedChain(path: string, edit: (record: Record<string, unknown>, i: number) => void) {
  let prev = "";
  const lines = readFileSync(path, "utf-8")
    .trim()
    .split("\n")
    .map((l, i) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      edit(r, i);
      r.prev_hash = prev;
      r.hash = createHash("sha256")
        .update(
          JSON.stringify([r.event_id, r.method, r.factory_id, r.score, r.confidence, r.evidence, r.recorded_at, prev])
        )
        .digest("hex");
      prev = r.hash as string;
      return JSON.stringify(r);
    });
  writeFileSync(path, lines.join("\n") + "\n");
  const head = JSON.parse(readFileSync(`${path}.head.json`, "utf-8"));
  writeFileSync(`${path}.head.json`, JSON.stringify({...head, hash: prev}));
}

describe("evidence log", () => {
  test("each record holds the hash of the one before; reruns append nothing twice", () => {
    const path = freshLog();
    const lines = readFileSync(path, "utf-8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0].prev_hash).toBe("");
    expect(lines[2].prev_hash).toBe(lines[1].hash);
    expect(appendEvidence({path, key: null, attributions: [2, 3, 5].map(attribution)})).toEqual({
      appended: 1,
      skipped: 2
    });
    expect(verifyEvidence({path})).toEqual({records: 5, problems: [], keyed: false});
  });

  test("an edited line is named", () => {
    const path = freshLog();
    const lines = readFileSync(path, "utf-8").trim().split("\n");
    lines[1] = lines[1]!.replace('"factory_id":"F02"', '"factory_id":"F09"');
    writeFileSync(path, lines.join("\n") + "\n");
    expect(verifyEvidence({path}).problems).toEqual([
      {line: 2, problem: "edited: its content no longer matches its hash"}
    ]);
  });

  test("a removed line breaks the chain at the line after it", () => {
    const path = freshLog();
    const lines = readFileSync(path, "utf-8").trim().split("\n");
    lines.splice(1, 1);
    writeFileSync(path, lines.join("\n") + "\n");
    expect(verifyEvidence({path}).problems).toEqual([
      {line: 2, problem: "chain broken: the line before it was removed, reordered or edited"},
      {line: 3, problem: "1 record(s) missing: the head counts 4 (cut from the end, or removed)"}
    ]);
  });

  test("reordered lines are named", () => {
    const path = freshLog();
    const lines = readFileSync(path, "utf-8").trim().split("\n");
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    writeFileSync(path, lines.join("\n") + "\n");
    expect(verifyEvidence({path}).problems.map((p) => p.line)).toEqual([2, 3, 4]);
  });
});

describe("keyed evidence log", () => {
  test("a record changed and the chain recomputed passes the unkeyed check but fails with the key", () => {
    const path = freshLog(KEY);
    expect(verifyEvidence({path, key: KEY})).toEqual({records: 4, problems: [], keyed: true});
    rewriteWithRecomputedChain(path, (r, i) => {
      if (i === 1) r.factory_id = "F09";
    });
    // Without the key nothing shows, and the result says only the unkeyed integrity was checked.
    expect(verifyEvidence({path})).toEqual({records: 4, problems: [], keyed: false});
    expect(verifyEvidence({path, key: KEY}).problems.map((p) => p.line)).toEqual([2, 3, 4, 4]);
    expect(verifyEvidence({path, key: KEY}).problems[0]!.problem).toMatch(/^forged: /);
    expect(verifyEvidence({path, key: "another key"}).problems).toHaveLength(5);
  });

  test("lines cut from the end are detected by the head record", () => {
    const path = freshLog(KEY);
    const lines = readFileSync(path, "utf-8").trim().split("\n");
    writeFileSync(path, lines.slice(0, 2).join("\n") + "\n");
    expect(verifyEvidence({path, key: KEY}).problems).toEqual([
      {line: 2, problem: "2 record(s) missing: the head counts 4 (cut from the end, or removed)"}
    ]);
    expect(verifyEvidence({path}).problems).toHaveLength(1);
  });

  test("a head rewritten to match the cut log fails with the key; a missing head is named", () => {
    const path = freshLog(KEY);
    const lines = readFileSync(path, "utf-8").trim().split("\n");
    writeFileSync(path, lines.slice(0, 3).join("\n") + "\n");
    const third = JSON.parse(lines[2]!);
    writeFileSync(`${path}.head.json`, JSON.stringify({records: 3, hash: third.hash, mac: third.mac}));
    expect(verifyEvidence({path}).problems).toEqual([]);
    expect(verifyEvidence({path, key: KEY}).problems[0]!.problem).toMatch(/does not match the evidence key/);
    writeFileSync(`${path}.head.json`, "");
    expect(verifyEvidence({path}).problems[0]!.problem).toMatch(/not JSON/);
  });

  test("appends keep the head in step and sign with the key", () => {
    const path = freshLog(KEY);
    appendEvidence({path, key: KEY, attributions: [5, 6].map(attribution)});
    expect(JSON.parse(readFileSync(`${path}.head.json`, "utf-8")).records).toBe(6);
    expect(verifyEvidence({path, key: KEY})).toEqual({records: 6, problems: [], keyed: true});
    // Records written without the key are named when the log is checked with one.
    appendEvidence({path, key: null, attributions: [7].map(attribution)});
    expect(verifyEvidence({path, key: KEY}).problems).toEqual([
      {line: 7, problem: "not keyed: written without the evidence key"},
      {
        line: 7,
        problem: "head record " + path + ".head.json does not match the evidence key (rewritten, or another key)"
      }
    ]);
  });
});
