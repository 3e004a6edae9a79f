/**
 * CREATE TABLE and CREATE INDEX statements for a PostgreSQL table made from a source table's model
 * (`SourceTable.schema` for the columns, `SourceTable.definition` for the keys). Target tables keep the
 * columns, their nullability and defaults (column-default.ts), the primary key, unique and plain indexes; not
 * generated-column expressions (the source's computed values are written), FULLTEXT/SPATIAL indexes, comments
 * or table options. Foreign keys are added later (foreign-keys.ts). See docs/postgres-target.md.
 */
import type { SchemaColumn } from '../../mysql/schema/table-schema.js';
import type { IndexAst } from '../../mysql/schema/ddl-ast.js';
import type { SourceTable } from '../target.js';
import { pgDefaultOf } from './column-default.js';
import { pgColumnCheck, pgColumnType, pgIdent, pgKind, pgTargetName } from './type-map.js';

/** A PostgreSQL name within 63 bytes: `a__b`, shortened with a hash when too long. */
export function pgName(...parts: string[]): string {
  return pgTargetName(parts.join('__'));
}

/** Name of a source index's PG index (index names are per schema in PostgreSQL, per table in MySQL). */
export function pgIndexName(table: string, index: Pick<IndexAst, 'name' | 'columns'>): string {
  return pgName(table, index.name ?? index.columns.join('_'));
}

/** Name of the CHECK constraint of an ENUM/SET column. */
export function pgCheckName(column: string): string {
  return pgName(column, 'members');
}

export function qualified(schema: string, table: string): string {
  return `${pgIdent(schema)}.${pgIdent(table)}`;
}

/** One column's definition: name, type, DEFAULT (a PG expression, when given), NOT NULL, the ENUM/SET CHECK. */
export function columnDefinition(col: SchemaColumn, defaultSql?: string): string {
  const check = pgColumnCheck(col);
  return `${pgIdent(col.name)} ${pgColumnType(col)}${defaultSql ? ` DEFAULT ${defaultSql}` : ''}${col.nullable ? '' : ' NOT NULL'}${check ? ` CONSTRAINT ${pgIdent(pgCheckName(col.name))} CHECK (${check})` : ''}`;
}

/**
 * CREATE INDEX for a source index, or null when PostgreSQL gets none (PRIMARY is in the table, FULLTEXT and
 * SPATIAL have no b-tree equivalent, functional key parts are not translated). A prefix key part
 * (`name`(10)) becomes an expression on the first characters (bytes), so a UNIQUE prefix stays as strict.
 */
export function createIndexSql(schema: string, table: string, index: IndexAst, columns: readonly SchemaColumn[]): string | null {
  if (index.kind !== 'unique' && index.kind !== 'index') return null;
  const parts: string[] = [];
  for (const name of index.columns) {
    const col = columns.find((c) => c.name === name);
    if (!col) return null;
    const prefix = new RegExp('`' + name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/`/g, '``') + '`\\s*\\((\\d+)\\)').exec(index.definition);
    const kind = pgKind(pgColumnType(col));
    if (prefix && kind === 'text') parts.push(`(left(${pgIdent(name)}, ${Number(prefix[1])}))`);
    else if (prefix && kind === 'bytea') parts.push(`(substring(${pgIdent(name)} from 1 for ${Number(prefix[1])}))`);
    else parts.push(pgIdent(name));
  }
  return `CREATE ${index.kind === 'unique' ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${pgIdent(pgIndexName(table, index))} ON ${qualified(schema, table)} (${parts.join(', ')})`;
}

/**
 * The statements that create `schema`.`table` from the source model (schema first, then table, then indexes).
 * Column defaults are translated (column-default.ts); one PostgreSQL cannot evaluate is left out and reported
 * to `leftOut`.
 */
export function createTableSql(schema: string, table: string, source: SourceTable, leftOut?: (column: string, expression: string) => void): string[] {
  const cols = source.schema.columns;
  const defs = cols.map((col) => {
    const d = pgDefaultOf(col, source.definition.columns.find((c) => c.name === col.name));
    if (d !== null && 'refused' in d) leftOut?.(col.name, d.refused);
    return columnDefinition(col, d !== null && 'sql' in d ? d.sql : undefined);
  });
  if (source.schema.primaryKey.length > 0) defs.push(`PRIMARY KEY (${source.schema.primaryKey.map(pgIdent).join(', ')})`);
  const out = [
    `CREATE SCHEMA IF NOT EXISTS ${pgIdent(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (\n  ${defs.join(',\n  ')}\n)`,
  ];
  for (const index of source.definition.indexes) {
    const sql = createIndexSql(schema, table, index, cols);
    if (sql) out.push(sql);
  }
  return out;
}
