import type {DuckDBConnection, DuckDBMaterializedResult, DuckDBResult} from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import {setFlagsFromString} from "node:v8";
import {runInNewContext} from "node:vm";
import {PerformanceObserver, constants as perfConstants} from "node:perf_hooks";
import type {Duck} from "../../core/duckdb.js";
import {quoteString} from "../../core/sql.js";
import type {ColumnChunk} from "./column-stream.js";

export interface SliceReaderOptions {
  duck: Duck;
  /** A Parquet file. */
  path: string;
  /** The row's values: DOUBLE expressions over the file's columns (never NULL). */
  expressions: string[];
  /** File position of the first row to read. */
  fromRow?: number;
  /** A select list giving the file the lab's column names (`canonicalSelect`), when it lacks them. */
  select?: string;
  /** Bytes of values a slice aims at (whole row groups, at least one); default 8 MiB. */
  sliceBytes?: number;
}

/**
 * A Parquet file's rows in file order, as row-major DOUBLE chunks (`stride` values a row). A row
 * is fetched as part of a fixed-size ARRAY: one typed-array view per 2,048 rows instead of one per
 * column — each view costs tens of microseconds in the bindings, which for narrow rows costs more
 * than the rows themselves.
 *
 * Narrow rows (deltas, trades) are read a slice of whole row groups at a time, two slices in
 * flight on two connections, so DuckDB decodes the next one on its own threads (in parallel)
 * while JavaScript works through this one. Slices follow the file's row groups because a query
 * for part of a row group decodes all of it: slices cut across row groups would decode some groups
 * several times. Rows so wide that one row group is more than two slices (the top-20 snapshots:
 * 82 values a row) are read as one streaming query instead, vectors fetched up to eight ahead by a
 * pump — no group is decoded twice and memory stays at a few vectors. Narrow inputs are not
 * streamed that way because decoding them in slices in parallel is faster. Memory: two slices or
 * eight vectors, whatever the file's size.
 */
export class SliceReader {
  private readonly connections: DuckDBConnection[];
  private readonly stride: number;
  /** Slice boundaries (file positions) still to query, in order. */
  private readonly bounds: [number, number][];
  private pending: [Promise<DuckDBMaterializedResult> | undefined, Promise<DuckDBMaterializedResult> | undefined] = [
    undefined,
    undefined
  ];
  private turn = 0;
  private current:
    {raw: duckdb.Result; result: DuckDBMaterializedResult; chunks: number; at: number; bytes: number} | undefined;
  private stream: StreamQueue | undefined;
  private ended = false;

  private constructor(
    private readonly options: SliceReaderOptions,
    connections: DuckDBConnection[],
    bounds: [number, number][]
  ) {
    this.connections = connections;
    this.stride = options.expressions.length;
    this.bounds = bounds;
  }

  static async open(options: SliceReaderOptions): Promise<SliceReader> {
    watchCollections();
    const {duck, path, expressions, fromRow = 0, sliceBytes = 8 << 20} = options;
    const groups = await duck.all<{rows: bigint}>(
      `SELECT any_value(row_group_num_rows) AS rows FROM parquet_metadata(${quoteString(path)}) GROUP BY row_group_id ORDER BY row_group_id`
    );
    const rowBytes = 8 * expressions.length;
    const widest = Math.max(0, ...groups.map((g) => Number(g.rows)));
    if (widest * rowBytes > 2 * sliceBytes) {
      const reader = new SliceReader(options, [await duck.connect()], []);
      reader.stream = new StreamQueue(await reader.connections[0]!.stream(reader.sql(fromRow, Infinity)), STREAM_AHEAD);
      return reader;
    }
    // Whole row groups per slice, up to sliceBytes (the first begins at fromRow, inside its group,
    // and is that group alone).
    const bounds: [number, number][] = [];
    let start = fromRow,
      at = 0;
    for (const g of groups) {
      const end = at + Number(g.rows);
      at = end;
      if (end <= start) continue;
      // The first slice is one row group: the replay waits for it before its first event.
      if (!bounds.length || (end - start) * rowBytes >= sliceBytes) {
        bounds.push([start, end]);
        start = end;
      }
    }
    if (start < at) bounds.push([start, at]);
    const reader = new SliceReader(options, [await duck.connect(), await duck.connect()], bounds);
    reader.pending[0] = reader.query(0);
    reader.pending[1] = reader.query(1);
    return reader;
  }

  private sql(from: number, to: number): string {
    const {path, expressions, select} = this.options;
    const file = `read_parquet(${quoteString(path)}, file_row_number = true)`;
    return `SELECT [${expressions.join(", ")}]::DOUBLE[${expressions.length}] AS r FROM ${select ? `(SELECT ${select} FROM ${file})` : file} WHERE file_row_number >= ${from}${Number.isFinite(to) ? ` AND file_row_number < ${to}` : ""}`;
  }

  private query(k: number): Promise<DuckDBMaterializedResult> | undefined {
    const slice = this.bounds.shift();
    return slice && this.connections[k]!.run(this.sql(slice[0], slice[1]));
  }

  /** A chunk's rows as one row-major view (valid while `owner` lives). */
  private view(chunk: duckdb.DataChunk, n: number, owner: unknown): ColumnChunk {
    const child = duckdb.array_vector_get_child(duckdb.data_chunk_get_vector(chunk, 0));
    const bytes = duckdb.vector_get_data(child, n * this.stride * 8);
    return {
      n,
      stride: this.stride,
      columns: [new Float64Array(bytes.buffer, bytes.byteOffset, n * this.stride)],
      owner
    };
  }

  /** The next chunk: `columns[0]` holds n rows × stride values, row-major; undefined at the end. */
  async next(): Promise<ColumnChunk | undefined> {
    if (this.stream) {
      if (this.ended) return undefined;
      const chunk = await this.stream.take();
      const n = chunk ? duckdb.data_chunk_get_size(chunk) : 0;
      // Each vector taken means one let go of (the one before it): counted as it arrives.
      releasedNative(n * this.stride * 8);
      if (!chunk || !n) {
        this.ended = true;
        return undefined;
      }
      return this.view(chunk, n, [chunk, this.stream.result]);
    }
    for (;;) {
      if (this.current && this.current.at < this.current.chunks) {
        const c = this.current;
        const chunk = duckdb.result_get_chunk(c.raw, c.at++);
        const n = duckdb.data_chunk_get_size(chunk);
        if (!n) continue;
        return this.view(chunk, n, [chunk, c.result]);
      }
      if (this.ended) return undefined;
      const k = this.turn;
      const pending = this.pending[k];
      if (!pending) {
        this.ended = true;
        return undefined;
      }
      const result = await pending;
      if (this.current) releasedNative(this.current.bytes);
      this.pending[k] = this.query(k);
      this.turn ^= 1;
      // The bindings' result behind the materialized one: its chunks can be read synchronously.
      const raw = (result as unknown as {result: duckdb.Result}).result;
      const chunks = duckdb.result_chunk_count(raw);
      // The result's values, and as much again in the chunks taken from it.
      this.current = {raw, result, chunks, at: 0, bytes: 2 * chunks * 2048 * this.stride * 8};
    }
  }

  close(): void {
    this.ended = true;
    // Queries still in flight finish on their own; their connections close once they have.
    const inFlight = this.stream ? [this.stream.stop()] : this.pending;
    for (const [k, connection] of this.connections.entries()) {
      const p = inFlight[k];
      if (p)
        p.then(
          () => connection.closeSync(),
          () => connection.closeSync()
        );
      else connection.closeSync();
    }
    this.pending = [undefined, undefined];
  }
}

/**
 * DuckDB's results and chunks are freed by finalizers only (the bindings expose no destroy), and
 * V8 does not know their native size: a replay that makes little JavaScript garbage would leave
 * spent results waiting for a late collection, and its memory would grow with the input. So when
 * `NATIVE_GC_BYTES` of results have been let go of since the last full collection, the reader
 * runs one (cheap: the replay's JavaScript heap is small), and memory stays flat. V8's own full
 * collections, which free them as well, reset the count, so a replay that collects often by
 * itself is not held up by more. A lower threshold collects more often for no lower peak.
 */
const NATIVE_GC_BYTES = 96 << 20;
let released = 0;
let collect: (() => void) | undefined;
function releasedNative(bytes: number): void {
  released += bytes;
  if (released < NATIVE_GC_BYTES) return;
  released = 0;
  collect?.();
}

/** Makes `collect` available (once a process) and has every full collection reset the count. */
function watchCollections(): void {
  if (collect) return;
  setFlagsFromString("--expose-gc");
  collect = runInNewContext("gc") as () => void;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as unknown as {detail?: {kind?: number}}).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR)
        released = 0;
  }).observe({entryTypes: ["gc"]});
}

/** Vectors a streaming read keeps fetched ahead (each ~1.3 MB for a top-20 snapshot row). */
const STREAM_AHEAD = 8;

/**
 * A streaming result's vectors fetched ahead by a pump of its own, up to `ahead` waiting: DuckDB
 * decodes the next vectors while the replay works on other inputs, so the replay seldom waits for
 * a vector of snapshots.
 */
class StreamQueue {
  private readonly chunks: (duckdb.DataChunk | null)[] = [];
  private wakeTaker: (() => void) | undefined;
  private wakePump: (() => void) | undefined;
  private stopped = false;
  private failure: unknown;
  private readonly pumping: Promise<void>;

  constructor(
    readonly result: DuckDBResult,
    private readonly ahead: number
  ) {
    this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    const raw = (this.result as unknown as {result: duckdb.Result}).result;
    try {
      for (;;) {
        while (this.chunks.length >= this.ahead && !this.stopped) await new Promise<void>((r) => (this.wakePump = r));
        if (this.stopped) return;
        const chunk = await duckdb.fetch_chunk(raw);
        this.chunks.push(chunk);
        this.wakeTaker?.();
        if (!chunk || !duckdb.data_chunk_get_size(chunk)) return;
      }
    } catch (error) {
      this.failure = error;
      this.chunks.push(null);
      this.wakeTaker?.();
    }
  }

  /** The next vector (null at the end); a failed fetch is thrown here. */
  async take(): Promise<duckdb.DataChunk | null> {
    while (!this.chunks.length) await new Promise<void>((r) => (this.wakeTaker = r));
    this.wakeTaker = undefined;
    const chunk = this.chunks.shift()!;
    this.wakePump?.();
    this.wakePump = undefined;
    if (chunk === null && this.failure) throw this.failure;
    return chunk;
  }

  /** Stops fetching; resolves once no fetch is in flight (the connection can then close). */
  stop(): Promise<void> {
    this.stopped = true;
    this.wakePump?.();
    return this.pumping;
  }
}
