import {BIGINT, DOUBLE, DuckDBDataChunk, INTEGER, UTINYINT, type DuckDBType} from "@duckdb/node-api";
import type {Duck} from "./duckdb.js";
import {quoteIdent} from "./sql.js";

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
 * Appends typed-array columns to a DuckDB table a vector (2,048 rows) at a time: each column is
 * one `set` into the vector's memory, so millions of rows move without a JavaScript value per
 * cell. Wider types (timestamps, decimals, labels) are made from these in the SQL that reads the
 * table, where DuckDB converts them natively.
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
