/**
 * Child rows the target keeps after the stream caught up with the snapshot, whose parent row is gone: a
 * cascade the source's engine did while the copy was being made (the parent's chunk read after the delete, or
 * the delete applied while foreign keys were not checked) is not in the binlog. At that point the target holds
 * the source's rows of one instant, and the source enforces its foreign keys, so such a row exists on the source
 * neither: it is removed (ON DELETE CASCADE) or its reference set to NULL (ON DELETE SET NULL), with foreign-key
 * checks on so that deeper cascades follow. Other rules (RESTRICT, NO ACTION) cannot leave such rows.
 * InnoDB's cascades leave `ON UPDATE CURRENT_TIMESTAMP` columns as they were, so a detached row keeps them too
 * (each is assigned to itself). (A source that itself holds orphans — written with foreign_key_checks=0 — loses
 * them on the target.)
 */
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { qualifiedName, quoteId } from './sql-literal.js';

export interface OrphanSweep { deleted: number; nulled: number }

/**
 * Remove or detach the orphans of every foreign key of `tables` (target names). Runs with foreign_key_checks=1.
 * The foreign keys are read with two queries per database (not per table: information_schema opens every
 * table a query does not narrow down by name, and a pipeline may hold thousands).
 */
export async function removeForeignKeyOrphans(conn: Pick<Connection, 'query'>, tables: ReadonlyArray<{ database: string; table: string }>): Promise<OrphanSweep> {
  const out: OrphanSweep = { deleted: 0, nulled: 0 };
  await conn.query('SET SESSION foreign_key_checks = 1');
  const byDb = new Map<string, Set<string>>();
  for (const { database, table } of tables) byDb.set(database, (byDb.get(database) ?? new Set()).add(table));
  for (const [database, wanted] of byDb) {
    const [fks] = await conn.query<RowDataPacket[]>(
      "SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS n, DELETE_RULE AS d, UNIQUE_CONSTRAINT_SCHEMA AS rdb, REFERENCED_TABLE_NAME AS rt FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND DELETE_RULE IN ('CASCADE', 'SET NULL') ORDER BY TABLE_NAME, CONSTRAINT_NAME",
      [database]);
    const ours = fks.filter((fk) => wanted.has(String(fk['t'])));
    if (ours.length === 0) continue;
    const [keyCols] = await conn.query<RowDataPacket[]>(
      'SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS n, COLUMN_NAME AS c, REFERENCED_COLUMN_NAME AS r FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION',
      [database]);
    const nulling = [...new Set(ours.filter((fk) => fk['d'] === 'SET NULL').map((fk) => String(fk['t'])))];
    const stamped = new Map<string, string[]>();
    if (nulling.length > 0) {
      const [stamps] = await conn.query<RowDataPacket[]>(
        "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND EXTRA LIKE '%on update%' ORDER BY TABLE_NAME, ORDINAL_POSITION",
        [database, nulling]);
      for (const s of stamps) stamped.set(String(s['t']), [...(stamped.get(String(s['t'])) ?? []), quoteId(String(s['c']))]);
    }
    const colsOf = new Map<string, RowDataPacket[]>();
    for (const k of keyCols) {
      const id = `${String(k['t'])}\0${String(k['n'])}`;
      colsOf.set(id, [...(colsOf.get(id) ?? []), k]);
    }
    for (const fk of ours) {
      const table = String(fk['t']);
      const rule = String(fk['d']);
      const cols = colsOf.get(`${table}\0${String(fk['n'])}`) ?? [];
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
        const keep = (stamped.get(table) ?? []).map((c) => `c.${c} = c.${c}`);
        const [res] = await conn.query<ResultSetHeader>(`UPDATE ${join} SET ${[...pairs.map((x) => `c.${x.c} = NULL`), ...keep].join(', ')} WHERE ${orphan}`);
        out.nulled += res.affectedRows;
      }
    }
  }
  return out;
}
