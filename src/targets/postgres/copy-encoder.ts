/**
 * Rows of cells → the text format of PostgreSQL's COPY (tab-separated, `\N` for NULL, backslash escapes),
 * in buffers of about `chunkBytes`, for `COPY … FROM STDIN` through pg-copy-streams.
 */
import type { Cell } from '../../core/cell.js';
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

/** One row as a COPY text line (with its newline). */
export function copyLine(columns: readonly PgColumn[], row: readonly Cell[]): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const t = pgText(columns[i]!, row[i] ?? null);
    line += (i === 0 ? '' : '\t') + (t === null ? '\\N' : copyEscape(t));
  }
  return line + '\n';
}

/**
 * The rows as COPY text, in buffers of about `chunkBytes` (a stream writes them one by one). Each line is
 * written into the buffer as it is made (no array of lines to join: less garbage on large chunks).
 */
export function* copyBuffers(columns: readonly PgColumn[], rows: ReadonlyArray<readonly Cell[]>, chunkBytes = 1 << 20): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(chunkBytes + 65536);
  let off = 0;
  for (const row of rows) {
    const line = copyLine(columns, row);
    if (off + line.length * 3 > buf.length) {
      if (off > 0) yield buf.subarray(0, off);
      buf = Buffer.allocUnsafe(Math.max(chunkBytes, line.length * 3) + 65536);
      off = 0;
    }
    off += buf.write(line, off, 'utf8');
    if (off >= chunkBytes) {
      yield buf.subarray(0, off);
      buf = Buffer.allocUnsafe(chunkBytes + 65536);
      off = 0;
    }
  }
  if (off > 0) yield buf.subarray(0, off);
}
