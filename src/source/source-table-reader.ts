/**
 * Reads the model of many source tables at once (`SourceTableModel`: information_schema schema, parsed SHOW
 * CREATE TABLE, database defaults) — what the pipeline hands a target to create its tables from. Batched for
 * pipelines over thousands of tables: the schemas with one information_schema read per database, the SHOW
 * CREATE TABLE statements over a few connections at once.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../errors.js';
import { connectMysql, endWithin } from '../mysql/connection.js';
import { InformationSchemaLoader } from '../mysql/schema/schema-loader.js';
import { parseCreateTable, type SourceTableModel } from '../mysql/schema/source-table.js';
import type { TableDefaults } from '../mysql/schema/column-model.js';
import type { TableSchema } from '../mysql/schema/table-schema.js';
import type { TableName } from './source-tables.js';
import { tablesByDatabase } from '../core/tables-by-database.js';

export interface ReadSourceTablesOptions {
  /** Connections reading SHOW CREATE TABLE at once (default 4). */
  parallelism?: number;
}

/** The models of `tables`, in the same order; UNKNOWN_TABLE when one is not a base table on the source. */
export async function readSourceTables(url: string, tables: readonly TableName[], opts: ReadSourceTablesOptions = {}): Promise<SourceTableModel[]> {
  if (tables.length === 0) return [];
  const loader = new InformationSchemaLoader(url);
  const schemas = new Map<string, TableSchema>();
  const defaults = new Map<string, TableDefaults | null>();
  try {
    for (const [db, names] of tablesByDatabase(tables)) {
      for (const [name, schema] of await loader.loadDatabase(db, names)) schemas.set(`${db}\0${name}`, schema);
      defaults.set(db, await loader.databaseDefaults(db));
    }
  } finally {
    await loader.close();
  }
  // One connection per 32 tables, up to `parallelism`: a small pipeline opens no more connections than it needs.
  const created = await showCreateTables(url, tables, Math.max(1, Math.min(opts.parallelism ?? 4, Math.ceil(tables.length / 32))));
  return tables.map((t, i) => {
    const schema = schemas.get(`${t.database}\0${t.table}`);
    if (!schema || schema.columns.length === 0) {
      throw new SluiceError('UNKNOWN_TABLE', `source table \`${t.database}\`.\`${t.table}\` does not exist or has no visible columns`,
        'check the table name and that the source user has SELECT on it', { database: t.database, table: t.table });
    }
    const createSql = created[i]!;
    return { schema, definition: parseCreateTable(createSql, t.database), createSql, databaseDefaults: defaults.get(t.database) ?? null };
  });
}

/** SHOW CREATE TABLE of each table, over `parallelism` connections. */
async function showCreateTables(url: string, tables: readonly TableName[], parallelism: number): Promise<string[]> {
  const out: string[] = new Array<string>(tables.length);
  let next = 0;
  const conns: Connection[] = [];
  const worker = async (): Promise<void> => {
    const conn = await connectMysql(url, { charset: 'utf8mb4' });
    conns.push(conn);
    for (let i = next++; i < tables.length; i = next++) {
      const t = tables[i]!;
      let rows: RowDataPacket[];
      try {
        [rows] = await conn.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${t.database.replace(/`/g, '``')}\`.\`${t.table.replace(/`/g, '``')}\``);
      } catch (err) {
        throw new SluiceError('UNKNOWN_TABLE', `cannot read the definition of source table \`${t.database}\`.\`${t.table}\`: ${(err as Error).message}`,
          'check that the table exists on the source and that the source user has SELECT on it', { db: t.database, table: t.table }, { cause: err });
      }
      const sql = String(rows[0]?.['Create Table'] ?? '');
      if (!sql) {
        throw new SluiceError('UNKNOWN_TABLE', `\`${t.database}\`.\`${t.table}\` on the source is not a base table`, 'list only base tables (not views) in the pipeline');
      }
      out[i] = sql;
    }
  };
  try {
    await Promise.all(Array.from({ length: parallelism }, worker));
  } finally {
    await Promise.all(conns.map((c) => endWithin(c, 1000)));
  }
  return out;
}
