/**
 * Foreign keys between copied tables on the PostgreSQL target, so that PostgreSQL repeats the cascades the
 * source's engine did (ON DELETE/UPDATE CASCADE, SET NULL, SET DEFAULT are not in the binlog).
 *
 * - Every constraint is `DEFERRABLE INITIALLY DEFERRED`: the NO ACTION/RESTRICT checks run at COMMIT of the
 *   target transaction (a source transaction is consistent when it commits, whatever order its rows come in);
 *   referential actions (CASCADE, SET NULL, SET DEFAULT) run at once, as on the source.
 * - Tables are created without them. Their definitions wait in `<checkpoint schema>.pending_foreign_keys` until the
 *   stream has passed every snapshot chunk; then, in one transaction, they are added NOT VALID, the orphans that
 *   cascades during the copy left are removed or detached as the ON DELETE rule says (through the new
 *   constraints, so deeper levels follow), and each constraint is validated (left NOT VALID with a warning when
 *   the source itself holds orphans). The snapshot thus never waits for nor fails on FK order, and takes no lock
 *   on parent rows.
 * - A foreign key to a table outside the pipeline is left out (logged): PostgreSQL has no such parent.
 */
import type { ForeignKeyAst, ReferentialAction } from '../../mysql/schema/ddl-ast.js';
import type { SourceTable } from '../target.js';
import { pgName, qualified } from './table-sql.js';
import { pgIdent, pgLiteral, pgTargetName } from './type-map.js';

/** A foreign key on the target (routed names). */
export interface PgForeignKey {
  name: string;
  schema: string;
  table: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

/** Where a referenced source table is on the target, or null when the pipeline does not copy it. */
export type ForeignKeyRoute = (database: string, table: string) => { database: string; table: string } | null;

/**
 * One source foreign key of `sourceDatabase`'s table on the target (`schema`.`table`), or null when it references a table
 * outside the pipeline. An unnamed one is named as InnoDB would (`<table>_ibfk_<n>`, `n` given).
 */
export function targetForeignKey(fk: ForeignKeyAst, sourceDatabase: string, schema: string, table: string, n: number, route: ForeignKeyRoute): PgForeignKey | null {
  const to = route(fk.refDatabase ?? sourceDatabase, fk.refTable);
  if (to === null) return null;
  return {
    name: pgName(fk.name ?? `${table}_ibfk_${n}`), schema, table, columns: fk.columns,
    refSchema: to.database, refTable: to.table, refColumns: fk.refColumns.length > 0 ? fk.refColumns : fk.columns,
    onDelete: fk.onDelete ?? 'NO ACTION', onUpdate: fk.onUpdate ?? 'NO ACTION',
  };
}

/** The source table's foreign keys on the target (`schema`.`table`): those to copied tables, and those left out. */
export function targetForeignKeys(source: SourceTable, schema: string, table: string, route: ForeignKeyRoute): { kept: PgForeignKey[]; outside: ForeignKeyAst[] } {
  const kept: PgForeignKey[] = [];
  const outside: ForeignKeyAst[] = [];
  const all = [...source.definition.foreignKeys, ...source.definition.columns.flatMap((c) => (c.inlineReference ? [{ ...c.inlineReference, columns: [c.name] }] : []))];
  all.forEach((fk, i) => {
    const t = targetForeignKey(fk, source.schema.database, schema, table, i + 1, route);
    if (t) kept.push(t);
    else outside.push(fk);
  });
  return { kept, outside };
}

/** ALTER TABLE … ADD CONSTRAINT (deferred checks; NOT VALID: the rows there are not checked now). */
export function addForeignKeySql(fk: PgForeignKey): string {
  // PostgreSQL's RESTRICT cannot be deferred: NO ACTION is the same rule checked at COMMIT (MySQL checks both at once).
  const action = (a: ReferentialAction): string => (a === 'RESTRICT' ? 'NO ACTION' : a);
  return `ALTER TABLE ${qualified(fk.schema, fk.table)} ADD CONSTRAINT ${pgIdent(fk.name)} FOREIGN KEY (${fk.columns.map(pgIdent).join(', ')}) `
    + `REFERENCES ${qualified(fk.refSchema, fk.refTable)} (${fk.refColumns.map(pgIdent).join(', ')}) ON DELETE ${action(fk.onDelete)} ON UPDATE ${action(fk.onUpdate)} `
    + 'DEFERRABLE INITIALLY DEFERRED NOT VALID';
}

/**
 * The statement that removes (CASCADE) or detaches (SET NULL / SET DEFAULT) the rows of `fk`'s table whose parent
 * is missing; null for NO ACTION / RESTRICT (such orphans cannot come from a cascade).
 */
export function orphanSweepSql(fk: PgForeignKey): string | null {
  if (fk.onDelete !== 'CASCADE' && fk.onDelete !== 'SET NULL' && fk.onDelete !== 'SET DEFAULT') return null;
  const t = qualified(fk.schema, fk.table);
  const orphan = `${fk.columns.map((c) => `c.${pgIdent(c)} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${qualified(fk.refSchema, fk.refTable)} p WHERE `
    + `${fk.columns.map((c, i) => `p.${pgIdent(fk.refColumns[i]!)} = c.${pgIdent(c)}`).join(' AND ')})`;
  if (fk.onDelete === 'CASCADE') return `DELETE FROM ${t} c WHERE ${orphan}`;
  const value = fk.onDelete === 'SET NULL' ? 'NULL' : 'DEFAULT';
  return `UPDATE ${t} c SET ${fk.columns.map((col) => `${pgIdent(col)} = ${value}`).join(', ')} WHERE ${orphan}`;
}

/** The table of foreign keys waiting to be added or validated (one row per constraint, the definition as JSON). */
export function pendingTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, 'pending_foreign_keys')} (pipeline text NOT NULL, schema_name text NOT NULL, `
    + 'table_name text NOT NULL, name text NOT NULL, fk text NOT NULL, PRIMARY KEY (pipeline, schema_name, table_name, name))';
}

/** Rows of pending_foreign_keys name the constraint by its PostgreSQL names (pgTargetName), however it was given. */
export function pendingInsertSql(schema: string, pipeline: string, fk: PgForeignKey): string {
  return `INSERT INTO ${qualified(schema, 'pending_foreign_keys')} (pipeline, schema_name, table_name, name, fk) VALUES (`
    + `${[pipeline, ...[fk.schema, fk.table, fk.name].map(pgTargetName), JSON.stringify(fk)].map(pgLiteral).join(', ')}) `
    + 'ON CONFLICT (pipeline, schema_name, table_name, name) DO UPDATE SET fk = EXCLUDED.fk';
}

export function pendingDeleteSql(schema: string, pipeline: string, fkSchema: string, fkTable: string, name: string): string {
  return `DELETE FROM ${qualified(schema, 'pending_foreign_keys')} WHERE pipeline = ${pgLiteral(pipeline)} AND schema_name = ${pgLiteral(pgTargetName(fkSchema))} `
    + `AND table_name = ${pgLiteral(pgTargetName(fkTable))} AND name = ${pgLiteral(pgTargetName(name))}`;
}

/** Does the constraint `fk.name` exist on `fk`'s table (one row when it does)? */
export function constraintExistsSql(fk: PgForeignKey): string {
  return `SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(${pgLiteral(qualified(fk.schema, fk.table))}) AND conname = ${pgLiteral(pgTargetName(fk.name))}`;
}
