import {readCsvRecords} from "../core/csv.js";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {quoteIdent, quoteString} from "../core/sql.js";
import {OPTIONAL_ROLES, type MetersDatasetOptions, type ReadingColumns} from "./dataset-options.js";
import {timeParser} from "./reading-time.js";

/** A row of a readings file that is not a reading: where, which column, why, and its text. */
export interface RejectedRow {
  file: string;
  line: number;
  meter_id: string | null;
  error_column: string | null;
  error: string;
  raw: string;
}

/** One reading as read: its time in UTC ms (and the later instant of an ambiguous local time), NaN for none. */
export interface ReadRow {
  line: number;
  meterId: string;
  utcMs: number;
  laterMs: number;
  kwh: number;
  voltage: number;
  segment: string | null;
  transformer: string | null;
}

/** Where a scan puts what it reads: readings one by one (no object per row), rejected rows as objects. */
export interface ReadingsReceiver {
  reading(row: ReadRow): void;
  rejected(row: RejectedRow): void;
  /** Called every few thousand rows, so the receiver can flush; awaited. */
  flush(): Promise<void>;
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

/** Types one row's fields (by index into `fields`) into the receiver: a reading, or a rejected row with its reason. */
function rowTyper({
  options,
  at,
  file,
  receiver
}: {
  options: MetersDatasetOptions;
  at: Partial<Record<Role, number>>;
  file: string;
  receiver: ReadingsReceiver;
}): (line: number, fields: readonly (string | null)[], delimiter: string) => void {
  const parseTime = timeParser({format: options.timeFormat, timeZone: options.timeZone});
  const missing = new Set(options.missing);
  const text = (i: number | undefined, fields: readonly (string | null)[]) => {
    if (i === undefined) return null;
    const t = fields[i]?.trim();
    return t === undefined || missing.has(t) ? null : t;
  };
  const row: ReadRow = {
    line: 0,
    meterId: "",
    utcMs: 0,
    laterMs: NaN,
    kwh: NaN,
    voltage: NaN,
    segment: null,
    transformer: null
  };
  return (line, fields, delimiter) => {
    const meterId = text(at.meter_id, fields);
    const fail = (role: Role, error: string) =>
      receiver.rejected({
        file,
        line,
        meter_id: meterId,
        error_column: options.columns[role].trim(),
        error,
        raw: fields.map((f) => f ?? "").join(delimiter)
      });
    if (meterId === null) return fail("meter_id", "no meter id");
    const timeText = text(at.time, fields);
    if (timeText === null) return fail("time", "no time");
    const time = parseTime(timeText);
    if ("error" in time) return fail("time", time.error);
    const kwhText = text(at.kwh, fields);
    const kwh = kwhText === null ? NaN : Number(kwhText);
    if (kwhText !== null && !Number.isFinite(kwh)) return fail("kwh", `not a number: "${kwhText}"`);
    const voltageText = text(at.voltage, fields);
    const voltage = voltageText === null ? NaN : Number(voltageText);
    if (voltageText !== null && !Number.isFinite(voltage)) return fail("voltage", `not a number: "${voltageText}"`);
    row.line = line;
    row.meterId = meterId;
    row.utcMs = time.utcMs;
    row.laterMs = time.laterMs ?? NaN;
    row.kwh = kwh;
    row.voltage = voltage;
    row.segment = text(at.segment, fields);
    row.transformer = text(at.transformer, fields);
    receiver.reading(row);
  };
}

/**
 * Reads one readings file into a receiver: a CSV (LF or CRLF, a BOM, gzip, blank rows skipped)
 * record by record, a Parquet file through DuckDB in chunks, so a file larger than memory is read
 * in constant memory. Rows that are not readings (bad time, bad number, no meter, ragged) go to
 * `rejected` with the reason and their text, for the quarantine. Returns the data rows seen.
 */
export async function scanReadingsFile({
  path,
  file = path,
  options,
  receiver
}: {
  path: string;
  /** The file's name in the rows and in errors (relative to the dataset root). */
  file?: string;
  options: MetersDatasetOptions;
  receiver: ReadingsReceiver;
}): Promise<number> {
  let rows = 0;
  if (/\.parquet$/i.test(path)) {
    const duck = await openDuckDB();
    try {
      const source = `read_parquet(${quoteString(path)}, file_row_number = true)`;
      const header = (await duck.all<{column_name: string}>(`DESCRIBE SELECT * FROM ${source}`))
        .map((c) => c.column_name)
        .filter((c) => c !== "file_row_number");
      const at = locate({header, options, file});
      // The chunks come as rows of the mapped columns only, each as text, in the roles' order.
      const roles = Object.entries(at) as [Role, number][];
      const type = rowTyper({options, at: Object.fromEntries(roles.map(([role], k) => [role, k])), file, receiver});
      const select = roles.map(([, i], k) => `${quoteIdent(header[i]!)}::VARCHAR AS c${k}`).join(", ");
      for await (const chunk of duck.stream<Record<string, string | null>>(
        `SELECT file_row_number + 1 AS n, ${select} FROM ${source}`
      )) {
        for (const r of chunk) {
          type(
            Number(r.n),
            roles.map((_, k) => r[`c${k}`] ?? null),
            ","
          );
          rows++;
        }
        await receiver.flush();
      }
    } finally {
      duck.close();
    }
    return rows;
  }
  let type: ReturnType<typeof rowTyper> | undefined;
  let width = 0;
  for await (const record of readCsvRecords({path, file, delimiter: options.delimiter})) {
    const fields = record.fields;
    if (fields.every((f) => f.trim() === "")) continue;
    if (!type) {
      type = rowTyper({options, at: locate({header: fields, options, file}), file, receiver});
      width = fields.length;
      continue;
    }
    if (fields.length !== width)
      receiver.rejected({
        file,
        line: record.line,
        meter_id: null,
        error_column: null,
        error: `ragged row: expected ${width} fields, found ${fields.length}`,
        raw: fields.join(options.delimiter)
      });
    else type(record.line, fields, options.delimiter);
    if (++rows % 8192 === 0) await receiver.flush();
  }
  if (!type) throw new LabError({file, line: 1, reason: "empty file: no header row"});
  await receiver.flush();
  return rows;
}
