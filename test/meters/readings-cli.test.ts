import {mkdirSync, mkdtempSync, readdirSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import {describe, expect, test} from "vitest";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {runNode} from "../run-node.js";

const root = resolve(import.meta.dirname, "../..");
const lab = (...args: string[]) =>
  runNode(["--import", "tsx", "cli/lab.ts", ...args], {
    cwd: root,
    timeoutMs: 60_000,
    env: {...process.env, LAB_DEBUG: ""}
  });

describe("lab run meters --dataset on real readings", () => {
  test("writes bronze, silver and gold tagged with the folder's name; a bad dataset.json key is one line", async () => {
    const base = mkdtempSync(join(tmpdir(), "meters-cli-"));
    const dir = join(base, "flat 7");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "dataset.json"),
      JSON.stringify({columns: {meter_id: "LCLid", time: "DateTime", kwh: "KWH/hh (per half hour)"}})
    );
    const rows = Array.from(
      {length: 48},
      (_, i) => `MAC000099,Std,2013-01-01 ${String(i >> 1).padStart(2, "0")}:${i % 2 ? 30 : "00"}:00.0000000,0.125`
    );
    writeFileSync(join(dir, "LCL.csv"), `LCLid,stdorToU,DateTime,KWH/hh (per half hour) \r\n${rows.join("\r\n")}\r\n`);
    writeFileSync(join(dir, "README.md"), "Flat 7's meter, exported from the supplier's portal.\n");
    const out = join(base, "out");
    const r = await lab("run", "meters", "--dataset", dir, "--out", out);
    expect(r.stderr).not.toContain("Error");
    expect(r.status).toBe(0);
    expect(r.stderr + r.stdout).toContain("README.md: not a readings file (.csv, .csv.gz, .parquet), left out");
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith(".parquet"))
        .sort()
    ).toEqual(
      [
        "fleet",
        "meter_daily",
        "meter_hourly",
        "meter_quarantine",
        "meter_summary",
        "reading_gaps",
        "reading_issues",
        "readings",
        "readings_rows",
        "segment_daily",
        "transformer_daily"
      ].map((t) => `${t}.parquet`)
    );
    expect(
      await readParquetAll({
        path: join(out, "meter_daily.parquet"),
        sql: "SELECT meter_id, usage_kwh, dataset FROM t"
      })
    ).toEqual([{meter_id: "MAC000099", usage_kwh: 6, dataset: "flat 7"}]);

    writeFileSync(join(dir, "dataset.json"), JSON.stringify({timezone: "Europe/London"}));
    const bad = await lab("run", "meters", "--dataset", dir, "--out", join(base, "bad"));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      "dataset.json:timezone: unknown option (hint: known: kind, columns, time_format, time_zone"
    );
    expect(bad.stderr).not.toContain("    at ");
  }, 120_000);
});
