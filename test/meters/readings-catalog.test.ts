import {describe, expect, test} from "vitest";
import {metersDomain} from "../../src/lib/meters/index.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject} from "../catalog/helpers.js";

/** Quarter-hour readings of one meter, 0.5 kWh each, for intervals `from` to `to` (exclusive) of 2024-01-01 UTC. */
function csv(from: number, to: number): string {
  const lines = ["Meter,Time,kWh"];
  for (let k = from; k < to; k++)
    lines.push(`A,${new Date(Date.UTC(2024, 0, 1) + k * 900_000).toISOString().replace(".000Z", "Z")},0.5`);
  return lines.join("\n") + "\n";
}

describe("a readings dataset in the catalog", () => {
  test("each file lands in readings_rows with its dataset's options; the derivation builds silver and gold across files, beside a simulated fleet", async () => {
    const p = makeProject({routing: metersDomain.routing});
    p.write(
      "datasets/meters/home/dataset.json",
      JSON.stringify({columns: {meter_id: "Meter", time: "Time", kwh: "kWh"}})
    );
    p.write("datasets/meters/simulated/tiny.sim.json", JSON.stringify({meters: 4, days: 1, patterns: ["UNIFORM"]}));
    // Two files of one meter that overlap by one interval: the duplicate crosses files.
    p.write("datasets/meters/home/jan-a.csv", csv(0, 48));
    p.write("datasets/meters/home/jan-b.csv", csv(47, 96));
    const {ingest} = await import("../../src/lib/catalog/ingest.js");
    const summary = await ingest({
      paths: p.paths,
      config: p.config,
      builtins: catalogBuiltins(),
      output: {write: () => {}, isTTY: false},
      log: () => {}
    });
    expect(summary.failures).toEqual([]);
    const [row] = await p.query(
      ["readings_rows", "readings", "meter_daily", "meter_quarantine", "readings"],
      `SELECT (SELECT count(*)::INT FROM readings_rows) AS rows,
              (SELECT list(DISTINCT dataset ORDER BY dataset) FROM meter_daily) AS datasets,
              (SELECT count(*)::INT FROM readings WHERE dataset = 'simulated') AS simulated,
              (SELECT count(*)::INT FROM readings WHERE dataset = 'home') AS silver,
              (SELECT usage_kwh FROM meter_daily WHERE dataset = 'home') AS day_kwh,
              (SELECT completeness FROM meter_daily WHERE dataset = 'home') AS completeness,
              (SELECT reason FROM meter_quarantine) AS reason`
    );
    expect(row).toEqual({
      rows: 97,
      // The simulated fleet's tables stay beside the readings dataset's in the same topics.
      datasets: ["home", "simulated"],
      simulated: 4 * 96,
      silver: 96,
      day_kwh: 48,
      completeness: 1,
      reason:
        "duplicate interval: meter A at 2024-01-01 11:45 UTC was read at meters/home/jan-a.csv:49 (the first is kept)"
    });
  }, 60_000);
});
