import {commandLineDataset} from "../../src/lib/core/dataset.js";
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll, parquetSchema} from "../../src/lib/core/parquet-read.js";
import {effluentPipeline, simulateFeeds} from "../../src/lib/effluent/pipeline.js";

describe("lab run effluent", () => {
  test("runs on an MPCB export and factory feeds and writes every table plus the evidence log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "effluent-run-"));
    const {cetpPath, factoryDir, simulation} = simulateFeeds({dir: join(dir, "in"), seed: 4, days: 5});
    const out = join(dir, "out");
    const logs: string[] = [];
    const result = await effluentPipeline.run({
      files: [],
      dataset: commandLineDataset("effluent"),
      outDir: out,
      seed: 4,
      flags: {cetp: cetpPath, factories: factoryDir},
      log: (l) => logs.push(l)
    });
    expect(result.tables.map((t) => t.name)).toEqual([
      "cetp_readings",
      "factory_readings",
      "shock_events",
      "attributions",
      "tamper_events",
      "travel_times",
      "effluent_sites",
      "effluent_quarantine"
    ]);
    expect(result.tables[0]!.rows).toBe(simulation.cetp.length);
    expect(result.tables.at(-1)!.rows).toBe(0);
    expect((await parquetSchema({path: join(out, "attributions.parquet")})).map((c) => c.name)).toEqual([
      "event_id",
      "method",
      "factory_id",
      "lag_minutes",
      "factory_cod",
      "score",
      "confidence",
      "evidence",
      "dataset"
    ]);
    const methods = await readParquetAll({
      path: join(out, "attributions.parquet"),
      sql: "SELECT method, count(*)::INT AS n FROM t GROUP BY method ORDER BY method"
    });
    const shocks = result.tables.find((t) => t.name === "shock_events")!.rows;
    expect(methods).toEqual([
      {method: "fixed_lookback", n: shocks},
      {method: "robust_lag", n: shocks}
    ]);
    expect(existsSync(join(out, "evidence_log.jsonl"))).toBe(true);
    expect(logs.at(-1)).toMatch(/effluent: \d+ shocks, \d+ attributed, \d+ tamper findings; evidence log \+\d+/);
  }, 60_000);
});

describe("short simulations", () => {
  test("--simulate --days 3 runs with its tamper cases; a day works; under a day is refused with the minimum", async () => {
    const dir = mkdtempSync(join(tmpdir(), "effluent-short-"));
    const result = await effluentPipeline.run({
      files: [],
      dataset: commandLineDataset("effluent"),
      outDir: dir,
      seed: 1,
      flags: {simulate: true, days: "3"},
      log: () => {}
    });
    const rows = Object.fromEntries(result.tables.map((t) => [t.name, t.rows]));
    expect(rows.cetp_readings).toBeGreaterThan(3 * 1400);
    expect(rows.truth_tamper).toBe(5);
    expect(rows.truth_shocks).toBe(6);
    const {simulatePlant} = await import("../../src/lib/effluent/simulate.js");
    const {createRng} = await import("../../src/lib/core/random.js");
    for (const seed of [1, 2, 3]) expect(simulatePlant({rng: createRng(seed), days: 1}).truthShocks).toHaveLength(6);
    expect(() => simulatePlant({rng: createRng(1), days: 0.5})).toThrow(
      "a simulated plant needs at least 1 day (asked for 0.5) (hint: --days 1 or more; the tamper cases are injected from 3 days)"
    );
  }, 120_000);
});

describe("effluent sites in the catalog", () => {
  test("each site folder, and a site's MPCB uploads, is analysed by the per-site derivation with its own dataset.json", async () => {
    const {makeProject} = await import("../catalog/helpers.js");
    const {writeFactoryFeeds, writeMpcbExport} = await import("../../src/lib/effluent/write-feeds.js");
    const {simulatePlant} = await import("../../src/lib/effluent/simulate.js");
    const {createRng} = await import("../../src/lib/core/random.js");
    const {startMpcbServer} = await import("../../src/lib/effluent/mpcb-server.js");
    const {mpcbAuthHeaders} = await import("../../src/lib/effluent/mpcb-auth.js");
    const {MPCB_COLUMNS} = await import("../../src/lib/effluent/mpcb-columns.js");
    const JSZip = (await import("jszip")).default;
    const p = makeProject({routing: [{glob: "effluent/**/*.csv", tag: "effluent:csv"}]});
    // Site A: an export in DD-MM-YYYY and its feeds, a threshold of its own, and one feed mostly unreadable.
    const sim = simulatePlant({rng: createRng(2), days: 3, tamper: false});
    const siteA = join(p.dir, "datasets", "effluent", "site-a");
    writeMpcbExport({path: join(siteA, "cetp_mpcb_export.csv"), readings: sim.cetp});
    const written = writeFactoryFeeds({dir: join(siteA, "factories"), readings: sim.factories});
    for (const path of [join(siteA, "cetp_mpcb_export.csv"), ...written])
      writeFileSync(path, readFileSync(path, "utf8").replace(/(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2})/g, "$3-$2-$1 $4"));
    writeFileSync(
      join(siteA, "factories", "broken.csv"),
      "s_no,time,factory_id,cod,bod,ph,tss\n1,29-02-2024 23:00,F01,600,,,\n2,29-02-2024 23:01,F01,abc,,,\n3,29-02-2024 23:02,F01,xyz,,,\n"
    );
    writeFileSync(join(siteA, "dataset.json"), JSON.stringify({threshold: 230, timeFormat: "DD-MM-YYYY HH:mm"}));
    // Site B: nothing but what its logger uploads to lab serve mpcb (the inbox is datasets/effluent).
    const now = new Date("2024-03-01T06:30:00Z");
    const server = await startMpcbServer({
      inboxDir: join(p.dir, "datasets", "effluent"),
      stateDir: join(p.dir, ".lab", "mpcb"),
      sites: {"site-b": "key-b"},
      now: () => now
    });
    try {
      const rows = Array.from({length: 120}, (_, m) => {
        const local = new Date(now.getTime() + (330 - 180 + m) * 60_000).toISOString().slice(0, 16).replace("T", " ");
        const cod = m >= 60 && m < 70 ? "260" : String(190 + (m % 5));
        return [m + 1, local, cod, "NA", "7.2", "NA", "41", "NA", "7.5", "NA"].map((v) => `"${v}"`).join(",");
      });
      const zip = new JSZip();
      zip.file("data.csv", [MPCB_COLUMNS.map((c) => `"${c.header}"`).join(","), ...rows].join("\r\n"));
      zip.file("metadata.json", JSON.stringify({format: "delimited"}));
      const boundary = "----labboundary";
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.zip"\r\nContent-Type: application/zip\r\n\r\n`
        ),
        await zip.generateAsync({type: "nodebuffer"}),
        Buffer.from(`\r\n--${boundary}--\r\n`)
      ]);
      const headers = mpcbAuthHeaders({siteId: "site-b", key: "key-b", path: "/MPCBServer/delayedUpload", body, now});
      const response = await fetch(`${server.url}/delayedUpload`, {
        method: "POST",
        headers: {...headers, "content-type": `multipart/form-data; boundary=${boundary}`},
        body: new Uint8Array(body)
      });
      expect(response.status).toBe(200);
    } finally {
      await server.close();
    }
    const summary = await p.ingest();
    // The mostly-unreadable feed fails with its first reasons; its good row and its quarantine stay.
    expect(summary.failures.map((f) => [f.path.split("/").at(-1), f.error])).toEqual([
      ["broken.csv", expect.stringContaining('not a number: "abc"; 2 of 3 rows unreadable')]
    ]);
    expect(
      await p.query(
        ["effluent_quarantine"],
        'SELECT dataset, line, "column", reason FROM effluent_quarantine ORDER BY dataset, file, line'
      )
    ).toEqual([
      {dataset: "site-a", line: 3, column: "cod", reason: 'not a number: "abc"'},
      {dataset: "site-a", line: 4, column: "cod", reason: 'not a number: "xyz"'}
    ]);
    expect(
      await p.query(
        ["effluent_sites"],
        "SELECT dataset, threshold_mgl, factory_source, factories, export_readings FROM effluent_sites ORDER BY dataset"
      )
    ).toEqual([
      {dataset: "site-a", threshold_mgl: 230, factory_source: "feeds", factories: 5, export_readings: sim.cetp.length},
      {dataset: "site-b", threshold_mgl: 200, factory_source: "none", factories: 0, export_readings: 120}
    ]);
    const shocks = await p.query(
      ["shock_events", "attributions"],
      `SELECT s.dataset, count(*)::INT AS n, min(s.peak_cod) AS lowest_peak, count(a.factory_id)::INT AS blamed
       FROM shock_events s JOIN attributions a ON a.dataset = s.dataset AND a.event_id = s.event_id AND a.method = 'robust_lag'
       GROUP BY s.dataset ORDER BY s.dataset`
    );
    expect(shocks).toEqual([
      {dataset: "site-a", n: expect.any(Number), lowest_peak: expect.any(Number), blamed: expect.any(Number)},
      {dataset: "site-b", n: 1, lowest_peak: 260, blamed: 0}
    ]);
    expect(shocks[0]!.lowest_peak).toBeGreaterThanOrEqual(230);
    expect(shocks[0]!.blamed).toBeGreaterThan(0);
  }, 180_000);
});
