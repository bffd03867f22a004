import {varint} from "./leb128.js";

/**
 * The RLE / bit-packing hybrid encoding's bit-packed runs: definition levels (a bit a row, LSB
 * first), booleans, and dictionary indices of ENUM columns.
 */

/** Definition bits of a page with every row present (the bits past the last row stay 0). */
export function allPresent(out: Uint8Array, defAt: number, n: number): void {
  const full = n >>> 3;
  out.fill(255, defAt, defAt + full);
  if (n & 7) out[defAt + full] = (1 << (n & 7)) - 1;
}

/** Clears definition bits [a, b) (rows of a null run). */
export function clearBits(out: Uint8Array, defAt: number, a: number, b: number): void {
  for (let r = a; r < b; r++) out[defAt + (r >>> 3)]! &= ~(1 << (r & 7));
}

/** Definition bits of a code column's rows (255 = null) at out[at…]; returns how many are present. */
export function definitionBitsCode(values: Uint8Array, from: number, n: number, out: Uint8Array, at: number): number {
  let present = 0;
  for (let g = 0; g < n; g += 8) {
    let byte = 0;
    const m = Math.min(8, n - g);
    for (let b = 0; b < m; b++) if (values[from + g + b] !== 255) ((byte |= 1 << b), present++);
    out[at + (g >>> 3)] = byte;
  }
  return present;
}

/**
 * `bitValues` for values that are all present (no 255): `8 ÷ width` values make a byte, with no
 * test per value — widths 1 and 2 (booleans, enums of up to four labels) have their own loops,
 * wider ones take `bitValues`. Padded to whole groups of 8 values.
 */
export function packedBits(
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
export function bitValues(
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
