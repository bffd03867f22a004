/**
 * KPI exports as analysts have them, read with their dataset.json: one row per order with several
 * orders a day, several metrics from one file, a key column, local days in a time zone (DST
 * included), MM/DD/YYYY dates, CRLF lines, blank rows and a header with odd spacing.
 */
import {mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import type {DatasetInfo} from "../../src/lib/core/dataset.js";
import {readParquetAll} from "../../src/lib/core/parquet-read.js";
import {ingestEvents} from "../../src/lib/kpi/ingest-events.js";
import {runKpi} from "../../src/lib/kpi/pipeline.js";

const base = mkdtempSync(join(tmpdir(), "kpi-exports-"));

/** A dataset folder with its files and dataset.json, as `lab run kpi --dataset DIR` reads it. */
function dataset(name: string, files: Record<string, string>, options: Record<string, unknown> = {}) {
  const dir = join(base, name);
  mkdirSync(dir, {recursive: true});
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const info: DatasetInfo = {pipeline: "kpi", name, options, optionsFile: join(dir, "dataset.json")};
  writeFileSync(info.optionsFile, JSON.stringify(options));
  return {dir, info, paths: Object.keys(files).map((f) => join(dir, f))};
}

const read = (dir: string, table: string, sql: string) => readParquetAll({path: join(dir, `${table}.parquet`), sql});

/** 310 orders over 31 days of January 2024 (10 a day), amounts all distinct, as a shop exports them. */
function orderExport() {
  const rows: {date: string; amount: number; user: string; id: number}[] = [];
  for (let i = 0; i < 310; i++) {
    const day = 1 + Math.floor(i / 10);
    rows.push({
      date: `2024-01-${String(day).padStart(2, "0")}`,
      amount: +(((i * 37) % 500) + 5 + i / 1000).toFixed(3),
      user: `u${(i * 7) % 23}`,
      id: 1000 + i
    });
  }
  // CRLF lines, a header with spaces around its names, blank rows in the middle and at the end.
  const lines = [" order_id , date ,amount , user_id "];
  rows.forEach((r, i) => {
    lines.push(`${r.id},${r.date},${r.amount},${r.user}`);
    if (i === 100) lines.push("");
    if (i === 200) lines.push(",,,");
  });
  return {rows, text: lines.join("\r\n") + "\r\n\r\n"};
}

/** Per day: the hand computation of count, sum and distinct users. */
function byDay(rows: {date: string; amount: number; user: string}[]) {
  const days = new Map<string, {n: number; sum: number; users: Set<string>}>();
  for (const r of rows) {
    const d = days.get(r.date) ?? {n: 0, sum: 0, users: new Set()};
    d.n++;
    d.sum += r.amount;
    d.users.add(r.user);
    days.set(r.date, d);
  }
  return days;
}

describe("a one-row-per-order export", () => {
  const {rows, text} = orderExport();
  const hand = byDay(rows);

  test("with no dataset.json: 310 rows kept, the daily sums equal a hand computation", async () => {
    const {dir, info, paths} = dataset("plain", {"orders.csv": text});
    const out = join(dir, "out");
    await runKpi({files: paths, outDir: out, strict: true, seed: 1, dataset: info});
    expect(await read(out, "clean_events", "SELECT count(*)::INT AS n, min(dataset) AS ds FROM t")).toEqual([
      {n: 310, ds: "plain"}
    ]);
    const daily = await read(
      out,
      "metric_daily",
      "SELECT metric, day::VARCHAR AS day, aggregation, value, value_count::INT AS n FROM t ORDER BY day"
    );
    expect(daily).toHaveLength(31);
    for (const d of daily) {
      expect(d).toMatchObject({metric: "orders", aggregation: "sum", n: 10});
      expect(d.value).toBeCloseTo(hand.get(d.day as string)!.sum, 6);
    }
  });

  test("metrics: a count, a sum and a distinct count from one file, each day as by hand", async () => {
    const {dir, info, paths} = dataset(
      "shop",
      {"orders.csv": text},
      {metrics: {orders: "count", revenue: {sum: "amount"}, buyers: {distinct: "user_id"}}}
    );
    const out = join(dir, "out");
    await runKpi({files: paths, outDir: out, strict: true, seed: 1, dataset: info});
    const daily = await read(
      out,
      "metric_daily",
      "SELECT metric, day::VARCHAR AS day, aggregation, value FROM t ORDER BY metric, day"
    );
    expect(daily).toHaveLength(93);
    for (const d of daily) {
      const h = hand.get(d.day as string)!;
      const expected = {orders: h.n, revenue: h.sum, buyers: h.users.size}[d.metric as string]!;
      expect(d.value, `${d.metric} ${d.day}`).toBeCloseTo(expected, 6);
    }
    expect(new Set(daily.map((d) => `${d.metric}:${d.aggregation}`))).toEqual(
      new Set(["buyers:distinct", "orders:count", "revenue:sum"])
    );
  });

  test('"key": a repeated order id is a duplicate; a whole repeated row without a key is too', () => {
    const {dir} = dataset("keyed", {
      "orders.csv":
        "order_id,date,amount\n1,2024-01-01,10\n2,2024-01-01,10\n1,2024-01-01,12\n3,2024-01-01,10\n3,2024-01-01,10\n"
    });
    const path = join(dir, "orders.csv");
    const keyed = ingestEvents({
      path,
      strict: false,
      key: ["order_id"],
      metrics: [{name: "orders", aggregation: "count"}]
    });
    expect(keyed.events.map((e) => JSON.parse(e.attributes).order_id)).toEqual(["1", "2", "3"]);
    expect(keyed.problems.map((p) => [p.line, p.column, p.reason])).toEqual([
      [4, "order_id", "duplicate key (order_id 1); first at line 2"],
      [6, "order_id", "duplicate key (order_id 3); first at line 5"]
    ]);
    // Without a key, order 1's corrected row (another amount) is another event; order 3's repeat is not.
    const whole = ingestEvents({path, strict: false});
    expect(whole.events.map((e) => e.value)).toEqual([10, 10, 12, 10]);
    expect(whole.problems.map((p) => p.line)).toEqual([6]);
  });
});

describe("days in the dataset's time zone", () => {
  const events = [
    "ts,value",
    "2024-01-02T01:00+05:30,1", // 2024-01-01T19:30Z: January 1st in UTC, the 2nd in India
    "2024-01-02T23:00+05:30,2"
  ].join("\n");

  test("an event at 2024-01-02T01:00+05:30 lands on 2024-01-02 with Asia/Kolkata, on the 1st in UTC", async () => {
    const india = dataset("india", {"sales.csv": events}, {timezone: "Asia/Kolkata"});
    await runKpi({files: india.paths, outDir: join(india.dir, "out"), strict: true, seed: 1, dataset: india.info});
    expect(
      await read(join(india.dir, "out"), "metric_daily", "SELECT day::VARCHAR AS day, value FROM t ORDER BY day")
    ).toEqual([{day: "2024-01-02", value: 3}]);
    const utc = dataset("utc", {"sales.csv": events});
    await runKpi({files: utc.paths, outDir: join(utc.dir, "out"), strict: true, seed: 1, dataset: utc.info});
    expect(
      await read(join(utc.dir, "out"), "metric_daily", "SELECT day::VARCHAR AS day, value FROM t ORDER BY day")
    ).toEqual([
      {day: "2024-01-01", value: 1},
      {day: "2024-01-02", value: 2}
    ]);
  });

  test("zone-less times are read in the zone across both DST changes (America/New_York)", () => {
    const {dir} = dataset("ny", {
      "visits.csv": [
        "time,value",
        "2024-03-10 01:30,1", // EST, before the spring-forward
        "2024-03-10 03:30,2", // EDT, after it
        "2024-11-03 01:30,3", // the first (EDT) of the two 01:30s
        "2024-11-03 23:30,4", // EST: already November 4th in UTC
        "2024-07-01T23:30:00Z,5" // a zoned time stays what it says: July 1st, 19:30 in New York
      ].join("\n")
    });
    const result = ingestEvents({path: join(dir, "visits.csv"), strict: true, timezone: "America/New_York"});
    expect(result.events.map((e) => [e.ts.toISOString(), new Date(e.day).toISOString().slice(0, 10)])).toEqual([
      ["2024-03-10T06:30:00.000Z", "2024-03-10"],
      ["2024-03-10T07:30:00.000Z", "2024-03-10"],
      ["2024-11-03T05:30:00.000Z", "2024-11-03"],
      ["2024-11-04T04:30:00.000Z", "2024-11-03"],
      ["2024-07-01T23:30:00.000Z", "2024-07-01"]
    ]);
  });
});

describe("time formats", () => {
  const lines = ["Date,Sales"];
  for (let i = 0; i < 40; i++)
    lines.push(
      `${String(1 + (i % 12)).padStart(2, "0")}/${String(1 + i)
        .padStart(2, "0")
        .replace(/^(3[2-9]|4\d)$/, "28")}/2024,${i + 1}`
    );
  const text = lines.join("\r\n");

  test('"time_format": "MM/DD/YYYY" keeps all 40 rows', async () => {
    const us = dataset(
      "us-dates",
      {"sales.csv": text},
      {time_format: "MM/DD/YYYY", columns: {time: "Date", value: "Sales"}}
    );
    const tables = await runKpi({
      files: us.paths,
      outDir: join(us.dir, "out"),
      strict: true,
      seed: 1,
      dataset: us.info
    });
    expect(tables.find((t) => t.name === "clean_events")!.rows).toBe(40);
    expect(
      await read(join(us.dir, "out"), "clean_events", "SELECT day::VARCHAR AS day, value FROM t ORDER BY value LIMIT 2")
    ).toEqual([
      {day: "2024-01-01", value: 1},
      {day: "2024-02-02", value: 2}
    ]);
  });

  test("without it the file fails loudly, naming the file, its first problem and the option", async () => {
    const bare = dataset("us-dates-bare", {"sales.csv": text}, {columns: {time: "Date", value: "Sales"}});
    await expect(
      runKpi({files: bare.paths, outDir: join(bare.dir, "out"), strict: false, seed: 1, dataset: bare.info})
    ).rejects.toThrow(
      /sales\.csv: no good row \(40 set aside: line 2, Date: unrecognised timestamp "01\/01\/2024" \(use ISO 8601, YYYY-MM-DD, or epoch seconds; or name the format in dataset\.json, e\.g\. "time_format": "MM\/DD\/YYYY"\)\)/
    );
  });

  test('"DD-MM-YYYY HH:mm" in Asia/Kolkata; a date the format cannot hold is named', () => {
    const {dir} = dataset("in-dates", {
      "tickets.csv": "time,value\n02-01-2024 01:00,1\n31-12-2023 23:59,2\n30-02-2024 10:00,3\n2024-01-05T10:00:00Z,4\n"
    });
    const result = ingestEvents({
      path: join(dir, "tickets.csv"),
      strict: false,
      timeFormat: "DD-MM-YYYY HH:mm",
      timezone: "Asia/Kolkata"
    });
    expect(result.events.map((e) => [e.ts.toISOString(), new Date(e.day).toISOString().slice(0, 10)])).toEqual([
      ["2024-01-01T19:30:00.000Z", "2024-01-02"],
      ["2023-12-31T18:29:00.000Z", "2023-12-31"],
      ["2024-01-05T10:00:00.000Z", "2024-01-05"]
    ]);
    expect(result.problems.map((p) => [p.line, p.reason])).toEqual([[4, 'impossible date "30-02-2024 10:00"']]);
  });
});

describe("the plausible window per dataset", () => {
  test('"earliest" and "latest" move it; the default stays 1970 → a year ahead', async () => {
    const files = {"old.csv": "ts,value\n1965-06-01,1\n1975-06-01,2\n1980-06-01,3\n"};
    const narrow = dataset("narrow", files, {earliest: "1960-01-01", latest: "1979-12-31"});
    await runKpi({files: narrow.paths, outDir: join(narrow.dir, "out"), strict: false, seed: 1, dataset: narrow.info});
    const [problem, ...others] = await read(
      join(narrow.dir, "out"),
      "quarantine",
      'SELECT line, "column", reason FROM t'
    );
    expect(others).toEqual([]);
    expect(problem).toMatchObject({line: 4, column: "ts"});
    expect(problem!.reason).toMatch(/^implausible time 1980-06-01T00:00:00\.000Z: outside 1960-01-01 … 1979-12-31 /);
    const plain = dataset("plain-window", files);
    await runKpi({files: plain.paths, outDir: join(plain.dir, "out"), strict: false, seed: 1, dataset: plain.info});
    expect(await read(join(plain.dir, "out"), "quarantine", "SELECT line FROM t")).toEqual([{line: 2}]);
  });
});
