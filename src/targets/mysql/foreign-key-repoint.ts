/**
 * After a table is swapped for a fresh copy (`RENAME t TO old, shadow TO t`), InnoDB has moved the other
 * tables' foreign keys to `old` — which is dropped next, leaving them pointing at nothing (every later insert
 * into a child would then fail while foreign keys are checked). This points them back at the new `t`, from
 * each child's parsed definition.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { parseCreateTable } from '../../mysql/schema/source-table.js';
import { renderForeignKey } from '../../mysql/schema/create-table-render.js';
import type { ForeignKeyAst } from '../../mysql/schema/ddl-ast.js';
import { qualifiedName, quoteId } from './sql-literal.js';

/** The foreign keys `database`.`table` has, from its parsed definition (references qualified with their database). */
export async function foreignKeysOf(conn: Pick<Connection, 'query'>, database: string, table: string): Promise<ForeignKeyAst[]> {
  const [rows] = await conn.query<RowDataPacket[]>(`SHOW CREATE TABLE ${qualifiedName(database, table)}`);
  return parseCreateTable(String(rows[0]?.['Create Table'] ?? ''), database).foreignKeys.map((fk) => ({ ...fk, refDatabase: fk.refDatabase ?? database }));
}

/** Re-create every foreign key that references `database`.`from` so that it references `database`.`to`; returns how many. */
export async function repointForeignKeys(conn: Pick<Connection, 'query'>, database: string, from: string, to: string): Promise<number> {
  const [children] = await conn.query<RowDataPacket[]>(
    'SELECT DISTINCT CONSTRAINT_SCHEMA AS db, TABLE_NAME AS t FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?',
    [database, from]);
  let n = 0;
  for (const c of children) {
    const db = String(c['db']);
    const table = String(c['t']);
    const [rows] = await conn.query<RowDataPacket[]>(`SHOW CREATE TABLE ${qualifiedName(db, table)}`);
    const ast = parseCreateTable(String(rows[0]?.['Create Table'] ?? ''), db);
    for (const fk of ast.foreignKeys) {
      if ((fk.refDatabase ?? db) !== database || fk.refTable !== from || fk.name === null) continue;
      await conn.query(`ALTER TABLE ${qualifiedName(db, table)} DROP FOREIGN KEY ${quoteId(fk.name)}`);
      await conn.query(`ALTER TABLE ${qualifiedName(db, table)} ADD ${renderForeignKey({ ...fk, refDatabase: database, refTable: to })}`);
      n++;
    }
  }
  return n;
}
