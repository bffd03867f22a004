import {closeSync, ftruncateSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from "node:fs";
import type {ChunkMeta, ColumnData, ColumnSpec, WriterState} from "./columns.js";
import {fileFooter, MAGIC} from "./metadata.js";
import {constantPage, encodePage, int64Stats, pageHeader, type PageScratch} from "./page.js";
import {dictionaryPage} from "./plain.js";
import {rowGroupPresence} from "./presence.js";

/**
 * A Parquet writer for typed-array columns, in plain TypeScript, uncompressed, built for speed:
 * tens of millions of rows a run, where a general-purpose appender's cost per value would
 * dominate. Integers are DELTA_BINARY_PACKED (columns whose values change by little from row to
 * row shrink to a byte or two a value), or RLE_DICTIONARY where a page is made of runs of
 * repeated values (a compare a row and a lookup a run, against two passes over every value for
 * deltas), or PLAIN where a page holds a value beyond 2^51; doubles are PLAIN. One data page per
 * column per row group; nullable columns carry bit-packed definition levels; ENUM columns are
 * dictionary-encoded. The file is written as `<path>.partial` and renamed when closed; its
 * progress (row groups written, byte offset) can be saved and restored, so a crashed writer
 * resumes by truncating to a saved offset.
 */
export class ParquetWriter {
  private fd: number;
  private offset: number;
  private readonly rowGroups: WriterState["rowGroups"];
  rows: number;
  private readonly temp: string;
  /** One page's buffer, reused (a page is written before the next is encoded). */
  private readonly scratch: PageScratch = {buffer: new ArrayBuffer(0), values: new Float64Array(0)};

  constructor(
    readonly path: string,
    readonly columns: ColumnSpec[],
    resume?: WriterState
  ) {
    this.temp = `${path}.partial`;
    if (resume) {
      this.fd = openSync(this.temp, "r+");
      ftruncateSync(this.fd, resume.offset);
      this.offset = resume.offset;
      this.rowGroups = resume.rowGroups.map((g) => ({rows: g.rows, columns: g.columns.map((c) => ({...c}))}));
      this.rows = resume.rows;
    } else {
      this.fd = openSync(this.temp, "w");
      writeSync(this.fd, MAGIC);
      this.offset = 4;
      this.rowGroups = [];
      this.rows = 0;
    }
  }

  /** Where the writer stands: saved with a checkpoint, it lets a new writer continue (after fsync). */
  state(): WriterState {
    fsyncSync(this.fd);
    return {
      offset: this.offset,
      rows: this.rows,
      rowGroups: this.rowGroups.map((g) => ({rows: g.rows, columns: g.columns.map((c) => ({...c}))}))
    };
  }

  private write(buf: Buffer | Uint8Array): void {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, this.offset + done);
    this.offset += buf.length;
  }

  /** Writes rows [from, to) of the columns (one array per column, in order) as one row group. */
  writeRowGroup(data: ColumnData[], from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    const metas: ChunkMeta[] = [];
    const presence = rowGroupPresence({columns: this.columns, data, from, n});
    this.columns.forEach((col, c) => {
      const start = this.offset;
      let dictionaryOffset: number | null = null;
      const sparse =
        (col.type === "INT64" || col.type === "ENUM" || col.type === "DOUBLE") && col.sparse
          ? presence(col.sparse)
          : undefined;
      const runs =
        (col.type === "INT64" || col.type === "DOUBLE") && col.runs
          ? (data[col.runs.starts] as Float64Array)
          : undefined;
      const {page, encoding, dictionary} =
        col.type === "ENUM" && col.constant
          ? constantPage(n)
          : encodePage(col, data[c]!, from, n, this.scratch, sparse, runs);
      // A dictionary page comes first in its column chunk: an ENUM's labels, or the distinct
      // values of an INT64 page made of runs.
      const dict = col.type === "ENUM" ? {bytes: dictionaryPage(col.labels), values: col.labels.length} : dictionary;
      if (dict) {
        dictionaryOffset = this.offset;
        this.write(pageHeader({type: 2, size: dict.bytes.length, values: dict.values, encoding: 0, dictionary: true}));
        this.write(dict.bytes);
      }
      const dataOffset = this.offset;
      this.write(pageHeader({type: 0, size: page.length, values: n, encoding}));
      this.write(page);
      const stats =
        col.type === "ENUM" && col.constant
          ? {min: col.labels[0]!, max: col.labels[0]!, nulls: 0}
          : col.type === "INT64" && col.statistics
            ? int64Stats(col, data[c] as Float64Array, from, n)
            : undefined;
      metas.push({
        offset: dataOffset,
        dictionaryOffset,
        size: this.offset - start,
        values: n,
        ...(stats ? {stats} : {})
      });
    });
    this.rowGroups.push({rows: n, columns: metas});
    this.rows += n;
  }

  /** Writes the footer, syncs, and renames the file into place. */
  close(): void {
    this.write(fileFooter({columns: this.columns, offset: this.offset, rows: this.rows, rowGroups: this.rowGroups}));
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temp, this.path);
  }

  abort(): void {
    closeSync(this.fd);
    rmSync(this.temp, {force: true});
  }
}
