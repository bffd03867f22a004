import {describe, expect, test} from "vitest";
import {meetsTarget, updateBenchmarksDoc, type BenchRun} from "../../bench/record.js";

const run = (name: string, figures: BenchRun["figures"], targets: BenchRun["targets"] = {}): BenchRun => ({
  name,
  summary: `the ${name} benchmark`,
  figures,
  targets,
  seconds: 12.3,
  flags: {minutes: "60"},
  at: new Date("2026-12-06T12:34:56Z"),
  commit: "abc1234",
  machine: "Node v20, 2 cores, linux x64"
});

describe("benchmark figures file", () => {
  test("targets: min is ≥, max is strictly <, equals is exact; no target is null", () => {
    expect(meetsTarget(0.5, {min: 0.5})).toBe(true);
    expect(meetsTarget(0.499, {min: 0.5})).toBe(false);
    expect(meetsTarget(1.5, {max: 1.5})).toBe(false);
    expect(meetsTarget(true, {equals: true})).toBe(true);
    expect(meetsTarget("x", {min: 1})).toBe(false);
    expect(meetsTarget(3, undefined)).toBeNull();
  });

  test("a run replaces its own section, keeps the others, and sections stay in name order", () => {
    const first = updateBenchmarksDoc(
      null,
      run("market", {replay_ratio_vs_scan: 0.53}, {replay_ratio_vs_scan: {min: 0.5}})
    );
    const second = updateBenchmarksDoc(first, run("kpi", {ingest_1m_s: 11.2}, {ingest_1m_s: {max: 10}}));
    const third = updateBenchmarksDoc(
      second,
      run("market", {replay_ratio_vs_scan: 0.48}, {replay_ratio_vs_scan: {min: 0.5}})
    );
    expect(third.indexOf("## kpi")).toBeLessThan(third.indexOf("## market"));
    expect(third.match(/## market/g)).toHaveLength(1);
    expect(third).toContain("| `replay_ratio_vs_scan` | 0.48 | ≥ 0.5 | **missed** |");
    expect(third).toContain("| `ingest_1m_s` | 11.2 | < 10 | **missed** |");
    expect(third).not.toContain("0.53");
    expect(third).toContain("`npm run bench -- market --minutes 60` at 2026-12-06 12:34 UTC, commit abc1234");
  });
});
