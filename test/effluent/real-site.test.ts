import {mkdirSync, mkdtempSync, readFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {analyzeEffluent, type EffluentAnalysis} from "../../src/lib/effluent/analyze.js";
import {defaultEffluentConfig} from "../../src/lib/effluent/config.js";
import {folderSink} from "../../src/lib/core/table-sink.js";
import {readEffluentInputs, runEffluentTables, type EffluentInputs} from "../../src/lib/effluent/pipeline.js";
import {scoreAttribution} from "../../src/lib/effluent/score.js";
import {cadenceMinutes, isFactoryReading} from "../../src/lib/effluent/silence.js";
import {writeRealSite, type RealSite} from "./real-site.js";

const overlaps = (a0: Date, a1: Date, b0: Date, b1: Date) => a0 <= b1 && b0 <= a1;

describe("a month of real-format feeds (row every minute, NA and blank rows, logger holes)", () => {
  const dir = mkdtempSync(join(tmpdir(), "effluent-real-"));
  let site: RealSite;
  let inputs: EffluentInputs;
  let analysis: EffluentAnalysis;

  beforeAll(async () => {
    site = writeRealSite({dir, seed: 21});
    inputs = await readEffluentInputs({cetpPath: site.cetpPath, factoryPaths: [site.factoryDir]});
    analysis = analyzeEffluent({cetp: inputs.cetp, factories: inputs.factories, config: defaultEffluentConfig});
  }, 120_000);

  test("the files look like a real site's: quoted MPCB header, a row a minute, NA and blank rows", () => {
    const exportLines = readFileSync(site.cetpPath, "utf8").split("\r\n");
    expect(exportLines[0]).toBe(
      '"S. No","Time","CETP_INLET-COD - (mg/l) Raw","CETP_INLET-BOD - (mg/l) Raw","CETP_INLET-pH - (pH) Raw","CETP_INLET-TSS - (mg/l) Raw","CETP_OUTLET-COD - (mg/l) Raw","CETP_OUTLET-BOD - (mg/l) Raw","CETP_OUTLET-pH - (pH) Raw","CETP_OUTLET-TSS - (mg/l) Raw"'
    );
    expect(exportLines[1]).toMatch(/^"1","2024-03-01 00:00","[\d.]+",/);
    // The outlet analyser reports every third minute: NA between its readings.
    expect(exportLines[2]).toMatch(/^"2","2024-03-01 00:01","[\d.]+",.*"NA","NA","NA","NA"$/);
    const missingRows = site.holes.filter((h) => h.rowsMissing).reduce((n, h) => n + h.to - h.from + 1, 0);
    expect(inputs.cetp).toHaveLength(30 * 1440 - missingRows);
    const f05 = readFileSync(join(site.factoryDir, "F05.csv"), "utf8").split("\n");
    expect(f05[0]).toBe("s_no,time,factory_id,cod,bod,ph,tss");
    expect(f05.slice(1, 4)).toEqual([
      expect.stringMatching(/^1,2024-03-01 00:00,F05,[\d.]+,[\d.]+,[\d.]+,[\d.]+$/),
      "2,2024-03-01 00:01,F05,,,,",
      "3,2024-03-01 00:02,F05,,,,"
    ]);
    expect(inputs.factories).toHaveLength(5 * 30 * 1440);
  });

  test("cadence is learned from readings, not rows: F02 and F05 report every third minute", () => {
    const cadence = (id: string) =>
      cadenceMinutes(inputs.factories.filter((r) => r.factory_id === id && isFactoryReading(r)).map((r) => r.ts));
    expect(["F01", "F02", "F03", "F04", "F05"].map(cadence)).toEqual([1, 3, 1, 1, 3]);
  });

  test("travel times are learned from readings through blank rows and logger holes (within 2 min)", () => {
    for (const p of site.simulation.profiles.filter((p) => p.factory_id !== site.frozen.factory_id))
      expect(
        Math.abs(analysis.travel.find((t) => t.factory_id === p.factory_id)!.lag_minutes - p.travelMinutes)
      ).toBeLessThanOrEqual(2);
  });

  test("the factory stuck all month is one FROZEN finding, blank rows and logger holes notwithstanding", () => {
    const frozen = analysis.tamper.filter((t) => t.kind === "FROZEN");
    expect(frozen.map((t) => t.factory_id)).toEqual(["F02"]);
    expect(frozen[0]!.window_end.getTime() - frozen[0]!.window_start.getTime()).toBeGreaterThan(29.9 * 86_400_000);
    expect(frozen[0]!.detail).toContain("COD stuck at 640 mg/L");
  });

  test("each shared logger hole is one SITE_OUTAGE for the plant; no factory gets a BLACKOUT for it", () => {
    const outages = analysis.tamper.filter((t) => t.kind === "SITE_OUTAGE");
    expect(outages).toHaveLength(site.holes.length);
    for (const [i, hole] of site.holes.entries()) {
      expect(outages[i]!.factory_id).toBeNull();
      expect(outages[i]!.window_start.getTime()).toBe(site.at(hole.from - 1).getTime());
      expect(outages[i]!.window_end.getTime()).toBe(site.at(hole.to + 1).getTime());
    }
    const blackouts = analysis.tamper.filter((t) => t.kind === "BLACKOUT");
    for (const b of blackouts)
      for (const h of site.holes)
        expect(overlaps(b.window_start, b.window_end, site.at(h.from), site.at(h.to))).toBe(false);
  });

  test("the 20-minute silence before the spike it causes is a BLACKOUT under the shock-window rule", () => {
    const {evasion, naStretch} = site;
    const blackouts = analysis.tamper.filter((t) => t.kind === "BLACKOUT");
    const found = blackouts.filter(
      (t) =>
        t.factory_id === "F05" &&
        overlaps(t.window_start, t.window_end, site.at(evasion.silentFrom), site.at(evasion.silentTo))
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.detail).toMatch(/^no COD reading for 2\d min \(7 readings missed at its 3-min cadence\)/);
    expect(found[0]!.detail).toContain(
      "shock-window rule (≥ 5 missed readings and ≥ 15 min over a shock's search window)"
    );
    // Four hours of NA rows are silence too (general rule); nothing else is a blackout.
    const na = blackouts.find((t) => t.factory_id === naStretch.factory_id)!;
    expect([na.window_start, na.window_end]).toEqual([site.at(naStretch.from - 1), site.at(naStretch.to + 1)]);
    expect(na.detail).toContain("general rule (≥ 8 missed readings and ≥ 20 min)");
    expect(blackouts).toHaveLength(2);
  });

  test("the spike behind the silence is flagged: the silent factory could not be checked, nobody else is blamed", () => {
    const {evasion} = site;
    const shock = analysis.shocks.find((e) =>
      overlaps(e.start_ts, e.end_ts, site.at(evasion.inletFrom), site.at(evasion.inletTo))
    )!;
    const ours = analysis.attributions.find((a) => a.event_id === shock.event_id && a.method === "robust_lag")!;
    expect(ours.factory_id).toBeNull();
    expect(ours.evidence).toMatch(/^flagged: F05 could not be checked: silent \(BLACKOUT /);
    expect(ours.evidence).toContain("nobody is blamed by elimination");
  });

  test("injected shocks go to the right factory, ≤ 10% of noise crossings are blamed, F02's readings set aside", () => {
    const score = scoreAttribution({
      events: analysis.shocks,
      attributions: analysis.attributions,
      truth: site.simulation.truthShocks.filter((t) => t.factory_id !== "F02"),
      method: "robust_lag"
    });
    expect(score.factoryShocks).toBe(16);
    expect(score.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(score.falseAttributionRate).toBeLessThanOrEqual(0.1);
    const ours = analysis.attributions.filter((a) => a.method === "robust_lag");
    expect(ours.filter((a) => a.factory_id === "F02")).toEqual([]);
    expect(ours.every((a) => a.evidence.includes("Set aside: F02's readings inside FROZEN"))).toBe(true);
  });

  test("shock levels spread over the rules, and a plant-wide finding is written with a null factory_id", async () => {
    const levels = new Set(analysis.shocks.map((s) => s.level));
    expect(levels.size).toBeGreaterThanOrEqual(3);
    const out = join(dir, "out");
    mkdirSync(out, {recursive: true});
    await runEffluentTables({
      cetpPath: site.cetpPath,
      factoryPaths: [site.factoryDir],
      sink: folderSink({outDir: out, dataset: "site"})
    });
    expect(
      await readParquetAll({
        path: join(out, "tamper_events.parquet"),
        sql: "SELECT kind, count(*)::INT AS n, count(factory_id)::INT AS with_factory FROM t GROUP BY kind ORDER BY kind"
      })
    ).toEqual([
      {kind: "BLACKOUT", n: 2, with_factory: 2},
      {kind: "FROZEN", n: 1, with_factory: 1},
      {kind: "SITE_OUTAGE", n: 24, with_factory: 0}
    ]);
  });
});
