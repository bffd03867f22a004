import {mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {addDays, holidaysBetween, isHoliday, namedCalendar} from "../../src/lib/kpi/calendar.js";
import {DEFAULT_KPI_OPTIONS, kpiDatasetOptions, kpiHolidayCalendar} from "../../src/lib/kpi/dataset-options.js";

const optionsFile = "datasets/kpi/shop/dataset.json";
const parse = (options: Record<string, unknown>) => kpiDatasetOptions({options, optionsFile});

describe("kpiDatasetOptions", () => {
  test("no dataset.json: today's defaults (long format, UTC, IN holidays, default window)", () => {
    expect(parse({})).toEqual({...DEFAULT_KPI_OPTIONS, timeFormat: undefined, source: undefined});
  });

  test("every key, as docs/kpi.md's example has them", () => {
    expect(
      parse({
        columns: {time: "order_date", source: "store"},
        metrics: {orders: "count", revenue: {sum: "amount"}, basket: {avg: "amount"}, buyers: {distinct: "user_id"}},
        key: "order_id",
        timezone: "Asia/Kolkata",
        time_format: "DD-MM-YYYY HH:mm",
        holidays: "holidays.txt",
        earliest: "2020-01-01",
        latest: "2030-01-01T00:00:00Z",
        source: "web"
      })
    ).toEqual({
      columns: {time: "order_date", source: "store"},
      metrics: [
        {name: "orders", aggregation: "count"},
        {name: "revenue", aggregation: "sum", column: "amount"},
        {name: "basket", aggregation: "avg", column: "amount"},
        {name: "buyers", aggregation: "distinct", column: "user_id"}
      ],
      key: ["order_id"],
      timezone: "Asia/Kolkata",
      timeFormat: "DD-MM-YYYY HH:mm",
      source: "web",
      holidays: {file: "holidays.txt"},
      earliest: new Date("2020-01-01T00:00:00Z"),
      latest: new Date("2030-01-01T00:00:00Z")
    });
  });

  test.each([
    [{timezon: "UTC"}, `${optionsFile}:timezon: unknown option`],
    [{timezone: "Mars/Olympus"}, `${optionsFile}:timezone: unknown time zone "Mars/Olympus"`],
    [{metrics: {orders: "sum"}}, `${optionsFile}:metrics.orders: not a metric: "sum"`],
    [{metrics: {orders: {median: "amount"}}}, `${optionsFile}:metrics.orders: not a metric: {"median":"amount"}`],
    [{time_format: "DD/MM"}, `${optionsFile}:time_format: "DD/MM" is not a time format: no YYYY in it`],
    [{earliest: "last year"}, `${optionsFile}:earliest: not a date: "last year"`],
    [{earliest: "2030-01-01", latest: "2020-01-01"}, `${optionsFile}:latest: 2020-01-01T00:00:00.000Z is not after`],
    [{columns: {when: "ts"}}, `${optionsFile}:columns.when: unknown key`],
    [{metrics: {orders: "count"}, columns: {metric: "kpi"}}, `${optionsFile}:metrics: give either "metrics" or`]
  ])("%j is refused, naming the file and key", (options, message) => {
    expect(() => parse(options)).toThrow(message);
  });
});

describe("holiday calendars", () => {
  test("US: fixed and floating federal holidays; IN: the simulator's fixed dates; none", () => {
    expect(holidaysBetween({calendar: namedCalendar("US"), first: "2024-01-01", last: "2024-12-31"})).toEqual([
      "2024-01-01",
      "2024-01-15", // MLK: third Monday
      "2024-02-19", // Washington's Birthday
      "2024-05-27", // Memorial Day: last Monday
      "2024-06-19",
      "2024-07-04",
      "2024-09-02", // Labor Day
      "2024-10-14", // Columbus Day
      "2024-11-11",
      "2024-11-28", // Thanksgiving: fourth Thursday
      "2024-12-25"
    ]);
    expect(isHoliday("2025-01-26", namedCalendar("IN"))).toBe(true);
    expect(isHoliday("2025-11-27", namedCalendar("US"))).toBe(true);
    expect(holidaysBetween({calendar: namedCalendar("none"), first: "2024-01-01", last: "2024-12-31"})).toEqual([]);
  });

  test("a file of dates beside the dataset.json: one-off days and every-year days; a bad line is named", () => {
    const dir = mkdtempSync(join(tmpdir(), "kpi-holidays-"));
    mkdirSync(join(dir, "shop"));
    writeFileSync(join(dir, "shop", "holidays.txt"), "# shop closures\r\n2024-03-25\r\n\r\n12-31 # every year\r\n");
    const dataset = {optionsFile: join(dir, "shop", "dataset.json")};
    const calendar = kpiHolidayCalendar({options: parse({holidays: "holidays.txt"}), dataset});
    expect(holidaysBetween({calendar, first: "2024-01-01", last: addDays("2025-01-01", 0)})).toEqual([
      "2024-03-25",
      "2024-12-31"
    ]);
    // Relative dataset.json paths are tried under each root (the catalog's source roots).
    const relative = kpiHolidayCalendar({
      options: parse({holidays: "holidays.txt"}),
      dataset: {optionsFile: "shop/dataset.json"},
      roots: ["/nonexistent", dir]
    });
    expect(relative.daysOf(2025)).toEqual(["2025-12-31"]);
    expect(() =>
      kpiHolidayCalendar({options: parse({holidays: "closed.txt"}), dataset: {optionsFile: "shop/dataset.json"}})
    ).toThrow('shop/dataset.json:holidays: no holiday file "closed.txt" beside the dataset.json');
    writeFileSync(join(dir, "shop", "bad.txt"), "2024-03-25\n2024-02-30\n");
    expect(() => kpiHolidayCalendar({options: parse({holidays: "bad.txt"}), dataset})).toThrow(
      /shop\/bad\.txt:2: not a holiday date: "2024-02-30"/
    );
  });
});
