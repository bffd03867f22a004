import type {ColumnData, ColumnSpec, Sparse} from "./columns.js";
import {BIT_COUNT, codeBits, codeGroups} from "./hot-loops.js";

/**
 * Which rows of a row group hold each sparse column's values (see `Sparse`): worked out once a
 * row group per distinct key, whatever the number of columns that name it.
 */

/** Where a sparse key is present in a row group: definition bits (LSB first), count, and the packed values' start. */
export interface SparseRows {
  bits: Uint8Array;
  present: number;
  start: number;
}

const sparseKey = (s: Sparse) => `${s.column}:${s.code}:${s.except ? 1 : 0}`;

/**
 * The rows of each sparse key of `columns` in rows [from, from + n): definition bits, how many,
 * and where the row group's values start in the packed arrays. The keys that read codes 0–3 of a
 * code column are found in one pass over it (`codeRows`), whatever their number; a key's
 * complement (`except`) comes from its code's rows.
 */
export function rowGroupPresence({
  columns,
  data,
  from,
  n
}: {
  columns: ColumnSpec[];
  data: ColumnData[];
  from: number;
  n: number;
}): (key: Sparse) => SparseRows | undefined {
  const presence = new Map<string, SparseRows>();
  // The distinct keys, by the code column they read.
  const seen = new Set<string>(),
    keys = new Map<number, Sparse[]>();
  for (const col of columns) {
    if (col.type !== "INT64" && col.type !== "ENUM" && col.type !== "DOUBLE") continue;
    const sparse = col.sparse;
    if (!sparse || seen.has(sparseKey(sparse))) continue;
    seen.add(sparseKey(sparse));
    const list = keys.get(sparse.column);
    if (list) list.push(sparse);
    else keys.set(sparse.column, [sparse]);
  }
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
  return (key) => presence.get(sparseKey(key));
}

/**
 * Rows [from, from + n) of a code column that hold `code` (or, `except`, do not); `start` counts
 * those before `from`. Eight rows make a byte of bits at a time, counted by table, rather than a
 * byte's worth of tests per row.
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

/** The rows without a code, from the rows with it (`except`). */
function complement(rows: SparseRows, n: number, from: number): SparseRows {
  const bits = rows.bits.map((b) => b ^ 255);
  if (n & 7) bits[n >>> 3]! &= (1 << (n & 7)) - 1;
  return {bits, present: n - rows.present, start: from - rows.start};
}
