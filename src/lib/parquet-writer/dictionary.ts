import {runAt} from "./columns.js";
import {allPresent, clearBits} from "./hybrid.js";
import {varint} from "./leb128.js";
import {exactInteger} from "./numbers.js";
import {addWords, int64Values} from "./plain.js";

/**
 * RLE_DICTIONARY for INT64 pages made of runs of repeated values: a dictionary of the distinct
 * values (a hash table over a fixed-size scratch), each run an RLE run of its index.
 */

/**
 * Most distinct values a dictionary-encoded page may hold (indices of at most 14 bits: two bytes a
 * run), and its hash table's size: twice that, 64 KB of 16-bit slots, which stays in cache.
 */
export const MAX_DICTIONARY = 1 << 14;
const HASH_BITS = 15;

/** A dictionary page's hash table (open addressing over HASH_BITS), its values, and the page's runs. */
export interface DictionaryScratch {
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
export function dictionaryFor(scratch: {dictionary?: DictionaryScratch}, rows: number): DictionaryScratch {
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
export function looksLikeRuns(values: Float64Array, from: number, n: number): boolean {
  if (n < 1024) return false;
  let changes = 0;
  for (let s = 0; s < 4; s++) {
    const at = from + Math.floor(((n - 256) * s) / 3);
    for (let r = at + 1; r < at + 256; r++) changes += values[r] === values[r - 1] ? 0 : 1;
  }
  return 3 * changes < 4 * 255;
}

/**
 * `dictionaryRuns` for a runs column: the runs of rows [from, from + n) merged where a value
 * repeats (so the runs are maximal, as a scan of the values finds them), their dictionary indices
 * and lengths in `dict`; null runs (NaN) are left out of them, their definition bits cleared (the
 * others set). Returns how many runs, or −1 (nothing written that counts) for a null in a column
 * that is not nullable or more than MAX_DICTIONARY distinct values; the caller then scales the
 * dictionary (`scaleDictionary`), which may still refuse it.
 */
export function runsDictionary(
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
  let k = runAt(starts, from);
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

/** The dictionary's values × multiply into `dict.scaled`; false when one is not an integer below 2^51 in size (or does not divide back exactly). */
export function scaleDictionary(dict: DictionaryScratch, multiply: number): boolean {
  const keys = dict.keys;
  for (let k = 0; k < dict.size; k++) {
    const v = keys[k]! * multiply;
    if (!exactInteger(v) || v / multiply !== keys[k]) return false;
    dict.scaled[k] = v;
  }
  return true;
}

/** The dictionary index of x, added if new; −1 when the dictionary is full. */
export function dictionaryIndex(dict: DictionaryScratch, x: number): number {
  const slots = dict.slots,
    keys = dict.keys,
    mask = (1 << HASH_BITS) - 1;
  // x's low and high 32 bits (as an integer), mixed: integers that differ by small steps differ in the low bits.
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
export function runValues(dict: DictionaryScratch, runs: number, out: Uint8Array, at: number): number {
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

/** The dictionary page of an INT64 dictionary: its values × multiply, + add, PLAIN. */
export function int64Dictionary(dict: DictionaryScratch, add: bigint): {bytes: Uint8Array; values: number} {
  const words = new Int32Array(2 * dict.size);
  int64Values(dict.scaled, dict.size, ...addWords(add), words);
  return {bytes: new Uint8Array(words.buffer), values: dict.size};
}
