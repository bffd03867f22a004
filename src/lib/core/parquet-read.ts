import {openDuckDB, type Row} from "./duckdb.js";
import {quoteList} from "./sql.js";

export interface ReadParquetOptions {
  /** A file, a glob, or a list of files. */
  path: string | string[];
  /** A query over the view `t`; defaults to `SELECT * FROM t`. */
  sql?: string;
}

function source(path: string | string[]): string {
  return `read_parquet(${quoteList(Array.isArray(path) ? path : [path])}, union_by_name = true)`;
}

/** Streams a Parquet file (or files) in chunks of rows, optionally through a query on view `t`. */
export async function* readParquet({path, sql = "SELECT * FROM t"}: ReadParquetOptions): AsyncIterable<Row[]> {
  const duck = await openDuckDB();
  try {
    await duck.run(`CREATE VIEW t AS SELECT * FROM ${source(path)}`);
    yield* duck.stream(sql);
  } finally {
    duck.close();
  }
}

export async function readParquetAll(options: ReadParquetOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of readParquet(options)) for (const row of batch) rows.push(row);
  return rows;
}

export async function parquetSchema({path}: {path: string | string[]}): Promise<{name: string; type: string}[]> {
  const duck = await openDuckDB();
  try {
    const rows = await duck.all<{column_name: string; column_type: string}>(`DESCRIBE SELECT * FROM ${source(path)}`);
    return rows.map((r) => ({name: r.column_name, type: r.column_type}));
  } finally {
    duck.close();
  }
}

/** Row count from the Parquet footers, without reading the data. */
export async function parquetRowCount({path}: {path: string | string[]}): Promise<number> {
  const duck = await openDuckDB();
  try {
    const [row] = await duck.all<{n: bigint | null}>(
      `SELECT sum(num_rows)::BIGINT AS n FROM parquet_file_metadata(${quoteList(Array.isArray(path) ? path : [path])})`
    );
    return Number(row?.n ?? 0);
  } finally {
    duck.close();
  }
}
