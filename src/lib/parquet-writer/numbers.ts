/**
 * Integers held in doubles: which are exact (so are their deltas), found without a branch a value.
 */

/** 1.5 × 2^52: x + INT64_MAGIC holds the integer x (|x| < 2^51) in the low 51 bits of its mantissa. */
export const INT64_MAGIC = 6755399441055744;
/** The high word of INT64_MAGIC's bits, less which the high word of x + INT64_MAGIC is x's. */
export const MAGIC_HIGH = 0x43380000;
/** The size below which integers, their sums and their deltas stay exact in doubles. */
export const LIMIT = 2 ** 51;

/** Whether x is an integer below 2^51 in size: exact in doubles, and so are its deltas. */
export function exactInteger(x: number): boolean {
  return Math.abs(x) < LIMIT && x + INT64_MAGIC - INT64_MAGIC === x;
}

/** Whether a NaN (a null) is among values[from…from + n). */
export function hasNaN(values: Float64Array, from: number, n: number): boolean {
  for (let r = 0; r < n; r++) if (values[from + r] !== values[from + r]) return true;
  return false;
}

/** What `denseNumbers` returns when it met a null after all (−1 − k is never this). */
export const NULL_SEEN = -Infinity;

/** Whether 16 rows spread over the page are all present (not NaN): worth trying the page as full. */
export function looksFull(values: Float64Array, from: number, n: number): boolean {
  if (n <= 0) return false;
  for (let j = 0; j < 16; j++) {
    const v = values[from + Math.floor(((n - 1) * j) / 15)]!;
    if (v !== v) return false;
  }
  return true;
}
