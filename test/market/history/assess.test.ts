import {existsSync, readFileSync, readdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {afterAll, describe, expect, test, vi} from "vitest";
import {assessVerb} from "../../../cli/verbs/assess.js";
import {UsageError, parseArgs} from "../../../cli/verb.js";
import {readParquetAll} from "../../../src/lib/core/parquet-read.js";
import {assessFiles, assessmentMarkdown, type Assessment} from "../../../src/lib/market/history/assess.js";
import {simulatedHistory} from "../helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true});
});

async function simulate(options: Parameters<typeof simulatedHistory>[0]) {
  const sim = await simulatedHistory(options);
  dirs.push(sim.dir);
  return sim;
}

const fileRows = async (path: string) =>
  Number((await readParquetAll({path, sql: "SELECT count(*) AS n FROM t"}))[0]!.n);
const table = (a: Assessment, name: string) => a.tables.find((t) => t.table === name)!;

describe("market data assessment", () => {
  test("complete deltas: completeness 1, no gaps, full event replay; rows as in the files", async () => {
    const sim = await simulate({seed: 11, seconds: 60});
    const a = await assessFiles({inputs: sim.inputs});
    expect(a.deltas).toMatchObject({
      present: true,
      completeness: 1,
      missingUpdateIds: 0,
      duplicateRows: 0,
      originOrderInversions: 0
    });
    expect(a.deltas.gaps.count).toBe(0);
    expect(a.deltas.gaps.buckets.every((b) => b.count === 0)).toBe(true);
    expect(a.deltas.distinctUpdateIds).toBe(sim.truth.u.length);
    expect(a.recommendation.strategy).toBe("full_event_replay");
    expect(a.recommendation.warnings).toEqual([]);
    for (const name of ["trades", "book", "deltas"] as const) {
      expect(table(a, name).rows).toBe(await fileRows(sim.inputs[name]));
      expect(table(a, name).originTime.nonNullShare).toBe(1);
      expect(table(a, name).originTime.afterReceivedRows).toBe(0);
      expect(table(a, name).coveredSeconds).toBeGreaterThan(55);
      expect(table(a, name).firstOriginTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const latency = table(a, "deltas").originTime.latencyMs;
    expect(latency.p50!).toBeGreaterThan(3);
    expect(latency.p50!).toBeLessThanOrEqual(latency.p99!);
    expect(latency.p99!).toBeLessThanOrEqual(latency.max!);
    // Millisecond timestamps: many deltas share theirs.
    expect(table(a, "deltas").originTime.tiedShare).toBeGreaterThan(0);
    expect(a.snapshots).toMatchObject({present: true, crossed: 0, levels: 20});
    expect(a.snapshots.count).toBe(table(a, "book").rows);
    expect(a.snapshots.medianIntervalMs).toBeGreaterThan(90);
    expect(a.snapshots.medianIntervalMs).toBeLessThan(110);
    expect(a.memory.spillsToDisk).toBe(false);
    expect(a.memory.denseBookMB).toBeCloseTo((2 * 131072 * 8) / 1e6, 6);
    const sortBytes =
      table(a, "deltas").rows * 40 + table(a, "book").rows * (2 + 4 * 20) * 8 + table(a, "trades").rows * 40;
    expect(a.memory.sortDataMB).toBeCloseTo(sortBytes / 1e6, 6);
    expect(a.memory.totalMB).toBeCloseTo(a.memory.denseBookMB + 5 + sortBytes / 1e6, 6);
  });

  test("1% dropped deltas: missing update ids are exactly the dropped ones, in gaps", async () => {
    const sim = await simulate({seed: 12, seconds: 90, config: {dropDeltaRate: 0.01}});
    const a = await assessFiles({inputs: sim.inputs});
    const deltaRows = await fileRows(sim.inputs.deltas);
    const dropped = sim.truth.u.length - deltaRows;
    expect(dropped).toBeGreaterThan(0);
    expect(a.deltas.rows).toBe(deltaRows);
    expect(a.deltas.missingUpdateIds).toBe(dropped);
    expect(a.deltas.expectedUpdateIds).toBe(sim.truth.u.length);
    expect(a.deltas.gaps.count).toBeGreaterThan(0);
    expect(a.deltas.gaps.count).toBeLessThanOrEqual(dropped);
    expect(a.deltas.completeness!).toBeGreaterThan(0.988);
    expect(a.deltas.completeness!).toBeLessThan(0.992);
    expect(Math.abs(a.deltas.completeness! - 0.99)).toBeLessThanOrEqual(0.002);
    expect(a.deltas.gaps.buckets.reduce((n, b) => n + b.count, 0)).toBe(a.deltas.gaps.count);
    expect(a.deltas.gaps.mean! * a.deltas.gaps.count).toBeCloseTo(dropped, 6);
    expect(a.deltas.gaps.max).toBeGreaterThanOrEqual(1);
    // Either way the deltas are worth replaying (≥ 90% complete).
    expect(a.recommendation.strategy).toBe("full_event_replay");
  });

  test("origin_time jitter: rows out of order, and origin_time_sort is not recommended", async () => {
    const sim = await simulate({seed: 13, seconds: 60, config: {originJitterMs: 2}});
    const a = await assessFiles({inputs: sim.inputs});
    const deltas = table(a, "deltas").originTime;
    expect(deltas.outOfOrderShare).toBeGreaterThan(0);
    expect(deltas.outOfOrderRows).toBeGreaterThan(0);
    // Sorting by origin_time would put deltas out of update-id sequence.
    expect(a.deltas.originOrderInversions).toBeGreaterThan(0);
    expect(a.recommendation.strategy).not.toBe("origin_time_sort");
    expect(a.recommendation.reason).toMatch(/origin_time_sort is not recommended/);
  });

  test("without the delta table, the replay anchors on snapshots", async () => {
    const sim = await simulate({seed: 14, seconds: 60});
    const a = await assessFiles({inputs: {book: sim.inputs.book}});
    expect(a.deltas.present).toBe(false);
    expect(a.deltas.completeness).toBeNull();
    expect(a.tables.map((t) => t.table)).toEqual(["book"]);
    expect(a.recommendation.strategy).toBe("snapshot_anchored");
    expect(a.recommendation.reason).toMatch(/delta table .*missing/);
    expect(a.memory.strategy).toBe("snapshot_anchored");
    expect(assessmentMarkdown(a)).toContain("No delta table");
  });

  test("Markdown report, and `lab assess --out` writes assessment.json and assessment.md", async () => {
    const sim = await simulate({seed: 15, seconds: 60});
    const a = await assessFiles({inputs: sim.inputs});
    const md = assessmentMarkdown(a);
    for (const heading of [
      "# Market data assessment",
      "## Recommendation",
      "## Tables",
      "## origin_time",
      "## Delta completeness",
      "## Sequence gaps",
      "## Snapshots",
      "## Memory estimate"
    ]) {
      expect(md).toContain(`${heading}\n`);
    }
    expect(md).toContain("**full_event_replay**");

    const out = join(sim.dir, "assess-out");
    const printed: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args.join(" ")));
    try {
      await assessVerb.run(
        parseArgs([
          "--trades",
          sim.inputs.trades,
          "--book",
          sim.inputs.book,
          "--deltas",
          sim.inputs.deltas,
          "--out",
          out
        ])
      );
    } finally {
      spy.mockRestore();
    }
    expect(printed.join("\n")).toContain("## Recommendation");
    expect(readdirSync(out).sort()).toEqual(["assessment.json", "assessment.md"]);
    const json = JSON.parse(readFileSync(join(out, "assessment.json"), "utf-8")) as Assessment;
    expect(json.recommendation.strategy).toBe("full_event_replay");
    expect(json.deltas.completeness).toBe(1);
    expect(json.tables.map((t) => t.rows)).toEqual(a.tables.map((t) => t.rows));
    expect(readFileSync(join(out, "assessment.md"), "utf-8")).toContain("# Market data assessment");

    // The book input is required.
    await expect(assessVerb.run(parseArgs(["--deltas", sim.inputs.deltas]))).rejects.toBeInstanceOf(UsageError);
    expect(existsSync(join(out, "assessment.json"))).toBe(true);
  });
});
