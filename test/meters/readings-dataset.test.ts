/**
 * Real readings datasets end to end through `metersPipeline.run` (what `lab run meters --dataset
 * DIR` calls): files written in the formats real exports use, silver and gold checked against
 * numbers worked out by hand.
 */
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {gzipSync} from "node:zlib";
import {beforeAll, describe, expect, test} from "vitest";
import {readDatasetFolder} from "../../src/lib/core/dataset.js";
import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {metersDatasetOptions} from "../../src/lib/meters/dataset-options.js";
import {metersPipeline} from "../../src/lib/meters/pipeline.js";
import {metersTables} from "../../src/lib/meters/tables.js";
import {parquetSchema} from "../../src/lib/core/parquet-read.js";

const LCL_HEADER = "LCLid,stdorToU,DateTime,KWH/hh (per half hour) ";
const LCL_OPTIONS = {
  columns: {meter_id: "LCLid", time: "DateTime", kwh: "KWH/hh (per half hour)", segment: "stdorToU"},
  time_zone: "Europe/London"
};

/** The local wall-clock half hours of a day in Europe/London, in the order a meter writes them. */
function halfHours(day: string): string[] {
  const times = Array.from({length: 48}, (_, i) => `${String(i >> 1).padStart(2, "0")}:${i % 2 ? "30" : "00"}`);
  if (day === "2012-10-28") times.splice(4, 0, "01:00", "01:30"); // clocks go back at 02:00 BST
  if (day === "2013-03-31") times.splice(2, 2); // clocks go forward at 01:00 GMT
  return times.map((t) => `${day} ${t}:00.0000000`);
}

function dataset(name: string, options: object, files: Record<string, string | Buffer>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "meters-real-")), name);
  mkdirSync(dir, {recursive: true});
  writeFileSync(join(dir, "dataset.json"), JSON.stringify(options));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

async function run(dir: string) {
  const {dataset: info, files} = readDatasetFolder({dir, pipeline: "meters"});
  const outDir = mkdtempSync(join(tmpdir(), "meters-real-out-"));
  const result = await metersPipeline.run({dataset: info, files, outDir, seed: 1, flags: {}, log: () => {}});
  const q = (table: string, sql = "SELECT * FROM t") => readParquetAll({path: join(outDir, `${table}.parquet`), sql});
  return {outDir, result, q};
}

describe("the London smart-meter trial format across the autumn DST change", () => {
  let out: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    // test/fixtures/meters/london holds three households from 2012-10-27 to 29 (local time), in the
    // trial's format (header with a trailing space, CRLF, `.0000000` times, `Null`, a blank row):
    // - MAC000002 (Std): 0.2 kWh every half hour, `Null` at 12:00 on the 27th (estimated: 0.2);
    // - MAC000003 (ToU): 0.1, but 0.5 in both passes of the repeated 01:00–02:00 on the 28th, and
    //   08:00–09:30 on the 29th missing (2 h: a listed gap);
    // - MAC000004 (Std, the second file, gzipped here): 0.3, and 09:00 on the 29th sent twice (9.9 the second time).
    const fixture = join(import.meta.dirname, "..", "fixtures", "meters", "london");
    const read = (name: string) => readFileSync(join(fixture, name));
    out = await run(
      dataset("london", JSON.parse(read("dataset.json").toString()), {
        "LCL-part1.csv": read("LCL-part1.csv"),
        "LCL-part2.csv.gz": gzipSync(read("LCL-part2.csv"))
      })
    );
  }, 60_000);

  test("daily totals and completeness equal the hand computation (a 25-hour day is 50 half hours)", async () => {
    const daily = await out.q(
      "meter_daily",
      "SELECT meter_id, day::VARCHAR AS day, round(usage_kwh, 6) AS kwh, round(completeness, 6) AS c, dataset FROM t ORDER BY ALL"
    );
    const expected: [string, string, number, number][] = [
      ["MAC000002", "2012-10-27", 48 * 0.2, 1],
      ["MAC000002", "2012-10-28", 50 * 0.2, 1],
      ["MAC000002", "2012-10-29", 48 * 0.2, 1],
      ["MAC000003", "2012-10-27", 48 * 0.1, 1],
      ["MAC000003", "2012-10-28", 46 * 0.1 + 4 * 0.5, 1],
      ["MAC000003", "2012-10-29", 44 * 0.1, 44 / 48],
      ["MAC000004", "2012-10-27", 48 * 0.3, 1],
      ["MAC000004", "2012-10-28", 50 * 0.3, 1],
      ["MAC000004", "2012-10-29", 48 * 0.3, 1]
    ];
    expect(daily.map((r) => [r.meter_id, r.day, r.kwh, r.c])).toEqual(
      expected.map(([m, d, kwh, c]) => [m, d, +kwh.toFixed(6), +c.toFixed(6)])
    );
    expect(new Set(daily.map((r) => r.dataset))).toEqual(new Set(["london"]));
  });

  test("silver: one row per meter and instant, the Null estimated, the duplicate and the long gap left out", async () => {
    const [silver] = await out.q(
      "readings",
      "SELECT count(*)::INT AS n, count(DISTINCT (meter_id, reading_ts))::INT AS distinct_n, count(*) FILTER (WHERE data_quality = 'ESTIMATED')::INT AS estimated, count(voltage)::INT AS voltages FROM t"
    );
    expect(silver).toEqual({n: 3 * 146 - 4, distinct_n: 3 * 146 - 4, estimated: 1, voltages: 0});
    const [estimate] = await out.q("readings", "SELECT reading_ts, usage_kwh FROM t WHERE data_quality = 'ESTIMATED'");
    expect(estimate).toEqual({reading_ts: new Date("2012-10-27T11:00:00Z"), usage_kwh: 0.2});
    const gaps = await out.q(
      "reading_gaps",
      "SELECT meter_id, gap_start, gap_end, intervals::INT AS n, estimated FROM t ORDER BY ALL"
    );
    expect(gaps).toEqual([
      {
        meter_id: "MAC000002",
        gap_start: new Date("2012-10-27T11:00:00Z"),
        gap_end: new Date("2012-10-27T11:30:00Z"),
        n: 1,
        estimated: true
      },
      {
        meter_id: "MAC000003",
        gap_start: new Date("2012-10-29T08:00:00Z"),
        gap_end: new Date("2012-10-29T10:00:00Z"),
        n: 4,
        estimated: false
      }
    ]);
  });

  test("the duplicate interval is quarantined with its file, line and the line it duplicates", async () => {
    const quarantine = await out.q("meter_quarantine", 'SELECT file, line::INT AS line, "column", reason FROM t');
    // Header on line 1; the 29th's 09:00 is the 50 + 48 + 18 + 1st row.
    expect(quarantine).toEqual([
      {
        file: "LCL-part2.csv.gz",
        line: 1 + 50 + 48 + 18 + 2,
        column: "DateTime",
        reason: `duplicate interval: meter MAC000004 at 2012-10-29 09:00 UTC was read at LCL-part2.csv.gz:${1 + 50 + 48 + 18 + 1} (the first is kept)`
      }
    ]);
    const summary = await out.q("meter_summary", "SELECT meter_id, interval_minutes, status FROM t ORDER BY 1");
    expect(summary.map((r) => [r.meter_id, r.interval_minutes, r.status])).toEqual([
      ["MAC000002", 30, "ok"],
      ["MAC000003", 30, "ok"],
      ["MAC000004", 30, "ok"]
    ]);
  });

  test("hourly gold: the 25-hour day has 25 local hours, the repeated 01:00 twice; segments roll up, no transformers", async () => {
    const hours = await out.q(
      "meter_hourly",
      "SELECT strftime(hour, '%H:%M') AS h, usage_kwh, completeness FROM t WHERE meter_id = 'MAC000003' AND hour::DATE = DATE '2012-10-28' ORDER BY hour"
    );
    expect(hours.length).toBe(25);
    expect(hours.filter((h) => h.h === "01:00").map((h) => +(h.usage_kwh as number).toFixed(6))).toEqual([1, 1]);
    expect(hours.every((h) => h.completeness === 1)).toBe(true);
    const segments = await out.q(
      "segment_daily",
      "SELECT customer_segment, meters::INT AS meters, round(usage_kwh, 6) AS kwh FROM t WHERE day = DATE '2012-10-28' ORDER BY 1"
    );
    expect(segments).toEqual([
      {customer_segment: "Std", meters: 2, kwh: 25},
      {customer_segment: "ToU", meters: 1, kwh: 6.6}
    ]);
    expect(await out.q("transformer_daily")).toEqual([]);
    expect(await out.q("fleet", "SELECT meter_id, customer_segment, transformer_id, lat FROM t ORDER BY 1")).toEqual([
      {meter_id: "MAC000002", customer_segment: "Std", transformer_id: null, lat: null},
      {meter_id: "MAC000003", customer_segment: "ToU", transformer_id: null, lat: null},
      {meter_id: "MAC000004", customer_segment: "Std", transformer_id: null, lat: null}
    ]);
  });

  test("every table has the columns tables.ts declares, plus the dataset column", async () => {
    for (const t of out.result.tables) {
      const declared = metersTables.find((d) => d.name === t.name)!.columns;
      expect(await parquetSchema({path: t.path}), t.name).toEqual([...declared, {name: "dataset", type: "VARCHAR"}]);
    }
  });
});

describe("the spring DST change", () => {
  test("a 23-hour local day is complete, not a gap; a time the clocks skipped is quarantined", async () => {
    const rows = ["2013-03-30", "2013-03-31", "2013-04-01"].flatMap((day) =>
      halfHours(day).map((t) => `MAC000010,Std,${t},0.25`)
    );
    rows.splice(60, 0, "MAC000010,Std,2013-03-31 01:30:00.0000000,0.25");
    const dir = dataset("spring", LCL_OPTIONS, {"spring.csv": `${LCL_HEADER}\r\n${rows.join("\r\n")}\r\n`});
    const {q} = await run(dir);
    const daily = await q(
      "meter_daily",
      "SELECT day::VARCHAR AS day, round(usage_kwh, 6) AS kwh, completeness FROM t ORDER BY 1"
    );
    expect(daily).toEqual([
      {day: "2013-03-30", kwh: 12, completeness: 1},
      {day: "2013-03-31", kwh: 11.5, completeness: 1},
      {day: "2013-04-01", kwh: 12, completeness: 1}
    ]);
    expect(await q("reading_gaps")).toEqual([]);
    const hours = await q("meter_hourly", "SELECT count(*)::INT AS n FROM t WHERE hour::DATE = DATE '2013-03-31'");
    expect(hours).toEqual([{n: 23}]);
    expect(await q("meter_quarantine", 'SELECT line::INT AS line, "column", reason FROM t')).toEqual([
      {
        line: 62,
        column: "DateTime",
        reason: 'local time "2013-03-31 01:30:00.0000000" does not exist in Europe/London (the clocks skipped it)'
      }
    ]);
  });
});

describe("hostile times", () => {
  test("years 0001, 9999 and a typo'd 2204 are set aside by the plausible window; the meter's grid stays its real span", async () => {
    const rows = ["2013-03-01", "2013-03-02"].flatMap((day) => halfHours(day).map((t) => `MAC000011,Std,${t},0.5`));
    rows.push("MAC000011,Std,0001-01-01 00:00:00.0000000,0.5", "MAC000011,Std,9999-12-31 23:30:00.0000000,0.5");
    rows.push("MAC000011,Std,2204-03-02 00:00:00.0000000,0.5", "MAC000011,Std,2009-03-02 00:00:00.0000000,0.5");
    const dir = dataset("far", LCL_OPTIONS, {"far.csv": `${LCL_HEADER}\r\n${rows.join("\r\n")}\r\n`});
    const started = performance.now();
    const {q} = await run(dir);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(await q("meter_daily", "SELECT day::VARCHAR AS day, usage_kwh FROM t ORDER BY 1")).toEqual([
      {day: "2013-03-01", usage_kwh: 24},
      {day: "2013-03-02", usage_kwh: 24}
    ]);
    const reasons = await q("meter_quarantine", "SELECT line::INT AS line, reason FROM t ORDER BY line");
    expect(reasons.map((r) => r.reason)).toEqual([
      "time before earliest (2000-01-01)",
      expect.stringMatching(/^time after latest \(/),
      expect.stringMatching(/^time after latest \(/),
      "more than max_span_days (1100) before the dataset's latest reading"
    ]);
  });
});

describe("cumulative register reads", () => {
  let out: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    const lines = ["meter_id,reading_ts,register_kwh,voltage,transformer_id"];
    const at = (minutes: number) =>
      new Date(Date.UTC(2024, 0, 1) + minutes * 60_000).toISOString().slice(0, 16).replace("T", " ");
    // R1: +0.25 kWh every 15 minutes for a day; the 06:00 read lost (spread, estimated); 12:00–14:45 lost (a gap).
    for (let k = 0; k <= 96; k++) {
      if (k === 24 || (k >= 48 && k < 60)) continue;
      lines.push(`R1,${at(k * 15)},${(1000 + 0.25 * k).toFixed(2)},${k === 80 ? 500 : 231},TX-1`);
    }
    // R2: a register that goes backwards once.
    for (const [k, v] of [
      [0, 100],
      [1, 100.5],
      [2, 99],
      [3, 99.5]
    ] as const)
      lines.push(`R2,${at(k * 15)},${v},230,TX-1`);
    // R3: two hours of 15-minute reads, then six of 30-minute reads: mixed lengths.
    for (let m = 0; m <= 120; m += 15) lines.push(`R3,${at(m)},${m},230,TX-2`);
    for (let m = 150; m <= 480; m += 30) lines.push(`R3,${at(m)},${m},230,TX-2`);
    // R4 reads every 10 minutes; R5 once.
    for (let m = 0; m <= 20; m += 10) lines.push(`R4,${at(m)},${m},230,TX-3`);
    lines.push(`R5,${at(0)},7,230,TX-3`);
    out = await run(dataset("registers", {kind: "register"}, {"reads.csv": lines.join("\n") + "\n"}));
  }, 60_000);

  test("interval use is the difference of reads; a lost read is spread and estimated, a long loss is a gap", async () => {
    const [r1] = await out.q(
      "meter_daily",
      "SELECT round(usage_kwh, 6) AS kwh, completeness FROM t WHERE meter_id = 'R1' AND day = DATE '2024-01-01'"
    );
    // 96 intervals less the 13 between the reads at 11:45 and 15:00; 19:45 (500 V) rejected and estimated back.
    expect(r1).toEqual({kwh: 0.25 * (96 - 13), completeness: (96 - 13) / 96});
    const estimated = await out.q(
      "readings",
      "SELECT strftime(reading_ts, '%H:%M') AS t FROM t WHERE meter_id = 'R1' AND data_quality = 'ESTIMATED' ORDER BY 1"
    );
    expect(estimated.map((r) => r.t)).toEqual(["05:45", "06:00", "19:45"]);
    const gaps = await out.q(
      "reading_gaps",
      "SELECT meter_id, strftime(gap_start, '%H:%M') AS s, intervals::INT AS n, estimated FROM t WHERE NOT estimated"
    );
    expect(gaps).toEqual([{meter_id: "R1", s: "11:45", n: 13, estimated: false}]);
  });

  test("a register going backwards and an implausible voltage are rejected; mixed interval lengths are named per meter", async () => {
    const issues = await out.q(
      "reading_issues",
      "SELECT meter_id, strftime(reading_ts, '%H:%M') AS t, issue FROM t ORDER BY 1"
    );
    expect(issues).toEqual([
      {meter_id: "R1", t: "19:45", issue: "voltage out of range (80–300 V)"},
      {meter_id: "R2", t: "00:15", issue: "register went backwards"}
    ]);
    const summary = await out.q("meter_summary", "SELECT meter_id, interval_minutes, status FROM t ORDER BY 1");
    expect(summary.map((r) => [r.meter_id, r.interval_minutes, r.status])).toEqual([
      ["R1", 15, "ok"],
      ["R2", 15, "ok"],
      ["R3", 30, "mixed interval lengths (30 min ×12, 15 min ×8): one length per meter, 15, 30 or 60 minutes"],
      ["R4", 10, "steps of 10 min ×2: the interval must be 15, 30 or 60 minutes"],
      ["R5", null, "one reading: its interval length is unknown"]
    ]);
    const q = await out.q(
      "meter_quarantine",
      "SELECT line::INT AS line, \"column\", reason FROM t WHERE meter_id = 'R3'"
    );
    expect(q).toEqual([
      {
        line: 1 + 84 + 4 + 2,
        column: "reading_ts",
        reason:
          "meter R3: mixed interval lengths (30 min ×12, 15 min ×8): one length per meter, 15, 30 or 60 minutes; its 21 readings are left out"
      }
    ]);
    const transformers = await out.q("transformer_daily", "SELECT transformer_id, meters::INT AS m FROM t");
    expect(transformers).toEqual([{transformer_id: "TX-1", m: 2}]);
  });
});

describe("Parquet readings and the dataset.json", () => {
  test("a Parquet file with its own column names reads like a CSV", async () => {
    const dir = dataset("pq", {columns: {meter_id: "device", time: "ts", kwh: "kwh"}, time_zone: "Asia/Kolkata"}, {});
    const duck = await openDuckDB();
    await duck.run(
      `COPY (SELECT 'D' || (i % 3) AS device, TIMESTAMP '2024-06-01 00:00' + to_minutes((i // 3) * 60) AS ts, 1.5 AS kwh FROM range(72) r(i)) TO '${join(dir, "readings.parquet")}' (FORMAT parquet)`
    );
    duck.close();
    const {q} = await run(dir);
    expect(
      await q("meter_daily", "SELECT meter_id, day::VARCHAR AS day, usage_kwh, completeness FROM t ORDER BY 1")
    ).toEqual(["D0", "D1", "D2"].map((meter_id) => ({meter_id, day: "2024-06-01", usage_kwh: 36, completeness: 1})));
    expect(await q("meter_summary", "SELECT DISTINCT interval_minutes FROM t")).toEqual([{interval_minutes: 60}]);
  });

  test("options are checked key by key, naming the file and the key", () => {
    const parse = (options: Record<string, unknown>) => () =>
      metersDatasetOptions({options, optionsFile: "datasets/meters/x/dataset.json"});
    expect(parse({time_zon: "UTC"})).toThrow("datasets/meters/x/dataset.json:time_zon: unknown option");
    expect(parse({time_zone: "Mars/Olympus"})).toThrow('time_zone: "Mars/Olympus" is not a time zone');
    expect(parse({kind: "cumulative"})).toThrow('kind: "cumulative" is not one of "interval", "register"');
    expect(parse({interval_minutes: 20})).toThrow("interval_minutes: 20 is not one of 15, 30, 60");
    expect(parse({columns: {kwhh: "x"}})).toThrow("columns.kwhh: unknown key");
    expect(parse({})().columns).toMatchObject({meter_id: "meter_id", time: "reading_ts", kwh: "usage_kwh"});
  });

  test("a file without the mapped time column names the column, the header and the key to set", async () => {
    const dir = dataset("nohead", {}, {"a.csv": "LCLid,DateTime,kwh\nA,2024-01-01 00:00,1\n"});
    await expect(run(dir)).rejects.toThrow(
      'a.csv:1: no meter_id column "meter_id" in the header ("LCLid", "DateTime", "kwh") (hint: name it in the dataset\'s dataset.json: {"columns": {"meter_id": "…"}})'
    );
  });
});
