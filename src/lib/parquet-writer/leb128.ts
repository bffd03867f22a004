/** Unsigned LEB128 of a non-negative integer up to 2^54 (no 32-bit operators: they would wrap). */
export function varint(out: Uint8Array, k: number, v: number): number {
  while (v >= 128) {
    out[k++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  out[k++] = v;
  return k;
}

/** How many bytes `varint` writes for v. */
export function varintLength(v: number): number {
  let n = 1;
  for (; v >= 128; n++) v = Math.floor(v / 128);
  return n;
}
