/**
 * "Real plant, simulated factories": a trial put on a real-format MPCB export (a row a minute, the
 * inlet read every third minute with blank rows between, a logger hole with no rows, DD-MM-YYYY
 * times in IST, a baseline just under the consent limit whose noise crosses it now and then, and
 * a few storm-water spikes no factory caused). The trial must copy the export byte for byte except
 * the injected rises, write feeds on the export's own timeline, and its injected shocks must be
 * attributed to the right factories while the export's own crossings are not blamed.
 */
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readDatasetFolder} from "../../src/lib/core/dataset.js";
import {createRng} from "../../src/lib/core/random.js";
import {analyzeEffluent, type EffluentAnalysis} from "../../src/lib/effluent/analyze.js";
import {effluentDatasetOptions} from "../../src/lib/effluent/dataset-options.js";
import {effluentPipeline} from "../../src/lib/effluent/pipeline.js";
import {scoreAttribution} from "../../src/lib/effluent/score.js";
import {readEffluentInputs} from "../../src/lib/effluent/site-inputs.js";
import {readTrialTruth, TRIAL_TRUTH_FILE, writeSiteTrial} from "../../src/lib/effluent/trial-files.js";
import type {TruthShock} from "../../src/lib/effluent/simulate.js";

const DAYS = 14;
const T0 = Date.UTC(2024, 2, 1) - 330 * 60_000; // 01-03-2024 00:00 IST
/** The logger hole: no rows at all for these minutes. */
const HOLE = {from: 3 * 1440 + 600, to: 3 * 1440 + 700};
const ist = (m: number) => {
  const d = new Date(T0 + m * 60_000 + 330 * 60_000).toISOString();
  return `${d.slice(8, 10)}-${d.slice(5, 7)}-${d.slice(0, 4)} ${d.slice(11, 16)}`;
};
const HEADER = [
  "S. No",
  "Time",
  "CETP_INLET-COD - (mg/l) Raw",
  "CETP_INLET-BOD - (mg/l) Raw",
  "CETP_INLET-pH - (pH) Raw",
  "CETP_INLET-TSS - (mg/l) Raw",
  "CETP_OUTLET-COD - (mg/l) Raw",
  "CETP_OUTLET-BOD - (mg/l) Raw",
  "CETP_OUTLET-pH - (pH) Raw",
  "CETP_OUTLET-TSS - (mg/l) Raw"
];

/** A fortnight of a real plant's export, in the portal's format. */
function realExport(): string {
  const rng = createRng("real export");
  const storms = [2, 5, 7, 9, 12].map((d) => d * 1440 + rng.int(0, 1300));
  const q = (cells: string[]) => cells.map((c) => `"${c}"`).join(",");
  const lines = [q(HEADER)];
  let drift = 0;
  for (let m = 0; m < DAYS * 1440; m++) {
    if (m >= HOLE.from && m <= HOLE.to) continue;
    drift = 0.995 * drift + rng.normal(0, 0.3);
    const n = String(lines.length);
    if (m % 3 !== 0) {
      lines.push(q([n, ist(m), "", "", "", "", "", "", "", ""]));
      continue;
    }
    const storm = storms.some((s) => m >= s && m < s + 20) ? 45 : 0;
    const cod = 189 + drift + rng.normal(0, 4) + storm;
    lines.push(
      q([
        n,
        ist(m),
        cod.toFixed(1),
        "NA",
        (7.2 + rng.normal(0, 0.1)).toFixed(1),
        "NA",
        (cod * 0.2).toFixed(1),
        "NA",
        "7.5",
        "NA"
      ])
    );
  }
  return lines.join("\r\n") + "\r\n";
}

let source: string;
let trialDir: string;
let truth: TruthShock[];
let analysis: EffluentAnalysis;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "effluent-trial-"));
  source = join(dir, "plant-b");
  mkdirSync(source);
  writeFileSync(join(source, "cetp_mpcb_export.csv"), realExport());
  writeFileSync(
    join(source, "dataset.json"),
    JSON.stringify({timeFormat: "DD-MM-YYYY HH:mm", threshold: 200, factories: {"old.csv": "F09"}})
  );
  trialDir = join(dir, "plant-b-trial");
  await writeSiteTrial({source, outDir: trialDir, seed: 7, factoryCount: 5, shocks: 12});
  const site = effluentDatasetOptions(readDatasetFolder({dir: trialDir}).dataset);
  const inputs = await readEffluentInputs({
    cetpPaths: [join(trialDir, "cetp_mpcb_export.csv")],
    factoryPaths: [join(trialDir, "factories")],
    site
  });
  analysis = analyzeEffluent({cetp: inputs.cetp, factories: inputs.factories, config: site.config});
  truth = readTrialTruth({path: join(trialDir, TRIAL_TRUTH_FILE)});
}, 120_000);

describe("a trial on a real export", () => {
  test("the folder is a site dataset: the export copy, five feeds, the dataset.json less its feed mapping, the truth", () => {
    expect(readdirSync(trialDir).sort()).toEqual([
      "cetp_mpcb_export.csv",
      "dataset.json",
      "factories",
      TRIAL_TRUTH_FILE
    ]);
    expect(readdirSync(join(trialDir, "factories")).sort()).toEqual([
      "F01.csv",
      "F02.csv",
      "F03.csv",
      "F04.csv",
      "F05.csv"
    ]);
    expect(JSON.parse(readFileSync(join(trialDir, "dataset.json"), "utf8"))).toEqual({
      timeFormat: "DD-MM-YYYY HH:mm",
      threshold: 200
    });
    expect(truth).toHaveLength(12);
    expect(new Set(truth.map((t) => t.factory_id))).toEqual(new Set(["F01", "F02", "F03", "F04", "F05"]));
  });

  test("the export is copied byte for byte but for the inlet COD of reading rows inside the injected windows", () => {
    const before = readFileSync(join(source, "cetp_mpcb_export.csv"), "utf8").split("\r\n");
    const after = readFileSync(join(trialDir, "cetp_mpcb_export.csv"), "utf8").split("\r\n");
    expect(after).toHaveLength(before.length);
    const changed = before.flatMap((line, i) => (line === after[i] ? [] : [i]));
    expect(changed.length).toBeGreaterThan(12 * 3);
    const minuteOf = (time: string) => {
      const [d, mo, y, h, mi] = time.split(/[- :]/).map(Number);
      return (Date.UTC(y!, mo! - 1, d!, h!, mi!) - 330 * 60_000 - T0) / 60_000;
    };
    for (const i of changed) {
      const a = before[i]!.split('","');
      const b = after[i]!.split('","');
      // Only the inlet COD cell differs, it rose, and its minute is inside an injected inlet window.
      expect(b.filter((cell, k) => cell !== a[k]).length).toBe(1);
      expect(Number(b[2])).toBeGreaterThan(Number(a[2]));
      const m = minuteOf(a[1]!);
      const t = T0 + m * 60_000;
      expect(truth.some((s) => t >= s.inlet_start.getTime() - 60_000 && t <= s.inlet_end.getTime())).toBe(true);
    }
  });

  test("the feeds follow the export's timeline: a row at each of its times, as written, so the logger hole is theirs too", () => {
    const exportTimes = readFileSync(join(source, "cetp_mpcb_export.csv"), "utf8")
      .split("\r\n")
      .slice(1, -1)
      .map((l) => l.split('","')[1]);
    const feed = readFileSync(join(trialDir, "factories", "F02.csv"), "utf8")
      .trim()
      .split("\n");
    expect(feed[0]).toBe("s_no,time,factory_id,cod,bod,ph,tss");
    expect(feed.slice(1).map((l) => l.split(",")[1])).toEqual(exportTimes);
    expect(feed.some((l) => l.includes(ist(HOLE.from)))).toBe(false);
    // F02 reports every third minute: blank rows between its readings, as a real feed has them.
    expect(feed.slice(1, 7).map((l) => l.split(",")[3] === "")).toEqual([false, true, true, false, true, true]);
    const outage = analysis.tamper.filter((t) => t.kind === "SITE_OUTAGE");
    expect(outage.map((t) => [t.window_start.getTime(), t.window_end.getTime()])).toEqual([
      [T0 + (HOLE.from - 1) * 60_000, T0 + (HOLE.to + 1) * 60_000]
    ]);
    expect(analysis.tamper.filter((t) => t.kind === "BLACKOUT")).toEqual([]);
  });

  test("every injected shock goes to its factory (12 of 12); ≤ 10% of the export's own crossings are blamed", () => {
    const score = scoreAttribution({
      events: analysis.shocks,
      attributions: analysis.attributions,
      truth,
      method: "robust_lag"
    });
    expect(score.factoryShocks).toBe(12);
    expect(score.correct).toBe(12);
    // The export's noise crossings and storm spikes: events no simulated factory caused.
    expect(score.noFactoryEvents).toBeGreaterThanOrEqual(10);
    expect(score.falseAttributionRate).toBeLessThanOrEqual(0.1);
    // The travel times are learned from the trial's own data, not given.
    const given = JSON.parse(readFileSync(join(trialDir, TRIAL_TRUTH_FILE), "utf8")) as {
      factories: {factory_id: string; travelMinutes: number}[];
    };
    for (const f of given.factories)
      expect(
        Math.abs(analysis.travel.find((t) => t.factory_id === f.factory_id)!.lag_minutes - f.travelMinutes)
      ).toBeLessThanOrEqual(2);
  });

  test("the same seed writes the same files; another seed other ones", async () => {
    const again = join(trialDir, "..", "again");
    const other = join(trialDir, "..", "other");
    await writeSiteTrial({source, outDir: again, seed: 7, factoryCount: 5, shocks: 12});
    await writeSiteTrial({
      source: join(source, "cetp_mpcb_export.csv"),
      outDir: other,
      seed: 8,
      factoryCount: 5,
      shocks: 12
    });
    for (const name of ["cetp_mpcb_export.csv", "factories/F03.csv", TRIAL_TRUTH_FILE]) {
      expect(readFileSync(join(again, name), "utf8")).toBe(readFileSync(join(trialDir, name), "utf8"));
      expect(readFileSync(join(other, name), "utf8")).not.toBe(readFileSync(join(trialDir, name), "utf8"));
    }
    await expect(writeSiteTrial({source, outDir: trialDir, seed: 1})).rejects.toThrow(/not empty/);
  });

  test("lab run effluent --dataset on the trial writes its truth and says the score", async () => {
    const {dataset, files} = readDatasetFolder({dir: trialDir, pipeline: "effluent"});
    const outDir = join(trialDir, "..", "out");
    const logs: string[] = [];
    const {tables} = await effluentPipeline.run({
      dataset,
      files,
      outDir,
      seed: 1,
      flags: {},
      log: (l: string) => logs.push(l)
    } as Parameters<typeof effluentPipeline.run>[0]);
    expect(tables.find((t) => t.name === "truth_shocks")?.rows).toBe(12);
    expect(logs).toContain("trial: 12 injected shocks in " + join(trialDir, TRIAL_TRUTH_FILE));
    expect(logs.some((l) => /^scored against the injected truth: 12 of 12 injected shocks attributed/.test(l))).toBe(
      true
    );
  });

  test("ingested, the trial site is analysed and its truth published: the page's score counts 12 of 12", async () => {
    const {makeProject} = await import("../catalog/helpers.js");
    const {cpSync} = await import("node:fs");
    const p = makeProject({
      routing: [
        {glob: "effluent/**/*.csv", tag: "effluent:csv"},
        {glob: "effluent/**/*.truth.json", tag: "effluent:trial-truth"}
      ]
    });
    cpSync(trialDir, join(p.dir, "datasets", "effluent", "plant-b-trial"), {recursive: true});
    const summary = await p.ingest();
    expect(summary.failures).toEqual([]);
    // What the page's score table counts, from the shocks loader's join of truth_shocks to the events.
    const [row] = await p.query(
      ["shock_events", "attributions", "truth_shocks"],
      `WITH e AS (
         SELECT s.event_id, a.factory_id AS ours,
                (SELECT any_value(t.factory_id) FROM truth_shocks t
                 WHERE t.dataset = s.dataset AND t.inlet_start <= s.end_ts AND s.start_ts <= t.inlet_end) AS truth
         FROM shock_events s JOIN attributions a ON a.dataset = s.dataset AND a.event_id = s.event_id AND a.method = 'robust_lag'
         WHERE s.dataset = 'plant-b-trial')
       SELECT count(*) FILTER (WHERE truth IS NOT NULL)::INT AS caused, count(*) FILTER (WHERE truth = ours)::INT AS right,
              count(*) FILTER (WHERE truth IS NULL)::INT AS other, count(*) FILTER (WHERE truth IS NULL AND ours IS NOT NULL)::INT AS blamed
       FROM e`
    );
    expect(row).toEqual({caused: 12, right: 12, other: expect.any(Number), blamed: 0});
    expect(await p.query(["effluent_sites"], "SELECT factory_source, factories FROM effluent_sites")).toEqual([
      {factory_source: "feeds", factories: 5}
    ]);
  }, 180_000);
});
