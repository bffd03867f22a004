import {createReadStream} from "node:fs";
import {createGunzip} from "node:zlib";
import {LabError} from "./errors.js";
import {firstInvalidUtf8, isGzip} from "./text-file.js";

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

export interface ReadCsvOptions {
  path: string;
  /** The name used in error messages (defaults to the path). */
  file?: string;
  delimiter?: string;
}

/**
 * An incremental RFC 4180 parser: feed it text as it arrives (`push`), get back the records that
 * are complete; `end()` flushes the last one. Quoted fields may span lines; CRLF or LF; NUL bytes
 * and characters after a closing quote are LabErrors naming the line.
 */
export class CsvParser {
  private line = 1;
  private recordLine = 1;
  private field = "";
  private fields: string[] = [];
  private quoted = false;
  private afterQuote = false;
  private started = false;
  private pendingCR = false;
  private pendingQuote = false;

  private readonly delimiterCode: number;

  constructor(
    private readonly file: string,
    private readonly delimiter = ","
  ) {
    this.delimiterCode = delimiter.charCodeAt(0);
  }

  /** The line the parser has reached (1-based). */
  get currentLine(): number {
    return this.line;
  }

  push(text: string): CsvRecord[] {
    const records: CsvRecord[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === "\0")
        throw new LabError({file: this.file, line: this.line, reason: "binary data (NUL byte) in a text file"});
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === "\n") continue;
      }
      if (this.pendingQuote) {
        // A quote inside a quoted field, seen at the end of the previous chunk: doubled or closing?
        this.pendingQuote = false;
        if (c === '"') {
          this.field += '"';
          continue;
        }
        this.quoted = false;
        this.afterQuote = true;
      }
      if (!this.started) {
        this.started = true;
        this.recordLine = this.line;
      }
      if (this.quoted) {
        if (c === '"') {
          if (i + 1 < text.length) {
            if (text[i + 1] === '"') ((this.field += '"'), i++);
            else ((this.quoted = false), (this.afterQuote = true));
          } else this.pendingQuote = true;
        } else {
          // Fast path: the run up to the next quote (or NUL, which the next turn refuses) in one
          // slice — a long quoted field one character at a time costs seconds per megabyte.
          let j = text.indexOf('"', i);
          if (j < 0) j = text.length;
          let run = text.slice(i, j);
          const nul = run.indexOf("\0");
          if (nul >= 0) ((j = i + nul), (run = run.slice(0, nul)));
          for (let k = run.indexOf("\n"); k >= 0; k = run.indexOf("\n", k + 1)) this.line++;
          this.field += run;
          i = j - 1;
        }
        continue;
      }
      if (c === '"' && this.field === "" && !this.afterQuote) this.quoted = true;
      else if (c === this.delimiter) (this.fields.push(this.field), (this.field = ""), (this.afterQuote = false));
      else if (c === "\n" || c === "\r") {
        this.endRecord(records);
        this.line++;
        if (c === "\r") this.pendingCR = true;
      } else if (this.afterQuote) {
        throw new LabError({
          file: this.file,
          line: this.line,
          reason: `unexpected character ${JSON.stringify(c)} after a closing quote`
        });
      } else {
        // Fast path: take the run of ordinary characters up to the next delimiter, line break or
        // NUL in one slice instead of one character at a time. A quote inside an unquoted field is
        // an ordinary character (only a field's first character opens a quoted field), so it
        // stays in the run: a field of stray quotes must not cost a slice per character.
        let j = i + 1;
        for (; j < text.length; j++) {
          const code = text.charCodeAt(j);
          if (code === this.delimiterCode || code === 10 || code === 13 || code === 0) break;
        }
        this.field += text.slice(i, j);
        i = j - 1;
      }
    }
    return records;
  }

  end(): CsvRecord[] {
    const records: CsvRecord[] = [];
    if (this.pendingQuote) ((this.pendingQuote = false), (this.quoted = false), (this.afterQuote = true));
    if (this.quoted) throw new LabError({file: this.file, line: this.recordLine, reason: "unterminated quoted field"});
    if (this.started) this.endRecord(records);
    return records;
  }

  private endRecord(records: CsvRecord[]): void {
    this.fields.push(this.field);
    if (!(this.fields.length === 1 && this.fields[0] === "" && !this.afterQuote))
      records.push({line: this.recordLine, fields: this.fields});
    this.fields = [];
    this.field = "";
    this.afterQuote = false;
    this.started = false;
  }
}

/** A file's bytes in chunks, unpacked on the way when it is gzip; a damaged gzip stream is a LabError. */
async function* byteChunks({path, file}: {path: string; file: string}): AsyncIterable<Buffer> {
  const bytes = createReadStream(path, {highWaterMark: 65536});
  if (!isGzip(path)) return yield* bytes as AsyncIterable<Buffer>;
  const gunzip = createGunzip();
  bytes.on("error", (error) => gunzip.destroy(error));
  try {
    yield* bytes.pipe(gunzip) as AsyncIterable<Buffer>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code?.startsWith("Z_"))
      throw new LabError({file, reason: `not a readable gzip file (${(error as Error).message})`, cause: error});
    throw error;
  } finally {
    bytes.destroy();
  }
}

/**
 * Streams the records of an RFC 4180 CSV file (quoted fields, doubled quotes, CRLF or LF, a
 * leading BOM; gzip unpacked on the way for `.gz`), strictly: invalid UTF-8, NUL bytes (binary
 * data), a damaged gzip stream and an unterminated quote are LabErrors naming the file and line. Ragged rows are left to the caller, which knows the header.
 */
export async function* readCsvRecords({path, file = path, delimiter = ","}: ReadCsvOptions): AsyncIterable<CsvRecord> {
  const decoder = new TextDecoder("utf-8", {fatal: true});
  const parser = new CsvParser(file, delimiter);
  let first = true;
  for await (const chunk of byteChunks({path, file})) {
    let text: string;
    try {
      text = decoder.decode(chunk, {stream: true});
    } catch {
      const at = firstInvalidUtf8(chunk);
      const before = new TextDecoder().decode(chunk.subarray(0, at));
      throw new LabError({
        file,
        line: parser.currentLine + (before.match(/\n/g)?.length ?? 0),
        reason: "not valid UTF-8 text (wrong encoding or binary data)",
        hint: "save the file as UTF-8"
      });
    }
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    yield* parser.push(text);
  }
  // A multi-byte character cut off by the end of the file is invalid too (the decoder holds it back).
  try {
    decoder.decode();
  } catch {
    throw new LabError({
      file,
      line: parser.currentLine,
      reason: "not valid UTF-8 text: the file ends inside a character (cut off, or binary data)",
      hint: "save the file as UTF-8"
    });
  }
  yield* parser.end();
}

/**
 * Checks a CSV file end to end: UTF-8, no binary data, every row with as many fields as the
 * header. Returns the header and the number of data rows; throws a LabError at the first problem.
 */
export async function checkCsv(options: ReadCsvOptions): Promise<{header: string[]; rows: number}> {
  let header: string[] | undefined;
  let rows = 0;
  for await (const record of readCsvRecords(options)) {
    if (!header) {
      header = record.fields;
      continue;
    }
    if (record.fields.length !== header.length) {
      throw new LabError({
        file: options.file ?? options.path,
        line: record.line,
        reason: `ragged row: expected ${header.length} fields, found ${record.fields.length}`
      });
    }
    rows++;
  }
  if (!header) throw new LabError({file: options.file ?? options.path, line: 1, reason: "empty file: no header row"});
  return {header, rows};
}
