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

function freshLog(): string {
  const path = join(mkdtempSync(join(tmpdir(), "evidence-")), "evidence_log.jsonl");
  appendEvidence({path, attributions: [1, 2, 3, 4].map(attribution), now: () => new Date("2024-03-01T00:00:00Z")});
  return path;
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
    expect(appendEvidence({path, attributions: [2, 3, 5].map(attribution)})).toEqual({appended: 1, skipped: 2});
    expect(verifyEvidence({path})).toEqual({records: 5, problems: []});
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
      {line: 2, problem: "chain broken: the line before it was removed, reordered or edited"}
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
