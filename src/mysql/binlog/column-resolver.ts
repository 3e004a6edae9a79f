import type { ColumnDef } from '../values/column-type.js';

/**
 * Supplies what a TABLE_MAP event does not carry (names, signedness, charsets, enum values) from
 * the schema history. Synchronous: the stream loads schemas ahead (see BinlogDecoder.reresolve).
 */
export interface ColumnResolver {
  /**
   * Return enriched column definitions for `database.table` matching the TABLE_MAP's columns
   * (same count and compatible types), or null when the schema is unknown or does not match
   * (the caller then keeps the TABLE_MAP's own definitions, with `@N` names where unnamed).
   */
  resolve(database: string, table: string, fromMap: readonly ColumnDef[], hasNames: boolean): ColumnDef[] | null;
}
