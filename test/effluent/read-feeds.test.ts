import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readFactoryFeed, readMpcbExport} from "../../src/lib/effluent/read-feeds.js";

const dir = mkdtempSync(join(tmpdir(), "effluent-feeds-"));
const HEADER =
  '"S. No","Time","CETP_INLET-COD - (mg/l) Raw","CETP_INLET-BOD - (mg/l) Raw","CETP_INLET-pH - (pH) Raw","CETP_INLET-TSS - (mg/l) Raw","CETP_OUTLET-COD - (mg/l) Raw","CETP_OUTLET-BOD - (mg/l) Raw","CETP_OUTLET-pH - (pH) Raw","CETP_OUTLET-TSS - (mg/l) Raw"';

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("MPCB export", () => {
  test("BOM, CRLF, NA, duplicate and out-of-order rows; IST becomes UTC", async () => {
    const path = file(
      "cetp.csv",
      "\uFEFF" +
        [
          HEADER,
          '"1","2024-03-01 05:31","195.2","88","7.2","180","41","9","7.4","40"',
          '"2","2024-03-01 05:30","193.1","NA","7.3","NA","40.5","NA","7.5","NA"',
          '"3","2024-03-01 05:31","999","1","1","1","1","1","1","1"',
          '"4","2024-03-01 05:33","201.4","NA","NA","NA","44","NA","7.5","NA"'
        ].join("\r\n") +
        "\r\n"
    );
    const report = await readMpcbExport({path});
    expect(report.duplicates).toBe(1);
    expect(report.outOfOrder).toBe(1);
    expect(report.rows.map((r) => [r.ts.toISOString(), r.inlet_cod, r.inlet_bod])).toEqual([
      ["2024-03-01T00:00:00.000Z", 193.1, null],
      ["2024-03-01T00:01:00.000Z", 195.2, 88],
      ["2024-03-01T00:03:00.000Z", 201.4, null]
    ]);
  });

  test("an unknown header fails with the expected and actual columns side by side", async () => {
    const path = file("renamed.csv", HEADER.replace("CETP_INLET-COD - (mg/l) Raw", "INLET COD") + "\n");
    const error = (await readMpcbExport({path}).then(
      () => undefined,
      (e: unknown) => e
    )) as Error;
    expect(error.message).toContain(`${path}:1: unexpected header:`);
    expect(error.message).toMatch(/≠  3  CETP_INLET-COD - \(mg\/l\) Raw\s+INLET COD/);
    expect(error.message).toMatch(/\n {5}1  S\. No\s+S\. No/);
  });

  test("a bad value names its line and column", async () => {
    const path = file(
      "bad.csv",
      [HEADER, '"1","2024-03-01 05:31","abc","88","7.2","180","41","9","7.4","40"'].join("\n")
    );
    await expect(readMpcbExport({path})).rejects.toThrow(`${path}:2:CETP_INLET-COD - (mg/l) Raw: not a number: "abc"`);
    const time = file(
      "badtime.csv",
      [HEADER, '"1","01/03/2024 05:31","1","88","7.2","180","41","9","7.4","40"'].join("\n")
    );
    await expect(readMpcbExport({path: time})).rejects.toThrow(`${time}:2:Time: bad time "01/03/2024 05:31"`);
  });
});

describe("factory feed", () => {
  test("empty fields are missing values; duplicates per factory keep the first", async () => {
    const path = file(
      "f.csv",
      "s_no,time,factory_id,cod,bod,ph,tss\n1,2024-03-01 05:30,F01,812.5,,7.1,300\n2,2024-03-01 05:30,F01,1,1,1,1\n3,2024-03-01 05:30,F02,640,270,7,\n"
    );
    const report = await readFactoryFeed({path});
    expect(report.duplicates).toBe(1);
    expect(report.rows).toEqual([
      {ts: new Date("2024-03-01T00:00:00Z"), factory_id: "F01", cod: 812.5, bod: null, ph: 7.1, tss: 300, status: "OK"},
      {ts: new Date("2024-03-01T00:00:00Z"), factory_id: "F02", cod: 640, bod: 270, ph: 7, tss: null, status: "OK"}
    ]);
  });
});
