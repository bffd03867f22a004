import {basename} from "node:path";
import {CsvParser} from "../core/csv.js";
import {formatExtension, readTextFile} from "../core/text-file.js";
import type {MetricSpec} from "./dataset-options.js";
import {timestampReader} from "./parse-timestamp.js";
import {localDayMs, zoneOffset} from "./time-zone.js";

/**
 * One clean event (`clean_events`): one per input row and metric. A row repeated whole (or its
 * key columns repeated, when the dataset names a key) is a duplicate and kept once.
 */
export interface CleanEvent {
  source: string;
  ts: Date;
  /** The event's calendar day in the dataset's time zone (ms of that day's UTC midnight, a DATE). */
  day: number;
  metric: string;
  /** The number the metric aggregates: the value column, or 1 for a count; null for a distinct count. */
  value: number | null;
  /** What a distinct-count metric counts (the column's text), else null. */
  item: string | null;
  /** The event's identity: a 53-bit hash of its key columns, or of the whole row without a key. */
  event_id: number;
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
  /** Metrics each row makes (`count`, `sum` of a column, …); none: one value per row, the long format. */
  metrics?: MetricSpec[];
  /** The columns that identify an event; none: only a row repeated whole is a duplicate. */
  key?: string[];
  /** The IANA zone days are counted in and zone-less times read in (default UTC). */
  timezone?: string;
  /** A token format for the time column, tried before ISO 8601 and epoch (`MM/DD/YYYY`). */
  timeFormat?: string;
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
function csvRecords(text: string, file: string, delimiter: string): {names: string[]; records: RawRecord[]} {
  const parser = new CsvParser(file, delimiter);
  const parsed = parser.push(text.replace(/^\uFEFF/, ""));
  for (const r of parser.end()) parsed.push(r);
  const header = parsed[0];
  if (!header) return {names: [], records: []};
  // The parser's rows are the records as they are: no second object per row. Blank lines (a
  // spreadsheet's trailing rows) are no records.
  const records: RawRecord[] = [];
  for (let i = 1; i < parsed.length; i++) {
    const r = parsed[i]!;
    if (r.fields.length === 1 && !r.fields[0]!.trim()) continue;
    if (r.fields.length > 1 && r.fields.every((f) => !f.trim())) continue;
    records.push(r);
  }
  return {names: header.fields.map((f) => f.trim()), records};
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
 * cyrb53 (a public-domain 53-bit string hash) over a row's fields (those at `indexes`, or all),
 * each followed by a separator: an event's identity as one exact JavaScript number, so a million
 * rows are told apart without a key string each.
 */
export function hashFields(fields: readonly string[], indexes?: readonly number[]): number {
  let h1 = 0xdeadbeef,
    h2 = 0x41c6ce57;
  const n = indexes ? indexes.length : fields.length;
  for (let f = 0; f < n; f++) {
    const text = fields[indexes ? indexes[f]! : f]!;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ 0x1f, 2654435761);
    h2 = Math.imul(h2 ^ 0x1f, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * Event identities seen so far → the index of their first record: open addressing over typed
 * arrays sized for every record up front, so a million rows cost no Map entries and no garbage.
 */
class IdentityIndex {
  private readonly keys: Float64Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.keys = new Float64Array(size);
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The first record index stored under `id`, or -1 after storing `index` under it. */
  firstOrAdd(id: number, index: number): number {
    for (let at = (id >>> 0) & this.mask; ; at = (at + 1) & this.mask) {
      const slot = this.slots[at]!;
      if (slot === 0) {
        this.keys[at] = id;
        this.slots[at] = index + 1;
        return -1;
      }
      if (this.keys[at] === id) return slot - 1;
    }
  }
}

/** A number from a cell: numbers as they are, text trimmed with thousands separators dropped; NaN otherwise. */
function numberOf(raw: unknown): number {
  if (typeof raw === "number") return raw;
  if (raw === null || raw === undefined) return NaN;
  const text = String(raw).trim();
  return text === "" ? NaN : Number(text.replace(/,(?=\d{3}\b)/g, ""));
}

/** The columns a file's rows are read through: from the options, else found by name. */
function resolveColumns(options: IngestEventsOptions, columns: string[]) {
  const metrics = options.metrics ?? [];
  const tsColumn = options.tsColumn ?? pick(columns, ["ts", "timestamp", "time", "date", "datetime", "event_time"]);
  const valueColumn = metrics.length
    ? undefined
    : (options.valueColumn ?? pick(columns, ["value", "amount", "count", "val"]));
  const metricColumn = metrics.length
    ? undefined
    : (options.metricColumn ?? (options.metric ? undefined : pick(columns, ["metric", "name", "kpi"])));
  const sourceColumn = options.sourceColumn ?? pick(columns, ["source"]);
  const key = options.key ?? [];
  const absent = (c: string | undefined) => c !== undefined && !columns.includes(c);
  const missing = [
    !tsColumn
      ? 'a timestamp column (ts, timestamp, time or date; or "columns": {"time": …} in dataset.json, or --ts COL)'
      : absent(tsColumn) && `the time column "${tsColumn}"`,
    !metrics.length && !valueColumn
      ? 'a value column (value or amount; or "columns": {"value": …}, or --value COL)'
      : absent(valueColumn) && `the value column "${valueColumn}"`,
    absent(metricColumn) && `the metric column "${metricColumn}"`,
    absent(sourceColumn) && `the source column "${sourceColumn}"`,
    ...metrics.filter((m) => absent(m.column)).map((m) => `the column "${m.column}" of metric ${m.name}`),
    ...key.filter(absent).map((k) => `the key column "${k}"`)
  ].filter(Boolean);
  return {tsColumn, valueColumn, metricColumn, sourceColumn, key, metrics, missing};
}

/** One row's metrics, filled row after row into the same arrays (a file can hold millions of rows). */
interface RowMetrics {
  names: string[];
  values: (number | null)[];
  items: (string | null)[];
}

/**
 * Fills `out` with the metrics one row makes and their values; returns the first problem (column
 * and reason) instead when a value is bad.
 */
function rowMetrics(
  r: RawRecord,
  get: (r: RawRecord, column: string | undefined) => unknown,
  {
    metrics,
    valueColumn,
    metricColumn,
    metric
  }: {
    metrics: MetricSpec[];
    valueColumn?: string;
    metricColumn?: string;
    /** The metric name of a long-format row without a metric column. */
    metric: string;
  },
  out: RowMetrics
): {column: string; reason: string} | undefined {
  out.names.length = out.values.length = out.items.length = 0;
  if (!metrics.length) {
    const rawValue = get(r, valueColumn);
    const value = numberOf(rawValue);
    if (!Number.isFinite(value))
      return {column: valueColumn!, reason: `not a number: ${JSON.stringify(rawValue ?? null)}`};
    const name = metricColumn === undefined ? metric : String(get(r, metricColumn) ?? metric).trim();
    if (!name) return {column: metricColumn ?? "metric", reason: "empty metric name"};
    out.names.push(name);
    out.values.push(value);
    out.items.push(null);
    return undefined;
  }
  for (const m of metrics) {
    const raw = get(r, m.column);
    let value: number | null = null,
      item: string | null = null;
    if (m.aggregation === "count") value = 1;
    else if (m.aggregation === "distinct") {
      item = raw === null || raw === undefined ? "" : typeof raw === "string" ? raw.trim() : JSON.stringify(raw);
      if (!item) return {column: m.column!, reason: `empty ${m.column} (counted distinct by metric ${m.name})`};
    } else {
      value = numberOf(raw);
      if (!Number.isFinite(value))
        return {column: m.column!, reason: `not a number: ${JSON.stringify(raw ?? null)} (metric ${m.name})`};
    }
    out.names.push(m.name);
    out.values.push(value);
    out.items.push(item);
  }
  return undefined;
}

/**
 * Reads one event file (CSV, JSON array or JSON Lines; gzip for `.gz`; strictly UTF-8) into clean
 * events, times outside a plausible window quarantined. Columns are found by name
 * (`ts`/`timestamp`/`time`/`date`, `value`, `metric`, `source`) or given by options; a plain
 * `timestamp,value` export becomes one metric named after the file, and `metrics` makes several
 * from each row (a count, a sum of a column, a distinct count, …). Strict mode rejects the file
 * and lists every problem (line, column, reason); tolerant mode keeps every good row and
 * quarantines the others. A row repeated whole, or its `key` columns repeated, keeps the first.
 */
export function ingestEvents(options: IngestEventsOptions): IngestEventsResult {
  const {path, file = path, strict} = options;
  const text = readTextFile({path, file});
  const problems: EventProblem[] = [];
  const ext = formatExtension(path);
  const {earliest, latest} = {...defaultEventWindow(options.now), ...definedOnly(options)};
  const csv = ext === ".csv" || ext === ".tsv" ? csvRecords(text, file, ext === ".tsv" ? "\t" : ",") : undefined;
  const records = csv ? csv.records : jsonRecords(text, file, problems);
  const columns = csv ? csv.names : Object.keys(records[0]?.values ?? {});
  const index = new Map(columns.map((c, i) => [c, i]));
  const get = (r: RawRecord, column: string | undefined): unknown =>
    column === undefined ? undefined : r.fields ? r.fields[index.get(column)!] : r.values![column];
  const stem = basename(path.replace(/\.gz$/i, ""), ext)
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();
  const {tsColumn, valueColumn, metricColumn, sourceColumn, key, metrics, missing} = resolveColumns(options, columns);
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
  const readTime = timestampReader({timeFormat: options.timeFormat, timezone: options.timezone});
  const offsetAt = zoneOffset(options.timezone ?? "UTC");
  const used = new Set([tsColumn, valueColumn, metricColumn, sourceColumn, ...metrics.map((m) => m.column)]);
  const extras = columns.filter((c) => !used.has(c));
  const keyIndexes = key.map((k) => index.get(k)!);
  // An event's identity → the first record with it; a hash hit is compared exactly, so a
  // collision never drops a row.
  const seen = new IdentityIndex(records.length);
  // CSV fields as they are (a key's trimmed); a JSON record by its text, or its key values.
  const identity = (r: RawRecord): string[] =>
    key.length
      ? r.fields
        ? keyIndexes.map((i) => r.fields![i]!.trim())
        : [JSON.stringify(key.map((k) => r.values![k] ?? null))]
      : (r.fields ?? [r.text!]);
  const sameIdentity = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const events: CleanEvent[] = [];
  const made: RowMetrics = {names: [], values: [], items: []};
  const metricSettings = {metrics, valueColumn, metricColumn, metric: options.metric ?? stem};
  let keptRows = 0;
  const fail = (r: RawRecord, column: string | null, reason: string) =>
    problems.push({file, line: r.line, column, reason, raw: rawOf(r)});
  for (let index = 0; index < records.length; index++) {
    const r = records[index]!;
    if (r.fields && r.fields.length !== columns.length) {
      fail(r, null, `ragged row: ${r.fields.length} fields, header has ${columns.length}`);
      continue;
    }
    const ts = readTime(get(r, tsColumn));
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
    const source = String(get(r, sourceColumn) ?? options.source ?? stem).trim();
    // The row's metrics and their values, all checked before any is kept.
    const problem = rowMetrics(r, get, metricSettings, made);
    if (problem) {
      fail(r, problem.column, problem.reason);
      continue;
    }
    const id = identity(r);
    const eventId = hashFields(id);
    const firstIndex = seen.firstOrAdd(eventId, index);
    const first = firstIndex < 0 ? undefined : records[firstIndex]!;
    if (first && sameIdentity(identity(first), id)) {
      fail(
        r,
        key.length ? key.join(",") : null,
        key.length
          ? `duplicate key (${key.map((k) => `${k} ${String(get(r, k))}`).join(", ")}); first at line ${first.line}`
          : `duplicate row: repeats line ${first.line} whole (name the column that identifies an event, "key" in dataset.json, if such rows are distinct events)`
      );
      continue;
    }
    const attributes = r.fields
      ? extras.length
        ? JSON.stringify(Object.fromEntries(extras.map((c) => [c, get(r, c)])))
        : "{}"
      : JSON.stringify(Object.fromEntries(Object.entries(r.values!).filter(([k]) => !used.has(k))));
    const eventDay = localDayMs(ts.getTime(), offsetAt);
    keptRows++;
    for (let m = 0; m < made.names.length; m++)
      events.push({
        source,
        ts,
        day: eventDay,
        metric: made.names[m]!,
        value: made.values[m]!,
        item: made.items[m]!,
        event_id: eventId,
        attributes
      });
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
      kept: rejected ? 0 : keptRows,
      quarantined: rejected ? records.length : problems.length
    }
  };
}
