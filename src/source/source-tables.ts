import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { TableFilter } from './table-filter.js';

const SYSTEM_DATABASES = new Set(['mysql', 'information_schema', 'performance_schema', 'sys', '_sluice']);

export interface TableName {
  database: string;
  table: string;
}

/** Base tables of the source that the pipeline's filter selects, sorted by name. */
export async function listSourceTables(conn: Pick<Connection, 'query'>, filter: TableFilter): Promise<TableName[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME");
  const out: TableName[] = [];
  for (const r of rows) {
    const database = String(r.db);
    const table = String(r.t);
    if (SYSTEM_DATABASES.has(database)) continue;
    if (filter(database, table)) out.push({ database, table });
  }
  return out;
}
