import {commandLineDataset} from "../../src/lib/core/dataset.js";
import {existsSync, mkdtempSync} from "node:fs";
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

describe("effluent plugins in the catalog", () => {
  test("an MPCB export dropped into the inbox becomes cetp_live_readings", async () => {
    const {makeProject} = await import("../catalog/helpers.js");
    const {writeMpcbExport} = await import("../../src/lib/effluent/write-feeds.js");
    const {simulatePlant} = await import("../../src/lib/effluent/simulate.js");
    const {createRng} = await import("../../src/lib/core/random.js");
    const p = makeProject({routing: [{glob: "effluent/**/*mpcb*.csv", tag: "effluent:mpcb"}]});
    const sim = simulatePlant({rng: createRng(2), days: 3, tamper: false});
    writeMpcbExport({
      path: join(p.dir, "datasets", "effluent", "live", "SITE", "cetp_mpcb_export.csv"),
      readings: sim.cetp
    });
    const summary = await p.ingest();
    expect(summary.failures).toEqual([]);
    expect(
      await p.query(
        ["cetp_live_readings"],
        "SELECT count(*)::INT AS n, round(avg(inlet_cod))::INT AS mean FROM cetp_live_readings"
      )
    ).toEqual([{n: sim.cetp.length, mean: expect.any(Number)}]);
  }, 60_000);
});
