/** Browse a server's databases and tables (with row counts) for the pipeline wizard. */
import mysql from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import { connectMysql } from '../mysql/connection.js';
import type { DatabaseInfo, TableInfo } from './api-types.js';

const SYSTEM = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);
/** Below this estimate, tables are counted exactly (cheap enough). */
const EXACT_BELOW = 50_000;

async function withConnection<T>(url: string, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  let conn: mysql.Connection;
  try {
    conn = await connectMysql(url, { connectTimeout: 10_000 });
  } catch (err) {
    if (isSluiceError(err)) throw err;
    const e = err as { code?: string; message?: string };
    throw new SluiceError('CONNECTION_FAILED', `cannot connect: ${e.code ?? e.message ?? String(err)}`, 'run "test connection" and fix what it reports');
  }
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

export function listDatabases(url: string): Promise<DatabaseInfo[]> {
  return withConnection(url, async (c) => {
    const [dbs] = await c.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME');
    const [counts] = await c.query<mysql.RowDataPacket[]>(
      "SELECT TABLE_SCHEMA AS db, COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' GROUP BY TABLE_SCHEMA");
    const byDb = new Map(counts.map((r) => [String(r['db']), Number(r['n'])]));
    return dbs.map((r) => String(r['name'])).filter((n) => !SYSTEM.has(n)).map((name) => ({ name, tables: byDb.get(name) ?? 0 }));
  });
}

export function listTables(url: string, database: string): Promise<TableInfo[] | null> {
  return withConnection(url, async (c) => {
    const [exists] = await c.query<mysql.RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    if (exists.length === 0) return null;
    const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT TABLE_NAME AS name, TABLE_ROWS AS est, ENGINE AS engine, DATA_LENGTH AS bytes
      FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, [database]);
    const [pks] = await c.query<mysql.RowDataPacket[]>(
      "SELECT DISTINCT TABLE_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY'", [database]);
    const withPk = new Set(pks.map((r) => String(r['name'])));
    const out: TableInfo[] = [];
    for (const r of rows) {
      const name = String(r['name']);
      let count = Number(r['est'] ?? 0);
      let exact = false;
      if (count < EXACT_BELOW) {
        const [n] = await c.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${database.replace(/`/g, '``')}\`.\`${name.replace(/`/g, '``')}\``);
        count = Number(n[0]?.['n'] ?? 0);
        exact = true;
      }
      out.push({ name, rows: count, rowsExact: exact, engine: r['engine'] ? String(r['engine']) : null, hasPrimaryKey: withPk.has(name), dataBytes: Number(r['bytes'] ?? 0) });
    }
    return out;
  });
}
