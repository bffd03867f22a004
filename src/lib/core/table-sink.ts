import {mkdirSync, renameSync} from "node:fs";
import {dirname, join} from "node:path";
import {openDuckDB, type Duck} from "./duckdb.js";
import {copyQueryToParquet, writeParquet, type Column, type RowSource} from "./parquet-write.js";
import {parquetRowCount, parquetSchema} from "./parquet-read.js";
import {quoteString} from "./sql.js";

/**
 * Where a pipeline's tables go. A domain's `run…Tables()` writes every table through one of
 * these, so the command line (a folder of `<table>.parquet`) and the catalog (topics published
 * by a plugin job) receive the same tables from the same code.
 */
export interface TableSink {
  /** Writes rows of one table; returns the row count. */
  write(table: string, data: {columns: Column[]; rows: RowSource}): Promise<number>;
  /** Writes the result of a DuckDB query (over Parquet files by path) as one table. */
  writeQuery(table: string, sql: string): Promise<number>;
  /**
   * Takes finished Parquet files (already carrying the `dataset` column) in as one table of several
   * files, moved to `<table>/<rel>` (a partitioned table: `symbol=…/day=…/part-0.parquet`); returns
   * the row count. Sinks without it are given the rows through `writeQuery`.
   */
  adopt?(table: string, files: {path: string; rel: string}[]): Promise<number>;
}

export interface WrittenTable {
  name: string;
  path: string;
  rows: number;
  schema: Column[];
}

/** The column every published table carries: the dataset its rows came from. */
export const DATASET_COLUMN = {name: "dataset", type: "VARCHAR"} as const;

/**
 * A sink that writes `<table>.parquet` files into `outDir` and remembers them, each with the
 * `dataset` column last (unless the rows already carry one). Queries run on `duck` when given
 * (so they can read its views), else on a fresh in-memory database each.
 */
export function folderSink({
  outDir,
  duck,
  dataset
}: {
  outDir: string;
  duck?: Duck;
  /** The dataset's name, written in every row's `dataset` column. */
  dataset: string;
}): TableSink & {tables: WrittenTable[]} {
  const tables: WrittenTable[] = [];
  const record = async (name: string, path: string, rows: number) => {
    tables.push({name, path, rows, schema: await parquetSchema({path})});
    return rows;
  };
  return {
    tables,
    async write(table, {columns, rows}) {
      const path = join(outDir, `${table}.parquet`);
      const constants = columns.some((c) => c.name === DATASET_COLUMN.name)
        ? []
        : [{...DATASET_COLUMN, value: dataset}];
      return record(table, path, (await writeParquet({path, columns, rows, constants})).rows);
    },
    async adopt(table, files) {
      let rows = 0;
      for (const f of files) {
        const path = join(outDir, table, f.rel);
        mkdirSync(dirname(path), {recursive: true});
        renameSync(f.path, path);
        rows += await record(table, path, await parquetRowCount({path}));
      }
      return rows;
    },
    async writeQuery(table, sql) {
      const path = join(outDir, `${table}.parquet`);
      const db = duck ?? (await openDuckDB());
      try {
        return await record(
          table,
          path,
          await copyQueryToParquet({duck: db, sql: await withDataset(db, sql, dataset), path})
        );
      } finally {
        if (!duck) db.close();
      }
    }
  };
}

/** The query with a `dataset` column added last, unless it has one already. */
export async function withDataset(duck: Duck, sql: string, dataset: string): Promise<string> {
  const described = await duck.all<{column_name: string}>(`DESCRIBE ${sql}`);
  if (described.some((c) => c.column_name === DATASET_COLUMN.name)) return sql;
  return `SELECT *, ${quoteString(dataset)} AS dataset FROM (${sql})`;
}
