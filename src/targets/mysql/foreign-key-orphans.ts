/**
 * Child rows the target keeps after the stream caught up with the snapshot, whose parent row is gone: a
 * cascade the source's engine did while the copy was being made (the parent's chunk read after the delete, or
 * the delete applied while foreign keys were not checked) is not in the binlog. At that point the target holds
 * the source's rows of one instant, and the source enforces its foreign keys, so such a row exists on the source
 * neither: it is removed (ON DELETE CASCADE) or its reference set to NULL (ON DELETE SET NULL), with foreign-key
 * checks on so that deeper cascades follow. Other rules (RESTRICT, NO ACTION) cannot leave such rows.
 * (A source that itself holds orphans — written with foreign_key_checks=0 — loses them on the target.)
 */
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { qualifiedName, quoteId } from './sql-literal.js';

export interface OrphanSweep { deleted: number; nulled: number }

/** Remove or detach the orphans of every foreign key of `tables` (target names). Runs with foreign_key_checks=1. */
export async function removeForeignKeyOrphans(conn: Pick<Connection, 'query'>, tables: ReadonlyArray<{ database: string; table: string }>): Promise<OrphanSweep> {
  const out: OrphanSweep = { deleted: 0, nulled: 0 };
  await conn.query('SET SESSION foreign_key_checks = 1');
  for (const { database, table } of tables) {
    const [fks] = await conn.query<RowDataPacket[]>(
      'SELECT CONSTRAINT_NAME AS n, DELETE_RULE AS d, UNIQUE_CONSTRAINT_SCHEMA AS rdb, REFERENCED_TABLE_NAME AS rt FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table]);
    for (const fk of fks) {
      const rule = String(fk['d']);
      if (rule !== 'CASCADE' && rule !== 'SET NULL') continue;
      const [cols] = await conn.query<RowDataPacket[]>(
        'SELECT COLUMN_NAME AS c, REFERENCED_COLUMN_NAME AS r FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY ORDINAL_POSITION',
        [database, table, String(fk['n'])]);
      if (cols.length === 0) continue;
      const pairs = cols.map((c) => ({ c: quoteId(String(c['c'])), r: quoteId(String(c['r'])) }));
      const join = `${qualifiedName(database, table)} c LEFT JOIN ${qualifiedName(String(fk['rdb']), String(fk['rt']))} p ON ${pairs.map((x) => `p.${x.r} = c.${x.c}`).join(' AND ')}`;
      const orphan = `${pairs.map((x) => `c.${x.c} IS NOT NULL`).join(' AND ')} AND p.${pairs[0]!.r} IS NULL`;
      // MariaDB resolves the alias of a multi-table DELETE against the default database.
      await conn.query(`USE ${quoteId(database)}`);
      if (rule === 'CASCADE') {
        const [res] = await conn.query<ResultSetHeader>(`DELETE c FROM ${join} WHERE ${orphan}`);
        out.deleted += res.affectedRows;
      } else {
        const [res] = await conn.query<ResultSetHeader>(`UPDATE ${join} SET ${pairs.map((x) => `c.${x.c} = NULL`).join(', ')} WHERE ${orphan}`);
        out.nulled += res.affectedRows;
      }
    }
  }
  return out;
}
