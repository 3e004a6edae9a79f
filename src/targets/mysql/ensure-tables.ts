/**
 * `Target.ensureTables` for MySQL/MariaDB, batched for pipelines over thousands of tables: which target tables
 * exist is one information_schema query per database (per 500 names), the columns of the existing ones one more
 * (compatibility check against the source model), and the missing ones are created from the parsed source
 * definition (`targetCreateSqlOf`) over several connections at once. Foreign keys to tables not created yet are
 * no problem: the sessions run with foreign_key_checks=0, under which InnoDB accepts a constraint whose parent
 * does not exist yet (as a restore of a dump does).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { SourceTable, TableRouter } from '../target.js';
import { assertCompatible, normalizeType, targetCreateSqlOf, type ColumnDef, type ForeignKeyTarget } from './create-table-like.js';
import { quoteId } from './sql-literal.js';

/** How many table names one information_schema query asks for. */
const NAMES_PER_QUERY = 500;

export interface EnsureTablesPlan {
  outcomes: Array<'created' | 'compatible'>;
  /** CREATE DATABASE statements to run first, then the CREATE TABLE statements (any order, any connection). */
  databases: string[];
  creates: string[];
  /** Target tables created (for the shape cache). */
  created: Array<{ database: string; table: string }>;
}

/**
 * Look up what exists (and check it), and plan the statements for what does not. `conn` reads information_schema
 * on the target.
 */
export async function planEnsureTables(conn: Pick<Connection, 'query'>, sources: readonly SourceTable[], route: TableRouter,
  foreignKeyTarget: ForeignKeyTarget | undefined): Promise<EnsureTablesPlan> {
  const routes = sources.map((s) => route(s.schema.database, s.schema.table));
  const byDb = new Map<string, string[]>();
  for (const r of routes) {
    const names = byDb.get(r.database) ?? [];
    names.push(r.table);
    byDb.set(r.database, names);
  }
  const columns = new Map<string, ColumnDef[]>();
  for (const [db, names] of byDb) {
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += NAMES_PER_QUERY) {
      const part = unique.slice(i, i + NAMES_PER_QUERY);
      const [rows] = await conn.query<RowDataPacket[]>(
        `SELECT TABLE_NAME AS t, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, DATA_TYPE AS dt FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (${part.map(() => '?').join(',')}) ORDER BY TABLE_NAME, ORDINAL_POSITION`, [db, ...part]);
      for (const r of rows) {
        const key = `${db}\0${String(r['t'])}`;
        const list = columns.get(key) ?? [];
        list.push({ name: String(r['name']), type: normalizeType(String(r['type']), String(r['dt'])), nullable: r['nullable'] === 'YES' });
        columns.set(key, list);
      }
    }
  }
  // information_schema compares names case-insensitively (as the single-table lookup did): exact match first.
  const lower = new Map<string, ColumnDef[]>();
  for (const [k, v] of columns) if (!lower.has(k.toLowerCase())) lower.set(k.toLowerCase(), v);
  const plan: EnsureTablesPlan = { outcomes: [], databases: [], creates: [], created: [] };
  const databases = new Set<string>();
  sources.forEach((s, i) => {
    const r = routes[i]!;
    const key = `${r.database}\0${r.table}`;
    const existing = columns.get(key) ?? lower.get(key.toLowerCase());
    if (existing) {
      const src = s.schema.columns.map((c) => ({ name: c.name, type: normalizeType(c.sqlType, c.dataType), nullable: c.nullable }));
      assertCompatible(src, existing, s.schema.database, s.schema.table, r.database, r.table);
      plan.outcomes.push('compatible');
      return;
    }
    if (!databases.has(r.database)) {
      databases.add(r.database);
      const d = s.databaseDefaults;
      plan.databases.push(`CREATE DATABASE IF NOT EXISTS ${quoteId(r.database)}${d ? ` CHARACTER SET ${d.charset} COLLATE ${d.collation}` : ''}`);
    }
    plan.creates.push(targetCreateSqlOf(s.definition, r.database, r.table, s.schema.database, foreignKeyTarget));
    plan.created.push(r);
    plan.outcomes.push('created');
  });
  return plan;
}

/** Run `statements` over `conns` (each connection takes the next statement when done). */
export async function runSpread(conns: ReadonlyArray<Pick<Connection, 'query'>>, statements: readonly string[]): Promise<void> {
  let next = 0;
  await Promise.all(conns.map(async (c) => {
    for (let i = next++; i < statements.length; i = next++) await c.query(statements[i]!);
  }));
}
