/** The key verify chunks and matches a table by: its primary key, else a unique key of NOT NULL columns, else none. */
import { format } from 'mysql2/promise';
import type { SchemaColumn, TableSchema } from '../mysql/schema/table-schema.js';
import type { KeyKind } from '../core/verify-result.js';

export type { KeyKind };

export interface VerifyKey {
  kind: KeyKind;
  columns: SchemaColumn[];
  /** The unique index used (kind 'unique'). */
  index?: string;
}

export interface UniqueIndexRow {
  index: string;
  column: string;
}

/** SQL listing the unique indexes of a table, column by column (`index`, `column`). */
export function uniqueIndexesSql(database: string, table: string): string {
  return format("SELECT INDEX_NAME AS `index`, COLUMN_NAME AS `column` FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
    [database, table]);
}

/** Choose the key from the schema and its unique indexes (the one with the fewest columns, all NOT NULL). */
export function chooseKey(schema: TableSchema, uniques: readonly UniqueIndexRow[]): VerifyKey {
  const col = (name: string): SchemaColumn | undefined => schema.columns.find((c) => c.name === name);
  if (schema.primaryKey.length > 0) return { kind: 'primary', columns: schema.primaryKey.map((n) => col(n)!).filter(Boolean) };
  const byIndex = new Map<string, string[]>();
  for (const u of uniques) byIndex.set(u.index, [...(byIndex.get(u.index) ?? []), u.column]);
  let best: VerifyKey | null = null;
  for (const [index, names] of byIndex) {
    const cols = names.map(col);
    if (cols.some((c) => !c || c.nullable || c.generated !== null)) continue;
    if (!best || cols.length < best.columns.length) best = { kind: 'unique', columns: cols as SchemaColumn[], index };
  }
  return best ?? { kind: 'none', columns: [] };
}
