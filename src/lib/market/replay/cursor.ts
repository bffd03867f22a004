import type {ChunkSource, ColumnChunk} from "./column-stream.js";
import {transpose} from "./reorder-window.js";

/** What the merge reads an input through: the current row, `rows[at …]` (time, id, then the rest). */
export interface ReplayCursor {
  rows: Float64Array;
  at: number;
  done: boolean;
  /** Rows consumed, for checkpoints. */
  consumed: number;
  /** Moves past the current row; true when `refill` must be awaited first. */
  advance(): boolean;
  refill(): Promise<void>;
  close(): void;
}

/** A sorted input stream (DuckDB's ORDER BY) read chunk by chunk, each chunk made row-major. */
export class SortedCursor implements ReplayCursor {
  at = 0;
  private end = 0;
  consumed = 0;
  done = false;
  rows: Float64Array = new Float64Array(0);
  private constructor(
    readonly stream: ChunkSource,
    private readonly width: number
  ) {}
  static async open(stream: ChunkSource, width: number, consumed: number): Promise<SortedCursor> {
    const c = new SortedCursor(stream, width);
    c.consumed = consumed;
    c.set(await stream.next());
    return c;
  }
  private set(chunk: ColumnChunk | undefined): void {
    this.at = 0;
    if (!chunk) {
      this.done = true;
      return;
    }
    const n = chunk.n,
      w = this.width;
    this.end = n * w;
    if (chunk.stride) this.rows = chunk.columns[0] as Float64Array;
    else {
      if (this.rows.length < n * w) this.rows = new Float64Array(n * w);
      for (let c = 0; c < w; c++) transpose(this.rows, c, w, chunk.columns[c] as Float64Array, 0, n);
    }
  }
  advance(): boolean {
    this.consumed++;
    this.at += this.width;
    return this.at >= this.end;
  }
  async refill(): Promise<void> {
    this.set(await this.stream.next());
  }
  close(): void {
    this.stream.close();
  }
}
