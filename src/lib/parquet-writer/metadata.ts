import type {ColumnSpec, WriterState} from "./columns.js";
import {CompactWriter} from "./thrift.js";

/** The 4 bytes a Parquet file starts and ends with. */
export const MAGIC = Buffer.from("PAR1");

const TYPE = {BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6} as const;

/** A column's physical type: an ENUM is a dictionary of strings (BYTE_ARRAY). */
function physicalType(col: ColumnSpec): number {
  return col.type === "ENUM" ? TYPE.BYTE_ARRAY : TYPE[col.type];
}

/** A signed 64-bit integer as Parquet's statistics hold it: 8 bytes, little-endian. */
function int64Bytes(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b;
}

/**
 * The file's tail: its FileMetaData (the schema — a root and one leaf a column, with logical types
 * — and each row group's column chunks: type, encodings, path, sizes and offsets), its length, and
 * the magic.
 */
export function fileFooter({columns, rows, rowGroups}: {columns: ColumnSpec[]} & WriterState): Buffer {
  const w = new CompactWriter();
  w.i32(1, 1);
  w.list(2, 12, [null, ...columns], (l, col) =>
    l.structItem((s) => {
      if (!col) return void s.string(4, "schema").i32(5, columns.length);
      s.i32(1, physicalType(col))
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
  w.i64(3, rows);
  w.list(4, 12, rowGroups, (l, g) =>
    l.structItem((rg) => {
      rg.list(1, 12, g.columns, (cl, m) =>
        cl.structItem((cc) => {
          const col = columns[g.columns.indexOf(m)]!;
          cc.i64(2, m.offset).struct(3, (md) => {
            md.i32(1, physicalType(col));
            // Encodings a chunk may use: PLAIN, RLE (levels), and per type RLE_DICTIONARY / DELTA_BINARY_PACKED.
            md.list(2, 5, col.type === "ENUM" ? [0, 3, 8] : col.type === "INT64" ? [0, 3, 5, 8] : [0, 3], (e, x) =>
              e.rawI32(x)
            );
            md.list(3, 8, [col.name], (e, x) => e.rawString(x));
            md.i32(4, 0).i64(5, m.values).i64(6, m.size).i64(7, m.size).i64(9, m.offset);
            if (m.dictionaryOffset !== null) md.i64(11, m.dictionaryOffset);
            if (m.stats) {
              // Statistics: max and min (the legacy fields and max_value / min_value alike: signed
              // INT64 and UTF-8 order agree with both), and the null count.
              const bytes = (v: string) => (col.type === "INT64" ? int64Bytes(BigInt(v)) : Buffer.from(v));
              const {min, max, nulls} = m.stats;
              md.struct(12, (st) =>
                st.string(1, bytes(max)).string(2, bytes(min)).i64(3, nulls).string(5, bytes(max)).string(6, bytes(min))
              );
            }
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
  // Column orders: each type's own order, which makes min_value / max_value valid for readers.
  w.list(7, 12, columns, (l) => l.structItem((o) => o.struct(1, () => {})));
  const metadata = w.end().bytes();
  const len = Buffer.alloc(4);
  len.writeUInt32LE(metadata.length, 0);
  return Buffer.concat([metadata, len, MAGIC]);
}
