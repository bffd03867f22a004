import {LabError} from "../core/errors.js";
import type {ColumnChunk} from "./column-stream.js";

/** Where a window stands, for a checkpoint: enough to reopen the file and carry on exactly. */
export interface ReorderState {
  /** Rows read from the file so far (file positions below this have been seen). */
  read: number;
  /** The smallest file position not yet handed on (the file is reopened there on resume). */
  reopenAt: number;
  /** The sort key of the last row handed on, with its file position; null before the first. */
  last: [number, number, number] | null;
}

export interface ReorderWindowOptions {
  /** Rows in file order, starting at file position `startRow` (typed-array chunks). */
  source: {next(): Promise<ColumnChunk | undefined>; close(): void};
  /** Columns per row (all DOUBLE: one array type keeps every copy loop monomorphic). */
  columns: number;
  /** The sort key: one or two (double) columns, compared in order; ties go by file position. */
  keys: number[];
  /** How far (in rows) a row may sit from its sorted place in the file. */
  windowRows: number;
  /** The input's name and file, for errors. */
  name: string;
  file: string;
  /** Columns that must be numbers ≥ 0, and code columns that must not be 255 (null or unknown). */
  checked?: {nonNegative: number[]; codes: number[]; what: string};
  /** File position of the source's first row, and a checkpoint to continue from. */
  startRow?: number;
  resume?: ReorderState;
  /** Rows per output chunk. */
  chunkRows?: number;
}

/** A row that lies further from its sorted place than the window: the caller sorts the whole input instead. */
export class ReorderOverflow extends Error {
  constructor(readonly input: string, readonly row: number, readonly why: string) {
    super(`${input}: ${why}`);
  }
}

/**
 * Sorts a nearly sorted stream on the fly. Exchange collectors write rows in arrival order,
 * which differs from the exchange's sequence only by network jitter — a few rows, a few hundred
 * at worst — so a window of the last `windowRows` rows, kept in key order by insertion from the
 * end, gives the fully sorted order (key, then file position: the same total order as
 * `ORDER BY key, file_row_number`) in one pass with bounded memory and no external sort.
 *
 * A row that belongs before a row already handed on cannot be placed: the window throws
 * `ReorderOverflow` and the caller falls back to a full sort, so the output never differs from
 * the sorted order. So does input whose disorder would make insertion cost more than
 * ~64 steps a row (a file sorted by something else). Chunks returned by `next()` are views that
 * stay valid until the following call.
 */
export class ReorderWindow {
  private readonly src: ReorderWindowOptions["source"];
  private readonly nCols: number;
  /** Row storage by slot, row-major (`nCols` values a slot; slots are recycled through `free`). */
  private readonly store: Float64Array;
  private readonly pos: Float64Array;
  private readonly k1: Float64Array;
  private readonly k2: Float64Array;
  private readonly free: Int32Array;
  private freeTop: number;
  /** Slots in key order, a ring indexed by `head`…`tail` (& mask). */
  private readonly order: Int32Array;
  private readonly mask: number;
  private head = 0;
  private tail = 0;
  private readonly window: number;
  private readonly out: Float64Array[];
  private readonly outPos: Float64Array;
  private readonly outRows: number;
  private chunk: ColumnChunk | undefined;
  private chunkI = 0;
  private srcDone = false;
  private read: number;
  private steps = 0;
  private readonly resumeRead: number;
  private lastK1 = -Infinity;
  private lastK2 = -Infinity;
  private lastPos = -Infinity;
  private emitted = false;
  /** Key columns (indices into the row). */
  private readonly key1: number;
  private readonly key2: number;
  /** Output chunk of the previous `next()`: kept for the checkpoint. */
  private outN = 0;

  constructor(private readonly options: ReorderWindowOptions) {
    const {columns, keys, windowRows} = options;
    this.src = options.source;
    this.nCols = columns;
    this.window = windowRows;
    // Room for the window plus one source chunk's worth of rows taken in before popping.
    const capacity = windowRows + 1;
    let ring = 1;
    while (ring < capacity) ring <<= 1;
    this.mask = ring - 1;
    this.order = new Int32Array(ring);
    this.store = new Float64Array(capacity * columns);
    this.pos = new Float64Array(capacity);
    this.k1 = new Float64Array(capacity);
    this.k2 = new Float64Array(capacity);
    this.free = new Int32Array(capacity);
    for (let s = 0; s < capacity; s++) this.free[s] = capacity - 1 - s;
    this.freeTop = capacity;
    this.key1 = keys[0]!;
    this.key2 = keys[1] ?? keys[0]!;
    this.outRows = options.chunkRows ?? 4096;
    this.out = Array.from({length: columns}, () => new Float64Array(this.outRows));
    this.outPos = new Float64Array(this.outRows);
    this.read = options.startRow ?? 0;
    this.resumeRead = options.resume?.read ?? 0;
    if (options.resume?.last) {
      [this.lastK1, this.lastK2, this.lastPos] = options.resume.last;
      this.emitted = true;
    }
  }

  /** Rows waiting in the window. */
  get pending(): number {
    return this.tail - this.head;
  }

  /** The next chunk of rows in sorted order (columns as given, plus nothing else), or undefined at the end. */
  async next(): Promise<ColumnChunk | undefined> {
    let n = 0;
    const outRows = this.outRows;
    this.previousLast = this.emitted ? [this.lastK1, this.lastK2, this.lastPos] : null;
    while (n < outRows) {
      if (this.tail - this.head > this.window || (this.srcDone && this.tail > this.head)) {
        this.pop(n++);
        continue;
      }
      if (this.srcDone) break;
      const c = this.chunk;
      if (!c || this.chunkI >= c.n) {
        this.chunk = await this.src.next();
        this.chunkI = 0;
        if (!this.chunk) this.srcDone = true;
        continue;
      }
      // Take rows in until the window is full, then pop one per row taken.
      const cols = c.columns as Float64Array[];
      let i = this.chunkI;
      while (i < c.n && this.tail - this.head <= this.window) this.insert(cols, i++);
      this.chunkI = i;
    }
    this.outN = n;
    if (!n) return undefined;
    return {n, columns: this.out, owner: this};
  }

  /** File positions of the rows of the last chunk returned (same index). */
  get positions(): Float64Array {
    return this.outPos;
  }

  private insert(cols: Float64Array[], i: number): void {
    const p = this.read++;
    const a = cols[this.key1]![i]!, b = cols[this.key2]![i]!;
    // Resuming: rows read before the checkpoint at or before its last key were handed on then.
    if (p < this.resumeRead && this.emitted && (a < this.lastK1 || (a === this.lastK1 && (b < this.lastK2 || (b === this.lastK2 && p <= this.lastPos))))) return;
    const checked = this.options.checked;
    if (checked) {
      for (const c of checked.nonNegative) {
        const v = cols[c]![i]!;
        if (!(v >= 0)) throw new LabError({file: this.options.file, line: p + 2, reason: `${checked.what} (counting the header as line 1)`, hint: "fix or drop this row; a NaN or negative price or size cannot be placed in the book"});
      }
      for (const c of checked.codes) {
        if (cols[c]![i] === 255) throw new LabError({file: this.options.file, line: p + 2, reason: `${checked.what} (counting the header as line 1)`, hint: "fix or drop this row"});
      }
    }
    const s = this.free[--this.freeTop]!;
    const store = this.store, nCols = this.nCols, at = s * nCols;
    for (let c = 0; c < nCols; c++) store[at + c] = cols[c]![i]!;
    this.pos[s] = p;
    this.k1[s] = a;
    this.k2[s] = b;
    // Insertion from the end: in arrival order most rows are already in place.
    const order = this.order, mask = this.mask, k1 = this.k1, k2 = this.k2;
    let j = this.tail;
    while (j > this.head) {
      const t = order[(j - 1) & mask]!;
      const ta = k1[t]!;
      if (ta < a || (ta === a && k2[t]! <= b)) break;
      order[j & mask] = t;
      j--;
    }
    this.steps += this.tail - j;
    if (j === this.head && this.emitted && (a < this.lastK1 || (a === this.lastK1 && b < this.lastK2))) {
      throw new ReorderOverflow(this.options.file, p, `the ${this.options.name} row at file position ${p.toLocaleString("en-US")} belongs before rows already replayed: it is further than ${this.window.toLocaleString("en-US")} rows from its sorted place`);
    }
    if (this.steps > 64 * (this.read + this.window)) {
      throw new ReorderOverflow(this.options.file, p, `the ${this.options.name} input is far from sorted (${(this.steps / this.read).toFixed(0)} moves a row to keep the window in order)`);
    }
    order[j & mask] = s;
    this.tail++;
  }

  private pop(k: number): void {
    const s = this.order[this.head & this.mask]!;
    this.head++;
    const store = this.store, out = this.out, nCols = this.nCols, at = s * nCols;
    for (let c = 0; c < nCols; c++) out[c]![k] = store[at + c]!;
    this.outPos[k] = this.pos[s]!;
    this.lastK1 = this.k1[s]!;
    this.lastK2 = this.k2[s]!;
    this.lastPos = this.pos[s]!;
    this.emitted = true;
    this.free[this.freeTop++] = s;
  }

  /**
   * A checkpoint when the consumer has used the first `used` rows of the last chunk: rows after
   * them and everything still in the window are not handed on yet.
   */
  state(used: number): ReorderState {
    let reopenAt = this.read;
    for (let k = used; k < this.outN; k++) reopenAt = Math.min(reopenAt, this.outPos[k]!);
    for (let j = this.head; j < this.tail; j++) reopenAt = Math.min(reopenAt, this.pos[this.order[j & this.mask]!]!);
    let last: [number, number, number] | null;
    if (used > 0) {
      const k = used - 1;
      last = [this.out[this.key1]![k]!, this.out[this.key2]![k]!, this.outPos[k]!];
    } else if (this.outN > 0) {
      // Nothing of the current chunk used: the last row handed on is the one before it.
      last = this.previousLast;
    } else last = this.emitted ? [this.lastK1, this.lastK2, this.lastPos] : null;
    return {read: this.read, reopenAt, last};
  }
  private previousLast: [number, number, number] | null = null;

  close(): void {
    this.src.close();
  }

  /** Number of columns per row. */
  get columns(): number {
    return this.nCols;
  }
}
