/**
 * What the writer is given: a column's Parquet type and how its values arrive (typed arrays, one
 * per column, a row group's rows at a time), and what it keeps between row groups.
 */
export type ColumnSpec =
  | {
      name: string;
      type: "INT64";
      logical?: "TIMESTAMP_NS" | {decimal: {precision: number; scale: number}};
      nullable?: boolean;
      /** Stored = value × multiply (an exact integer), e.g. ticks × unscaled units per tick. */
      multiply?: number;
      /** Stored = value + add, added exactly in 64 bits (values beyond 2^53, e.g. epoch nanoseconds). */
      add?: bigint;
      sparse?: Sparse;
      runs?: Runs;
      /** Min/max of each row group in the footer, so that readers skip row groups outside a range (dense columns only). */
      statistics?: boolean;
    }
  | {name: string; type: "INT32"; nullable?: boolean}
  | {name: string; type: "DOUBLE"; nullable?: boolean; sparse?: Sparse; runs?: Runs}
  | {name: string; type: "BOOLEAN"; nullable?: boolean}
  | {
      name: string;
      type: "ENUM";
      labels: string[];
      nullable?: boolean;
      sparse?: Sparse;
      /**
       * Every row holds the first label (a symbol, a dataset's name): no data is read, each page is
       * one run, and the footer's statistics give the value.
       */
      constant?: boolean;
    };

/**
 * A nullable column present exactly in the rows where code column `column` (a Uint8Array of the
 * same row group) holds `code` (with `except`: every row where it does not), and null elsewhere:
 * its array holds only those rows' values, packed in order. Columns that exist only for one kind
 * of row name the code column that tells the kinds apart; the writer works out each code's rows
 * once a row group (shared by every column that names it) and encodes only the values there are,
 * instead of testing every column for nulls row by row.
 */
export interface Sparse {
  column: number;
  code: number;
  except?: boolean;
}

/**
 * A column given as runs of one value: its array holds a value per run, and the data array at
 * index `starts` (a Float64Array beside the columns, not one of the file's) the row each run
 * starts at, ascending, then one entry at or past the row group's end. A column whose value
 * changes at few rows is cheaper to produce as runs than as a value a row, and the writer encodes
 * the runs as they are (RLE_DICTIONARY) instead of finding them again in a page of repeats.
 */
export interface Runs {
  starts: number;
}

/** Column values: Float64Array (NaN = null for nullable numbers; integers exact below 2^53) or Uint8Array (booleans 0/1, enum codes; 255 = null). */
export type ColumnData = Float64Array | Uint8Array;

/** Where a column chunk lies in the file, for the footer. */
export interface ChunkMeta {
  offset: number;
  dictionaryOffset: number | null;
  size: number;
  values: number;
  /** The chunk's least and greatest value (INT64 as decimal strings, exact; ENUM as the label) and nulls. */
  stats?: {min: string; max: string; nulls: number};
}

/** A writer's progress: saved (after an fsync) it lets a new writer resume the same file. */
export interface WriterState {
  offset: number;
  rows: number;
  rowGroups: {rows: number; columns: ChunkMeta[]}[];
}

/** The run that holds row `row`: the last whose start is at or before it. */
export function runAt(starts: Float64Array, row: number): number {
  let k = 0;
  while (starts[k + 1]! <= row) k++;
  return k;
}
