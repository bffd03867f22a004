/**
 * Hostile files through the whole catalog: far-off event times dropped beside a normal event
 * file must not take the ingest (or the dev server running it) down. Their rows are quarantined
 * with the reason, the good rows flow into the KPIs, and deleting the file drops its rows.
 */
import {rmSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {genericRouting} from "../../src/lib/catalog/config.js";
import {catalogBuiltins} from "../../src/lib/registry.js";
import {makeProject} from "./helpers.js";

const goodEvents = () => {
  const lines = ["ts,metric,value"];
  for (let d = 1; d <= 40; d++)
    lines.push(
      `2026-0${d <= 28 ? 2 : 3}-${String(d <= 28 ? d : d - 28).padStart(2, "0")}T12:00:00Z,orders,${10 + (d % 7)}`
    );
  return lines.join("\n") + "\n";
};

describe("hostile files in the inbox", () => {
  test("far and typo'd dates are quarantined, the ingest finishes in seconds, and deleting the file drops its rows", async () => {
    const p = makeProject({routing: [...catalogBuiltins().routing, ...genericRouting]});
    p.write("datasets/kpi/good.csv", goodEvents());
    const far = p.write("datasets/kpi/far.csv", "ts,metric,value\n0001-01-01,orders,1\n9999-12-31,orders,2\n");
    p.write("datasets/kpi/typo.csv", "ts,metric,value\n2204-03-01,orders,3\n2026-03-15T12:00:00Z,orders,100\n");
    let started = performance.now();
    const first = await p.ingest();
    const firstSeconds = (performance.now() - started) / 1000;
    // far.csv yields no good row: its job fails by name, its quarantine stays published.
    expect(first.failures).toEqual([
      {
        plugin: "kpi-events",
        path: "datasets/kpi/far.csv",
        error: expect.stringMatching(/^kpi\/far\.csv: no good row \(2 set aside: line 2, ts: implausible time 0001-/)
      }
    ]);
    expect(firstSeconds).toBeLessThan(30);
    const quarantined = await p.query(
      ["quarantine"],
      'SELECT file, line, "column", reason FROM quarantine ORDER BY file, line'
    );
    expect(quarantined.map((r) => [r.file, r.line, r.column])).toEqual([
      ["kpi/far.csv", 2, "ts"],
      ["kpi/far.csv", 3, "ts"],
      ["kpi/typo.csv", 2, "ts"]
    ]);
    for (const r of quarantined)
      expect(r.reason).toMatch(/^implausible time (0001|9999|2204)-.* \(a typo in the year\?/);
    const clean = await p.query(
      ["clean_events"],
      "SELECT count(*)::INT AS n, min(ts)::VARCHAR AS lo, max(ts)::VARCHAR AS hi FROM clean_events"
    );
    expect(clean).toEqual([{n: 41, lo: "2026-02-01 12:00:00", hi: "2026-03-15 12:00:00"}]);
    const daily = await p.query(
      ["metric_daily"],
      "SELECT count(*)::INT AS days, min(day)::VARCHAR AS lo, max(day)::VARCHAR AS hi FROM metric_daily"
    );
    expect(daily).toEqual([{days: 41, lo: "2026-02-01", hi: "2026-03-15"}]);

    rmSync(far);
    started = performance.now();
    const second = await p.ingest();
    expect((performance.now() - started) / 1000).toBeLessThan(30);
    expect(second.scout.missing).toBe(1);
    expect(await p.query(["quarantine"], "SELECT file, line FROM quarantine ORDER BY file, line")).toEqual([
      {file: "kpi/typo.csv", line: 2}
    ]);
    expect(await p.query(["clean_events"], "SELECT count(*)::INT AS n FROM clean_events")).toEqual([{n: 41}]);
    expect(join(p.dir, "datasets")).toBeTruthy();
  }, 120_000);
});
