// STUB — to be implemented by the values work. Signature is the contract the event decoder uses.
import type { ColumnDef } from './column-type.js';
import type { Row } from './cell.js';

/**
 * Decode one row image starting at `pos` in `buf` (bounded by `end`).
 * `present` is the columns-present bitmap of the rows event (bit i set = column i is in the image);
 * the image starts with a NULL bitmap covering only the present columns, then the values.
 * Columns not present are not put in the row. Returns the row and the offset after it.
 * Throws TruncatedEventError / CorruptEventError on bad bytes — never reads past `end`.
 */
export function decodeRowImage(buf: Buffer, pos: number, end: number, columns: readonly ColumnDef[], present: Buffer): { row: Row; next: number } {
  void buf; void pos; void end; void columns; void present;
  throw new Error('not implemented');
}
