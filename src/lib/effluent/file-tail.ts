import {closeSync, existsSync, openSync, readSync, statSync} from "node:fs";
import {CsvParser, type CsvRecord} from "../core/csv.js";

/**
 * Follows a growing CSV file: each `read()` returns the records completed since the last call (a
 * half-written last line waits for its newline). A file that shrinks was replaced: it is read
 * again from the start.
 */
export class CsvTail {
  private offset = 0;
  private parser: CsvParser;
  private decoder = new TextDecoder("utf-8");
  private first = true;

  constructor(readonly path: string) {
    this.parser = new CsvParser(path);
  }

  read(): CsvRecord[] {
    if (!existsSync(this.path)) return [];
    const size = statSync(this.path).size;
    if (size < this.offset) {
      this.offset = 0;
      this.parser = new CsvParser(this.path);
      this.decoder = new TextDecoder("utf-8");
      this.first = true;
    }
    if (size === this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, "r");
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    let text = this.decoder.decode(buffer, {stream: true});
    if (this.first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    return this.parser.push(text);
  }
}
