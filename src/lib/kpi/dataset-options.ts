/**
 * A KPI dataset's options (its dataset.json), read in one place for every face: `lab run kpi
 * --dataset DIR`, the catalog's `kpi-events` plugin and the `kpi` derivation. Every key is
 * documented in docs/kpi.md ("dataset.json options").
 */
import {existsSync} from "node:fs";
import {dirname, isAbsolute, resolve} from "node:path";
import {OptionReader, type DatasetInfo} from "../core/dataset.js";
import {LabError} from "../core/errors.js";
import {
  calendarFromFile,
  HOLIDAY_CALENDARS,
  namedCalendar,
  type HolidayCalendar,
  type HolidayCalendarName
} from "./calendar.js";
import {compileTimeFormat} from "./parse-timestamp.js";
import {isTimeZone} from "./time-zone.js";

/** How a metric turns a day's rows into one number. */
export type Aggregation = "count" | "sum" | "avg" | "min" | "max" | "distinct";
export const AGGREGATIONS: readonly Aggregation[] = ["count", "sum", "avg", "min", "max", "distinct"];

/** One metric a file's rows make: its name, how a day's rows become its value, and of which column. */
export interface MetricSpec {
  name: string;
  aggregation: Aggregation;
  /** The column summed, averaged, … or counted distinct; none for `count`. */
  column?: string;
}

/** Which column holds what; unset ones are found by name (ts/timestamp/time/date, value/amount, metric, source). */
export interface ColumnMapping {
  time?: string;
  value?: string;
  metric?: string;
  source?: string;
}

export interface KpiDatasetOptions {
  columns: ColumnMapping;
  /** The metrics each row makes; none: the long format (a metric column or the file's name, values summed per day). */
  metrics: MetricSpec[];
  /** The columns that identify an event: a repeat of them is a duplicate. None: only a whole repeated row is. */
  key: string[];
  /** The IANA time zone days are counted in, and zone-less times are read in. */
  timezone: string;
  /** A token format for the time column (`MM/DD/YYYY`), tried before ISO 8601 and epoch. */
  timeFormat?: string;
  /** The source name of rows with no source column (default: the file's name). */
  source?: string;
  holidays: {calendar: HolidayCalendarName} | {file: string};
  /** The plausible window for event times; undefined: the default (1970 → a year after now). */
  earliest?: Date;
  latest?: Date;
}

/** The options of a dataset with no dataset.json (and of files given one by one). */
export const DEFAULT_KPI_OPTIONS: KpiDatasetOptions = {
  columns: {},
  metrics: [],
  key: [],
  timezone: "UTC",
  holidays: {calendar: "IN"}
};

const instant = (o: OptionReader, key: string, describe: string): Date | undefined => {
  const text = o.string(key, {describe});
  if (text === undefined) return undefined;
  const m = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (!m || Number.isNaN(date.getTime()))
    throw o.error(
      key,
      `not a date: ${JSON.stringify(text)}`,
      'a day "2000-01-01" or an instant "2000-01-01T00:00:00Z"'
    );
  return date;
};

function readMetrics(o: OptionReader): MetricSpec[] {
  const raw = o.raw("metrics");
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== "object" || Array.isArray(raw))
    throw o.error("metrics", `expected an object of metrics, found ${JSON.stringify(raw)}`, METRICS_HINT);
  return Object.entries(raw as Record<string, unknown>).map(([name, spec]) => {
    if (!name.trim()) throw o.error("metrics", "a metric needs a name", METRICS_HINT);
    if (spec === "count") return {name, aggregation: "count"};
    const entries = typeof spec === "object" && spec !== null && !Array.isArray(spec) ? Object.entries(spec) : [];
    const [aggregation, column] = entries[0] ?? [];
    if (
      entries.length !== 1 ||
      !AGGREGATIONS.includes(aggregation as Aggregation) ||
      aggregation === "count" ||
      typeof column !== "string" ||
      !column
    )
      throw o.error(`metrics.${name}`, `not a metric: ${JSON.stringify(spec)}`, METRICS_HINT);
    return {name, aggregation: aggregation as Aggregation, column};
  });
}

const METRICS_HINT =
  '"count", or one of {"sum": COLUMN}, {"avg": COLUMN}, {"min": COLUMN}, {"max": COLUMN}, {"distinct": COLUMN}; e.g. {"orders": "count", "revenue": {"sum": "amount"}}';

/** Reads and checks a KPI dataset's options; every error names the dataset.json and the key. */
export function kpiDatasetOptions(dataset: Pick<DatasetInfo, "options" | "optionsFile">): KpiDatasetOptions {
  const o = new OptionReader(dataset);
  const columns = o.stringMap("columns", {
    allowedKeys: ["time", "value", "metric", "source"],
    describe: "which column holds the time, value, metric name and source (found by name when unset)"
  }) as ColumnMapping;
  const metrics = readMetrics(o);
  const key = o.stringList("key", {default: [], describe: "the column(s) that identify an event"});
  const timezone = o.string("timezone", {default: "UTC", describe: "the IANA time zone days are counted in"});
  if (!isTimeZone(timezone))
    throw o.error(
      "timezone",
      `unknown time zone "${timezone}"`,
      'an IANA name such as "UTC", "Asia/Kolkata", "America/New_York"'
    );
  const timeFormat = o.string("time_format", {describe: "a token format for the time column, e.g. MM/DD/YYYY"});
  if (timeFormat !== undefined) {
    const compiled = compileTimeFormat(timeFormat);
    if (typeof compiled === "string")
      throw o.error(
        "time_format",
        `"${timeFormat}" is not a time format: ${compiled}`,
        'e.g. "MM/DD/YYYY", "DD-MM-YYYY HH:mm"'
      );
  }
  const source = o.string("source", {describe: "the source name of rows without a source column"});
  const holidaysText = o.string("holidays", {default: "IN", describe: "IN, US, none, or a file of dates"});
  const holidays = (HOLIDAY_CALENDARS as readonly string[]).includes(holidaysText)
    ? {calendar: holidaysText as HolidayCalendarName}
    : {file: holidaysText};
  const earliest = instant(o, "earliest", "events before this are implausible (default 1970-01-01)");
  const latest = instant(o, "latest", "events after this are implausible (default a year after now)");
  if (earliest && latest && earliest >= latest)
    throw o.error("latest", `${latest.toISOString()} is not after earliest ${earliest.toISOString()}`);
  o.finish();
  if (metrics.length && columns.metric)
    throw o.error("metrics", 'give either "metrics" or a metric column ("columns": {"metric": …}), not both');
  return {columns, metrics, key, timezone, timeFormat, source, holidays, earliest, latest};
}

/**
 * The dataset's holiday calendar. A file is found relative to the dataset's folder (the folder of
 * its dataset.json), tried under each of `roots` when that path is relative (the catalog's source
 * roots, the project folder, the working folder).
 */
export function kpiHolidayCalendar({
  options,
  dataset,
  roots = [process.cwd()]
}: {
  options: KpiDatasetOptions;
  dataset: Pick<DatasetInfo, "optionsFile">;
  roots?: string[];
}): HolidayCalendar {
  if ("calendar" in options.holidays) return namedCalendar(options.holidays.calendar);
  const {file} = options.holidays;
  const folder = dirname(dataset.optionsFile);
  const candidates = isAbsolute(folder) ? [resolve(folder, file)] : roots.map((root) => resolve(root, folder, file));
  const path = candidates.find((c) => existsSync(c));
  if (!path)
    throw new LabError({
      file: dataset.optionsFile,
      column: "holidays",
      reason: `no holiday file "${file}" beside the dataset.json`,
      hint: `a calendar name (${HOLIDAY_CALENDARS.join(", ")}) or a file of dates in the dataset's folder, e.g. "holidays.txt"`
    });
  return calendarFromFile({path, file: `${folder}/${file}`});
}
