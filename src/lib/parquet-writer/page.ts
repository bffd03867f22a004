import {LabError} from "../core/errors.js";
import {runAt, type ColumnData, type ColumnSpec} from "./columns.js";
import {deltaPage, deltaValues} from "./delta.js";
import {
  dictionaryFor,
  int64Dictionary,
  looksLikeRuns,
  runsDictionary,
  runValues,
  scaleDictionary,
  type DictionaryScratch
} from "./dictionary.js";
import {denseNumbers, dictionaryRuns, nullableNumbers} from "./hot-loops.js";
import {allPresent, bitValues, definitionBitsCode, packedBits} from "./hybrid.js";
import {varint, varintLength} from "./leb128.js";
import {looksFull, NULL_SEEN} from "./numbers.js";
import {addWords, doubleValues, int64Values, runDoubles, sparseDoubles} from "./plain.js";
import type {SparseRows} from "./presence.js";
import {CompactWriter} from "./thrift.js";

/**
 * Pages: a column chunk's data page (definition levels, then the values in the encoding that
 * suits them) and their headers.
 */

/** A data page's (type 0) or dictionary page's (type 2) header, thrift; levels are RLE-encoded (3). */
export function pageHeader({
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
  const w = new CompactWriter();
  w.i32(1, type).i32(2, size).i32(3, size);
  if (dictionary) w.struct(7, (d) => d.i32(1, values).i32(2, 0));
  else w.struct(5, (d) => d.i32(1, values).i32(2, encoding).i32(3, 3).i32(4, 3));
  return w.end().bytes();
}

/**
 * One data page body: definition levels (nullable columns: a bit-packed run, LSB first, after
 * its 4-byte length) then the present values, PLAIN (or dictionary indices). Numbers are encoded
 * in one pass that sets the definition bits and writes the value through an aligned typed-array
 * view; each column type has its own loop over its own array type, so every loop stays monomorphic.
 */
export function encodePage(
  col: ColumnSpec,
  values: ColumnData,
  from: number,
  n: number,
  scratch: PageScratch,
  sparse?: SparseRows,
  runStarts?: Float64Array
): EncodedPage {
  if (sparse && !col.nullable)
    throw new LabError({
      reason: `column ${col.name}: a sparse column must be nullable (its rows without the code are nulls)`,
      hint: "declare the column with nullable: true"
    });
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
export interface PageScratch {
  buffer: ArrayBuffer;
  values: Float64Array;
  dictionary?: DictionaryScratch;
  /** An INT64 runs column's page as values, where its runs do not make a dictionary page. */
  expanded?: Float64Array;
}

/**
 * An INT64 page of `count` values from values[start…]: RLE_DICTIONARY when it is made of runs of
 * repeated values (a compare a row and a lookup a run, against two passes over every value for
 * deltas), else DELTA_BINARY_PACKED (values that differ by little from row to row shrink to a
 * byte or two each), or PLAIN when a value is too large for exact deltas in doubles. `runsOk`:
 * whether a dictionary may be tried (not for a sparse column's packed values).
 */
function int64Page(
  col: ColumnSpec & {type: "INT64"},
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
  if (deltas === NULL_SEEN)
    throw new LabError({
      reason: `column ${col.name}: a null (NaN) in a column that is not nullable`,
      hint: "declare the column with nullable: true, or give it a value in every row"
    });
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

/**
 * A runs column's page (see `Runs`): for INT64, RLE_DICTIONARY straight from the runs — the
 * page's bytes are those of `dictionaryRuns` over the same values — or, where the runs do not make
 * one (too many distinct values, a value that is no exact integer × multiply), the runs laid out
 * as values and encoded as any page; a DOUBLE is PLAIN, written from the runs.
 */
function runsPage(
  col: ColumnSpec & {type: "INT64" | "DOUBLE"},
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
  for (let k = runAt(starts, from), r = 0; r < n; k++) {
    const v = values[k]!;
    for (const e = Math.min(starts[k + 1]!, to) - from; r < e; r++) page[r] = v;
  }
  return int64Page(col, page, 0, n, nullable, at, scratch, false);
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
  // A nullable page that looks full (a sample of its rows all present) first takes the loop
  // without presence tests, less than half the cost a value; a null anywhere turns its checks
  // NaN, and then the page goes through the nullable loop after all.
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

/** A constant column's page (see ColumnSpec `constant`): n rows of dictionary index 0, as one RLE run of bit width 1. */
export function constantPage(n: number): EncodedPage {
  const header = n * 2;
  const page = new Uint8Array(1 + varintLength(header) + 1);
  page[0] = 1;
  varint(page, 1, header);
  page[page.length - 1] = 0;
  return {page, encoding: 8};
}

/**
 * The least and greatest stored value of rows [from, from + n) of a dense INT64 column (value ×
 * multiply + add, exact), and its nulls (NaN); undefined when every row is null.
 */
export function int64Stats(
  col: Extract<ColumnSpec, {type: "INT64"}>,
  values: Float64Array,
  from: number,
  n: number
): {min: string; max: string; nulls: number} | undefined {
  let min = Infinity,
    max = -Infinity,
    nulls = 0;
  for (let r = from; r < from + n; r++) {
    const v = values[r]!;
    if (v !== v) nulls++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (nulls === n) return undefined;
  const stored = (v: number) => String(BigInt(Math.round(v * (col.multiply ?? 1))) + (col.add ?? 0n));
  return {min: stored(min), max: stored(max), nulls};
}
