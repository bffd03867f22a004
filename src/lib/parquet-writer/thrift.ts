/**
 * Thrift's compact protocol, the encoding of Parquet's page headers and footer — only the writing
 * side, and only the field types those structures use (i32, i64, bool, string, struct, list).
 */
export class CompactWriter {
  // Field types: 1/2 bool true/false, 5 i32, 6 i64, 8 binary (string), 9 list, 12 struct.
  private buf = Buffer.alloc(1 << 12);
  private n = 0;
  private last: number[] = [0];
  private ensure(k: number) {
    if (this.n + k > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.n + k));
      this.buf.copy(next, 0, 0, this.n);
      this.buf = next;
    }
  }
  private byte(b: number) {
    this.ensure(1);
    this.buf[this.n++] = b;
  }
  private varint(v: number) {
    // Unsigned LEB128 for values up to 2^53.
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }
  private zigzag(v: number) {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  /** A field header: the id as a delta from the previous field's (in a nibble when it fits), and the type. */
  private header(id: number, type: number) {
    const delta = id - this.last[this.last.length - 1]!;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else (this.byte(type), this.zigzag(id));
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number) {
    this.header(id, 5);
    this.zigzag(v);
    return this;
  }
  i64(id: number, v: number) {
    this.header(id, 6);
    this.zigzag(v);
    return this;
  }
  bool(id: number, v: boolean) {
    this.header(id, v ? 1 : 2);
    return this;
  }
  string(id: number, s: string | Uint8Array) {
    this.header(id, 8);
    const b = typeof s === "string" ? Buffer.from(s) : Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    this.varint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.n);
    this.n += b.length;
    return this;
  }
  struct(id: number, body: (w: CompactWriter) => void) {
    this.header(id, 12);
    this.last.push(0);
    body(this);
    this.byte(0);
    this.last.pop();
    return this;
  }
  /** A list of structs (or of i32 / strings via `item`). */
  list<T>(id: number, elementType: number, items: T[], item: (w: CompactWriter, x: T) => void) {
    this.header(id, 9);
    if (items.length < 15) this.byte((items.length << 4) | elementType);
    else (this.byte(0xf0 | elementType), this.varint(items.length));
    for (const x of items) item(this, x);
    return this;
  }
  structItem(body: (w: CompactWriter) => void) {
    this.last.push(0);
    body(this);
    this.byte(0);
    this.last.pop();
  }
  rawI32(v: number) {
    this.zigzag(v);
  }
  rawString(s: string) {
    const b = Buffer.from(s);
    this.varint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.n);
    this.n += b.length;
  }
  end() {
    this.byte(0);
    return this;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}
