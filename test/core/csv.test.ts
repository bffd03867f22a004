import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {readCsvRecords, type CsvRecord} from "../../src/lib/core/csv.js";

const dir = mkdtempSync(join(tmpdir(), "csv-"));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const readAll = async (path: string, name: string) => {
  const records: CsvRecord[] = [];
  for await (const r of readCsvRecords({path, file: name})) records.push(r);
  return records;
};

describe("readCsvRecords on what the fuzz pass found", () => {
  test("a long quoted field is read in one slice per chunk, not a character at a time", async () => {
    const field = "x\n".repeat(2_500_000);
    const started = performance.now();
    const records = await readAll(file("long.csv", `a,b\n1,"${field}"\n2,3\n`), "long.csv");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(records.map((r) => [r.line, r.fields[0], r.fields[1]!.length])).toEqual([
      [1, "a", 1],
      [2, "1", 5_000_000],
      [2_500_003, "2", 1]
    ]);
  });

  test("a NUL inside a quoted field is refused at its own line", async () => {
    await expect(readAll(file("nul.csv", 'a,b\n1,"x\ny\0z"\n'), "nul.csv")).rejects.toThrow(
      "nul.csv:3: binary data (NUL byte) in a text file"
    );
  });

  test("a file that ends inside a multi-byte character is refused, not silently shortened", async () => {
    const bytes = Buffer.concat([Buffer.from("a,b\n1,caf"), Buffer.from("é").subarray(0, 1)]);
    await expect(readAll(file("cut.csv", bytes), "cut.csv")).rejects.toThrow(
      "cut.csv:2: not valid UTF-8 text: the file ends inside a character (cut off, or binary data)"
    );
  });
});
