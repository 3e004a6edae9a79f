/**
 * Rows of cells → the text format of PostgreSQL's COPY (tab-separated, `\N` for NULL, backslash escapes),
 * in buffers of about `chunkBytes`, for `COPY … FROM STDIN` through pg-copy-streams.
 */
import type { Cell, Row } from '../../core/cell.js';
import { pgText, type PgColumn } from './type-map.js';

const NEEDS_ESCAPE = /[\\\n\r\t]/;

/** One value in COPY text format (no NULL here). */
export function copyEscape(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else out += c;
  }
  return out;
}

/** One field: `\N` for NULL; a number's text needs no escaping (digits, sign, point, exponent, bits). */
function copyField(col: PgColumn, v: Cell): string {
  const t = pgText(col, v);
  if (t === null) return '\\N';
  return typeof v === 'number' || typeof v === 'bigint' ? t : copyEscape(t);
}

/** One row as a COPY text line (with its newline). */
export function copyLine(columns: readonly PgColumn[], row: readonly Cell[]): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) line += (i === 0 ? '' : '\t') + copyField(columns[i]!, row[i] ?? null);
  return line + '\n';
}

/** A row image as a COPY text line, its fields in `columns` order (by name; absent: NULL). */
export function copyRowLine(columns: readonly PgColumn[], row: Row): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) line += (i === 0 ? '' : '\t') + copyField(columns[i]!, row[columns[i]!.name] ?? null);
  return line + '\n';
}

/**
 * Lines as buffers of about `chunkBytes` (a stream writes them one by one). Each line is written into the buffer as
 * it is made (no array of lines to join: less garbage on large chunks).
 */
function* buffersOf<R>(rows: Iterable<R>, line: (row: R) => string, chunkBytes: number): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(chunkBytes + 65536);
  let off = 0;
  for (const row of rows) {
    const text = line(row);
    if (off + text.length * 3 > buf.length) {
      if (off > 0) yield buf.subarray(0, off);
      buf = Buffer.allocUnsafe(Math.max(chunkBytes, text.length * 3) + 65536);
      off = 0;
    }
    off += buf.write(text, off, 'utf8');
    if (off >= chunkBytes) {
      yield buf.subarray(0, off);
      buf = Buffer.allocUnsafe(chunkBytes + 65536);
      off = 0;
    }
  }
  if (off > 0) yield buf.subarray(0, off);
}

/** Rows of cells (in `columns` order) as COPY text buffers. */
export function copyBuffers(columns: readonly PgColumn[], rows: Iterable<readonly Cell[]>, chunkBytes = 1 << 20): Generator<Buffer> {
  return buffersOf(rows, (row) => copyLine(columns, row), chunkBytes);
}

/** Row images as COPY text buffers, fields in `columns` order (no array of cells made per row). */
export function copyRowBuffers(columns: readonly PgColumn[], rows: Iterable<Row>, chunkBytes = 1 << 20): Generator<Buffer> {
  return buffersOf(rows, (row) => copyRowLine(columns, row), chunkBytes);
}
