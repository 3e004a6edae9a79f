import { TruncatedEventError } from '../../errors.js';

/**
 * A bounds-checked little-endian cursor over a Buffer, used by every event decoder.
 * All reads throw TruncatedEventError when they would run past `end`.
 */
export class ByteReader {
  pos: number;
  end: number;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  ensure(n: number, what = 'a field'): void {
    if (n < 0 || this.pos + n > this.end) throw new TruncatedEventError(what, { offset: this.pos, need: n, have: this.end - this.pos });
  }

  skip(n: number): void {
    this.ensure(n);
    this.pos += n;
  }

  u8(): number {
    this.ensure(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.ensure(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.ensure(3);
    const b = this.buf, p = this.pos;
    this.pos += 3;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
  }

  u32(): number {
    this.ensure(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Unsigned 48-bit (table ids) as a number (exact). */
  u48(): number {
    this.ensure(6);
    const v = this.buf.readUIntLE(this.pos, 6);
    this.pos += 6;
    return v;
  }

  u64(): bigint {
    this.ensure(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned 64-bit as number when it is safe, else bigint. */
  u64n(): number | bigint {
    const v = this.u64();
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** Length-encoded integer (MySQL packed integer). Returns null for the 0xfb NULL marker. */
  lenenc(): number | null {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) return this.u24();
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TruncatedEventError('a length-encoded integer that is too large', { offset: this.pos });
    return Number(v);
  }

  /** Length-encoded integer that must not be NULL. */
  lenencNum(): number {
    const v = this.lenenc();
    return v === null ? 0 : v;
  }

  bytes(n: number): Buffer {
    this.ensure(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Copy of n bytes (safe to keep after the underlying buffer is reused). */
  copy(n: number): Buffer {
    return Buffer.from(this.bytes(n));
  }

  str(n: number, encoding: BufferEncoding = 'utf8'): string {
    this.ensure(n);
    const v = this.buf.toString(encoding, this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** NUL-terminated string. */
  cstr(encoding: BufferEncoding = 'utf8'): string {
    const idx = this.buf.indexOf(0, this.pos);
    if (idx < 0 || idx >= this.end) throw new TruncatedEventError('a NUL-terminated string', { offset: this.pos });
    const v = this.buf.toString(encoding, this.pos, idx);
    this.pos = idx + 1;
    return v;
  }

  lenencStr(encoding: BufferEncoding = 'utf8'): string {
    const n = this.lenencNum();
    return this.str(n, encoding);
  }

  lenencBytes(): Buffer {
    return this.bytes(this.lenencNum());
  }

  /** Rest of the readable range. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}
