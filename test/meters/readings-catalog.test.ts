import {describe, expect, test} from "vitest";
import {metersDomain} from "../../src/lib/meters/index.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject} from "../catalog/helpers.js";

/** Quarter-hour readings of one meter, 0.5 kWh each, for intervals `from` to `to` (exclusive) of 2024-01-01 UTC. */
function csv(from: number, to: number): string {
  const lines = ["meter_id,reading_ts,usage_kwh"];
  for (let k = from; k < to; k++)
    lines.push(`A,${new Date(Date.UTC(2024, 0, 1) + k * 900_000).toISOString().replace(".000Z", "Z")},0.5`);
  return lines.join("\n") + "\n";
}

describe("a readings dataset in the catalog", () => {
  test("each file lands in readings_rows; the derivation builds silver and gold across files", async () => {
    const p = makeProject({routing: metersDomain.routing});
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
      ["readings_rows", "readings", "meter_daily", "meter_quarantine"],
      `SELECT (SELECT count(*)::INT FROM readings_rows) AS rows,
              (SELECT count(*)::INT FROM readings) AS silver,
              (SELECT usage_kwh FROM meter_daily) AS day_kwh,
              (SELECT completeness FROM meter_daily) AS completeness,
              (SELECT reason FROM meter_quarantine) AS reason`
    );
    expect(row).toEqual({
      rows: 97,
      silver: 96,
      day_kwh: 48,
      completeness: 1,
      reason:
        "duplicate interval: meter A at 2024-01-01 11:45 UTC was read at meters/home/jan-a.csv:49 (the first is kept)"
    });
  }, 60_000);
});
