import {basename} from "node:path";
import {CsvParser} from "../core/csv.js";
import {formatExtension, readTextFile} from "../core/text-file.js";
import {parseTimestamp} from "./parse-timestamp.js";

/** One clean event (`clean_events`): unique on (source, ts, metric). */
export interface CleanEvent {
  source: string;
  ts: Date;
  metric: string;
  value: number;
  /** Every other column, as JSON. */
  attributes: string;
}

/** A row that could not be kept, with where and why (tolerant mode's quarantine table). */
export interface EventProblem {
  file: string;
  line: number;
  column: string | null;
  reason: string;
  raw: string;
}

export interface IngestEventsOptions {
  path: string;
  /** How errors name the file (defaults to the path). */
  file?: string;
  /** Strict: any problem rejects the whole file. Tolerant: good rows are kept, bad ones quarantined. */
  strict: boolean;
  tsColumn?: string;
  valueColumn?: string;
  /** The metric column, or (when the file has none) the metric name; defaults to the file name. */
  metric?: string;
  metricColumn?: string;
  source?: string;
  sourceColumn?: string;
  /** For zone-less local times. */
  assumeUtcOffsetMinutes?: number;
  /** Events before this instant are quarantined as implausible (default 1970-01-01). */
  earliest?: Date;
  /** Events after this instant are quarantined as implausible (default a year after `now`). */
  latest?: Date;
  /** The present, for the default `latest` (tests pin it). */
  now?: Date;
}

/** The default plausible window for event times: from the Unix epoch to a year from now. */
export function defaultEventWindow(now = new Date()): {earliest: Date; latest: Date} {
  return {earliest: new Date(Date.UTC(1970, 0, 1)), latest: new Date(now.getTime() + 366 * 86_400_000)};
}

export interface IngestEventsResult {
  events: CleanEvent[];
  problems: EventProblem[];
  /** Strict mode and a problem: nothing is kept. */
  rejected: boolean;
  counts: {read: number; kept: number; quarantined: number};
}

/** A CSV row (`fields`, read through the header's index) or a JSON record (`values`, with its text). */
interface RawRecord {
  line: number;
  fields?: string[];
  values?: Record<string, unknown>;
  text?: string;
}

const rawOf = (r: RawRecord): string => r.text ?? r.fields!.join(",");

/** CSV rows stay arrays (no object per row: files run to millions of rows); `names` is the header. */
function csvRecords(text: string, file: string): {names: string[]; records: RawRecord[]} {
  const parser = new CsvParser(file);
  const parsed = parser.push(text.replace(/^\uFEFF/, ""));
  for (const r of parser.end()) parsed.push(r);
  const header = parsed[0];
  if (!header) return {names: [], records: []};
  // The parser's rows are the records as they are: no second object per row.
  return {names: header.fields.map((f) => f.trim()), records: parsed.slice(1)};
}

/** JSON array or JSON Lines; a truncated array yields its complete objects and a problem for the rest. */
function jsonRecords(text: string, file: string, problems: EventProblem[]): RawRecord[] {
  const trimmed = text.trimStart();
  const records: RawRecord[] = [];
  if (!trimmed.startsWith("[")) {
    text.split("\n").forEach((raw, i) => {
      if (!raw.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        problems.push({file, line: i + 1, column: null, reason: `not valid JSON (${(error as Error).message})`, raw});
        return;
      }
      if (isRecord(value)) records.push({line: i + 1, text: raw, values: value});
      else problems.push({file, line: i + 1, column: null, reason: `not a JSON object (${describe(value)})`, raw});
    });
    return records;
  }
  // Scan top-level objects of the array, so a cut-off file still gives its complete records. Lines
  // are counted as the scan goes: a file may hold millions of records.
  let depth = 0,
    start = -1,
    startLine = 0,
    inString = false,
    escaped = false;
  let i = text.indexOf("[") + 1;
  let line = countLines(text, 0, i);
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 0 && c !== "{" && c !== "]" && c !== "," && !/\s/.test(c)) {
      // A value at the array's top level that is not an object: a number, string, null, array…
      // At least one character: a stray "}" ends its own "value" at once, and must not stall the scan.
      const end = Math.max(i + 1, endOfValue(text, i));
      const raw = text.slice(i, end);
      problems.push({file, line, column: null, reason: `not a JSON object (${raw.slice(0, 40)})`, raw});
      line += countLines(text, i + 1, end) - 1;
      i = end - 1;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) ((start = i), (startLine = line));
    } else if (c === "}") {
      if (--depth === 0) {
        const raw = text.slice(start, i + 1);
        try {
          records.push({line: startLine, text: raw, values: JSON.parse(raw)});
        } catch (error) {
          problems.push({
            file,
            line: startLine,
            column: null,
            reason: `not valid JSON (${(error as Error).message})`,
            raw
          });
        }
        start = -1;
      }
    } else if (c === "]" && depth === 0) return records;
  }
  problems.push({
    file,
    line: start >= 0 ? startLine : line,
    column: null,
    reason: `truncated JSON: the array ends without "]"${start >= 0 ? " inside an object" : ""}`,
    raw: start >= 0 ? text.slice(start, start + 200) : ""
  });
  return records;
}

/** 1 + the newlines in text[from, to): the line number at `to` counted from `from`'s line. */
function countLines(text: string, from: number, to: number): number {
  let n = 1;
  for (let i = text.indexOf("\n", from); i >= 0 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** Where the JSON value starting at `start` ends: at the `,` or `]` that closes it at its own level. */
function endOfValue(text: string, start: number): number {
  let depth = 0,
    inString = false,
    escaped = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") {
      if (depth-- === 0) return i;
    } else if (c === "," && depth === 0) return i;
  }
  return text.length;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const describe = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`);

const pick = (columns: string[], names: (string | undefined)[]) => {
  for (const n of names) if (n && columns.includes(n)) return n;
  return undefined;
};

const day = (d: Date) => d.toISOString().slice(0, 10);
const definedOnly = ({earliest, latest}: IngestEventsOptions) => ({
  ...(earliest ? {earliest} : {}),
  ...(latest ? {latest} : {})
});

/**
 * Reads one event file (CSV, JSON array or JSON Lines; gzip for `.gz`; strictly UTF-8) into clean
 * events, times outside a plausible window quarantined. Columns are found by
 * name (`ts`/`timestamp`/`time`/`date`, `value`, `metric`, `source`) or given by flags; a plain
 * `timestamp,value` export becomes one metric named after the file. Strict mode rejects the
 * file and lists every problem (line, column, reason); tolerant mode keeps every good row and
 * quarantines the others. Duplicate (source, ts, metric) keys keep the first.
 */
export function ingestEvents(options: IngestEventsOptions): IngestEventsResult {
  const {path, file = path, strict} = options;
  const text = readTextFile({path, file});
  const problems: EventProblem[] = [];
  const ext = formatExtension(path);
  const {earliest, latest} = {...defaultEventWindow(options.now), ...definedOnly(options)};
  const csv = ext === ".csv" || ext === ".tsv" ? csvRecords(text, file) : undefined;
  const records = csv ? csv.records : jsonRecords(text, file, problems);
  const columns = csv ? csv.names : Object.keys(records[0]?.values ?? {});
  const index = new Map(columns.map((c, i) => [c, i]));
  const get = (r: RawRecord, column: string | undefined): unknown =>
    column === undefined ? undefined : r.fields ? r.fields[index.get(column)!] : r.values![column];
  const stem = basename(path.replace(/\.gz$/i, ""), ext)
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();
  const tsColumn = options.tsColumn ?? pick(columns, ["ts", "timestamp", "time", "date", "datetime", "event_time"]);
  const valueColumn = options.valueColumn ?? pick(columns, ["value", "amount", "count", "val"]);
  const metricColumn = options.metricColumn ?? (options.metric ? undefined : pick(columns, ["metric", "name", "kpi"]));
  const sourceColumn = options.sourceColumn ?? pick(columns, ["source"]);
  const missing = [
    !tsColumn && "a timestamp column (ts, timestamp, time or date; or --ts COL)",
    !valueColumn && "a value column (value or amount; or --value COL)"
  ].filter(Boolean);
  if (records.length && missing.length) {
    problems.push({
      file,
      line: 1,
      column: null,
      reason: `missing ${missing.join(" and ")}; columns are: ${columns.join(", ")}`,
      raw: ""
    });
    return {events: [], problems, rejected: true, counts: {read: records.length, kept: 0, quarantined: records.length}};
  }
  const used = new Set([tsColumn, valueColumn, metricColumn, sourceColumn]);
  const extras = columns.filter((c) => !used.has(c));
  // Seen keys: source → metric → ts (ms) → first line. Number keys, no key string per row.
  const seen = new Map<string, Map<string, Map<number, number>>>();
  const events: CleanEvent[] = [];
  const fail = (r: RawRecord, column: string | null, reason: string) =>
    problems.push({file, line: r.line, column, reason, raw: rawOf(r)});
  for (const r of records) {
    if (r.fields && r.fields.length !== columns.length) {
      fail(r, null, `ragged row: ${r.fields.length} fields, header has ${columns.length}`);
      continue;
    }
    const ts = parseTimestamp(get(r, tsColumn), options.assumeUtcOffsetMinutes ?? 0);
    if (typeof ts === "string") {
      fail(r, tsColumn!, ts);
      continue;
    }
    if (ts < earliest || ts > latest) {
      fail(
        r,
        tsColumn!,
        `implausible time ${ts.toISOString()}: outside ${day(earliest)} … ${day(latest)} (a typo in the year? the window is the earliest/latest option)`
      );
      continue;
    }
    const rawValue = get(r, valueColumn);
    const value =
      typeof rawValue === "number"
        ? rawValue
        : Number(
            String(rawValue ?? "")
              .trim()
              .replace(/,(?=\d{3}\b)/g, "")
          );
    if (rawValue === null || rawValue === undefined || String(rawValue).trim() === "" || !Number.isFinite(value)) {
      fail(r, valueColumn!, `not a number: ${JSON.stringify(rawValue ?? null)}`);
      continue;
    }
    const metric = String(get(r, metricColumn) ?? options.metric ?? stem).trim();
    const source = String(get(r, sourceColumn) ?? options.source ?? stem).trim();
    if (!metric) {
      fail(r, metricColumn ?? "metric", "empty metric name");
      continue;
    }
    let bySource = seen.get(source);
    if (!bySource) seen.set(source, (bySource = new Map()));
    let byMetric = bySource.get(metric);
    if (!byMetric) bySource.set(metric, (byMetric = new Map()));
    const firstLine = byMetric.get(ts.getTime());
    if (firstLine !== undefined) {
      fail(
        r,
        tsColumn!,
        `duplicate key (source ${source}, ts ${ts.toISOString()}, metric ${metric}); first at line ${firstLine}`
      );
      continue;
    }
    byMetric.set(ts.getTime(), r.line);
    const attributes = r.fields
      ? extras.length
        ? JSON.stringify(Object.fromEntries(extras.map((c) => [c, get(r, c)])))
        : "{}"
      : JSON.stringify(Object.fromEntries(Object.entries(r.values!).filter(([k]) => !used.has(k))));
    events.push({source, ts, metric, value, attributes});
  }
  if (strict && !records.length && !problems.length)
    problems.push({
      file,
      line: 1,
      column: null,
      reason: "no event rows: the file is empty or has only a header",
      raw: ""
    });
  const rejected = strict && problems.length > 0;
  return {
    events: rejected ? [] : events,
    problems,
    rejected,
    counts: {
      read: records.length,
      kept: rejected ? 0 : events.length,
      quarantined: rejected ? records.length : problems.length
    }
  };
}
