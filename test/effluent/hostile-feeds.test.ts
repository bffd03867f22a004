/**
 * Effluent files with readings that cannot be real (a year 70 years ahead, COD −5e300, pH 99,
 * a time before 2000) and a span of years: the bad rows are kept out with file, line, column and
 * reason, the good ones analysed, and the analysis bounded to the last maxSpanDays.
 */
import {mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readEffluentInputs} from "../../src/lib/effluent/pipeline.js";
import {readFactoryFeed, readMpcbExport} from "../../src/lib/effluent/read-feeds.js";
import {MPCB_COLUMNS} from "../../src/lib/effluent/mpcb-columns.js";

const dir = mkdtempSync(join(tmpdir(), "effluent-hostile-"));
const now = new Date("2026-12-06T00:00:00Z");
const exportHeader = MPCB_COLUMNS.map((c) => `"${c.header}"`).join(",");
const exportRow = (n: number, time: string, cod: string, ph = "7.2") =>
  [n, time, cod, "90", ph, "180", "45", "10", "7.5", "40"].map((v) => `"${v}"`).join(",");

describe("implausible effluent readings", () => {
  test("the export: a reading 70 years ahead, COD −5e300 and pH 99 are quarantined with line and reason", async () => {
    const path = join(dir, "export.csv");
    writeFileSync(
      path,
      [
        exportHeader,
        exportRow(1, "2024-03-01 00:00", "190"),
        exportRow(2, "2096-03-01 00:01", "191"),
        exportRow(3, "2024-03-01 00:02", "-5e300"),
        exportRow(4, "2024-03-01 00:03", "192", "99"),
        exportRow(5, "1999-12-31 23:59", "193"),
        exportRow(6, "2024-03-01 00:04", "194"),
        // Enough good rows that the file keeps more than half of its rows.
        ...[195, 196, 197].map((cod, i) => exportRow(7 + i, `2024-03-01 00:0${5 + i}`, String(cod)))
      ].join("\r\n") + "\r\n"
    );
    const report = await readMpcbExport({path, now});
    expect(report.rows.map((r) => r.inlet_cod)).toEqual([190, 194, 195, 196, 197]);
    expect(report.quarantined.map((q) => [q.line, q.column, q.reason])).toEqual([
      [3, null, "implausible time 2096-02-29T18:31:00.000Z: more than a day in the future"],
      [4, "inlet_cod", "-5e+300 is negative: a concentration cannot be"],
      [5, "inlet_ph", "pH 99 is outside 0–14"],
      [6, null, "implausible time 1999-12-31T18:29:00.000Z: before 2000-01-01"]
    ]);
  });

  test("a factory feed: a negative TSS is quarantined, the feed's other rows kept", async () => {
    const path = join(dir, "F01.csv");
    writeFileSync(
      path,
      "s_no,time,factory_id,cod,bod,ph,tss\n1,2024-03-01 00:00,F01,600,250,7.1,300\n2,2024-03-01 00:01,F01,610,251,7.0,-3\n"
    );
    const report = await readFactoryFeed({path, now});
    expect(report.rows).toHaveLength(1);
    expect(report.quarantined).toEqual([
      {
        file: path,
        line: 3,
        column: "tss",
        reason: "-3 is negative: a concentration cannot be",
        raw: "2,2024-03-01 00:01,F01,610,251,7.0,-3"
      }
    ]);
  });

  test("readings spanning three years are analysed over the last maxSpanDays, and the run says so", async () => {
    const site = join(dir, "span");
    mkdirSync(join(site, "factories"), {recursive: true});
    const cetpPath = join(site, "export.csv");
    writeFileSync(
      cetpPath,
      [
        exportHeader,
        exportRow(1, "2021-01-01 00:00", "190"),
        exportRow(2, "2024-03-01 00:00", "191"),
        exportRow(3, "2024-03-01 00:01", "192")
      ].join("\n")
    );
    writeFileSync(
      join(site, "factories", "F01.csv"),
      "s_no,time,factory_id,cod,bod,ph,tss\n1,2021-01-01 00:00,F01,600,250,7.1,300\n2,2024-03-01 00:00,F01,610,251,7.0,301\n"
    );
    const inputs = await readEffluentInputs({cetpPath, factoryPaths: [join(site, "factories")]});
    expect(inputs.cetp.map((r) => r.inlet_cod)).toEqual([191, 192]);
    expect(inputs.factories).toHaveLength(1);
    expect(inputs.notes.some((n) => /span 1156 days: analysed over the last 400/.test(n))).toBe(true);
  });
});
