import {randomBytes} from "node:crypto";
import {mkdirSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import {
  BIGINT,
  DOUBLE,
  DuckDBDataChunk,
  INTEGER,
  UTINYINT,
  dateValue,
  decimalValue,
  timestampValue,
  type DuckDBAppender,
  type DuckDBType
} from "@duckdb/node-api";
import {writeAtomically} from "./atomic-file.js";
import {openDuckDB, type Duck, type Row} from "./duckdb.js";
import {LabError} from "./errors.js";
import {quoteIdent, quoteString} from "./sql.js";

export interface Column {
  name: string;
  /** A DuckDB type: VARCHAR, BOOLEAN, INTEGER, BIGINT, DOUBLE, TIMESTAMP, DATE, DECIMAL(38,18), JSON, … */
  type: string;
}

export type Compression = "zstd" | "snappy" | "uncompressed";

/** Rows as objects keyed by column name; any object type works (fields not in `columns` are ignored). */
export type RowSource = Iterable<object> | AsyncIterable<object> | AsyncIterable<object[]>;

export interface WriteParquetOptions {
  path: string;
  columns: Column[];
  rows: RowSource;
  compression?: Compression;
  rowGroupRows?: number;
  /** Columns with one value for every row (lineage ids, for example), appended after `columns`. */
  constants?: (Column & {value: unknown})[];
  /** Called every ~100k rows with the running count. */
  onProgress?: (rows: number) => void;
}

type Append = (appender: DuckDBAppender, value: unknown) => void;

const MICROS_PER_MS = 1000n;

function toMicros(value: unknown): bigint {
  if (value instanceof Date) return BigInt(value.getTime()) * MICROS_PER_MS;
  if (typeof value === "bigint") return value / 1000n; // nanoseconds
  if (typeof value === "number") return BigInt(Math.round(value * 1000)); // milliseconds
  const ms = Date.parse(String(value));
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${String(value)}`);
  return BigInt(ms) * MICROS_PER_MS;
}

function toScaled(value: unknown, scale: number): bigint {
  if (typeof value === "bigint") return value * 10n ** BigInt(scale);
  const text = typeof value === "number" ? value.toFixed(Math.min(scale, 20)) : String(value).trim();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match) throw new Error(`not a decimal: ${text}`);
  const [, sign, whole = "", fraction = ""] = match;
  const digits = BigInt((whole || "0") + fraction.padEnd(scale, "0").slice(0, scale));
  return sign === "-" ? -digits : digits;
}

function appenderFor(type: string): Append {
  const upper = type.toUpperCase().trim();
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(upper);
  if (decimal) {
    const width = Number(decimal[1]),
      scale = Number(decimal[2]);
    return (a, v) => a.appendDecimal(decimalValue(toScaled(v, scale), width, scale));
  }
  switch (upper) {
    case "VARCHAR":
    case "TEXT":
      return (a, v) => a.appendVarchar(String(v));
    case "JSON":
      return (a, v) => a.appendVarchar(typeof v === "string" ? v : JSON.stringify(v));
    case "BOOLEAN":
      return (a, v) => a.appendBoolean(Boolean(v));
    case "INTEGER":
      return (a, v) => a.appendInteger(Number(v));
    case "SMALLINT":
      return (a, v) => a.appendSmallInt(Number(v));
    case "BIGINT":
      return (a, v) => a.appendBigInt(typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v))));
    case "DOUBLE":
      return (a, v) => a.appendDouble(Number(v));
    case "FLOAT":
    case "REAL":
      return (a, v) => a.appendFloat(Number(v));
    case "TIMESTAMP":
      return (a, v) => a.appendTimestamp(timestampValue(toMicros(v)));
    case "DATE":
      return (a, v) => a.appendDate(dateValue(Math.floor(Number(toMicros(v) / 86_400_000_000n))));
    default:
      return (a, v) => a.appendValue(v as never);
  }
}

async function* batchesOf(rows: RowSource): AsyncIterable<Row[]> {
  let batch: Row[] = [];
  for await (const item of rows as AsyncIterable<Row | Row[]>) {
    if (Array.isArray(item)) {
      if (batch.length) (yield batch, (batch = []));
      yield item;
    } else {
      batch.push(item);
      if (batch.length >= 8192) (yield batch, (batch = []));
    }
  }
  if (batch.length) yield batch;
}

/*
 * Rows reach Parquet through DuckDB: appended to a table (as row objects, or as typed-array
 * columns a vector at a time), then COPY … TO with the SQL that shapes them (casts, order).
 */

/** Appends rows into `table` (already created with `columns`); returns the count. */
export async function appendRows({
  duck,
  table,
  columns,
  rows,
  constants = [],
  onProgress
}: {
  duck: Duck;
  table: string;
  columns: Column[];
  rows: RowSource;
  constants?: (Column & {value: unknown})[];
  onProgress?: (rows: number) => void;
}): Promise<number> {
  const appends = columns.map((c) => appenderFor(c.type));
  const constantAppends = constants.map((c) => [appenderFor(c.type), c.value] as const);
  const names = columns.map((c) => c.name);
  const appender = await duck.connection.createAppender(table);
  let count = 0;
  let nextReport = 100_000;
  try {
    for await (const batch of batchesOf(rows)) {
      for (const row of batch) {
        for (let i = 0; i < names.length; i++) {
          const value = row[names[i]!];
          if (value === null || value === undefined || (typeof value === "number" && Number.isNaN(value)))
            appender.appendNull();
          else {
            try {
              appends[i]!(appender, value);
            } catch (error) {
              throw new LabError({
                reason: `row ${count + 1}, column ${names[i]}: cannot store ${JSON.stringify(String(value))} as ${columns[i]!.type} (${(error as Error).message})`
              });
            }
          }
        }
        for (const [append, value] of constantAppends)
          value === null || value === undefined ? appender.appendNull() : append(appender, value);
        appender.endRow();
        count++;
      }
      if (onProgress && count >= nextReport) (onProgress(count), (nextReport = count + 100_000));
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  onProgress?.(count);
  return count;
}

/** Column types a typed array can fill without a value-by-value conversion. */
export type ChunkColumnType = "DOUBLE" | "INTEGER" | "UTINYINT" | "BIGINT";
type ColumnData = Float64Array | Int32Array | Uint8Array | BigInt64Array;

const DUCK_TYPES: Record<ChunkColumnType, DuckDBType> = {DOUBLE, INTEGER, UTINYINT, BIGINT};
const VECTOR = 2048;

export interface ChunkAppender {
  /** Appends rows [from, to) of the given columns (one typed array per column, in order). */
  append(columns: readonly ColumnData[], from: number, to: number): void;
  rows: number;
  close(): void;
}

/**
 * The columnar way in: creates `table` and appends typed-array columns to it a vector (2,048
 * rows) at a time: each column is one `set` into the vector's memory, so millions of rows move
 * without a JavaScript value per cell. Wider types (timestamps, decimals, labels) are made from
 * these in the SQL that copies the table to Parquet (`copyQueryToParquet`), where DuckDB converts
 * them natively.
 */
export async function createChunkAppender({
  duck,
  table,
  columns
}: {
  duck: Duck;
  table: string;
  columns: {name: string; type: ChunkColumnType}[];
}): Promise<ChunkAppender> {
  await duck.run(
    `CREATE OR REPLACE TABLE ${quoteIdent(table)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")})`
  );
  const appender = await duck.connection.createAppender(table);
  const chunk = DuckDBDataChunk.create(
    columns.map((c) => DUCK_TYPES[c.type]),
    VECTOR
  );
  const state = {rows: 0};
  return {
    get rows() {
      return state.rows;
    },
    append(data, from, to) {
      if (data.length !== columns.length)
        throw new Error(`chunk appender for ${table}: ${data.length} columns given, ${columns.length} expected`);
      for (let start = from; start < to; start += VECTOR) {
        const n = Math.min(VECTOR, to - start);
        chunk.rowCount = n;
        for (let c = 0; c < columns.length; c++) {
          const vector = chunk.getColumnVector(c) as unknown as {items: ColumnData; flush(): void};
          (vector.items as Float64Array).set((data[c] as Float64Array).subarray(start, start + n));
          vector.flush();
        }
        appender.appendDataChunk(chunk);
        state.rows += n;
      }
    },
    close() {
      appender.flushSync();
      appender.closeSync();
    }
  };
}

/**
 * Writes rows to a Parquet file (ZSTD by default), streaming: rows go through a DuckDB appender
 * into a scratch database that spills to disk, so tables larger than memory work. The file appears
 * atomically at `path` only when complete; on any error nothing is left behind.
 */
export async function writeParquet({
  path,
  columns,
  rows,
  compression = "zstd",
  rowGroupRows = 122_880,
  constants = [],
  onProgress
}: WriteParquetOptions): Promise<{path: string; rows: number}> {
  if (!columns.length) throw new LabError({file: path, reason: "writeParquet needs at least one column"});
  mkdirSync(dirname(path), {recursive: true});
  const scratch = join(tmpdir(), `lab-parquet-${process.pid}-${randomBytes(4).toString("hex")}`);
  mkdirSync(scratch, {recursive: true});
  // A small buffer pool: the scratch table spills to disk, so memory stays flat however many rows.
  const duck = await openDuckDB({path: join(scratch, "scratch.duckdb"), tempDirectory: scratch, memoryLimit: "256MB"});
  try {
    await duck.run(
      `CREATE TABLE t (${[...columns, ...constants].map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")})`
    );
    const count = await appendRows({duck, table: "t", columns, rows, constants, onProgress});
    await writeAtomically(path, (temp) =>
      duck.run(
        `COPY t TO ${quoteString(temp)} (FORMAT parquet, COMPRESSION ${compression}, ROW_GROUP_SIZE ${rowGroupRows})`
      )
    );
    return {path, rows: count};
  } finally {
    duck.close();
    rmSync(scratch, {recursive: true, force: true});
  }
}

/** Writes the result of any query to a Parquet file, atomically; returns the row count. */
export async function copyQueryToParquet({
  duck,
  sql,
  path,
  compression = "zstd"
}: {
  duck: Duck;
  sql: string;
  path: string;
  compression?: Compression;
}): Promise<number> {
  mkdirSync(dirname(path), {recursive: true});
  return writeAtomically(path, (temp) =>
    duck.run(`COPY (${sql}) TO ${quoteString(temp)} (FORMAT parquet, COMPRESSION ${compression})`)
  );
}
