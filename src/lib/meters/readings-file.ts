import {readCsvRecords} from "../core/csv.js";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {quoteIdent, quoteString} from "../core/sql.js";
import {OPTIONAL_ROLES, type MetersDatasetOptions, type ReadingColumns} from "./dataset-options.js";
import {timeParser} from "./reading-time.js";

/** One data row of a readings file as read: typed, its time resolved to UTC, or the reason it is not a reading. */
export interface ReadingRow {
  file: string;
  line: number;
  meter_id: string | null;
  reading_ts: Date | null;
  later_ts: Date | null;
  time_text: string | null;
  kwh: number | null;
  voltage: number | null;
  customer_segment: string | null;
  transformer_id: string | null;
  error_column: string | null;
  error: string | null;
  raw: string | null;
}

/** The files a readings dataset reads: CSV (optionally gzipped) and Parquet. */
export const READINGS_FILE = /\.(csv(\.gz)?|parquet)$/i;

type Role = keyof ReadingColumns;

/** Which field index holds each role, from the header (names compared trimmed and case-insensitively). */
function locate({
  header,
  options,
  file
}: {
  header: string[];
  options: MetersDatasetOptions;
  file: string;
}): Partial<Record<Role, number>> {
  const names = header.map((h) => h.trim().toLowerCase());
  const at: Partial<Record<Role, number>> = {};
  for (const [role, name] of Object.entries(options.columns) as [Role, string][]) {
    const i = names.indexOf(name.trim().toLowerCase());
    if (i >= 0) at[role] = i;
    else if (!(OPTIONAL_ROLES as readonly string[]).includes(role) || options.mapped.has(role))
      throw new LabError({
        file,
        line: 1,
        reason: `no ${role} column "${name}" in the header (${header.map((h) => JSON.stringify(h)).join(", ")})`,
        hint: `name it in the dataset's dataset.json: {"columns": {"${role}": "…"}}`
      });
  }
  return at;
}

/** Typing of one row's fields: the row, with `error` set when one field is not what it should be. */
function rowTyper(
  options: MetersDatasetOptions
): (a: {file: string; line: number; get: (role: Role) => string | undefined; raw: () => string}) => ReadingRow {
  const parseTime = timeParser({format: options.timeFormat, timeZone: options.timeZone});
  const missing = new Set(options.missing);
  const text = (v: string | undefined) => {
    const t = v?.trim();
    return t === undefined || missing.has(t) ? null : t;
  };
  return ({file, line, get, raw}) => {
    const row: ReadingRow = {
      file,
      line,
      meter_id: text(get("meter_id")),
      reading_ts: null,
      later_ts: null,
      time_text: text(get("time")),
      kwh: null,
      voltage: null,
      customer_segment: text(get("segment")),
      transformer_id: text(get("transformer")),
      error_column: null,
      error: null,
      raw: null
    };
    const fail = (role: Role, reason: string) => {
      row.error_column = options.columns[role].trim();
      row.error = reason;
      row.raw = raw();
      return row;
    };
    if (row.meter_id === null) return fail("meter_id", "no meter id");
    if (row.time_text === null) return fail("time", "no time");
    const time = parseTime(row.time_text);
    if ("error" in time) return fail("time", time.error);
    row.reading_ts = new Date(time.utcMs);
    if (time.laterMs !== undefined) row.later_ts = new Date(time.laterMs);
    for (const role of ["kwh", "voltage"] as const) {
      const t = text(get(role));
      if (t === null) continue;
      const n = Number(t);
      if (!Number.isFinite(n)) return fail(role, `not a number: "${t}"`);
      row[role] = n;
    }
    return row;
  };
}

/**
 * Streams one readings file as rows (batches of up to 8,192): a CSV (LF or CRLF, a BOM, gzip,
 * blank rows skipped) record by record, a Parquet file through DuckDB in chunks, so a file larger
 * than memory is read in constant memory. Rows that are not readings (bad time, bad number, no
 * meter, ragged) come back with `error` and the raw text, for the quarantine.
 */
export async function* readReadingsFile({
  path,
  file = path,
  options
}: {
  path: string;
  /** The file's name in the rows and in errors (relative to the dataset root). */
  file?: string;
  options: MetersDatasetOptions;
}): AsyncIterable<ReadingRow[]> {
  const type = rowTyper(options);
  let batch: ReadingRow[] = [];
  if (/\.parquet$/i.test(path)) {
    const duck = await openDuckDB();
    try {
      const source = `read_parquet(${quoteString(path)}, file_row_number = true)`;
      const header = (await duck.all<{column_name: string}>(`DESCRIBE SELECT * FROM ${source}`))
        .map((c) => c.column_name)
        .filter((c) => c !== "file_row_number");
      const at = locate({header, options, file});
      const roles = Object.entries(at) as [Role, number][];
      const select = roles.map(([role, i]) => `${quoteIdent(header[i]!)}::VARCHAR AS ${role}`).join(", ");
      for await (const chunk of duck.stream<Record<Role, string | null> & {n: bigint}>(
        `SELECT file_row_number + 1 AS n, ${select} FROM ${source}`
      )) {
        for (const r of chunk) {
          const get = (role: Role) => r[role] ?? undefined;
          const raw = () => roles.map(([role]) => r[role] ?? "").join(",");
          batch.push(type({file, line: Number(r.n), get, raw}));
        }
        yield batch;
        batch = [];
      }
    } finally {
      duck.close();
    }
    return;
  }
  let at: Partial<Record<Role, number>> | undefined;
  let width = 0;
  for await (const record of readCsvRecords({path, file, delimiter: options.delimiter})) {
    const fields = record.fields;
    if (fields.every((f) => f.trim() === "")) continue;
    if (!at) {
      at = locate({header: fields, options, file});
      width = fields.length;
      continue;
    }
    const raw = () => fields.join(options.delimiter);
    if (fields.length !== width) {
      batch.push({
        ...type({file, line: record.line, get: () => undefined, raw}),
        error_column: null,
        error: `ragged row: expected ${width} fields, found ${fields.length}`,
        raw: raw()
      });
    } else {
      const get = (role: Role) => (at![role] === undefined ? undefined : fields[at![role]!]);
      batch.push(type({file, line: record.line, get, raw}));
    }
    if (batch.length >= 8192) (yield batch, (batch = []));
  }
  if (!at) throw new LabError({file, line: 1, reason: "empty file: no header row"});
  if (batch.length) yield batch;
}
