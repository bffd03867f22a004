import {closeSync, ftruncateSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from "node:fs";

/**
 * A Parquet writer for typed-array columns, in plain TypeScript, uncompressed, built for speed —
 * what a replay of tens of millions of rows per run needs (DuckDB's appender costs ~1 µs a row
 * there). Integers are DELTA_BINARY_PACKED (a replay's prices, sizes, ids and times change by
 * little from row to row: the bench's market_events shrink from 1.02 GB PLAIN to 233 MB), or
 * RLE_DICTIONARY where a page is made of runs of repeated values (best prices and depths: 3× less
 * CPU than deltas there, and 216 MB), or PLAIN where a page holds a value beyond 2^51; doubles are PLAIN. One data page per column per
 * row group; nullable columns carry bit-packed definition levels; label columns are
 * dictionary-encoded. The file is written as `<path>.partial` and renamed when
 * closed; its progress (row groups written, byte offset) can be saved and restored, so a crashed
 * writer resumes by truncating to a saved offset.
 */
export type PlainColumn =
  | {
      name: string;
      type: "INT64";
      logical?: "TIMESTAMP_NS" | {decimal: {precision: number; scale: number}};
      nullable?: boolean;
      /** Stored = value × multiply (an exact integer), e.g. ticks × unscaled units per tick. */
      multiply?: number;
      /** Stored = value + add, added exactly in 64 bits (values beyond 2^53, e.g. epoch nanoseconds). */
      add?: bigint;
      sparse?: Sparse;
      runs?: Runs;
    }
  | {name: string; type: "INT32"; nullable?: boolean}
  | {name: string; type: "DOUBLE"; nullable?: boolean; sparse?: Sparse; runs?: Runs}
  | {name: string; type: "BOOLEAN"; nullable?: boolean}
  | {name: string; type: "ENUM"; labels: string[]; nullable?: boolean; sparse?: Sparse};

/**
 * A nullable column present exactly in the rows where code column `column` (a Uint8Array of the
 * same row group) holds `code` (with `except`: every row where it does not), and null elsewhere:
 * its array holds only those rows' values, packed in order. A replay's trade fields exist only on
 * trade rows, its delta fields only on delta rows, its update ids everywhere but on trades — the
 * writer reads their presence once from the event type (shared by every column that names it)
 * and encodes only the values there are, instead of testing a column for nulls row by row.
 */
export interface Sparse {
  column: number;
  code: number;
  except?: boolean;
}

/**
 * A column given as runs of one value: its array holds a value per run, and the data array at
 * index `starts` (a Float64Array beside the columns, not one of the file's) the row each run
 * starts at, ascending, then one entry at or past the row group's end. A replay's best prices and
 * depths change at one event in five to fifteen: the replay writes a run where the book's state
 * changes instead of the state at every row, and the writer encodes the runs as they are
 * (RLE_DICTIONARY) instead of finding them again in a page of repeated values.
 */
export interface Runs {
  starts: number;
}

/** Column values: Float64Array (NaN = null for nullable numbers; integers exact below 2^53) or Uint8Array (booleans 0/1, enum codes; 255 = null). */
export type PlainData = Float64Array | Uint8Array;

interface ChunkMeta {
  offset: number;
  dictionaryOffset: number | null;
  size: number;
  values: number;
}

export interface PlainWriterState {
  offset: number;
  rows: number;
  rowGroups: {rows: number; columns: ChunkMeta[]}[];
}

const MAGIC = Buffer.from("PAR1");
const TYPE = {BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6} as const;

/** Thrift compact protocol, just what the Parquet footer and page headers need. */
class Compact {
  private buf = Buffer.alloc(1 << 12);
  private n = 0;
  private last: number[] = [0];
  private ensure(k: number) {
    if (this.n + k > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.n + k));
      this.buf.copy(next, 0, 0, this.n);
      this.buf = next;
    }
  }
  private byte(b: number) {
    this.ensure(1);
    this.buf[this.n++] = b;
  }
  private varint(v: number) {
    // Unsigned LEB128 for values up to 2^53.
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }
  private zigzag(v: number) {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  private header(id: number, type: number) {
    const delta = id - this.last[this.last.length - 1]!;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else (this.byte(type), this.zigzag(id));
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number) {
    this.header(id, 5);
    this.zigzag(v);
    return this;
  }
  i64(id: number, v: number) {
    this.header(id, 6);
    this.zigzag(v);
    return this;
  }
  bool(id: number, v: boolean) {
    this.header(id, v ? 1 : 2);
    return this;
  }
  string(id: number, s: string) {
    this.header(id, 8);
    const b = Buffer.from(s);
    this.varint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.n);
    this.n += b.length;
    return this;
  }
  struct(id: number, body: (w: Compact) => void) {
    this.header(id, 12);
    this.last.push(0);
    body(this);
    this.byte(0);
    this.last.pop();
    return this;
  }
  /** A list of structs (or of i32 / strings via `item`). */
  list<T>(id: number, elementType: number, items: T[], item: (w: Compact, x: T) => void) {
    this.header(id, 9);
    if (items.length < 15) this.byte((items.length << 4) | elementType);
    else (this.byte(0xf0 | elementType), this.varint(items.length));
    for (const x of items) item(this, x);
    return this;
  }
  structItem(body: (w: Compact) => void) {
    this.last.push(0);
    body(this);
    this.byte(0);
    this.last.pop();
  }
  rawI32(v: number) {
    this.zigzag(v);
  }
  rawString(s: string) {
    const b = Buffer.from(s);
    this.varint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.n);
    this.n += b.length;
  }
  end() {
    this.byte(0);
    return this;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

function pageHeader({
  type,
  size,
  values,
  encoding,
  dictionary
}: {
  type: 0 | 2;
  size: number;
  values: number;
  encoding: number;
  dictionary?: boolean;
}): Buffer {
  const w = new Compact();
  w.i32(1, type).i32(2, size).i32(3, size);
  if (dictionary) w.struct(7, (d) => d.i32(1, values).i32(2, 0));
  else w.struct(5, (d) => d.i32(1, values).i32(2, encoding).i32(3, 3).i32(4, 3));
  return w.end().bytes();
}

export class PlainParquetWriter {
  private fd: number;
  private offset: number;
  private readonly rowGroups: PlainWriterState["rowGroups"];
  rows: number;
  private readonly temp: string;
  /** One page's buffer, reused (a page is written before the next is encoded). */
  private readonly scratch: PageScratch = {buffer: new ArrayBuffer(0), values: new Float64Array(0)};

  constructor(
    readonly path: string,
    readonly columns: PlainColumn[],
    resume?: PlainWriterState
  ) {
    this.temp = `${path}.partial`;
    if (resume) {
      this.fd = openSync(this.temp, "r+");
      ftruncateSync(this.fd, resume.offset);
      this.offset = resume.offset;
      this.rowGroups = resume.rowGroups.map((g) => ({rows: g.rows, columns: g.columns.map((c) => ({...c}))}));
      this.rows = resume.rows;
    } else {
      this.fd = openSync(this.temp, "w");
      writeSync(this.fd, MAGIC);
      this.offset = 4;
      this.rowGroups = [];
      this.rows = 0;
    }
  }

  /** Where the writer stands: saved with a checkpoint, it lets a new writer continue (after fsync). */
  state(): PlainWriterState {
    fsyncSync(this.fd);
    return {
      offset: this.offset,
      rows: this.rows,
      rowGroups: this.rowGroups.map((g) => ({rows: g.rows, columns: g.columns.map((c) => ({...c}))}))
    };
  }

  private write(buf: Buffer | Uint8Array): void {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, this.offset + done);
    this.offset += buf.length;
  }

  /** Writes rows [from, to) of the columns (one array per column, in order) as one row group. */
  writeRowGroup(data: PlainData[], from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    const metas: ChunkMeta[] = [];
    // Presence of each sparse key in this row group, worked out once: definition bits, how many
    // rows, and where the row group's values start in the packed arrays.
    const presence = new Map<string, SparseRows>();
    // The distinct keys, by the code column they read.
    const seen = new Set<string>(),
      keys = new Map<number, Sparse[]>();
    for (const col of this.columns) {
      if (col.type !== "INT64" && col.type !== "ENUM" && col.type !== "DOUBLE") continue;
      const sparse = col.sparse;
      if (!sparse || seen.has(sparseKey(sparse))) continue;
      seen.add(sparseKey(sparse));
      const list = keys.get(sparse.column);
      if (list) list.push(sparse);
      else keys.set(sparse.column, [sparse]);
    }
    // Codes 0–3 of a key column in one pass (a replay's four keys all name the event type: four
    // passes cost 9.3 ns a row, one 4.0, in-process); a key's complement (`except`) from its code's.
    for (const [column, list] of keys) {
      const codes = data[column] as Uint8Array;
      const small = (k: Sparse) => k.code >= 0 && k.code < 4;
      const all = list.some(small) ? codeRows(codes, from, n) : undefined;
      for (const k of list)
        presence.set(
          sparseKey(k),
          all && small(k)
            ? k.except
              ? complement(all[k.code]!, n, from)
              : all[k.code]!
            : sparseRows(codes, k.code, !!k.except, from, n)
        );
    }
    this.columns.forEach((col, c) => {
      const start = this.offset;
      let dictionaryOffset: number | null = null;
      const sparse =
        (col.type === "INT64" || col.type === "ENUM" || col.type === "DOUBLE") && col.sparse
          ? presence.get(sparseKey(col.sparse))
          : undefined;
      const runs =
        (col.type === "INT64" || col.type === "DOUBLE") && col.runs
          ? (data[col.runs.starts] as Float64Array)
          : undefined;
      const {page, encoding, dictionary} = encodePage(col, data[c]!, from, n, this.scratch, sparse, runs);
      // A dictionary page comes first in its column chunk: an ENUM's labels, or the distinct
      // values of an INT64 page made of runs.
      const dict = col.type === "ENUM" ? {bytes: dictionaryPage(col.labels), values: col.labels.length} : dictionary;
      if (dict) {
        dictionaryOffset = this.offset;
        this.write(pageHeader({type: 2, size: dict.bytes.length, values: dict.values, encoding: 0, dictionary: true}));
        this.write(dict.bytes);
      }
      const dataOffset = this.offset;
      this.write(pageHeader({type: 0, size: page.length, values: n, encoding}));
      this.write(page);
      metas.push({offset: dataOffset, dictionaryOffset, size: this.offset - start, values: n});
    });
    this.rowGroups.push({rows: n, columns: metas});
    this.rows += n;
  }

  private footer(): Buffer {
    const w = new Compact();
    w.i32(1, 1);
    w.list(2, 12, [null, ...this.columns], (l, col) =>
      l.structItem((s) => {
        if (!col) return void s.string(4, "schema").i32(5, this.columns.length);
        const physical = col.type === "ENUM" ? TYPE.BYTE_ARRAY : TYPE[col.type];
        s.i32(1, physical)
          .i32(3, col.nullable ? 1 : 0)
          .string(4, col.name);
        if (col.type === "ENUM") s.i32(6, 0).struct(10, (lt) => lt.struct(1, () => {}));
        if (col.type === "INT64" && col.logical === "TIMESTAMP_NS")
          s.struct(10, (lt) => lt.struct(8, (t) => t.bool(1, false).struct(2, (u) => u.struct(3, () => {}))));
        if (col.type === "INT64" && typeof col.logical === "object") {
          const {precision, scale} = col.logical.decimal;
          s.i32(6, 5)
            .i32(7, scale)
            .i32(8, precision)
            .struct(10, (lt) => lt.struct(5, (d) => d.i32(1, scale).i32(2, precision)));
        }
      })
    );
    w.i64(3, this.rows);
    w.list(4, 12, this.rowGroups, (l, g) =>
      l.structItem((rg) => {
        rg.list(1, 12, g.columns, (cl, m) =>
          cl.structItem((cc) => {
            const col = this.columns[g.columns.indexOf(m)]!;
            cc.i64(2, m.offset).struct(3, (md) => {
              md.i32(1, col.type === "ENUM" ? TYPE.BYTE_ARRAY : TYPE[col.type]);
              md.list(2, 5, col.type === "ENUM" ? [0, 3, 8] : col.type === "INT64" ? [0, 3, 5, 8] : [0, 3], (e, x) =>
                e.rawI32(x)
              );
              md.list(3, 8, [col.name], (e, x) => e.rawString(x));
              md.i32(4, 0).i64(5, m.values).i64(6, m.size).i64(7, m.size).i64(9, m.offset);
              if (m.dictionaryOffset !== null) md.i64(11, m.dictionaryOffset);
            });
          })
        );
        rg.i64(
          2,
          g.columns.reduce((a, m) => a + m.size, 0)
        ).i64(3, g.rows);
      })
    );
    w.string(6, "pipeline-lab plain writer");
    return w.end().bytes();
  }

  /** Writes the footer, syncs, and renames the file into place. */
  close(): void {
    const footer = this.footer();
    const len = Buffer.alloc(4);
    len.writeUInt32LE(footer.length, 0);
    this.write(Buffer.concat([footer, len, MAGIC]));
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temp, this.path);
  }

  abort(): void {
    closeSync(this.fd);
    rmSync(this.temp, {force: true});
  }
}

/** The labels of an ENUM column as a PLAIN byte-array dictionary page body. */
function dictionaryPage(labels: string[]): Buffer {
  return Buffer.concat(
    labels.map((l) => {
      const bytes = Buffer.from(l);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length, 0);
      return Buffer.concat([len, bytes]);
    })
  );
}

/** 1.5 × 2^52: x + INT64_MAGIC holds the integer x (|x| < 2^51) in the low 51 bits of its mantissa. */
const INT64_MAGIC = 6755399441055744;
const MAGIC_HIGH = 0x43380000;
const LIMIT = 2 ** 51;

/**
 * One data page body: definition levels (nullable columns: a bit-packed run, LSB first, after
 * its 4-byte length) then the present values, PLAIN (or dictionary indices). Numbers are encoded
 * in one pass that sets the definition bits and writes the value through an aligned typed-array
 * view; each column type has its own loop over its own array type, so every loop stays monomorphic.
 */
function encodePage(
  col: PlainColumn,
  values: PlainData,
  from: number,
  n: number,
  scratch: PageScratch,
  sparse?: SparseRows,
  runStarts?: Float64Array
): EncodedPage {
  if (sparse && !col.nullable) throw new Error(`column ${col.name}: a sparse column must be nullable`);
  const nullable = !!col.nullable;
  const groups = (n + 7) >>> 3;
  const runHeader = (groups << 1) | 1,
    runHeaderBytes = varintLength(runHeader);
  const defBytes = nullable ? 4 + runHeaderBytes + groups : 0;
  const numeric = col.type === "INT64" || col.type === "INT32" || col.type === "DOUBLE";
  const width = col.type === "ENUM" ? Math.max(1, Math.ceil(Math.log2(Math.max(2, col.labels.length)))) : 0;
  // Room for every value present: 8 bytes a number, 4 for INT32, bits for the rest; numbers start
  // on an 8-byte boundary of the buffer (the page is the subarray after `pad`).
  // (DELTA_BINARY_PACKED: at most 64 bits for each of a miniblock's 32 values, padding included,
  // plus a block header every 128 values and the page header.)
  const valueBytes =
    col.type === "INT32"
      ? 4 * n
      : col.type === "INT64"
        ? 256 * Math.ceil(n / 32) + 16 * Math.ceil(n / 128) + 64
        : numeric
          ? 8 * n
          : col.type === "BOOLEAN"
            ? groups
            : 1 + 5 + groups * width;
  const pad = (8 - (defBytes & 7)) & 7;
  const bytes = pad + defBytes + valueBytes + 8;
  // A multiple of 8 bytes, so typed-array views from the (8-aligned) values to the end fit whole.
  if (scratch.buffer.byteLength < bytes)
    scratch.buffer = new ArrayBuffer(Math.ceil(Math.max(bytes, 2 * scratch.buffer.byteLength) / 8) * 8);
  // Every byte of the page is assigned below, so a reused buffer needs no clearing.
  const buffer = scratch.buffer;
  const out = new Uint8Array(buffer, pad);
  const valuesAt = pad + defBytes;
  let end: number;
  if (nullable) {
    varint(out, 4, runHeader);
    new DataView(buffer, pad).setUint32(0, runHeaderBytes + groups, true);
  }
  const defAt = 4 + runHeaderBytes;
  if (sparse) {
    // Definition bits from the key column; the values, all present, are the packed run at `start`.
    out.set(sparse.bits.subarray(0, groups), defAt);
    if (col.type === "INT64")
      return int64Page(
        col,
        values as Float64Array,
        sparse.start,
        sparse.present,
        false,
        {out, defAt, defBytes, valuesAt, pad},
        scratch,
        false
      );
    if (col.type === "DOUBLE")
      return {
        page: out.subarray(
          0,
          sparseDoubles(values as Float64Array, sparse.start, out, defAt, groups, new Float64Array(buffer, valuesAt)) -
            pad
        ),
        encoding: 0
      };
    out[defBytes] = width;
    return {
      page: out.subarray(
        0,
        packedBits(values as Uint8Array, sparse.start, sparse.present, out, defBytes + 1, width, true)
      ),
      encoding: 8
    };
  }
  if (runStarts && (col.type === "INT64" || col.type === "DOUBLE"))
    return runsPage(col, values as Float64Array, runStarts, from, n, {out, defAt, defBytes, valuesAt, pad}, scratch);
  if (col.type === "INT64")
    return int64Page(
      col,
      values as Float64Array,
      from,
      n,
      nullable,
      {out, defAt, defBytes, valuesAt, pad},
      scratch,
      true
    );
  else if (col.type === "DOUBLE")
    end = doubleValues(values as Float64Array, from, n, nullable, out, defAt, new Float64Array(buffer, valuesAt)) - pad;
  else if (col.type === "INT32")
    end = doubleValues(values as Float64Array, from, n, nullable, out, defAt, new Int32Array(buffer, valuesAt)) - pad;
  else {
    if (nullable) definitionBitsCode(values as Uint8Array, from, n, out, defAt);
    // A column without nulls has no 255 to skip: every value is packed, a byte at a time.
    const bits = nullable ? bitValues : packedBits;
    if (col.type === "BOOLEAN") end = bits(values as Uint8Array, from, n, out, defBytes, 1, false);
    else {
      out[defBytes] = width;
      end = bits(values as Uint8Array, from, n, out, defBytes + 1, width, true);
    }
  }
  return {page: out.subarray(0, end), encoding: col.type === "ENUM" ? 8 : 0};
}

/** Where a page's parts go in its buffer: definition bits at `defAt`, values after `defBytes`, 8-aligned at `valuesAt` − `pad` in `out`. */
interface PageLayout {
  out: Uint8Array;
  defAt: number;
  defBytes: number;
  valuesAt: number;
  pad: number;
}

/** A page body, its encoding, and the dictionary page that must precede it (dictionary-encoded INT64). */
interface EncodedPage {
  page: Uint8Array;
  encoding: number;
  dictionary?: {bytes: Uint8Array; values: number};
}

/** Buffers a writer reuses from page to page (a page is written before the next is encoded). */
interface PageScratch {
  buffer: ArrayBuffer;
  values: Float64Array;
  dictionary?: DictionaryScratch;
  /** An INT64 runs column's page as values, where its runs do not make a dictionary page. */
  expanded?: Float64Array;
}

/**
 * An INT64 page of `count` values from values[start…]: RLE_DICTIONARY when it is made of runs of
 * repeated values (a replay's best prices and depths, which change at one event in five to
 * twenty: a compare a row and a lookup a run, against two passes over every value for deltas),
 * else DELTA_BINARY_PACKED (successive prices, sizes, ids and times differ by little, so a page
 * shrinks to a byte or two a value), or PLAIN when a value is too large for exact deltas in
 * doubles. `runsOk`: whether a dictionary may be tried (not for a sparse column's packed values).
 */
function int64Page(
  col: PlainColumn & {type: "INT64"},
  values: Float64Array,
  start: number,
  count: number,
  nullable: boolean,
  at: PageLayout,
  scratch: PageScratch,
  runsOk: boolean
): EncodedPage {
  const {out, defAt, defBytes, valuesAt, pad} = at;
  const multiply = col.multiply ?? 1,
    add = col.add ?? 0n;
  if (runsOk && looksLikeRuns(values, start, count)) {
    const dict = dictionaryFor(scratch, count);
    const runs = dictionaryRuns(values, start, count, dict);
    if (runs >= 0 && scaleDictionary(dict, multiply)) {
      if (nullable) allPresent(out, defAt, count);
      return {
        page: out.subarray(0, runValues(dict, runs, out, defBytes)),
        encoding: 8,
        dictionary: int64Dictionary(dict, add)
      };
    }
  }
  // A page with every value present: deltas straight from the values, a block at a time.
  if (count > 0 && (!nullable || looksFull(values, start, count))) {
    const end = deltaPage(values, start, count, multiply, add, out, defBytes);
    if (end >= 0) {
      if (nullable) allPresent(out, defAt, count);
      return {page: out.subarray(0, end), encoding: 5};
    }
  }
  if (scratch.values.length < count) scratch.values = new Float64Array(Math.max(count, 2 * scratch.values.length));
  const deltas = presentNumbers(values, start, count, nullable, multiply, out, defAt, scratch.values, true);
  if (deltas === NULL_SEEN) throw new Error(`column ${col.name}: a null (NaN) in a column that is not nullable`);
  if (deltas >= 0) return {page: out.subarray(0, deltaValues(scratch.values, deltas, add, out, defBytes)), encoding: 5};
  const present = -presentNumbers(values, start, count, nullable, multiply, out, defAt, scratch.values, false) - 1;
  return {
    page: out.subarray(
      0,
      int64Values(scratch.values, present, ...addWords(add), new Int32Array(scratch.buffer, valuesAt)) - pad
    ),
    encoding: 0
  };
}

/** The dictionary page of an INT64 dictionary: its values × multiply, + add, PLAIN. */
function int64Dictionary(dict: DictionaryScratch, add: bigint): {bytes: Uint8Array; values: number} {
  const words = new Int32Array(2 * dict.size);
  int64Values(dict.scaled, dict.size, ...addWords(add), words);
  return {bytes: new Uint8Array(words.buffer), values: dict.size};
}

/**
 * A runs column's page (see `Runs`): for INT64, RLE_DICTIONARY straight from the runs — the
 * page's bytes are those of `dictionaryRuns` over the same values — or, where the runs do not make
 * one (too many distinct values, a value that is no exact integer × multiply), the runs laid out
 * as values and encoded as any page; a DOUBLE is PLAIN, written from the runs.
 */
function runsPage(
  col: PlainColumn & {type: "INT64" | "DOUBLE"},
  values: Float64Array,
  starts: Float64Array,
  from: number,
  n: number,
  at: PageLayout,
  scratch: PageScratch
): EncodedPage {
  const nullable = !!col.nullable;
  if (col.type === "INT64") {
    const dict = dictionaryFor(scratch, n);
    const runs = runsDictionary(values, starts, from, n, dict, nullable, at.out, at.defAt);
    if (runs >= 0 && scaleDictionary(dict, col.multiply ?? 1))
      return {
        page: at.out.subarray(0, runValues(dict, runs, at.out, at.defBytes)),
        encoding: 8,
        dictionary: int64Dictionary(dict, col.add ?? 0n)
      };
  }
  if (col.type === "DOUBLE")
    return {
      page: at.out.subarray(
        0,
        runDoubles(values, starts, from, n, nullable, at.out, at.defAt, new Float64Array(at.out.buffer, at.valuesAt)) -
          at.pad
      ),
      encoding: 0
    };
  if (!scratch.expanded || scratch.expanded.length < n) scratch.expanded = new Float64Array(n);
  const page = scratch.expanded;
  const to = from + n;
  for (let k = firstRun(starts, from), r = 0; r < n; k++) {
    const v = values[k]!;
    for (const e = Math.min(starts[k + 1]!, to) - from; r < e; r++) page[r] = v;
  }
  return int64Page(col, page, 0, n, nullable, at, scratch, false);
}

/**
 * A DOUBLE runs column's PLAIN values (what `doubleValues` writes for the same rows), from the
 * runs: each run's value repeated, a null run's definition bits cleared. Returns the byte end
 * (from the buffer's start).
 */
function runDoubles(
  values: Float64Array,
  starts: Float64Array,
  from: number,
  n: number,
  nullable: boolean,
  out: Uint8Array,
  defAt: number,
  dst: Float64Array
): number {
  if (nullable) allPresent(out, defAt, n);
  const to = from + n;
  let j = 0;
  for (let k = firstRun(starts, from), r = 0; r < n; k++) {
    const v = values[k]!,
      e = Math.min(starts[k + 1]!, to) - from;
    if (v !== v && nullable) {
      clearBits(out, defAt, r, e);
      r = e;
      continue;
    }
    for (; r < e; r++) dst[j++] = v;
  }
  return dst.byteOffset + 8 * j;
}

/** The run that holds row `from`: the last whose start is at or before it. */
function firstRun(starts: Float64Array, from: number): number {
  let k = 0;
  while (starts[k + 1]! <= from) k++;
  return k;
}

/**
 * `dictionaryRuns` for a runs column: the runs of rows [from, from + n) merged where a value
 * repeats (so the runs are maximal, as a scan of the values finds them), their dictionary indices
 * and lengths in `dict`; null runs (NaN) are left out of them, their definition bits cleared (the
 * others set). Returns how many runs, or −1 (nothing written that counts) for a null in a column
 * that is not nullable or more than MAX_DICTIONARY distinct values; the caller then scales the
 * dictionary (`scaleDictionary`), which may still refuse it.
 */
function runsDictionary(
  values: Float64Array,
  starts: Float64Array,
  from: number,
  n: number,
  dict: DictionaryScratch,
  nullable: boolean,
  out: Uint8Array,
  defAt: number
): number {
  const {slots, runIndex, runLength} = dict;
  slots.fill(0);
  dict.size = 0;
  if (nullable) allPresent(out, defAt, n);
  const to = from + n;
  let k = firstRun(starts, from);
  // The open run: its value and first row; each is closed where a different value starts (or at
  // the page's end), by one piece of code for both.
  let v = values[k]!,
    s = from,
    runs = 0;
  for (;;) {
    let e = starts[++k]!;
    if (e < to) {
      const x = values[k]!;
      if (x === v || (x !== x && v !== v)) continue;
    } else e = to;
    if (v === v) {
      const index = dictionaryIndex(dict, v);
      if (index < 0) return -1;
      runIndex[runs] = index;
      runLength[runs++] = e - s;
    } else if (nullable) clearBits(out, defAt, s - from, e - from);
    else return -1;
    if (e === to) return runs;
    ((v = values[k]!), (s = e));
  }
}

/** Clears definition bits [a, b) (rows of a null run). */
function clearBits(out: Uint8Array, defAt: number, a: number, b: number): void {
  for (let r = a; r < b; r++) out[defAt + (r >>> 3)]! &= ~(1 << (r & 7));
}

/** The 64-bit offset `add` as its high (signed) and low (unsigned) 32-bit words, for `int64Values`. */
function addWords(add: bigint): [number, number] {
  return [Number(BigInt.asIntN(64, add) >> 32n), Number(BigInt.asUintN(64, add) & 0xffffffffn)];
}

/** Whether x is an integer below 2^51 in size: exact in doubles, and so are its deltas. */
function exactInteger(x: number): boolean {
  return Math.abs(x) < LIMIT && x + INT64_MAGIC - INT64_MAGIC === x;
}

/**
 * The present values × multiply into `dst`, as deltas when `deltas` (dst[0] the first value,
 * dst[i] value i − value i − 1: the pass DELTA_BINARY_PACKED starts from) or as they are (for
 * PLAIN); definition bits at out[defAt…] when nullable. Returns how many, or −1 − how many when
 * one is not an integer below 2^51 in size (deltas of such values, and deltas less their block's
 * minimum, stay exact in doubles).
 *
 * "An integer below 2^51 in size": x + 2^52·1.5 − 2^52·1.5 gives x back only then, and the page's
 * smallest and largest values say the rest, so the test itself needs no branch (a NaN or infinity
 * makes the sum of |roundings| NaN or the range fail). Nullable pages branch on presence only;
 * each case has its own loop so both stay tight.
 */
function presentNumbers(
  values: Float64Array,
  from: number,
  n: number,
  nullable: boolean,
  multiply: number,
  out: Uint8Array,
  defAt: number,
  dst: Float64Array,
  deltas: boolean
): number {
  // A nullable page that looks full (a sample of its rows all present: a replay's best prices)
  // first takes the loop without presence tests — 2.6 against 5.9 ns a value here — which a null
  // anywhere turns NaN, and then the page goes through the nullable loop after all.
  if (nullable && looksFull(values, from, n)) {
    const dense = denseNumbers(values, from, n, multiply, dst, deltas);
    if (dense !== NULL_SEEN) {
      allPresent(out, defAt, n);
      return dense;
    }
  }
  return nullable
    ? nullableNumbers(values, from, n, multiply, out, defAt, dst, deltas)
    : denseNumbers(values, from, n, multiply, dst, deltas);
}

// The two loops of `presentNumbers` are functions of their own: each is optimised for the one
// path it has (as one function, the code compiled while a page ran one loop was thrown away at
// the other, ~25 times a replay).

/** `presentNumbers` of a page without nulls: NULL_SEEN if it has one after all. */
function denseNumbers(
  values: Float64Array,
  from: number,
  n: number,
  multiply: number,
  dst: Float64Array,
  deltas: boolean
): number {
  let fractional = 0,
    lo = 0,
    hi = 0,
    prev = 0;
  for (let r = 0; r < n; r++) {
    const x = values[from + r]! * multiply;
    fractional += Math.abs(x + INT64_MAGIC - INT64_MAGIC - x);
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
    dst[r] = x - prev;
    prev = deltas ? x : 0;
  }
  // A NaN (a null) or an infinity makes the sum NaN; only an infinity may stay (it fails below).
  if (fractional !== fractional && hasNaN(values, from, n)) return NULL_SEEN;
  return fractional === 0 && lo > -LIMIT && hi < LIMIT ? n : -n - 1;
}

function hasNaN(values: Float64Array, from: number, n: number): boolean {
  for (let r = 0; r < n; r++) if (values[from + r] !== values[from + r]) return true;
  return false;
}

/** `presentNumbers` of a page with nulls (NaN): the definition bits, then the present values. */
function nullableNumbers(
  values: Float64Array,
  from: number,
  n: number,
  multiply: number,
  out: Uint8Array,
  defAt: number,
  dst: Float64Array,
  deltas: boolean
): number {
  let k = 0,
    fractional = 0,
    lo = 0,
    hi = 0,
    prev = 0,
    byte = 0;
  for (let r = 0; r < n; r++) {
    const x = values[from + r]! * multiply;
    if (x === x) byte |= 1 << (r & 7);
    if ((r & 7) === 7 || r === n - 1) ((out[defAt + (r >>> 3)] = byte), (byte = 0));
    if (x !== x) continue;
    fractional += Math.abs(x + INT64_MAGIC - INT64_MAGIC - x);
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
    dst[k++] = x - prev;
    prev = deltas ? x : 0;
  }
  return fractional === 0 && lo > -LIMIT && hi < LIMIT ? k : -k - 1;
}

/** What `presentNumbers` without presence tests returns when it met a null after all (−1 − k is never this). */
const NULL_SEEN = -Infinity;

/** Whether 16 rows spread over the page are all present (not NaN): worth trying the page as full. */
function looksFull(values: Float64Array, from: number, n: number): boolean {
  if (n <= 0) return false;
  for (let j = 0; j < 16; j++) {
    const v = values[from + Math.floor(((n - 1) * j) / 15)]!;
    if (v !== v) return false;
  }
  return true;
}

/** Definition bits of a page with every row present (the bits past the last row stay 0). */
function allPresent(out: Uint8Array, defAt: number, n: number): void {
  const full = n >>> 3;
  out.fill(255, defAt, defAt + full);
  if (n & 7) out[defAt + full] = (1 << (n & 7)) - 1;
}

/**
 * Most distinct values a dictionary-encoded page may hold (indices of at most 14 bits: two bytes a
 * run), and its hash table's size: twice that, 64 KB of 16-bit slots, which stays in cache.
 */
const MAX_DICTIONARY = 1 << 14;
const HASH_BITS = 15;

/** A dictionary page's hash table (open addressing over HASH_BITS), its values, and the page's runs. */
interface DictionaryScratch {
  /** Slot → dictionary index + 1 (0: empty). */
  slots: Uint16Array;
  /** Dictionary index → the value as given, and × multiply (what is stored). */
  keys: Float64Array;
  scaled: Float64Array;
  size: number;
  runIndex: Int32Array;
  runLength: Int32Array;
}

/** The writer's dictionary scratch, with room for a page of `rows` runs. */
function dictionaryFor(scratch: PageScratch, rows: number): DictionaryScratch {
  const dict = (scratch.dictionary ??= newDictionaryScratch(rows));
  if (dict.runIndex.length < rows) Object.assign(dict, newDictionaryScratch(rows));
  return dict;
}

function newDictionaryScratch(rows: number): DictionaryScratch {
  return {
    slots: new Uint16Array(1 << HASH_BITS),
    keys: new Float64Array(MAX_DICTIONARY),
    scaled: new Float64Array(MAX_DICTIONARY),
    size: 0,
    runIndex: new Int32Array(rows),
    runLength: new Int32Array(rows)
  };
}

/**
 * Whether a page looks made of runs: in four samples of 256 rows spread over it, fewer than one
 * row in three differs from the one before. A page it misjudges is still encoded right (a
 * dictionary too large to pay gives way to deltas, see `dictionaryRuns`), only less compactly.
 */
function looksLikeRuns(values: Float64Array, from: number, n: number): boolean {
  if (n < 1024) return false;
  let changes = 0;
  for (let s = 0; s < 4; s++) {
    const at = from + Math.floor(((n - 256) * s) / 3);
    for (let r = at + 1; r < at + 256; r++) changes += values[r] === values[r - 1] ? 0 : 1;
  }
  return 3 * changes < 4 * 255;
}

/**
 * A page without nulls as runs of one value each: their dictionary indices and lengths in
 * `dict.runIndex`/`runLength`, the distinct values in order of first appearance in `dict.keys`.
 * Returns how many runs, or −1 when the page has a null (NaN) or more than MAX_DICTIONARY distinct
 * values; then `scaleDictionary` (× multiply, into `dict.scaled`) refuses a value that is not an
 * integer below 2^51 in size. A page refused is encoded otherwise. (The scaling is the caller's:
 * code after the hot loop, never run when V8 compiled the loop on the stack, threw that code away
 * at every call.)
 */
function dictionaryRuns(values: Float64Array, from: number, n: number, dict: DictionaryScratch): number {
  const {slots, runIndex, runLength} = dict;
  slots.fill(0);
  dict.size = 0;
  let prev = values[from]!,
    index = dictionaryIndex(dict, prev),
    runs = 0,
    start = 0;
  if (index < 0 || prev !== prev) return -1;
  for (let r = 1; r < n; r++) {
    const x = values[from + r]!;
    if (x === prev) continue;
    runIndex[runs] = index;
    runLength[runs++] = r - start;
    start = r;
    prev = x;
    index = dictionaryIndex(dict, x);
    if (index < 0 || x !== x) return -1;
  }
  runIndex[runs] = index;
  runLength[runs++] = n - start;
  return runs;
}

/** The dictionary's values × multiply into `dict.scaled`; false when one is not an integer below 2^51 in size (or does not divide back exactly). */
function scaleDictionary(dict: DictionaryScratch, multiply: number): boolean {
  const keys = dict.keys;
  for (let k = 0; k < dict.size; k++) {
    const v = keys[k]! * multiply;
    if (!exactInteger(v) || v / multiply !== keys[k]) return false;
    dict.scaled[k] = v;
  }
  return true;
}

/** The dictionary index of x, added if new; −1 when the dictionary is full. */
function dictionaryIndex(dict: DictionaryScratch, x: number): number {
  const slots = dict.slots,
    keys = dict.keys,
    mask = (1 << HASH_BITS) - 1;
  // x's low and high 32 bits (as an integer), mixed: prices and sizes differ in the low bits.
  let h = Math.imul((x | 0) ^ ((x * 2 ** -32) | 0), 0x9e3779b1) >>> (32 - HASH_BITS);
  for (;;) {
    const s = slots[h]!;
    if (s === 0) break;
    if (keys[s - 1] === x) return s - 1;
    h = (h + 1) & mask;
  }
  const k = dict.size;
  if (k === MAX_DICTIONARY) return -1;
  keys[k] = x;
  slots[h] = k + 1;
  dict.size = k + 1;
  return k;
}

/**
 * The RLE_DICTIONARY data page's values: the index bit width (a byte), then each run as an RLE
 * run of the hybrid encoding — its length × 2 (LEB128), and the index in (width + 7) ÷ 8 bytes,
 * little-endian. Returns the end.
 */
function runValues(dict: DictionaryScratch, runs: number, out: Uint8Array, at: number): number {
  const width = Math.max(1, 32 - Math.clz32(dict.size - 1));
  const {runIndex, runLength} = dict;
  out[at] = width;
  let k = at + 1;
  if (width <= 8) {
    for (let i = 0; i < runs; i++) {
      k = varint(out, k, 2 * runLength[i]!);
      out[k++] = runIndex[i]!;
    }
  } else {
    for (let i = 0; i < runs; i++) {
      k = varint(out, k, 2 * runLength[i]!);
      const v = runIndex[i]!;
      out[k++] = v & 0xff;
      out[k++] = v >>> 8;
    }
  }
  return k;
}

const BLOCK = 128,
  MINIBLOCKS = 4,
  MINI = 32;

/**
 * DELTA_BINARY_PACKED (Parquet's encoding for sorted-ish integers) of `count` values given as
 * deltas (from `presentNumbers`): a header (block size, miniblocks a block, value count, first
 * value), then per block of 128 values the smallest delta and four miniblocks of 32 deltas less
 * it, bit-packed at each miniblock's own width (`packBlock`). `add` is added to every value
 * (exactly, in 64 bits): it changes only the first value. Per block, one pass finds the smallest
 * delta and each miniblock's largest, a second packs.
 */
function deltaValues(deltas: Float64Array, count: number, add: bigint, out: Uint8Array, at: number): number {
  let k = deltaHeader(out, at, count, count ? deltas[0]! : 0, add);
  const view = new DataView(out.buffer, out.byteOffset);
  const maxes = new Float64Array(MINIBLOCKS);
  for (let b = 1; b < count; b += BLOCK) {
    const end = Math.min(count, b + BLOCK);
    let min = Infinity;
    for (let m = 0; m < MINIBLOCKS; m++) {
      let max = -Infinity;
      for (let i = b + m * MINI, e = Math.min(end, i + MINI); i < e; i++) {
        const d = deltas[i]!;
        min = d < min ? d : min;
        max = d > max ? d : max;
      }
      maxes[m] = max;
    }
    k = packBlock(deltas, b, end - b, min, maxes, out, k, view);
  }
  return k;
}

function deltaHeader(out: Uint8Array, at: number, count: number, first: number, add: bigint): number {
  let k = varint(out, at, BLOCK);
  k = varint(out, k, MINIBLOCKS);
  k = varint(out, k, count);
  return firstValue(out, k, first, add);
}

/** One block's deltas, kept in cache between the pass that measures them and the one that packs them. */
const blockDeltas = new Float64Array(BLOCK);
const blockMaxes = new Float64Array(MINIBLOCKS);

/**
 * `deltaValues` straight from the values (all present), without the page-long array of deltas:
 * each full block's 128 deltas are taken as value i − value i − 1 from the page itself, the four
 * miniblocks side by side — four independent chains of min, max and integer checks instead of
 * one, which is what bounds such a loop — into a 128-value buffer that stays in cache for
 * `packBlock`. Returns the end, or −1 (having written nothing that counts) when a value × multiply
 * is not an integer, is NaN, or could be 2^51 or more in size: the page then takes the general path.
 */
function deltaPage(
  values: Float64Array,
  from: number,
  n: number,
  multiply: number,
  add: bigint,
  out: Uint8Array,
  at: number
): number {
  const x0 = values[from]! * multiply;
  if (!exactInteger(x0)) return -1;
  let k = deltaHeader(out, at, n, x0, add);
  const view = new DataView(out.buffer, out.byteOffset);
  const blk = blockDeltas,
    maxes = blockMaxes;
  let fractional = 0;
  for (let b = 1; b < n; b += BLOCK) {
    const len = Math.min(BLOCK, n - b);
    let min: number;
    if (len === BLOCK) {
      let f0 = 0,
        f1 = 0,
        f2 = 0,
        f3 = 0,
        n0 = Infinity,
        n1 = Infinity,
        n2 = Infinity,
        n3 = Infinity,
        m0 = -Infinity,
        m1 = -Infinity,
        m2 = -Infinity,
        m3 = -Infinity;
      for (let j = 0, i = from + b; j < MINI; j++, i++) {
        const a0 = values[i]! * multiply,
          a1 = values[i + 32]! * multiply,
          a2 = values[i + 64]! * multiply,
          a3 = values[i + 96]! * multiply;
        const d0 = a0 - values[i - 1]! * multiply,
          d1 = a1 - values[i + 31]! * multiply,
          d2 = a2 - values[i + 63]! * multiply,
          d3 = a3 - values[i + 95]! * multiply;
        f0 += Math.abs(a0 + INT64_MAGIC - INT64_MAGIC - a0);
        f1 += Math.abs(a1 + INT64_MAGIC - INT64_MAGIC - a1);
        f2 += Math.abs(a2 + INT64_MAGIC - INT64_MAGIC - a2);
        f3 += Math.abs(a3 + INT64_MAGIC - INT64_MAGIC - a3);
        blk[j] = d0;
        blk[j + 32] = d1;
        blk[j + 64] = d2;
        blk[j + 96] = d3;
        n0 = d0 < n0 ? d0 : n0;
        n1 = d1 < n1 ? d1 : n1;
        n2 = d2 < n2 ? d2 : n2;
        n3 = d3 < n3 ? d3 : n3;
        m0 = d0 > m0 ? d0 : m0;
        m1 = d1 > m1 ? d1 : m1;
        m2 = d2 > m2 ? d2 : m2;
        m3 = d3 > m3 ? d3 : m3;
      }
      fractional += f0 + f1 + f2 + f3;
      min = Math.min(n0, n1, n2, n3);
      ((maxes[0] = m0), (maxes[1] = m1), (maxes[2] = m2), (maxes[3] = m3));
    } else {
      min = Infinity;
      for (let m = 0; m < MINIBLOCKS; m++) {
        let max = -Infinity;
        for (let j = m * MINI, e = Math.min(len, j + MINI); j < e; j++) {
          const a = values[from + b + j]! * multiply,
            d = a - values[from + b + j - 1]! * multiply;
          fractional += Math.abs(a + INT64_MAGIC - INT64_MAGIC - a);
          blk[j] = d;
          min = d < min ? d : min;
          max = d > max ? d : max;
        }
        maxes[m] = max;
      }
    }
    // Every value of the block lies within BLOCK deltas of the one before it: below 2^51 in size
    // if this bound is (a NaN fails it and the integer test both).
    const bound =
      Math.abs(values[from + b - 1]! * multiply) + BLOCK * Math.max(-min, maxes[0]!, maxes[1]!, maxes[2]!, maxes[3]!);
    if (!(bound < LIMIT)) return -1;
    k = packBlock(blk, 0, len, min, maxes, out, k, view);
  }
  return fractional === 0 ? k : -1;
}

/**
 * A block's `len` deltas src[s0…] less their minimum `min`: the minimum (zigzag LEB128), the four
 * miniblocks' widths, then each miniblock's 32 values at its width (from `maxes`), LSB first; bits
 * gather in a 32-bit word stored whole (little-endian through `view`) when full, so no byte is
 * written twice. A short last miniblock is padded with zeros; the unused ones have width 0.
 */
function packBlock(
  src: Float64Array,
  s0: number,
  len: number,
  min: number,
  maxes: Float64Array,
  out: Uint8Array,
  k: number,
  view: DataView
): number {
  k = varint(out, k, min >= 0 ? 2 * min : -2 * min - 1);
  const widthsAt = k;
  k += MINIBLOCKS;
  for (let m = 0; m < MINIBLOCKS; m++) {
    const s = s0 + m * MINI,
      end = s0 + len;
    out[widthsAt + m] = 0;
    if (s >= end) continue;
    const e = Math.min(end, s + MINI);
    const max = maxes[m]! - min;
    const w = max === 0 ? 0 : max < 4294967296 ? 32 - Math.clz32(max) : 64 - Math.clz32(Math.floor(max / 4294967296));
    out[widthsAt + m] = w;
    if (!w) continue;
    // A miniblock is 32 values × w bits = w words; a short last one is padded with zeros.
    const last = k + 4 * w;
    if (w <= 32) {
      let acc = 0,
        bits = 0;
      for (let i = s; i < e; i++) {
        const v = (src[i]! - min) >>> 0;
        acc |= v << bits;
        bits += w;
        if (bits >= 32) {
          view.setUint32(k, acc, true);
          k += 4;
          bits -= 32;
          acc = bits ? v >>> (w - bits) : 0;
        }
      }
      if (bits) (view.setUint32(k, acc, true), (k += 4));
    } else {
      const words = new Uint32Array(64);
      for (let i = s, bit = 0; i < e; i++, bit += w) {
        const v = src[i]! - min,
          hi = Math.floor(v / 4294967296);
        put(words, bit, (v - hi * 4294967296) >>> 0, 32);
        put(words, bit + 32, hi, w - 32);
      }
      for (let j = 0; j < w; j++, k += 4) view.setUint32(k, words[j]!, true);
    }
    while (k < last) (view.setUint32(k, 0, true), (k += 4));
  }
  return k;
}

/** The first value + add, zigzag LEB128, in 64 bits (BigInt, kept out of the hot loops' functions). */
function firstValue(out: Uint8Array, k: number, first: number, add: bigint): number {
  const v = BigInt(first) + add;
  for (let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)); ;) {
    if (z < 128n) {
      out[k++] = Number(z);
      return k;
    }
    out[k++] = Number(z & 127n) | 128;
    z >>= 7n;
  }
}

/** Writes the low `width` (≤ 32) bits of v at bit `bit` of little-endian 32-bit words. */
function put(words: Uint32Array, bit: number, v: number, width: number): void {
  const i = bit >>> 5,
    o = bit & 31;
  words[i]! |= v << o;
  if (o + width > 32) words[i + 1]! |= v >>> (32 - o);
}

/** Unsigned LEB128 of a non-negative integer up to 2^54 (no 32-bit operators: they would wrap). */
function varint(out: Uint8Array, k: number, v: number): number {
  while (v >= 128) {
    out[k++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  out[k++] = v;
  return k;
}

/** How many bytes `varint` writes for v. */
function varintLength(v: number): number {
  let n = 1;
  for (; v >= 128; n++) v = Math.floor(v / 128);
  return n;
}

/** Where a sparse key is present in a row group: definition bits (LSB first), count, and the packed values' start. */
interface SparseRows {
  bits: Uint8Array;
  present: number;
  start: number;
}

const sparseKey = (s: Sparse) => `${s.column}:${s.code}:${s.except ? 1 : 0}`;

/**
 * Rows [from, from + n) of a code column that hold `code` (or, `except`, do not); `start` counts
 * those before `from`. Eight rows make a byte of bits at a time, counted by table: a byte loop of
 * its own per row cost ~5 ns a row, four times a row group, in the bench's replay.
 */
function sparseRows(codes: Uint8Array, code: number, except: boolean, from: number, n: number): SparseRows {
  let start = 0;
  for (let r = 0; r < from; r++) start += (codes[r] === code) !== except ? 1 : 0;
  const bits = new Uint8Array((n + 7) >>> 3);
  const whole = n >>> 3;
  let present = 0;
  if (n & 7) {
    let byte = 0;
    for (let b = 0, i = from + 8 * whole; b < (n & 7); b++, i++) byte |= (codes[i] === code) !== except ? 1 << b : 0;
    bits[whole] = byte;
    present += BIT_COUNT[byte]!;
  }
  present += codeBits(codes, code, except ? 255 : 0, from, whole, bits);
  return {bits, present, start};
}

/**
 * Bytes [0, whole) of `sparseRows`' bits (rows from…from + 8 × whole), returning how many are set.
 * A function of its own so nothing follows its loop but a return: V8 compiles a loop that gets hot
 * in its first call on the stack, and reuses that code in later calls — code after the loop, which
 * had never run when it was compiled, threw it away at every call (a deoptimisation each).
 */
function codeBits(
  codes: Uint8Array,
  code: number,
  flip: number,
  from: number,
  whole: number,
  bits: Uint8Array
): number {
  let present = 0;
  for (let g = 0, i = from; g < whole; g++, i += 8) {
    const byte =
      ((codes[i] === code ? 1 : 0) |
        (codes[i + 1] === code ? 2 : 0) |
        (codes[i + 2] === code ? 4 : 0) |
        (codes[i + 3] === code ? 8 : 0) |
        (codes[i + 4] === code ? 16 : 0) |
        (codes[i + 5] === code ? 32 : 0) |
        (codes[i + 6] === code ? 64 : 0) |
        (codes[i + 7] === code ? 128 : 0)) ^
      flip;
    bits[g] = byte;
    present += BIT_COUNT[byte]!;
  }
  return present;
}

/**
 * `sparseRows` for codes 0, 1, 2 and 3 of a code column at once: eight rows' codes make two
 * 8-bit indices (2 bits a code) into CODE_NIBBLES, whose entries hold a nibble of bits per code,
 * so a byte of bits for every code costs two table loads; a group with a larger code (a null,
 * 255) is worked out by compares.
 */
function codeRows(codes: Uint8Array, from: number, n: number): SparseRows[] {
  const starts = [0, 0, 0, 0];
  for (let r = 0; r < from; r++) if (codes[r]! < 4) starts[codes[r]!]!++;
  const groups = (n + 7) >>> 3,
    whole = n >>> 3;
  const bits = [new Uint8Array(groups), new Uint8Array(groups), new Uint8Array(groups), new Uint8Array(groups)];
  const counts = new Int32Array(4);
  codeGroups(codes, from, whole, bits[0]!, bits[1]!, bits[2]!, bits[3]!, counts);
  for (let r = from + 8 * whole, b = 0; r < from + n; r++, b++) {
    const code = codes[r]!;
    if (code < 4) ((bits[code]![whole]! |= 1 << b), counts[code]!++);
  }
  return bits.map((b, c) => ({bits: b, present: counts[c]!, start: starts[c]!}));
}

/** Bytes [0, whole) of each code's bits (rows from…from + 8 × whole), and how many are set, into `counts`. */
function codeGroups(
  codes: Uint8Array,
  from: number,
  whole: number,
  b0: Uint8Array,
  b1: Uint8Array,
  b2: Uint8Array,
  b3: Uint8Array,
  counts: Int32Array
): void {
  let p0 = 0,
    p1 = 0,
    p2 = 0,
    p3 = 0;
  for (let g = 0, i = from; g < whole; g++, i += 8) {
    const c0 = codes[i]!,
      c1 = codes[i + 1]!,
      c2 = codes[i + 2]!,
      c3 = codes[i + 3]!,
      c4 = codes[i + 4]!,
      c5 = codes[i + 5]!,
      c6 = codes[i + 6]!,
      c7 = codes[i + 7]!;
    let all: number;
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) < 4)
      all =
        CODE_NIBBLES[c0 | (c1 << 2) | (c2 << 4) | (c3 << 6)]! |
        (CODE_NIBBLES[c4 | (c5 << 2) | (c6 << 4) | (c7 << 6)]! << 4);
    else {
      all = 0;
      for (let j = 0; j < 8; j++) {
        const c = codes[i + j]!;
        if (c < 4) all |= 1 << (8 * c + j);
      }
    }
    const x0 = all & 255,
      x1 = (all >>> 8) & 255,
      x2 = (all >>> 16) & 255,
      x3 = all >>> 24;
    ((b0[g] = x0), (b1[g] = x1), (b2[g] = x2), (b3[g] = x3));
    ((p0 += BIT_COUNT[x0]!), (p1 += BIT_COUNT[x1]!), (p2 += BIT_COUNT[x2]!), (p3 += BIT_COUNT[x3]!));
  }
  ((counts[0] = p0), (counts[1] = p1), (counts[2] = p2), (counts[3] = p3));
}

/** For four codes (2 bits each) of four rows: bit j of byte c set where row j holds code c. */
const CODE_NIBBLES = Uint32Array.from({length: 256}, (_, idx) => {
  let v = 0;
  for (let j = 0; j < 4; j++) v |= 1 << (8 * ((idx >>> (2 * j)) & 3) + j);
  return v;
});

/** The rows without a code, from the rows with it (`except`). */
function complement(rows: SparseRows, n: number, from: number): SparseRows {
  const bits = rows.bits.map((b) => b ^ 255);
  if (n & 7) bits[n >>> 3]! &= (1 << (n & 7)) - 1;
  return {bits, present: n - rows.present, start: from - rows.start};
}

/** Set bits in each byte value. */
const BIT_COUNT = Uint8Array.from({length: 256}, (_, b) => {
  let k = 0;
  for (let v = b; v; v >>>= 1) k += v & 1;
  return k;
});

/**
 * A sparse DOUBLE page: its packed values from values[start…], one for each definition bit set
 * at out[defAt…] (a row group's rows of the key code), PLAIN into `dst`; a NaN among them is a
 * null there too (its bit is cleared). Bytes of rows without the code (most) are skipped whole.
 * Returns the byte end (from the buffer's start).
 */
function sparseDoubles(
  values: Float64Array,
  start: number,
  out: Uint8Array,
  defAt: number,
  groups: number,
  dst: Float64Array
): number {
  let k = 0,
    v = start;
  for (let g = 0; g < groups; g++) {
    let byte = out[defAt + g]!;
    if (byte === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if (!(byte & (1 << bit))) continue;
      const x = values[v++]!;
      if (x === x) dst[k++] = x;
      else byte &= ~(1 << bit);
    }
    out[defAt + g] = byte;
  }
  return dst.byteOffset + 8 * k;
}

/** Definition levels of a code column (255 = null). */
function definitionBitsCode(values: Uint8Array, from: number, n: number, out: Uint8Array, at: number): number {
  let present = 0;
  for (let g = 0; g < n; g += 8) {
    let byte = 0;
    const m = Math.min(8, n - g);
    for (let b = 0; b < m; b++) if (values[from + g + b] !== 255) ((byte |= 1 << b), present++);
    out[at + (g >>> 3)] = byte;
  }
  return present;
}

/** The first `count` values (exact integers) + add as INT64 (lo, hi) words; returns the byte end (from the buffer's start). */
function int64Values(values: Float64Array, count: number, addHi: number, addLo: number, words: Int32Array): number {
  const scratch = new Float64Array(1),
    bits = new Int32Array(scratch.buffer);
  for (let r = 0, k = 0; r < count; r++, k += 2) {
    const x = values[r]!;
    let lo: number, hi: number;
    if (x > -LIMIT && x < LIMIT) {
      scratch[0] = x + INT64_MAGIC;
      lo = bits[0]! >>> 0;
      hi = bits[1]! - MAGIC_HIGH;
    } else {
      hi = Math.floor(x / 4294967296);
      lo = x - hi * 4294967296;
    }
    lo += addLo;
    if (lo >= 4294967296) ((lo -= 4294967296), hi++);
    words[k] = lo | 0;
    words[k + 1] = hi + addHi;
  }
  return words.byteOffset + 8 * count;
}

/** DOUBLE (or INT32) values of the present rows into `dst`, definition bits at out[defAt…]; returns the byte end (from the buffer's start). */
function doubleValues(
  values: Float64Array,
  from: number,
  n: number,
  nullable: boolean,
  out: Uint8Array,
  defAt: number,
  dst: Float64Array | Int32Array
): number {
  // A nullable page that proves full is a plain copy (the replay's imbalance: 6.5 → ~1.5 ns a row).
  if (nullable && looksFull(values, from, n)) {
    let r = 0;
    while (r < n && values[from + r] === values[from + r]) r++;
    if (r === n) {
      allPresent(out, defAt, n);
      dst.set(values.subarray(from, from + n));
      return dst.byteOffset + dst.BYTES_PER_ELEMENT * n;
    }
  }
  let k = 0,
    byte = 0;
  for (let r = 0; r < n; r++) {
    const v = values[from + r]!;
    if (nullable) {
      if (v === v) byte |= 1 << (r & 7);
      if ((r & 7) === 7 || r === n - 1) ((out[defAt + (r >>> 3)] = byte), (byte = 0));
      if (v !== v) continue;
    }
    dst[k++] = v;
  }
  return dst.byteOffset + dst.BYTES_PER_ELEMENT * k;
}

/**
 * `bitValues` for values that are all present (no 255): `8 ÷ width` values make a byte, with no
 * test per value — widths 1 and 2 (booleans, enums of up to four labels) have their own loops,
 * wider ones take `bitValues`. Padded to whole groups of 8 values.
 */
function packedBits(
  values: Uint8Array,
  from: number,
  n: number,
  out: Uint8Array,
  at: number,
  width: number,
  hybrid: boolean
): number {
  if (width !== 1 && width !== 2) return bitValues(values, from, n, out, at, width, hybrid);
  let k = hybrid ? varint(out, at, (((n + 7) >>> 3) << 1) | 1) : at;
  const body = k,
    end = from + n;
  let i = from;
  if (width === 1) {
    for (; i + 8 <= end; i += 8)
      out[k++] =
        values[i]! |
        (values[i + 1]! << 1) |
        (values[i + 2]! << 2) |
        (values[i + 3]! << 3) |
        (values[i + 4]! << 4) |
        (values[i + 5]! << 5) |
        (values[i + 6]! << 6) |
        (values[i + 7]! << 7);
  } else {
    for (; i + 4 <= end; i += 4)
      out[k++] = values[i]! | (values[i + 1]! << 2) | (values[i + 2]! << 4) | (values[i + 3]! << 6);
  }
  if (i < end) {
    let acc = 0;
    for (let b = 0; i < end; i++, b += width) acc |= values[i]! << b;
    out[k++] = acc;
  }
  const groupBytes = ((n + 7) >>> 3) * width;
  while (k - body < groupBytes) out[k++] = 0;
  return k;
}

/**
 * Bit-packed values of the present rows (booleans at width 1, dictionary indices at `width`),
 * LSB first; indices get the RLE/bit-packing hybrid's run header first. Returns the end.
 */
function bitValues(
  values: Uint8Array,
  from: number,
  n: number,
  out: Uint8Array,
  at: number,
  width: number,
  hybrid: boolean
): number {
  let present = 0;
  for (let i = from; i < from + n; i++) if (values[i] !== 255) present++;
  let k = hybrid ? varint(out, at, (((present + 7) >>> 3) << 1) | 1) : at;
  const body = k;
  let acc = 0,
    bits = 0;
  for (let i = from; i < from + n; i++) {
    const v = values[i]!;
    if (v === 255) continue;
    acc |= v << bits;
    bits += width;
    // width ≤ 8: at most one whole byte is ready.
    if (bits >= 8) {
      out[k++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[k++] = acc & 0xff;
  // A bit-packed run covers whole groups of 8 values: pad to the group's last byte.
  const groupBytes = ((present + 7) >>> 3) * width;
  while (k - body < groupBytes) out[k++] = 0;
  return k;
}
