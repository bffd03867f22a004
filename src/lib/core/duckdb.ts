import {DuckDBInstance, JSDuckDBValueConverter, type DuckDBConnection, type DuckDBValue} from "@duckdb/node-api";

/** A row as plain JavaScript: BIGINT → bigint, TIMESTAMP/DATE → Date, DECIMAL → number, lists → arrays. */
export type Row = Record<string, unknown>;

export interface Duck {
  /** Runs one or more statements; returns the number of rows changed by the last one. */
  run(sql: string, params?: unknown[]): Promise<number>;
  /** Runs a query and returns every row. */
  all<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a query that returns at least one row (an aggregate, say) and returns the first. */
  one<T = Row>(sql: string, params?: unknown[]): Promise<T>;
  /** Streams a query's rows in chunks without materialising the whole result. */
  stream<T = Row>(sql: string, params?: unknown[]): AsyncIterable<T[]>;
  /** The underlying connection, for appenders and other low-level work. */
  readonly connection: DuckDBConnection;
  /** Another connection to the same database (one streaming result per connection at a time). */
  connect(): Promise<DuckDBConnection>;
  close(): void;
}

export interface OpenDuckDBOptions {
  /** Database file; in memory when omitted. */
  path?: string;
  threads?: number;
  /** e.g. "4GB"; DuckDB spills to its temp directory beyond it. */
  memoryLimit?: string;
  /** Where DuckDB spills when an in-memory database outgrows memoryLimit. */
  tempDirectory?: string;
}

function toParam(value: unknown): DuckDBValue {
  if (value instanceof Date) return value.toISOString();
  if (value === undefined) return null;
  return value as DuckDBValue;
}

/** Opens a DuckDB database (in memory by default) behind a small promise API. */
export async function openDuckDB({
  path = ":memory:",
  threads,
  memoryLimit,
  tempDirectory
}: OpenDuckDBOptions = {}): Promise<Duck> {
  const options: Record<string, string> = {};
  if (threads !== undefined) options.threads = String(threads);
  if (memoryLimit !== undefined) options.memory_limit = memoryLimit;
  if (tempDirectory !== undefined) options.temp_directory = tempDirectory;
  const instance = await DuckDBInstance.create(path, options);
  const connection = await instance.connect();
  const params = (list?: unknown[]) => (list?.length ? list.map(toParam) : undefined);
  return {
    connection,
    connect: () => instance.connect(),
    async run(sql, list) {
      const result = await connection.run(sql, params(list));
      return result.rowsChanged;
    },
    async all<T>(sql: string, list?: unknown[]) {
      const reader = await connection.runAndReadAll(sql, params(list));
      return reader.convertRowObjects(JSDuckDBValueConverter) as T[];
    },
    async one<T>(sql: string, list?: unknown[]) {
      const reader = await connection.runAndReadAll(sql, params(list));
      const [row] = reader.convertRowObjects(JSDuckDBValueConverter);
      if (!row) throw new Error(`the query returned no row: ${sql}`);
      return row as T;
    },
    async *stream<T>(sql: string, list?: unknown[]) {
      const result = await connection.stream(sql, params(list));
      for await (const rows of result.yieldConvertedRowObjects(JSDuckDBValueConverter)) {
        if (rows.length) yield rows as T[];
      }
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    }
  };
}
