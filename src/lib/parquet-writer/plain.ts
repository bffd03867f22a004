import {allPresent, clearBits} from "./hybrid.js";
import {INT64_MAGIC, LIMIT, looksFull, MAGIC_HIGH} from "./numbers.js";
import {runAt} from "./columns.js";

/** PLAIN encoding: numbers as little-endian words, strings as length-prefixed bytes. */

/** The labels of an ENUM column as a PLAIN byte-array dictionary page body. */
export function dictionaryPage(labels: string[]): Buffer {
  return Buffer.concat(
    labels.map((l) => {
      const bytes = Buffer.from(l);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length, 0);
      return Buffer.concat([len, bytes]);
    })
  );
}

/** The first `count` values (exact integers) + add as INT64 (lo, hi) words; returns the byte end (from the buffer's start). */
export function int64Values(
  values: Float64Array,
  count: number,
  addHi: number,
  addLo: number,
  words: Int32Array
): number {
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

/** The 64-bit offset `add` as its high (signed) and low (unsigned) 32-bit words, for `int64Values`. */
export function addWords(add: bigint): [number, number] {
  return [Number(BigInt.asIntN(64, add) >> 32n), Number(BigInt.asUintN(64, add) & 0xffffffffn)];
}

/** DOUBLE (or INT32) values of the present rows into `dst`, definition bits at out[defAt…]; returns the byte end (from the buffer's start). */
export function doubleValues(
  values: Float64Array,
  from: number,
  n: number,
  nullable: boolean,
  out: Uint8Array,
  defAt: number,
  dst: Float64Array | Int32Array
): number {
  // A nullable page that proves full is one copy, without a presence test a value.
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
 * A sparse DOUBLE page: its packed values from values[start…], one for each definition bit set
 * at out[defAt…] (a row group's rows of the key code), PLAIN into `dst`; a NaN among them is a
 * null there too (its bit is cleared). Bytes of rows without the code are skipped whole.
 * Returns the byte end (from the buffer's start).
 */
export function sparseDoubles(
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

/**
 * A DOUBLE runs column's PLAIN values (what `doubleValues` writes for the same rows), from the
 * runs: each run's value repeated, a null run's definition bits cleared. Returns the byte end
 * (from the buffer's start).
 */
export function runDoubles(
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
  for (let k = runAt(starts, from), r = 0; r < n; k++) {
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
