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

interface RawRecord {
  line: number;
  values: Record<string, unknown>;
  raw: string;
}

function csvRecords(text: string, file: string): RawRecord[] {
  const parser = new CsvParser(file);
  const records = [...parser.push(text.replace(/^\uFEFF/, "")), ...parser.end()];
  const [header, ...rows] = records;
  if (!header) return [];
  const names = header.fields.map((f) => f.trim());
  return rows.map((r) => ({line: r.line, raw: r.fields.join(","), values: r.fields.length === names.length ? Object.fromEntries(names.map((n, i) => [n, r.fields[i]])) : {__ragged: `${r.fields.length} fields, header has ${names.length}`}}));
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
        records.push({line: i + 1, raw, values: JSON.parse(raw)});
      } catch (error) {
        problems.push({file, line: i + 1, column: null, reason: `not valid JSON (${(error as Error).message})`, raw});
      }
    });
    return records;
  }
  // Scan top-level objects of the array, so a cut-off file still gives its complete records.
  let depth = 0, start = -1, inString = false, escaped = false;
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
          records.push({line, raw, values: JSON.parse(raw)});
        } catch (error) {
          problems.push({file, line, column: null, reason: `not valid JSON (${(error as Error).message})`, raw});
        }
        start = -1;
      }
    } else if (c === "]" && depth === 0) return records;
  }
  const at = lineOf(text, start >= 0 ? start : text.length);
  problems.push({file, line: at.line, column: null, reason: `truncated JSON: the array ends without "]"${start >= 0 ? " inside an object" : ""} (column ${at.column})`, raw: start >= 0 ? text.slice(start, start + 200) : ""});
  return records;
}

const pick = (values: Record<string, unknown>, names: (string | undefined)[]) => {
  for (const n of names) if (n && n in values) return n;
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
  const records = ext === ".csv" || ext === ".tsv" ? csvRecords(text, file) : jsonRecords(text, file, problems);
  const stem = basename(path, ext).replace(/[^A-Za-z0-9]+/g, "_").toLowerCase();
  const first = records[0]?.values ?? {};
  const tsColumn = options.tsColumn ?? pick(first, ["ts", "timestamp", "time", "date", "datetime", "event_time"]);
  const valueColumn = options.valueColumn ?? pick(first, ["value", "amount", "count", "val"]);
  const metricColumn = options.metricColumn ?? (options.metric ? undefined : pick(first, ["metric", "name", "kpi"]));
  const sourceColumn = options.sourceColumn ?? pick(first, ["source"]);
  const missing = [!tsColumn && "a timestamp column (ts, timestamp, time or date; or --ts COL)", !valueColumn && "a value column (value or amount; or --value COL)"].filter(Boolean);
  if (records.length && missing.length) {
    problems.push({file, line: 1, column: null, reason: `missing ${missing.join(" and ")}; columns are: ${Object.keys(first).join(", ")}`, raw: ""});
    return {events: [], problems, rejected: true, counts: {read: records.length, kept: 0, quarantined: records.length}};
  }
  const seen = new Map<string, number>();
  const events: CleanEvent[] = [];
  for (const r of records) {
    const fail = (column: string | null, reason: string) => problems.push({file, line: r.line, column, reason, raw: r.raw});
    if ("__ragged" in r.values) {
      fail(null, `ragged row: ${r.values.__ragged}`);
      continue;
    }
    const ts = parseTimestamp(r.values[tsColumn!], options.assumeUtcOffsetMinutes ?? 0);
    if (typeof ts === "string") {
      fail(tsColumn!, ts);
      continue;
    }
    const rawValue = r.values[valueColumn!];
    const value = typeof rawValue === "number" ? rawValue : Number(String(rawValue ?? "").trim().replace(/,(?=\d{3}\b)/g, ""));
    if (rawValue === null || rawValue === undefined || String(rawValue).trim() === "" || !Number.isFinite(value)) {
      fail(valueColumn!, `not a number: ${JSON.stringify(rawValue ?? null)}`);
      continue;
    }
    const metric = String((metricColumn ? r.values[metricColumn] : undefined) ?? options.metric ?? stem).trim();
    const source = String((sourceColumn ? r.values[sourceColumn] : undefined) ?? options.source ?? stem).trim();
    if (!metric) {
      fail(metricColumn ?? "metric", "empty metric name");
      continue;
    }
    const key = `${source}\0${ts.getTime()}\0${metric}`;
    const firstLine = seen.get(key);
    if (firstLine !== undefined) {
      fail(tsColumn!, `duplicate key (source ${source}, ts ${ts.toISOString()}, metric ${metric}); first at line ${firstLine}`);
      continue;
    }
    seen.set(key, r.line);
    const extra = Object.fromEntries(Object.entries(r.values).filter(([k]) => ![tsColumn, valueColumn, metricColumn, sourceColumn].includes(k)));
    events.push({source, ts, metric, value, attributes: JSON.stringify(extra)});
  }
  const rejected = strict && problems.length > 0;
  return {events: rejected ? [] : events, problems, rejected, counts: {read: records.length, kept: rejected ? 0 : events.length, quarantined: rejected ? records.length : problems.length}};
}
