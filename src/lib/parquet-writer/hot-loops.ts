import {dictionaryIndex, type DictionaryScratch} from "./dictionary.js";
import {hasNaN, INT64_MAGIC, LIMIT, NULL_SEEN} from "./numbers.js";

// The writer's hottest loops, each shaped for how V8 compiles them. A loop that gets hot during
// its first call is compiled while on the stack, and that code is reused by later calls — unless
// code after the loop, which had not run yet when it was compiled, or a second path through the
// same function, throws it away, once a call. So each loop here is a function of its own with
// nothing after the loop but a return, one path per function (a page with nulls and one without
// are two functions); callers do the rest (scaling a dictionary, choosing the path). Folding them
// back into their callers keeps the output the same and makes every page slower.

/**
 * The values × multiply of a page without nulls into `dst`, as deltas when `deltas` (see
 * `presentNumbers`): how many, −1 − how many when one is not an integer below 2^51 in size, or
 * NULL_SEEN if the page has a null after all.
 */
export function denseNumbers(
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

/** `denseNumbers` of a page with nulls (NaN): the definition bits at out[defAt…], then the present values. */
export function nullableNumbers(
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

/**
 * A page without nulls as runs of one value each: their dictionary indices and lengths in
 * `dict.runIndex`/`runLength`, the distinct values in order of first appearance in `dict.keys`.
 * Returns how many runs, or −1 when the page has a null (NaN) or more than MAX_DICTIONARY distinct
 * values; then `scaleDictionary` (the caller's, × multiply, into `dict.scaled`) refuses a value
 * that is not an integer below 2^51 in size. A page refused is encoded otherwise.
 */
export function dictionaryRuns(values: Float64Array, from: number, n: number, dict: DictionaryScratch): number {
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

/** Bytes [0, whole) of `sparseRows`' bits (rows from…from + 8 × whole, where the code is: `flip` 255 inverts), returning how many are set. */
export function codeBits(
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

/** Bytes [0, whole) of codes 0–3's bits (rows from…from + 8 × whole), and how many are set, into `counts` (see `codeRows`). */
export function codeGroups(
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
export const CODE_NIBBLES = Uint32Array.from({length: 256}, (_, idx) => {
  let v = 0;
  for (let j = 0; j < 4; j++) v |= 1 << (8 * ((idx >>> (2 * j)) & 3) + j);
  return v;
});

/** Set bits in each byte value. */
export const BIT_COUNT = Uint8Array.from({length: 256}, (_, b) => {
  let k = 0;
  for (let v = b; v; v >>>= 1) k += v & 1;
  return k;
});
