import {createReadStream} from "node:fs";
import {LabError} from "./errors.js";

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

function firstInvalidUtf8(bytes: Uint8Array): number {
  // Binary search for the shortest prefix that fails to decode: the bad byte is its last one.
  let lo = 0, hi = bytes.length;
  const ok = (n: number) => {
    try {
      new TextDecoder("utf-8", {fatal: true}).decode(bytes.subarray(0, n), {stream: true});
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Streams the records of an RFC 4180 CSV file (quoted fields, doubled quotes, CRLF or LF, a
 * leading BOM), strictly: invalid UTF-8, NUL bytes (binary data) and an unterminated quote are
 * LabErrors naming the file and line. Ragged rows are left to the caller, which knows the header.
 */
export async function* readCsvRecords({path, file = path, delimiter = ","}: ReadCsvOptions): AsyncIterable<CsvRecord> {
  const decoder = new TextDecoder("utf-8", {fatal: true});
  let line = 1;
  let recordLine = 1;
  let field = "";
  let fields: string[] = [];
  let quoted = false;
  let afterQuote = false;
  let started = false;
  let first = true;
  let pendingCR = false;
  const records: CsvRecord[] = [];
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "" && !afterQuote)) records.push({line: recordLine, fields});
    fields = [];
    field = "";
    afterQuote = false;
    started = false;
  };
  for await (const chunk of createReadStream(path, {highWaterMark: 65536}) as AsyncIterable<Buffer>) {
    let text: string;
    try {
      text = decoder.decode(chunk, {stream: true});
    } catch {
      const at = firstInvalidUtf8(chunk);
      const before = new TextDecoder().decode(chunk.subarray(0, at));
      const lineOf = line + (before.match(/\n/g)?.length ?? 0) + (field + fields.join("")).split("\n").length - 1;
      throw new LabError({file, line: lineOf, reason: "not valid UTF-8 text (wrong encoding or binary data)", hint: "save the file as UTF-8"});
    }
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === "\0") throw new LabError({file, line, reason: "binary data (NUL byte) in a text file"});
      if (pendingCR) {
        pendingCR = false;
        if (c === "\n") continue;
      }
      if (!started) {
        started = true;
        recordLine = line;
      }
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') (field += '"'), i++;
          else (quoted = false), (afterQuote = true);
        } else {
          if (c === "\n") line++;
          field += c;
        }
        continue;
      }
      if (c === '"' && field === "" && !afterQuote) quoted = true;
      else if (c === delimiter) fields.push(field), (field = ""), (afterQuote = false);
      else if (c === "\n" || c === "\r") {
        endRecord();
        line++;
        if (c === "\r") pendingCR = true;
        if (records.length >= 1024) yield* records.splice(0);
      } else if (afterQuote) {
        throw new LabError({file, line, reason: `unexpected character ${JSON.stringify(c)} after a closing quote`});
      } else field += c;
    }
    if (records.length) yield* records.splice(0);
  }
  if (quoted) throw new LabError({file, line: recordLine, reason: "unterminated quoted field"});
  if (started) endRecord();
  yield* records;
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
      throw new LabError({file: options.file ?? options.path, line: record.line, reason: `ragged row: expected ${header.length} fields, found ${record.fields.length}`});
    }
    rows++;
  }
  if (!header) throw new LabError({file: options.file ?? options.path, line: 1, reason: "empty file: no header row"});
  return {header, rows};
}
