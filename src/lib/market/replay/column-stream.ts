import type {DuckDBConnection, DuckDBDataChunk} from "@duckdb/node-api";

/** One vector of a query's result: its columns as typed arrays (views valid while the chunk lives). */
export interface ColumnChunk {
  n: number;
  columns: (Float64Array | Uint8Array)[];
  /** The chunk the arrays view: kept referenced so its memory lives as long as they do. */
  owner: unknown;
  /** Set when the chunk is row-major: `columns[0]` holds n rows × stride values. */
  stride?: number;
}

/** Anything the replay reads chunks from: a query's stream, a slice reader. */
export interface ChunkSource {
  next(): Promise<ColumnChunk | undefined>;
  close(): void;
}

/**
 * A query's result as typed-array chunks (DOUBLE → Float64Array, UTINYINT → Uint8Array), with
 * one chunk fetched ahead: DuckDB decodes and sorts on its own threads while JavaScript works on
 * the current chunk, and never more than one chunk waits (a bounded queue of one).
 */
export class ColumnStream {
  private pending: Promise<DuckDBDataChunk | null> | undefined;
  private done = false;
  rows = 0;

  private constructor(
    private readonly result: {fetchChunk(): Promise<DuckDBDataChunk | null>},
    private readonly connection: DuckDBConnection
  ) {}

  static async open({connection, sql}: {connection: DuckDBConnection; sql: string}): Promise<ColumnStream> {
    const stream = new ColumnStream(await connection.stream(sql), connection);
    stream.pending = stream.result.fetchChunk();
    return stream;
  }

  /** The next chunk, or undefined at the end. */
  async next(): Promise<ColumnChunk | undefined> {
    if (this.done) return undefined;
    const chunk = await this.pending!;
    if (!chunk || chunk.rowCount === 0) {
      this.done = true;
      return undefined;
    }
    this.pending = this.result.fetchChunk();
    const columns: (Float64Array | Uint8Array)[] = [];
    for (let c = 0; c < chunk.columnCount; c++)
      columns.push((chunk.getColumnVector(c) as unknown as {items: Float64Array | Uint8Array}).items);
    this.rows += chunk.rowCount;
    return {n: chunk.rowCount, columns, owner: chunk};
  }

  close(): void {
    this.done = true;
    this.connection.closeSync();
  }
}
