/**
 * A real-format site as a dataset folder: the month of test/effluent/real-site.ts rewritten as a
 * site would deliver it with its own conventions (DD-MM-YYYY times, an extra Flow column in the
 * export, a feed without a factory_id column and with its own header names, one malformed cell),
 * described by a dataset.json. `lab run effluent --dataset DIR` must give the same verdicts as the
 * standard files, with the threshold the site sets.
 */
import {mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readDatasetFolder} from "../../src/lib/core/dataset.js";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {folderSink} from "../../src/lib/core/table-sink.js";
import {effluentPipeline, runEffluentTables} from "../../src/lib/effluent/pipeline.js";
import {scoreAttribution} from "../../src/lib/effluent/score.js";
import type {Attribution, ShockEvent} from "../../src/lib/effluent/types.js";
import {writeRealSite, type RealSite} from "./real-site.js";

const ddmm = (text: string) => text.replace(/(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2})/g, "$3-$2-$1 $4");

/** Rewrites the standard real-format files into `siteDir` with the site's own conventions; returns the bad cell's line. */
function writeSiteConventions({site, siteDir}: {site: RealSite; siteDir: string}): number {
  mkdirSync(join(siteDir, "factories"), {recursive: true});
  const lines = readFileSync(site.cetpPath, "utf8").split("\r\n");
  // A row inside a logger hole (every value NA): its malformed cell changes no reading.
  const hole = site.holes.find((h) => !h.rowsMissing)!;
  const holeTime = ddmm(
    new Date(site.at(hole.from).getTime() + 330 * 60_000).toISOString().slice(0, 16).replace("T", " ")
  );
  let badLine = 0;
  const out = lines.map((line, i) => {
    if (!line) return line;
    const cells = line.split('","');
    cells.splice(2, 0, i === 0 ? "Flow - (m3/h)" : String(100 + (i % 7)));
    let row = ddmm(cells.join('","'));
    if (row.includes(`"${holeTime}"`)) {
      row = row.replace('"NA"', '"abc"');
      badLine = i + 1;
    }
    return row;
  });
  writeFileSync(join(siteDir, "cetp_mpcb_export.csv"), out.join("\r\n"));
  for (const id of ["F01", "F02", "F03", "F04", "F05"]) {
    const text = ddmm(readFileSync(join(site.factoryDir, `${id}.csv`), "utf8"));
    if (id === "F03") {
      // Its own header names and no factory_id column: the dataset.json maps the file to F03.
      const rows = text.split("\n").map((l) => {
        const [sNo, time, , cod, bod, ph, tss] = l.split(",");
        return l ? [sNo, time, cod, bod, ph, tss].join(",") : l;
      });
      rows[0] = "s_no,Timestamp,COD (mg/l),bod,ph,tss";
      writeFileSync(join(siteDir, "factories", "acme-dyes.csv"), rows.join("\n"));
    } else writeFileSync(join(siteDir, "factories", `${id}.csv`), text);
  }
  return badLine;
}

const verdicts = (shocks: ShockEvent[], attributions: Attribution[]) =>
  shocks.map((s) => [
    s.event_id,
    s.level,
    attributions.find((a) => a.event_id === s.event_id && a.method === "robust_lag")?.factory_id ?? null
  ]);

describe("a real-format site as a dataset folder", () => {
  const dir = mkdtempSync(join(tmpdir(), "effluent-site-"));
  const siteDir = join(dir, "my-cetp");
  let site: RealSite;
  let badLine: number;
  let baseline: {shocks: ShockEvent[]; attributions: Attribution[]};

  beforeAll(async () => {
    site = writeRealSite({dir: join(dir, "standard"), seed: 21});
    badLine = writeSiteConventions({site, siteDir});
    const {analysis} = await runEffluentTables({
      cetpPath: site.cetpPath,
      factoryPaths: [site.factoryDir],
      sink: folderSink({outDir: join(dir, "baseline"), dataset: "standard"})
    });
    baseline = analysis;
  }, 180_000);

  const runSite = async (options: Record<string, unknown>, out: string) => {
    writeFileSync(join(siteDir, "dataset.json"), JSON.stringify(options));
    const {dataset, files} = readDatasetFolder({dir: siteDir, pipeline: "effluent"});
    const logs: string[] = [];
    await effluentPipeline.run({files, dataset, outDir: join(dir, out), seed: 1, flags: {}, log: (l) => logs.push(l)});
    const read = (table: string, sql = "SELECT * FROM t") =>
      readParquetAll({path: join(dir, out, `${table}.parquet`), sql});
    return {logs, read};
  };

  const conventions = {
    timezone: "Asia/Kolkata",
    timeFormat: "DD-MM-YYYY HH:mm",
    factoryColumns: {time: "Timestamp", cod: "COD (mg/l)"},
    factories: {"acme-dyes.csv": "F03"}
  };

  test("the site's conventions read to the same verdicts as the standard files; the bad cell is quarantined", async () => {
    const {logs, read} = await runSite(conventions, "same");
    const shocks = (await read("shock_events", "SELECT * FROM t ORDER BY start_ts")) as unknown as ShockEvent[];
    const attributions = (await read("attributions")) as unknown as Attribution[];
    expect(shocks.length).toBe(baseline.shocks.length);
    expect(verdicts(shocks, attributions)).toEqual(verdicts(baseline.shocks, baseline.attributions));
    const score = scoreAttribution({
      events: shocks,
      attributions,
      truth: site.simulation.truthShocks.filter((t) => t.factory_id !== "F02"),
      method: "robust_lag"
    });
    expect(score.accuracy).toBe(1);
    expect(score.falseAttributionRate).toBeLessThanOrEqual(0.1);
    expect(await read("effluent_quarantine", 'SELECT file, line, "column", reason, dataset FROM t')).toEqual([
      {
        file: join(siteDir, "cetp_mpcb_export.csv"),
        line: badLine,
        column: "CETP_INLET-COD - (mg/l) Raw",
        reason: 'not a number: "abc"',
        dataset: "my-cetp"
      }
    ]);
    expect(logs.some((l) => /column\(s\) "Flow - \(m3\/h\)" ignored/.test(l))).toBe(true);
    expect(
      await read("effluent_sites", "SELECT threshold_mgl, timezone, factory_source, factories, dataset FROM t")
    ).toEqual([
      {threshold_mgl: 200, timezone: "Asia/Kolkata", factory_source: "feeds", factories: 5, dataset: "my-cetp"}
    ]);
    const tamper = await read("tamper_events", "SELECT kind, count(*)::INT AS n FROM t GROUP BY kind ORDER BY kind");
    expect(tamper.find((t) => t.kind === "FROZEN")).toEqual({kind: "FROZEN", n: 1});
  }, 180_000);

  test("the site's threshold sets its shocks; a site with only its export says so instead of blaming", async () => {
    const {read} = await runSite({...conventions, threshold: 230}, "strict");
    const peaks = (await read("shock_events", "SELECT peak_cod FROM t")).map((r) => r.peak_cod as number);
    expect(peaks.length).toBeGreaterThan(0);
    expect(peaks.length).toBeLessThan(baseline.shocks.length);
    expect(Math.min(...peaks)).toBeGreaterThanOrEqual(230);
    expect(await read("effluent_sites", "SELECT threshold_mgl FROM t")).toEqual([{threshold_mgl: 230}]);

    renameSync(join(siteDir, "factories"), join(dir, "feeds-away"));
    try {
      const {logs, read: readAlone} = await runSite(conventions, "alone");
      expect(await readAlone("effluent_sites", "SELECT factory_source, factories, note FROM t")).toEqual([
        {factory_source: "none", factories: 0, note: expect.stringMatching(/^real plant, no factory feeds/)}
      ]);
      const alone = await readAlone(
        "attributions",
        "SELECT count(*)::INT AS n, count(factory_id)::INT AS blamed, min(evidence) AS evidence FROM t"
      );
      expect(alone).toEqual([
        {n: 2 * baseline.shocks.length, blamed: 0, evidence: expect.stringContaining("only its MPCB export")}
      ]);
      expect(logs.some((l) => l.startsWith("real plant, no factory feeds"))).toBe(true);
    } finally {
      renameSync(join(dir, "feeds-away"), join(siteDir, "factories"));
    }
  }, 180_000);

  test('extraColumns "keep": the Flow column stays in cetp_readings.extra as flow_m3_h, verdicts unchanged', async () => {
    const {logs, read} = await runSite({...conventions, extraColumns: "keep"}, "kept");
    expect(logs.some((l) => l.endsWith('column(s) "Flow - (m3/h)" as flow_m3_h kept in cetp_readings.extra'))).toBe(
      true
    );
    const rows = await read(
      "cetp_readings",
      "SELECT count(*)::INT AS n, count(extra)::INT AS kept, min((extra->>'flow_m3_h')::DOUBLE) AS lo, max((extra->>'flow_m3_h')::DOUBLE) AS hi FROM t"
    );
    expect(rows).toEqual([{n: expect.any(Number), kept: rows[0]!.n, lo: 100, hi: 106}]);
    // Line 2 of the export (its first row) was written with a flow of 100 + 1.
    expect(await read("cetp_readings", "SELECT extra FROM t ORDER BY ts LIMIT 1")).toEqual([
      {extra: '{"flow_m3_h":101}'}
    ]);
    const shocks = (await read("shock_events", "SELECT * FROM t ORDER BY start_ts")) as unknown as ShockEvent[];
    const attributions = (await read("attributions")) as unknown as Attribution[];
    expect(verdicts(shocks, attributions)).toEqual(verdicts(baseline.shocks, baseline.attributions));
  }, 180_000);
});

test('extraColumns "keep" in the catalog: the per-site derivation keeps the extra column; a text cell is quarantined', async () => {
  const {makeProject} = await import("../catalog/helpers.js");
  const p = makeProject({routing: [{glob: "effluent/**/*.csv", tag: "effluent:csv"}]});
  const header = [
    "S. No",
    "Time",
    "CETP_INLET-COD - (mg/l) Raw",
    "CETP_INLET-BOD - (mg/l) Raw",
    "CETP_INLET-pH - (pH) Raw",
    "CETP_INLET-TSS - (mg/l) Raw",
    "Flow - (m3/h)",
    "CETP_OUTLET-COD - (mg/l) Raw",
    "CETP_OUTLET-BOD - (mg/l) Raw",
    "CETP_OUTLET-pH - (pH) Raw",
    "CETP_OUTLET-TSS - (mg/l) Raw",
    "Flow (m3/h)"
  ];
  const rows = Array.from({length: 6}, (_, i) =>
    [
      i + 1,
      `01-03-2024 10:0${i}`,
      190 + i,
      "NA",
      "7.2",
      "NA",
      i === 4 ? "high" : 50 + i,
      "40",
      "NA",
      "7.5",
      "NA",
      i === 2 ? "NA" : 9
    ]
      .map((v) => `"${v}"`)
      .join(",")
  );
  p.write("datasets/effluent/flow-site/export.csv", [header.map((h) => `"${h}"`).join(","), ...rows].join("\r\n"));
  p.write(
    "datasets/effluent/flow-site/dataset.json",
    JSON.stringify({timeFormat: "DD-MM-YYYY HH:mm", extraColumns: "keep"})
  );
  const summary = await p.ingest();
  expect(summary.failures).toEqual([]);
  expect(await p.query(["cetp_readings"], "SELECT inlet_cod, extra FROM cetp_readings ORDER BY ts")).toEqual([
    {inlet_cod: 190, extra: '{"flow_m3_h":50,"flow_m3_h_2":9}'},
    {inlet_cod: 191, extra: '{"flow_m3_h":51,"flow_m3_h_2":9}'},
    {inlet_cod: 192, extra: '{"flow_m3_h":52,"flow_m3_h_2":null}'},
    {inlet_cod: 193, extra: '{"flow_m3_h":53,"flow_m3_h_2":9}'},
    {inlet_cod: 195, extra: '{"flow_m3_h":55,"flow_m3_h_2":9}'}
  ]);
  expect(await p.query(["effluent_quarantine"], 'SELECT line, "column", reason FROM effluent_quarantine')).toEqual([
    {line: 6, column: "Flow - (m3/h)", reason: 'not a number: "high"'}
  ]);
}, 120_000);
