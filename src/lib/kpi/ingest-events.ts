import {readFileSync} from "node:fs";
import {basename, extname} from "node:path";
import {CsvParser} from "../core/csv.js";
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

function lineOf(text: string, offset: number): {line: number; column: number} {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return {line, column: offset - before.lastIndexOf("\n")};
}

/** JSON array or JSON Lines; a truncated array yields its complete objects and a problem for the rest. */
function jsonRecords(text: string, file: string, problems: EventProblem[]): RawRecord[] {
  const trimmed = text.trimStart();
  const records: RawRecord[] = [];
  if (!trimmed.startsWith("[")) {
    text.split("\n").forEach((raw, i) => {
      if (!raw.trim()) return;
      try {
        records.push({line: i + 1, text: raw, values: JSON.parse(raw)});
      } catch (error) {
        problems.push({file, line: i + 1, column: null, reason: `not valid JSON (${(error as Error).message})`, raw});
      }
    });
    return records;
  }
  // Scan top-level objects of the array, so a cut-off file still gives its complete records.
  let depth = 0,
    start = -1,
    inString = false,
    escaped = false;
  for (let i = text.indexOf("[") + 1; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}") {
      if (--depth === 0) {
        const raw = text.slice(start, i + 1);
        const {line} = lineOf(text, start);
        try {
          records.push({line, text: raw, values: JSON.parse(raw)});
        } catch (error) {
          problems.push({file, line, column: null, reason: `not valid JSON (${(error as Error).message})`, raw});
        }
        start = -1;
      }
    } else if (c === "]" && depth === 0) return records;
  }
  const at = lineOf(text, start >= 0 ? start : text.length);
  problems.push({
    file,
    line: at.line,
    column: null,
    reason: `truncated JSON: the array ends without "]"${start >= 0 ? " inside an object" : ""} (column ${at.column})`,
    raw: start >= 0 ? text.slice(start, start + 200) : ""
  });
  return records;
}

const pick = (columns: string[], names: (string | undefined)[]) => {
  for (const n of names) if (n && columns.includes(n)) return n;
  return undefined;
};

/**
 * Reads one event file (CSV, JSON array or JSON Lines) into clean events. Columns are found by
 * name (`ts`/`timestamp`/`time`/`date`, `value`, `metric`, `source`) or given by flags; a plain
 * `timestamp,value` export becomes one metric named after the file. Strict mode rejects the
 * file and lists every problem (line, column, reason); tolerant mode keeps every good row and
 * quarantines the others. Duplicate (source, ts, metric) keys keep the first.
 */
export function ingestEvents(options: IngestEventsOptions): IngestEventsResult {
  const {path, file = path, strict} = options;
  const text = readFileSync(path, "utf-8");
  const problems: EventProblem[] = [];
  const ext = extname(path).toLowerCase();
  const csv = ext === ".csv" || ext === ".tsv" ? csvRecords(text, file) : undefined;
  const records = csv ? csv.records : jsonRecords(text, file, problems);
  const columns = csv ? csv.names : Object.keys(records[0]?.values ?? {});
  const index = new Map(columns.map((c, i) => [c, i]));
  const get = (r: RawRecord, column: string | undefined): unknown =>
    column === undefined ? undefined : r.fields ? r.fields[index.get(column)!] : r.values![column];
  const stem = basename(path, ext)
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
