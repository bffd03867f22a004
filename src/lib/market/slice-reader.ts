import type {DuckDBConnection, DuckDBMaterializedResult} from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import type {Duck} from "../core/duckdb.js";
import {quoteString} from "../core/sql.js";
import type {ColumnChunk} from "./column-stream.js";

export interface SliceReaderOptions {
  duck: Duck;
  /** A Parquet file. */
  path: string;
  /** The row's values: DOUBLE expressions over the file's columns (never NULL). */
  expressions: string[];
  /** File position of the first row to read. */
  fromRow?: number;
  /** Bytes of values per slice (rows = bytes ÷ 8 ÷ columns, at least one vector). */
  sliceBytes?: number;
}

/**
 * A Parquet file's rows in file order, as row-major DOUBLE chunks (`stride` values a row), read
 * a slice of row groups at a time. Two slices are in flight on two connections, so DuckDB decodes
 * the next one on its own threads (in parallel) while JavaScript works through this one, and a
 * row is fetched as part of a fixed-size ARRAY: one typed-array view per 2,048 rows instead of one
 * per column — each view costs tens of microseconds in the bindings, which for narrow rows costs
 * more than the rows themselves. Memory: two slices, whatever the file's size.
 */
export class SliceReader {
  private readonly connections: DuckDBConnection[];
  private readonly sliceRows: number;
  private readonly stride: number;
  private next_: number;
  private pending: [Promise<DuckDBMaterializedResult> | undefined, Promise<DuckDBMaterializedResult> | undefined] = [undefined, undefined];
  private turn = 0;
  private current: {raw: duckdb.Result; result: DuckDBMaterializedResult; chunks: number; at: number; rows: number} | undefined;
  private ended = false;

  private constructor(private readonly options: SliceReaderOptions, connections: DuckDBConnection[]) {
    this.connections = connections;
    this.stride = options.expressions.length;
    this.sliceRows = Math.max(2048, Math.floor((options.sliceBytes ?? 8 << 20) / 8 / this.stride / 2048) * 2048);
    this.next_ = options.fromRow ?? 0;
  }

  static async open(options: SliceReaderOptions): Promise<SliceReader> {
    const reader = new SliceReader(options, [await options.duck.connect(), await options.duck.connect()]);
    reader.pending[0] = reader.query(0);
    reader.pending[1] = reader.query(1);
    return reader;
  }

  private query(k: number): Promise<DuckDBMaterializedResult> {
    const a = this.next_;
    this.next_ += this.sliceRows;
    const {path, expressions} = this.options;
    return this.connections[k]!.run(`SELECT [${expressions.join(", ")}]::DOUBLE[${expressions.length}] AS r FROM read_parquet(${quoteString(path)}, file_row_number = true) WHERE file_row_number >= ${a} AND file_row_number < ${a + this.sliceRows}`);
  }

  /** The next chunk: `columns[0]` holds n rows × stride values, row-major; undefined at the end. */
  async next(): Promise<ColumnChunk | undefined> {
    for (;;) {
      if (this.current && this.current.at < this.current.chunks) {
        const c = this.current;
        const chunk = duckdb.result_get_chunk(c.raw, c.at++);
        const n = duckdb.data_chunk_get_size(chunk);
        if (!n) continue;
        const child = duckdb.array_vector_get_child(duckdb.data_chunk_get_vector(chunk, 0));
        const bytes = duckdb.vector_get_data(child, n * this.stride * 8);
        c.rows += n;
        return {n, stride: this.stride, columns: [new Float64Array(bytes.buffer, bytes.byteOffset, n * this.stride)], owner: [chunk, c.result]};
      }
      // A slice shorter than asked for was the file's last.
      if (this.current && this.current.rows < this.sliceRows) this.ended = true;
      if (this.ended) return undefined;
      const k = this.turn;
      const result = await this.pending[k]!;
      this.pending[k] = this.query(k);
      this.turn ^= 1;
      // The bindings' result behind the materialized one: its chunks can be read synchronously.
      const raw = (result as unknown as {result: duckdb.Result}).result;
      this.current = {raw, result, chunks: duckdb.result_chunk_count(raw), at: 0, rows: 0};
    }
  }

  close(): void {
    this.ended = true;
    // Queries still in flight finish on their own; their connections close once they have.
    for (const [k, p] of this.pending.entries()) {
      const connection = this.connections[k]!;
      if (p) p.then(() => connection.closeSync(), () => connection.closeSync());
      else connection.closeSync();
    }
    this.pending = [undefined, undefined];
  }
}

