import {readCsvRecords} from "../core/csv.js";
import {LabError} from "../core/errors.js";
import {parseLocalTime} from "../core/time.js";
import {FACTORY_COLUMNS, MEASURES, MPCB_COLUMNS} from "./mpcb-columns.js";
import {readingProblem} from "./plausibility.js";
import type {CetpReading, FactoryReading} from "./types.js";

/** A row kept out of the readings, with where and why (the `effluent_quarantine` table). */
export interface ReadingProblem {
  file: string;
  line: number;
  column: string | null;
  reason: string;
  raw: string;
}

export interface FeedReport<T> {
  rows: T[];
  /** Rows that cannot be real readings (implausible times, impossible values), kept out. */
  quarantined: ReadingProblem[];
  /** Rows whose timestamp repeated an earlier one (the first is kept). */
  duplicates: number;
  /** Rows that came before a row with an earlier timestamp (the output is sorted). */
  outOfOrder: number;
}

function headerMismatch({
  file,
  expected,
  actual
}: {
  file: string;
  expected: readonly string[];
  actual: string[];
}): LabError {
  const width = Math.max(8, ...expected.map((h) => h.length));
  const lines = Array.from({length: Math.max(expected.length, actual.length)}, (_, i) => {
    const e = expected[i] ?? "—";
    const a = actual[i] ?? "—";
    return `  ${e === a ? " " : "≠"} ${String(i + 1).padStart(2)}  ${e.padEnd(width)}  ${a}`;
  });
  return new LabError({
    file,
    line: 1,
    reason: `unexpected header:\n     #  ${"expected".padEnd(width)}  found\n${lines.join("\n")}`,
    hint: "the column mapping lives in src/lib/effluent/mpcb-columns.ts"
  });
}

function parseValue({
  text,
  file,
  line,
  column
}: {
  text: string;
  file: string;
  line: number;
  column: string;
}): number | null {
  const t = text.trim();
  if (t === "" || t.toUpperCase() === "NA") return null;
  const value = Number(t);
  if (!Number.isFinite(value))
    throw new LabError({
      file,
      line,
      column,
      reason: `not a number: "${text}"`,
      hint: "use a number, or NA for a missing value"
    });
  return value;
}

function finish<T extends {ts: Date}>(
  rows: T[],
  key: (row: T) => string,
  quarantined: ReadingProblem[]
): FeedReport<T> {
  let outOfOrder = 0;
  let latest = -Infinity;
  for (const row of rows) {
    const t = row.ts.getTime();
    if (t < latest) outOfOrder++;
    else latest = t;
  }
  const seen = new Set<string>();
  const unique: T[] = [];
  let duplicates = 0;
  for (const row of rows) {
    const k = key(row);
    if (seen.has(k)) duplicates++;
    else (seen.add(k), unique.push(row));
  }
  unique.sort((a, b) => a.ts.getTime() - b.ts.getTime());
  return {rows: unique, quarantined, duplicates, outOfOrder};
}

/** Checks an MPCB export's header row; throws the side-by-side mismatch. */
export function checkMpcbHeader({fields, file}: {fields: string[]; file: string}): void {
  const actual = fields.map((f) => f.trim());
  if (actual.length !== MPCB_COLUMNS.length || MPCB_COLUMNS.some((c, i) => c.header !== actual[i]))
    throw headerMismatch({file, expected: MPCB_COLUMNS.map((c) => c.header), actual});
}

/** One MPCB data row → a reading (times are local at `utcOffsetMinutes`). */
export function parseMpcbRow({
  fields,
  line,
  file,
  utcOffsetMinutes
}: {
  fields: string[];
  line: number;
  file: string;
  utcOffsetMinutes: number;
}): CetpReading {
  if (fields.length !== MPCB_COLUMNS.length)
    throw new LabError({
      file,
      line,
      reason: `ragged row: expected ${MPCB_COLUMNS.length} fields, found ${fields.length}`
    });
  const row = {ts: parseLocalTime({text: fields[1]!, utcOffsetMinutes, file, line, column: "Time"})} as CetpReading;
  MEASURES.forEach(
    (m, i) => (row[m] = parseValue({text: fields[i + 2]!, file, line, column: MPCB_COLUMNS[i + 2]!.header}))
  );
  return row;
}

export function checkFactoryHeader({fields, file}: {fields: string[]; file: string}): void {
  const actual = fields.map((f) => f.trim().toLowerCase());
  if (actual.length !== FACTORY_COLUMNS.length || FACTORY_COLUMNS.some((c, i) => c !== actual[i]))
    throw headerMismatch({file, expected: FACTORY_COLUMNS, actual: fields});
}

/** One factory feed row → a reading. */
export function parseFactoryRow({
  fields,
  line,
  file,
  utcOffsetMinutes
}: {
  fields: string[];
  line: number;
  file: string;
  utcOffsetMinutes: number;
}): FactoryReading {
  if (fields.length !== FACTORY_COLUMNS.length)
    throw new LabError({
      file,
      line,
      reason: `ragged row: expected ${FACTORY_COLUMNS.length} fields, found ${fields.length}`
    });
  const factory = fields[2]!.trim();
  if (!factory) throw new LabError({file, line, column: "factory_id", reason: "missing factory_id"});
  const value = (i: number, column: string) => parseValue({text: fields[i]!, file, line, column});
  return {
    ts: parseLocalTime({text: fields[1]!, utcOffsetMinutes, file, line, column: "time"}),
    factory_id: factory,
    cod: value(3, "cod"),
    bod: value(4, "bod"),
    ph: value(5, "ph"),
    tss: value(6, "tss"),
    status: "OK"
  };
}

export type RowParser<T> = (options: {fields: string[]; line: number; file: string; utcOffsetMinutes: number}) => T;

async function readFeed<T extends {ts: Date}>({
  path,
  file,
  utcOffsetMinutes,
  checkHeader,
  parseRow,
  key,
  measures,
  now
}: {
  path: string;
  file: string;
  utcOffsetMinutes: number;
  checkHeader: (o: {fields: string[]; file: string}) => void;
  parseRow: RowParser<T>;
  key: (row: T) => string;
  /** The row's measured values by column, for the plausibility check. */
  measures: (row: T) => [string, number | null][];
  now: Date;
}): Promise<FeedReport<T>> {
  const rows: T[] = [];
  const quarantined: ReadingProblem[] = [];
  let header = true;
  for await (const {line, fields} of readCsvRecords({path, file})) {
    if (header) {
      checkHeader({fields, file});
      header = false;
      continue;
    }
    const row = parseRow({fields, line, file, utcOffsetMinutes});
    const problem = readingProblem({ts: row.ts, values: measures(row), now});
    if (problem) quarantined.push({file, line, ...problem, raw: fields.join(",")});
    else rows.push(row);
  }
  if (header) throw new LabError({file, line: 1, reason: "empty file: no header row"});
  return finish(rows, key, quarantined);
}

/** Where a feed is and how to read its times. */
export interface FeedOptions {
  path: string;
  /** How errors name the file (defaults to the path). */
  file?: string;
  /** The feed's local time (IST, +330, by default). */
  utcOffsetMinutes?: number;
  /** The present, for the "not in the future" check (tests pin it). */
  now?: Date;
}

/**
 * Reads an MPCB CETP export (quoted CSV, BOM and CRLF tolerated, `NA` for missing, IST local
 * times). An unexpected header fails with the expected and actual columns side by side; a bad
 * value fails with its line and column. Duplicate timestamps keep the first row.
 */
export function readMpcbExport({
  path,
  file = path,
  utcOffsetMinutes = 330,
  now = new Date()
}: FeedOptions): Promise<FeedReport<CetpReading>> {
  return readFeed({
    path,
    file,
    utcOffsetMinutes,
    checkHeader: checkMpcbHeader,
    parseRow: parseMpcbRow,
    key: (r) => String(r.ts.getTime()),
    measures: (r) => MEASURES.map((m) => [m, r[m]]),
    now
  });
}

/** Reads a factory feed `s_no,time,factory_id,cod,bod,ph,tss` (empty = missing, IST local times). */
export function readFactoryFeed({
  path,
  file = path,
  utcOffsetMinutes = 330,
  now = new Date()
}: FeedOptions): Promise<FeedReport<FactoryReading>> {
  return readFeed({
    path,
    file,
    utcOffsetMinutes,
    checkHeader: checkFactoryHeader,
    parseRow: parseFactoryRow,
    key: (r) => `${r.factory_id}\0${r.ts.getTime()}`,
    measures: (r) => [
      ["cod", r.cod],
      ["bod", r.bod],
      ["ph", r.ph],
      ["tss", r.tss]
    ],
    now
  });
}
