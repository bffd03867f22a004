import {OptionReader, type DatasetInfo} from "../core/dataset.js";
import {defaultMeterConfig} from "./config.js";

/** What the value column of a readings dataset holds. */
export type ReadingKind = "interval" | "register";

/** The columns of a readings file, by role: the names as they appear in the file's header. */
export interface ReadingColumns {
  meter_id: string;
  time: string;
  kwh: string;
  voltage: string;
  segment: string;
  transformer: string;
}

/** The roles a dataset.json `columns` mapping may name. */
export const COLUMN_ROLES = ["meter_id", "time", "kwh", "voltage", "segment", "transformer"] as const;
/** The roles a file may lack: the tables built from them are left empty (or their columns NULL). */
export const OPTIONAL_ROLES = ["voltage", "segment", "transformer"] as const;

/** A real meter-readings dataset's options, from its dataset.json (every key has a default). */
export interface MetersDatasetOptions {
  kind: ReadingKind;
  columns: ReadingColumns;
  /** Roles the dataset.json named explicitly: a file without such a column is an error, not a quiet NULL. */
  mapped: Set<string>;
  /** `auto` (ISO-like), `epoch_seconds`, `epoch_milliseconds`, or a pattern of YYYY MM DD HH mm ss tokens. */
  timeFormat: string;
  /** IANA zone of times written without an offset. */
  timeZone: string;
  /** Cell texts that mean "no reading" (compared trimmed). */
  missing: string[];
  delimiter: string;
  /** Forces the interval length instead of inferring it per meter. */
  intervalMinutes?: number;
  maxIntervalKwh: number;
  voltageRange: [number, number];
  /** Readings outside [earliest, latest] are set aside (defaults: 2000, a day after the run). */
  earliest: Date;
  latest: Date;
  /** Readings further back than this before the dataset's latest plausible reading are set aside. */
  maxSpanDays: number;
  /** Gaps up to this long are estimated (the same limit as the simulated fleets). */
  maxEstimatedGapMinutes: number;
}

export const DEFAULT_MISSING = ["", "Null", "NULL", "null", "NA", "N/A", "NaN", "-"];

/** Reads a meters dataset's dataset.json: every key typed and bounded, unknown keys refused. */
export function metersDatasetOptions(dataset: Pick<DatasetInfo, "options" | "optionsFile">): MetersDatasetOptions {
  const o = new OptionReader(dataset);
  const kind = o.string<ReadingKind>("kind", {
    default: "interval",
    oneOf: ["interval", "register"],
    describe: "interval: kWh used in each interval; register: the meter's cumulative kWh reading"
  });
  const given = o.stringMap("columns", {
    allowedKeys: COLUMN_ROLES,
    describe: "header names of meter_id, time, kwh, voltage, segment, transformer"
  });
  const timeFormat = o.string("time_format", {
    default: "auto",
    describe: "auto, epoch_seconds, epoch_milliseconds or a pattern such as DD/MM/YYYY HH:mm"
  });
  if (!/^(auto|epoch_seconds|epoch_milliseconds)$/.test(timeFormat) && !/YYYY/.test(timeFormat))
    throw o.error("time_format", `"${timeFormat}" has no YYYY`, 'use "auto" or a pattern such as "DD/MM/YYYY HH:mm"');
  const timeZone = o.string("time_zone", {default: "UTC", describe: "IANA zone of times written without an offset"});
  try {
    new Intl.DateTimeFormat("en-US", {timeZone});
  } catch {
    throw o.error("time_zone", `"${timeZone}" is not a time zone`, 'an IANA name such as "Europe/London"');
  }
  const missing = o.stringList("missing", {default: DEFAULT_MISSING, describe: "cell texts that mean no reading"});
  const delimiter = o.string("delimiter", {default: ",", describe: "the CSV field separator"});
  if (delimiter.length !== 1) throw o.error("delimiter", `expected one character, found "${delimiter}"`);
  const intervalMinutes = o.number("interval_minutes", {describe: "15, 30 or 60 instead of inferring it per meter"});
  if (intervalMinutes !== undefined && ![15, 30, 60].includes(intervalMinutes))
    throw o.error("interval_minutes", `${intervalMinutes} is not one of 15, 30, 60`);
  const maxIntervalKwh = o.number("max_interval_kwh", {
    default: 100,
    min: 0,
    describe: "readings above this (kWh in one interval) are rejected"
  });
  const day = (key: string, fallback: Date): Date => {
    const text = o.string(key, {
      describe: `readings ${key === "earliest" ? "before" : "after"} this time (ISO) are set aside`
    });
    if (text === undefined) return fallback;
    const at = new Date(text);
    if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at.getTime()))
      throw o.error(key, `"${text}" is not an ISO date`, 'e.g. "2012-01-01"');
    return at;
  };
  const earliest = day("earliest", new Date("2000-01-01T00:00:00Z"));
  const latest = day("latest", new Date(Date.now() + 86_400_000));
  const maxSpanDays = o.number("max_span_days", {
    default: 1100,
    min: 1,
    max: 3660,
    integer: true,
    describe: "readings further back than this before the dataset's latest are set aside"
  });
  const range = o.raw("voltage_range") ?? [80, 300];
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    !range.every((v) => typeof v === "number") ||
    range[0]! > range[1]!
  )
    throw o.error("voltage_range", `expected [min, max] in volts, found ${JSON.stringify(range)}`, "e.g. [207, 253]");
  o.finish();
  return {
    kind,
    columns: {
      meter_id: given.meter_id ?? "meter_id",
      time: given.time ?? "reading_ts",
      kwh: given.kwh ?? (kind === "register" ? "register_kwh" : "usage_kwh"),
      voltage: given.voltage ?? "voltage",
      segment: given.segment ?? "customer_segment",
      transformer: given.transformer ?? "transformer_id"
    },
    mapped: new Set(Object.keys(given)),
    timeFormat,
    timeZone,
    missing: missing.map((m) => m.trim()),
    delimiter,
    intervalMinutes,
    maxIntervalKwh,
    voltageRange: range as [number, number],
    earliest,
    latest,
    maxSpanDays,
    maxEstimatedGapMinutes: defaultMeterConfig.maxEstimatedGapMinutes
  };
}
