/**
 * Fuzzing the effluent feed readers: malformed MPCB exports and factory feeds, each either read
 * into readings or refused with a LabError naming the file — never another exception.
 */
import {describe, expect, test} from "vitest";
import {readFactoryFeed, readMpcbExport} from "../../src/lib/effluent/read-feeds.js";
import {fuzzEach, fuzzFiles} from "../fuzz-files.js";

const HEADER =
  '"S. No","Time","CETP_INLET-COD - (mg/l) Raw","CETP_INLET-BOD - (mg/l) Raw","CETP_INLET-pH - (pH) Raw","CETP_INLET-TSS - (mg/l) Raw","CETP_OUTLET-COD - (mg/l) Raw","CETP_OUTLET-BOD - (mg/l) Raw","CETP_OUTLET-pH - (pH) Raw","CETP_OUTLET-TSS - (mg/l) Raw"';
const mpcb =
  "\uFEFF" +
  [
    HEADER,
    '"1","2024-03-01 05:31","195.2","88","7.2","180","41","9","7.4","40"',
    '"2","2024-03-01 05:30","193.1","NA","7.3","NA","40.5","NA","7.5","NA"',
    '"3","2024-03-01 05:33","201.4","NA","NA","NA","44","NA","7.5","NA"'
  ].join("\r\n") +
  "\r\n";
const factory =
  "s_no,time,factory_id,cod,bod,ph,tss\n1,2024-03-01 05:30,F01,310,120,6.9,200\n2,2024-03-01 05:31,F02,,,7.1,\n3,2024-03-01 05:31,F01,305,118,7.0,190\n";

describe("fuzzing the effluent feed readers", () => {
  for (const [name, read, seed] of [
    ["readMpcbExport", readMpcbExport, mpcb],
    ["readFactoryFeed", readFactoryFeed, factory]
  ] as const)
    test(`${name}: malformed feeds give readings or a LabError naming the file`, async () => {
      const files = fuzzFiles({seed: `fuzz-${name}`, seeds: [seed], count: 300, exts: [".csv"]});
      let rows = 0;
      const outcome = await fuzzEach(files, async (f) => {
        const report = await read({path: f.path, file: f.name});
        for (const r of report.rows) expect(Number.isFinite(r.ts.getTime())).toBe(true);
        rows += report.rows.length;
      });
      expect(outcome.bugs).toEqual([]);
      expect(outcome.slowest.ms, outcome.slowest.name).toBeLessThan(2000);
      expect(outcome.heapGrowthMb).toBeLessThan(300);
      expect(rows).toBeGreaterThan(20);
      expect(outcome.refused).toBeGreaterThan(10);
    });
});
