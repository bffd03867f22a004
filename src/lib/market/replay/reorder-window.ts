import {LabError} from "../../core/errors.js";
import type {ChunkSource, ColumnChunk} from "./column-stream.js";

/** Where a window stands, for a checkpoint: enough to reopen the file and carry on exactly. */
export interface ReorderState {
  /** Rows read from the file so far (file positions below this have been seen). */
  read: number;
  /** The smallest file position not yet consumed (the file is reopened there on resume). */
  reopenAt: number;
  /** The sort key of the last row consumed, with its file position; null before the first. */
  last: [number, number, number] | null;
}

export interface ReorderWindowOptions {
  /** Rows in file order, starting at file position `startRow` (chunks of DOUBLE columns). */
  source: ChunkSource;
  /** Columns per row (all DOUBLE: one array type keeps every loop monomorphic). */
  columns: number;
  /** The sort key: one or two columns, compared in order; ties go by file position. */
  keys: number[];
  /** How far (in rows) a row may lie from its sorted place in the file. */
  windowRows: number;
  /** The input's name and file, for errors. */
  name: string;
  file: string;
  /** Columns that must be numbers ≥ 0, and code columns that must not be 255 (null or unknown). */
  checked?: {nonNegative: number[]; codes: number[]; what: string};
  /** File position of the source's first row, and a checkpoint to continue from. */
  startRow?: number;
  resume?: ReorderState;
}

/** A row that lies further from its sorted place than the window: the caller sorts the whole input instead. */
export class ReorderOverflow extends Error {
  constructor(
    readonly input: string,
    readonly row: number,
    readonly why: string
  ) {
    super(`${input}: ${why}`);
  }
}

/**
 * Sorts a nearly sorted stream on the fly. Exchange collectors write rows in arrival order,
 * which differs from the exchange's sequence only by network jitter — a few rows, a few hundred
 * at worst — so holding the last `windowRows` rows, kept in key order by insertion from the end,
 * gives the fully sorted order (key, then file position: the same total order as
 * `ORDER BY key, file_row_number`) in one pass with bounded memory and no external sort.
 *
 * Rows are copied in whole chunks into a row-major ring (`columns` values a row, indexed by file
 * position modulo the ring size: a row-major chunk goes in as one block copy) and never copied
 * out: the consumer reads the current row in place, `rows[at … at + columns)`, and calls
 * `advance()`; when that returns true it must `await refill()`.
 *
 * A row that belongs before a row already consumed, or that would still be waiting when its slot
 * comes round again, cannot be placed: the window throws `ReorderOverflow` and the caller falls
 * back to a full sort, so the output never differs from the sorted order. So does input whose
 * disorder would make insertion cost more than ~64 steps a row (a file sorted by something else).
 */
export class ReorderWindow {
  /** The ring, row-major: slot s holds rows[s × columns … (s + 1) × columns). */
  readonly rows: Float64Array;
  /** Slot of the current row, and where its values start in `rows` (valid while !done). */
  i = 0;
  at = 0;
  /** The input is used up: nothing waits and the source has ended. */
  get done(): boolean {
    return this.srcDone && this.tail <= this.head;
  }
  /** Rows consumed (handed on) so far, counting those before a resume. */
  get consumed(): number {
    return this.consumedBefore + this.head;
  }
  private consumedBefore = 0;
  private readonly src: ChunkSource;
  private readonly nCols: number;
  private readonly ringMask: number;
  private readonly ring: number;
  private readonly waiting: Uint8Array;
  /** Slots in key order, a ring indexed by `head`…`tail` (& orderMask). */
  private readonly order: Int32Array;
  private readonly orderMask: number;
  private head = 0;
  private tail = 0;
  private readonly window: number;
  private srcDone = false;
  private read: number;
  private steps = 0;
  private readonly resumeRead: number;
  private lastK1 = -Infinity;
  private lastK2 = -Infinity;
  private lastPos = -Infinity;
  private consumedAny = false;
  /** `head` when the last consumed row's key was last noted (see `noteLast`). */
  private notedHead = 0;
  /** The key columns' positions within a row. */
  private readonly k1: number;
  private readonly k2: number;
  /** What each column is checked for as it is read (NONE, NON_NEGATIVE, CODE, KEY). */
  private readonly kinds: Uint8Array;
  /** The columns checked ≥ 0 and as codes, for row-major chunks (checked a row at a time). */
  private readonly nonNegative: Int32Array;
  private readonly codes: Int32Array;

  constructor(private readonly options: ReorderWindowOptions) {
    const {columns, keys, windowRows} = options;
    this.src = options.source;
    this.nCols = columns;
    this.window = windowRows;
    // The ring holds the window, a source chunk taken in at once, and slack so that a row still
    // waiting when its slot comes round again is rare enough to mean real disorder.
    let ring = 1;
    while (ring < 2 * (windowRows + 4096)) ring <<= 1;
    this.ring = ring;
    this.ringMask = ring - 1;
    this.rows = new Float64Array(ring * columns);
    this.waiting = new Uint8Array(ring);
    this.kinds = new Uint8Array(columns);
    for (const c of options.checked?.nonNegative ?? []) this.kinds[c] = NON_NEGATIVE;
    for (const c of options.checked?.codes ?? []) this.kinds[c] = CODE;
    this.kinds[0] = KEY;
    this.kinds[1] = KEY;
    this.nonNegative = Int32Array.from(options.checked?.nonNegative ?? []);
    this.codes = Int32Array.from(options.checked?.codes ?? []);
    let orderSize = 1;
    while (orderSize < windowRows + 4096 + 1) orderSize <<= 1;
    this.order = new Int32Array(orderSize);
    this.orderMask = orderSize - 1;
    this.k1 = keys[0]!;
    this.k2 = keys[1] ?? keys[0]!;
    this.read = options.startRow ?? 0;
    this.resumeRead = options.resume?.read ?? 0;
    if (options.resume?.last) {
      [this.lastK1, this.lastK2, this.lastPos] = options.resume.last;
      this.consumedAny = true;
    }
  }

  /** Fills the window and positions on the first row. */
  async start(consumed: number): Promise<void> {
    this.consumedBefore = consumed - this.head;
    await this.refill();
  }

  /**
   * Moves past the current row; true when the window must take in more input first (`refill`):
   * the next row is known to be the smallest only once `windowRows` rows wait behind it.
   */
  advance(): boolean {
    this.waiting[this.i] = 0;
    this.head++;
    // One path for "the next row is known" and "the input has ended", and no store of its own
    // for the end (`done` derives from the state): the replay's loop inlines this, and code first
    // run at the end of an input had no type feedback there — a deoptimisation of the loop.
    const waiting = this.tail - this.head;
    if (waiting > this.window || this.srcDone) {
      if (waiting > 0) this.toHead();
      return false;
    }
    return true;
  }

  /** Takes in source chunks until `windowRows` rows wait behind the next one (or the input ends). */
  async refill(): Promise<void> {
    while (!this.srcDone && this.tail - this.head <= this.window) {
      const chunk = await this.src.next();
      if (!chunk) this.srcDone = true;
      else this.take(chunk);
    }
    if (this.tail > this.head) this.toHead();
  }

  /**
   * The last consumed row's key and file position, read from its slot while it is still there:
   * before a chunk is taken in (which may overwrite the slot) and for a checkpoint. Noting it here
   * rather than at every row keeps `advance` to a flag and a counter.
   */
  private noteLast(): void {
    if (this.head === this.notedHead) return;
    const s = this.order[(this.head - 1) & this.orderMask]!;
    this.lastK1 = this.rows[s * this.nCols + this.k1]!;
    this.lastK2 = this.rows[s * this.nCols + this.k2]!;
    this.lastPos = this.positionOf(s);
    this.consumedAny = true;
    this.notedHead = this.head;
  }

  /** Makes the row first in order the current one. */
  private toHead(): void {
    this.i = this.order[this.head & this.orderMask]!;
    this.at = this.i * this.nCols;
  }

  /** File position of the row in slot `s` (the ring is indexed by position). */
  private positionOf(s: number): number {
    // The row in slot s is the latest position ≡ s (mod ring) that has been read.
    const last = this.read - 1;
    return last - ((last - s) & this.ringMask);
  }

  private take(chunk: ColumnChunk): void {
    this.noteLast();
    const n = chunk.n;
    const cols = chunk.columns as Float64Array[];
    const first = this.read;
    // A slot about to be overwritten must not hold a row still waiting.
    const waiting = this.waiting,
      mask = this.ringMask;
    for (let r = 0; r < n; r++) {
      if (waiting[(first + r) & mask]) {
        const p = this.positionOf((first + r) & mask);
        throw new ReorderOverflow(
          this.options.file,
          p,
          `the ${this.options.name} row at file position ${p.toLocaleString("en-US")} is still waiting ${this.ring.toLocaleString("en-US")} rows later: it lies further than the window from its sorted place`
        );
      }
    }
    // Check the rows (a row-major chunk a row at a time, a column-major one a column at a time),
    // then copy them into the ring (in two pieces where it wraps): a row-major chunk as two block
    // copies, a column-major one value by value.
    const at = first & mask,
      head = Math.min(n, this.ring - at),
      w = this.nCols;
    if (chunk.stride) {
      // Row-major: every check of a row in one pass (not a pass per checked column); the first bad
      // row is refused for the first of its columns that fails.
      const bad = checkRows(cols[0]!, chunk.stride, n, this.nonNegative, this.codes);
      if (bad >= 0) {
        for (let c = 0; c < w; c++) {
          const kind = this.kinds[c]!;
          if (kind && checkColumn(cols[0]!, bad * chunk.stride + c, chunk.stride, 1, kind) === 0)
            this.refuse(first + bad, kind);
        }
      }
    } else {
      for (let c = 0; c < w; c++) {
        const kind = this.kinds[c]!;
        if (kind === 0) continue;
        const bad = checkColumn(cols[c]!, 0, 1, n, kind);
        if (bad >= 0) this.refuse(first + bad, kind);
      }
    }
    if (chunk.stride) {
      if (chunk.stride !== w)
        throw new Error(`${this.options.name}: chunks of ${chunk.stride} values a row, the window holds ${w}`);
      const src = cols[0]!;
      this.rows.set(src.subarray(0, head * w), at * w);
      if (head < n) this.rows.set(src.subarray(head * w, n * w), 0);
    } else {
      for (let c = 0; c < w; c++) {
        transpose(this.rows, at * w + c, w, cols[c]!, 0, head);
        if (head < n) transpose(this.rows, c - head * w, w, cols[c]!, head, n);
      }
    }
    this.read += n;
    this.insertAll(first, n);
  }

  /** The error for a bad value at file position p in a column checked as `kind`. */
  private refuse(p: number, kind: number): never {
    const checked = this.options.checked;
    if (kind === KEY)
      this.bad(
        p,
        "a row without origin_time or its id",
        "every row needs an origin_time and an update, sequence or trade id"
      );
    if (kind === CODE) this.bad(p, checked!.what, "fix or drop this row");
    this.bad(p, checked!.what, "a NaN or negative price or size cannot be placed in the book");
  }

  private bad(p: number, what: string, hint: string): never {
    throw new LabError({file: this.options.file, line: p + 2, reason: `${what} (counting the header as line 1)`, hint});
  }

  /** Puts rows [first, first + n), already in the rings, in key order (the hot loop: all in locals). */
  private insertAll(first: number, n: number): void {
    const rows = this.rows,
      w = this.nCols,
      c1 = this.k1,
      c2 = this.k2,
      order = this.order,
      omask = this.orderMask,
      rmask = this.ringMask,
      waiting = this.waiting,
      head = this.head;
    const resumeRead = this.resumeRead,
      consumedAny = this.consumedAny,
      lastK1 = this.lastK1,
      lastK2 = this.lastK2,
      lastPos = this.lastPos;
    let tail = this.tail,
      steps = this.steps;
    // The key of the last row in order (of none: nothing is appended without the checks below).
    const last = tail > head ? order[(tail - 1) & omask]! : 0;
    let tailA = tail > head ? rows[last * w + c1]! : Infinity,
      tailB = tail > head ? rows[last * w + c2]! : Infinity;
    for (let p = first; p < first + n; p++) {
      const s = p & rmask,
        a = rows[s * w + c1]!,
        b = rows[s * w + c2]!;
      // Resuming: rows read before the checkpoint at or before its last key were consumed then.
      if (
        p < resumeRead &&
        consumedAny &&
        (a < lastK1 || (a === lastK1 && (b < lastK2 || (b === lastK2 && p <= lastPos))))
      )
        continue;
      // Insertion from the end: in arrival order most rows are already in place, and a row at or
      // after the last one's key (kept at hand) is appended without reading the ring.
      if (tail > head && (tailA < a || (tailA === a && tailB <= b))) {
        order[tail & omask] = s;
        waiting[s] = 1;
        tail++;
        ((tailA = a), (tailB = b));
        continue;
      }
      let j = tail;
      while (j > head) {
        const t = order[(j - 1) & omask]!;
        const ta = rows[t * w + c1]!;
        if (ta < a || (ta === a && rows[t * w + c2]! <= b)) break;
        order[j & omask] = t;
        j--;
      }
      steps += tail - j;
      if (j === head && consumedAny && (a < lastK1 || (a === lastK1 && b < lastK2))) {
        // Undo the shift before failing, so the window stays consistent for whoever reads the error.
        for (let q = j; q < tail; q++) order[q & omask] = order[(q + 1) & omask]!;
        this.tail = tail;
        throw new ReorderOverflow(
          this.options.file,
          p,
          `the ${this.options.name} row at file position ${p.toLocaleString("en-US")} belongs before rows already replayed: it is further than ${this.window.toLocaleString("en-US")} rows from its sorted place`
        );
      }
      order[j & omask] = s;
      waiting[s] = 1;
      if (j === tail) ((tailA = a), (tailB = b));
      tail++;
    }
    this.tail = tail;
    this.steps = steps;
    if (steps > 64 * (this.read + this.window)) {
      throw new ReorderOverflow(
        this.options.file,
        first,
        `the ${this.options.name} input is far from sorted (${(steps / this.read).toFixed(0)} moves a row to keep the window in order)`
      );
    }
  }

  /** A checkpoint: the current row and everything waiting behind it are not consumed yet. */
  state(): ReorderState {
    this.noteLast();
    let reopenAt = this.read;
    for (let j = this.head; j < this.tail; j++)
      reopenAt = Math.min(reopenAt, this.positionOf(this.order[j & this.orderMask]!));
    return {read: this.read, reopenAt, last: this.consumedAny ? [this.lastK1, this.lastK2, this.lastPos] : null};
  }

  close(): void {
    this.src.close();
  }
}

const NON_NEGATIVE = 1,
  CODE = 2,
  KEY = 3;

/** Checks rows [0, n) of one column (src[offset + r × stride]) for its kind; returns the first bad row, or -1. */
function checkColumn(src: Float64Array, offset: number, stride: number, n: number, kind: number): number {
  for (let r = 0, o = offset; r < n; r++, o += stride) {
    const v = src[o]!;
    if (kind === NON_NEGATIVE ? !(v >= 0) : kind === CODE ? v === 255 : v !== v) return r;
  }
  return -1;
}

/**
 * The first row of a row-major chunk (n rows of `stride` values) whose key (columns 0 and 1) is
 * NaN, a `nonNegative` column negative or NaN, or a `codes` column 255; -1 if none.
 */
function checkRows(src: Float64Array, stride: number, n: number, nonNegative: Int32Array, codes: Int32Array): number {
  const nn = nonNegative.length,
    nc = codes.length;
  if (nn === 2 && nc === 1) {
    // Deltas and trades (price and size ≥ 0, a side): the loops unrolled, the common case made fast.
    const p = nonNegative[0]!,
      q = nonNegative[1]!,
      c = codes[0]!;
    for (let r = 0, o = 0; r < n; r++, o += stride) {
      const t = src[o]!,
        u = src[o + 1]!;
      if (t !== t || u !== u || !(src[o + p]! >= 0) || !(src[o + q]! >= 0) || src[o + c] === 255) return r;
    }
    return -1;
  }
  for (let r = 0, o = 0; r < n; r++, o += stride) {
    const t = src[o]!,
      u = src[o + 1]!;
    if (t !== t || u !== u) return r;
    for (let j = 0; j < nn; j++) if (!(src[o + nonNegative[j]!]! >= 0)) return r;
    for (let j = 0; j < nc; j++) if (src[o + codes[j]!] === 255) return r;
  }
  return -1;
}

/** Copies src[from … to) to dst[start + r × stride] for each row r: a column into a row-major block. */
export function transpose(
  dst: Float64Array,
  start: number,
  stride: number,
  src: Float64Array,
  from: number,
  to: number
): void {
  for (let r = from, o = start + from * stride; r < to; r++, o += stride) dst[o] = src[r]!;
}
