import {varint} from "./leb128.js";
import {exactInteger, INT64_MAGIC, LIMIT} from "./numbers.js";

/** DELTA_BINARY_PACKED: blocks of 128 deltas, in four miniblocks of 32, each at its own bit width. */

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
export function deltaValues(deltas: Float64Array, count: number, add: bigint, out: Uint8Array, at: number): number {
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
export function deltaPage(
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
