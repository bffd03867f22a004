import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {effluentDatasetOptions, mappedTravelMinutes} from "../../src/lib/effluent/dataset-options.js";
import {FeedRejected, readFactoryFeed, readMpcbExport} from "../../src/lib/effluent/read-feeds.js";
import type {CetpReading} from "../../src/lib/effluent/types.js";

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

describe("tolerant readers with a site's options", () => {
  const ddmm = effluentDatasetOptions({
    options: {timeFormat: "DD-MM-YYYY HH:mm", timezone: "Asia/Kolkata"},
    optionsFile: "site/dataset.json"
  });
  const exportRow = (n: number, time: string, cod: string, flow = "12.5") =>
    [n, time, flow, cod, "NA", "7.2", "NA", "41", "NA", "7.4", "NA"].map((v) => `"${v}"`).join(",");
  const withFlow = HEADER.replace('"Time",', '"Time","Flow - (m3/h)",');

  test("DD-MM-YYYY local times, an extra Flow column, NA and blank cells; one 'abc' is quarantined, not fatal", async () => {
    const path = file(
      "site-export.csv",
      [
        withFlow,
        exportRow(1, "01-03-2024 00:00", "190"),
        exportRow(2, "01-03-2024 00:01", "NA", ""),
        exportRow(3, "01-03-2024 00:02", "abc"),
        exportRow(4, "01-03-2024 00:03", "193")
      ].join("\r\n") + "\r\n"
    );
    const report = await readMpcbExport({path, file: "site/export.csv", site: ddmm});
    expect(report.rows.map((r) => [r.ts.toISOString(), r.inlet_cod, r.outlet_cod])).toEqual([
      ["2024-02-29T18:30:00.000Z", 190, 41],
      ["2024-02-29T18:31:00.000Z", null, 41],
      ["2024-02-29T18:33:00.000Z", 193, 41]
    ]);
    expect(report.extras).toEqual(["Flow - (m3/h)"]);
    expect(report.quarantined).toEqual([
      {
        file: "site/export.csv",
        line: 4,
        column: "CETP_INLET-COD - (mg/l) Raw",
        reason: 'not a number: "abc"',
        raw: "3,01-03-2024 00:02,12.5,abc,NA,7.2,NA,41,NA,7.4,NA"
      }
    ]);
    // The same file without the option: every time is unreadable, so the file is refused with its first reasons.
    const refused = (await readMpcbExport({path, file: "site/export.csv"}).catch((e: unknown) => e)) as FeedRejected;
    expect(refused).toBeInstanceOf(FeedRejected);
    expect(refused.message).toMatch(
      /^site\/export\.csv:2:Time: bad time "01-03-2024 00:00": expected YYYY-MM-DD HH:mm; 4 of 4 rows unreadable \(line 3: bad time/
    );
    const strict = effluentDatasetOptions({
      options: {timeFormat: "DD-MM-YYYY HH:mm", extraColumns: "reject"},
      optionsFile: "site/dataset.json"
    });
    await expect(readMpcbExport({path, file: "site/export.csv", site: strict})).rejects.toThrow(
      'site/export.csv:1: unexpected column(s) "Flow - (m3/h)"'
    );
  });

  test("a file that loses more than half its rows is refused, and the refusal carries its good rows", async () => {
    const path = file(
      "mostly-bad.csv",
      [
        HEADER,
        ...["1", "x", "y"].map((cod, i) => exportRow(i + 1, `2024-03-01 00:0${i}`, cod).replace(/"12.5",/, ""))
      ].join("\n")
    );
    const refused = (await readMpcbExport({path}).catch((e: unknown) => e)) as FeedRejected;
    expect(refused).toBeInstanceOf(FeedRejected);
    expect(refused.message).toContain('2 of 3 rows unreadable (line 4: not a number: "y"): more than half');
    expect((refused.report.rows as CetpReading[]).map((r) => r.inlet_cod)).toEqual([1]);
    expect(refused.report.quarantined.map((q) => [q.line, q.column])).toEqual([
      [3, "CETP_INLET-COD - (mg/l) Raw"],
      [4, "CETP_INLET-COD - (mg/l) Raw"]
    ]);
  });

  test("a feed without a factory_id column is named by its mapping or its file; columns renamed by factoryColumns", async () => {
    const site = effluentDatasetOptions({
      options: {
        timeFormat: "DD/MM/YYYY HH:mm:ss",
        timezone: "+05:30",
        factoryColumns: {time: "Timestamp", cod: "COD (mg/l)"},
        factories: {"acme.csv": {id: "F07", travelMinutes: 18}}
      },
      optionsFile: "site/dataset.json"
    });
    const text =
      "Timestamp,COD (mg/l),Flow\n01/03/2024 05:30:00,812.5,3\n01/03/2024 05:31:00,,3\n01/03/2024 05:32:00,N/A,3\n";
    const acme = await readFactoryFeed({path: file("acme.csv", text), site});
    expect(acme.rows.map((r) => [r.factory_id, r.ts.toISOString(), r.cod, r.tss])).toEqual([
      ["F07", "2024-03-01T00:00:00.000Z", 812.5, null],
      ["F07", "2024-03-01T00:01:00.000Z", null, null],
      ["F07", "2024-03-01T00:02:00.000Z", null, null]
    ]);
    expect(acme.extras).toEqual(["Flow"]);
    const other = await readFactoryFeed({path: file("bharat-textiles.csv", text), site});
    expect(new Set(other.rows.map((r) => r.factory_id))).toEqual(new Set(["bharat-textiles"]));
    expect(mappedTravelMinutes(site)).toEqual({F07: 18});
  });
});

describe("dataset.json for a site", () => {
  const read = (options: Record<string, unknown>) =>
    effluentDatasetOptions({options, optionsFile: "datasets/effluent/site/dataset.json"});

  test("defaults: 200 mg/L, IST, YYYY-MM-DD HH:mm, extra columns ignored", () => {
    const site = read({});
    expect([
      site.config.thresholdMgL,
      site.timeZone,
      site.timeFormat,
      site.extraColumns,
      site.config.maxSpanDays
    ]).toEqual([200, "Asia/Kolkata", "YYYY-MM-DD HH:mm", "ignore", 400]);
    expect(site.parseTime("2024-03-01 00:00")).toEqual(new Date("2024-02-29T18:30:00Z"));
    expect(site.parseTime("01-03-2024 00:00")).toBe('bad time "01-03-2024 00:00": expected YYYY-MM-DD HH:mm');
    expect(read({timeFormat: "DD-MM-YYYY HH:mm"}).parseTime("01-03-2024 00:00")).toEqual(
      new Date("2024-02-29T18:30:00Z")
    );
    // A zone with summer time: the offset is the one in force at that wall time.
    const london = read({timezone: "Europe/London"});
    expect(london.parseTime("2024-07-01 12:00")).toEqual(new Date("2024-07-01T11:00:00Z"));
    expect(london.parseTime("2024-01-15 12:00")).toEqual(new Date("2024-01-15T12:00:00Z"));
  });

  test("each bad key is named with the file", () => {
    const f = "datasets/effluent/site/dataset.json";
    expect(() => read({treshold: 250})).toThrow(`${f}:treshold: unknown option`);
    expect(() => read({threshold: "250"})).toThrow(`${f}:threshold: expected a number`);
    expect(() => read({timezone: "Mars/Olympus"})).toThrow(`${f}:timezone: "Mars/Olympus" is not a time zone`);
    expect(() => read({timeFormat: "DD-MM HH:mm"})).toThrow(`${f}:timeFormat: "DD-MM HH:mm" has no YYYY`);
    expect(() => read({extraColumns: "drop"})).toThrow(`${f}:extraColumns: "drop" is not one of`);
    expect(() => read({factories: {"a.csv": {travelMinutes: -3}}})).toThrow(
      `${f}:factories.a.csv.travelMinutes: expected whole minutes 0–600`
    );
    expect(() => read({factories: {"a.csv": {id: "F1", lag: 3}}})).toThrow(`${f}:factories.a.csv.lag: unknown key`);
    expect(() => read({earliest: "yesterday"})).toThrow(`${f}:earliest: "yesterday" is not a date`);
    expect(() => read({earliest: "2024-01-01", latest: "2023-01-01"})).toThrow(`${f}:latest: is not after earliest`);
  });

  test("the plausible window: readings outside earliest/latest are quarantined with the bound", async () => {
    const site = read({earliest: "2024-03-01", latest: "2024-04-01"});
    const path = file(
      "window.csv",
      [
        HEADER,
        '"1","2024-02-29 23:00","190","NA","7.2","NA","41","NA","7.4","NA"',
        '"2","2024-03-02 00:00","191","NA","7.2","NA","41","NA","7.4","NA"',
        '"3","2024-03-03 00:00","192","NA","7.2","NA","41","NA","7.4","NA"',
        '"4","2024-04-02 00:00","193","NA","7.2","NA","41","NA","7.4","NA"'
      ].join("\n")
    );
    const report = await readMpcbExport({path, site});
    expect(report.rows.map((r) => r.inlet_cod)).toEqual([191, 192]);
    expect(report.quarantined.map((q) => q.reason)).toEqual([
      "implausible time 2024-02-29T17:30:00.000Z: before 2024-03-01",
      "implausible time 2024-04-01T18:30:00.000Z: after 2024-04-01"
    ]);
  });
});
