/**
 * Fuzzing the CSV reader: a few hundred malformed files (plain and gzip), each either read into
 * records or refused with a LabError naming the file. Read in 64 KiB chunks, a file gives the same
 * records as parsing its whole text at once.
 */
import {readFileSync} from "node:fs";
import {describe, expect, test} from "vitest";
import {checkCsv, CsvParser, readCsvRecords, type CsvRecord} from "../../src/lib/core/csv.js";
import {fuzzEach, fuzzFiles} from "../fuzz-files.js";

const seeds = [
  'id,name,note\n1,ann,"a, b"\n2,"bo ""b""","multi\nline"\n3,,\r\n4,dé,✓\n',
  '\uFEFF"S. No","Time","v"\r\n"1","2024-03-01 05:31","195.2"\r\n"2","2024-03-01 05:32","NA"\r\n'
];

function wholeText(path: string): CsvRecord[] | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", {fatal: true}).decode(readFileSync(path));
  } catch {
    return undefined;
  }
  const parser = new CsvParser("whole");
  try {
    return [...parser.push(text.replace(/^\uFEFF/, "")), ...parser.end()];
  } catch {
    return undefined;
  }
}

describe("fuzzing readCsvRecords", () => {
  test("malformed CSV files give records or a LabError naming the file; chunked equals whole", async () => {
    const files = fuzzFiles({seed: "fuzz-csv", seeds, count: 400, exts: [".csv", ".csv", ".csv.gz"]});
    let records = 0;
    const mismatches: string[] = [];
    const outcome = await fuzzEach(files, async (f) => {
      const got: CsvRecord[] = [];
      try {
        for await (const r of readCsvRecords({path: f.path, file: f.name})) got.push(r);
      } finally {
        records += got.length;
      }
      if (!f.name.endsWith(".gz")) {
        const whole = wholeText(f.path);
        if (whole && JSON.stringify(whole) !== JSON.stringify(got)) mismatches.push(`${f.name} (${f.recipe})`);
      }
      await checkCsv({path: f.path, file: f.name});
    });
    expect(outcome.bugs).toEqual([]);
    expect(mismatches).toEqual([]);
    expect(outcome.slowest.ms, outcome.slowest.name).toBeLessThan(2000);
    expect(outcome.heapGrowthMb).toBeLessThan(300);
    expect(records).toBeGreaterThan(500);
    expect(outcome.refused).toBeGreaterThan(10);
  });
});
