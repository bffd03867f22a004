import {OptionReader, type DatasetInfo} from "../core/dataset.js";
import {defaultEffluentConfig, type EffluentConfig} from "./config.js";
import {timeFormatProblem, timeParser, timeZoneProblem, type TimeParser} from "./local-time.js";
import {FACTORY_FIELDS, type FactoryField} from "./mpcb-columns.js";
import {EARLIEST_READING} from "./plausibility.js";

/** How one factory feed file is read: the factory it belongs to and, when known, its travel time. */
export interface FactoryMapping {
  /** The factory id (over the file's `factory_id` column and its name). */
  id?: string;
  /** Minutes from the factory's outfall to the CETP inlet (over the learned estimate). */
  travelMinutes?: number;
}

/** A site's options (its dataset.json), read once and handed to the readers and the analysis. */
export interface EffluentSiteOptions {
  /** The analysis tunables, with the site's threshold and span applied. */
  config: EffluentConfig;
  timeZone: string;
  timeFormat: string;
  parseTime: TimeParser;
  /**
   * Columns a file has beyond the known ones: ignored by name (noted once per file), the file
   * refused, or (an export's) kept in `cetp_readings.extra`.
   */
  extraColumns: "ignore" | "reject" | "keep";
  /** Factory feed header names for our fields, where a site's feeds name them otherwise. */
  factoryColumns: Partial<Record<FactoryField, string>>;
  /** Factory feed file name (`acme.csv`) → its factory id and travel time. */
  factories: Record<string, FactoryMapping>;
  /** Readings stamped before this cannot be real. */
  earliest: Date;
  /** Readings stamped after this cannot be real (default: a day past the present). */
  latest?: Date;
}

const isoDate = (o: OptionReader, key: string, text: string | undefined): Date | undefined => {
  if (text === undefined) return undefined;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(date.getTime()))
    throw o.error(key, `"${text}" is not a date`, 'use an ISO date such as "2020-01-01" or "2024-03-01T00:00:00Z"');
  return date;
};

/** The `factories` option: `{"acme.csv": {"id": "F01", "travelMinutes": 12}}`, or a plain id per file. */
function factoryMappings(o: OptionReader): Record<string, FactoryMapping> {
  const raw = o.raw("factories");
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw))
    throw o.error("factories", "expected an object: feed file name → factory", 'e.g. {"acme.csv": {"id": "F01"}}');
  const out: Record<string, FactoryMapping> = {};
  for (const [file, value] of Object.entries(raw as Record<string, unknown>)) {
    const key = `factories.${file}`;
    if (typeof value === "string") {
      out[file] = {id: value};
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw o.error(key, `expected a factory id or {"id", "travelMinutes"}, found ${JSON.stringify(value)}`);
    const {id, travelMinutes, ...rest} = value as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw o.error(`${key}.${unknown}`, "unknown key", "known: id, travelMinutes");
    if (id !== undefined && (typeof id !== "string" || !id.trim()))
      throw o.error(`${key}.id`, `expected a factory id, found ${JSON.stringify(id)}`);
    if (
      travelMinutes !== undefined &&
      (typeof travelMinutes !== "number" ||
        !Number.isInteger(travelMinutes) ||
        travelMinutes < 0 ||
        travelMinutes > 600)
    )
      throw o.error(`${key}.travelMinutes`, `expected whole minutes 0–600, found ${JSON.stringify(travelMinutes)}`);
    out[file] = {id: id as string | undefined, travelMinutes: travelMinutes as number | undefined};
  }
  return out;
}

/**
 * A site's dataset.json, every key read with its type and bounds (and documented in
 * docs/effluent.md); an unknown key is refused, naming the file and the key.
 */
export function effluentDatasetOptions(dataset: Pick<DatasetInfo, "options" | "optionsFile">): EffluentSiteOptions {
  const o = new OptionReader(dataset);
  const thresholdMgL = o.number("threshold", {
    default: defaultEffluentConfig.thresholdMgL,
    min: 1,
    max: 100_000,
    describe: "inlet COD consent limit, mg/L: a shock opens at or above it"
  });
  const timeZone = o.string("timezone", {default: "Asia/Kolkata", describe: "the files' local time zone"});
  const zoneProblem = timeZoneProblem(timeZone);
  if (zoneProblem) throw o.error("timezone", zoneProblem, 'an IANA name ("Asia/Kolkata", "UTC") or "+05:30"');
  const timeFormat = o.string("timeFormat", {default: "YYYY-MM-DD HH:mm", describe: "how times are written"});
  const formatProblem = timeFormatProblem(timeFormat);
  if (formatProblem) throw o.error("timeFormat", formatProblem, 'tokens YYYY MM DD HH mm ss, e.g. "DD-MM-YYYY HH:mm"');
  const extraColumns = o.string("extraColumns", {
    default: "ignore",
    oneOf: ["ignore", "reject", "keep"] as const,
    describe:
      "columns beyond the known ones: ignored by name, the file refused, or an export's kept in cetp_readings.extra"
  });
  const factoryColumns = o.stringMap("factoryColumns", {
    allowedKeys: FACTORY_FIELDS,
    describe: "factory feed header names for time, factory_id, cod, bod, ph, tss"
  }) as Partial<Record<FactoryField, string>>;
  const factories = factoryMappings(o);
  const earliest = isoDate(o, "earliest", o.string("earliest", {describe: "readings before it are quarantined"}));
  const latest = isoDate(o, "latest", o.string("latest", {describe: "readings after it are quarantined"}));
  const maxSpanDays = o.number("maxSpanDays", {
    default: defaultEffluentConfig.maxSpanDays,
    min: 1,
    max: 3660,
    integer: true,
    describe: "the analysis covers at most this many days, the most recent"
  });
  o.finish();
  if (earliest && latest && latest <= earliest) throw o.error("latest", "is not after earliest");
  return {
    config: {...defaultEffluentConfig, thresholdMgL, maxSpanDays},
    timeZone,
    timeFormat,
    parseTime: timeParser({format: timeFormat, timeZone}),
    extraColumns,
    factoryColumns,
    factories,
    earliest: earliest ?? EARLIEST_READING,
    latest
  };
}

/** The options of a site without a dataset.json (and of files given one by one). */
export function defaultSiteOptions(): EffluentSiteOptions {
  return effluentDatasetOptions({options: {}, optionsFile: "dataset.json"});
}

/** The default options with times at a fixed offset from UTC (the MPCB server's `utcOffsetMinutes`). */
export function siteOptionsAtOffset(utcOffsetMinutes: number): EffluentSiteOptions {
  const sign = utcOffsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(utcOffsetMinutes);
  const timeZone = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return effluentDatasetOptions({options: {timezone: timeZone}, optionsFile: "dataset.json"});
}

/** Travel times the site fixes, by factory id (the mapping's id, else the feed file's name). */
export function mappedTravelMinutes(site: EffluentSiteOptions): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [file, m] of Object.entries(site.factories))
    if (m.travelMinutes !== undefined) out[m.id ?? file.replace(/\.csv(\.gz)?$/i, "")] = m.travelMinutes;
  return out;
}
