/** The pipeline's reads of the source outside the binlog: a connection, its current position, table schemas. */
import type mysql from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import { connectMysql } from '../mysql/connection.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';
import type { InformationSchemaLoader } from '../mysql/schema/schema-loader.js';
import type { TableSchema } from '../mysql/schema/table-schema.js';
import type { Position } from '../core/types.js';
import type { TableName } from '../source/source-tables.js';
import { tablesByDatabase } from '../core/tables-by-database.js';

export async function connectSource(url: string): Promise<mysql.Connection> {
  try {
    return await connectMysql(url, { supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
  } catch (err) {
    if (isSluiceError(err)) throw err;
    if ((err as { errno?: number }).errno === 1045) {
      throw new SluiceError('ACCESS_DENIED', `the source refused the login: ${(err as Error).message}`,
        'check the user and password in the source URL', {}, { cause: err });
    }
    throw new SluiceError('CONNECTION_FAILED', `cannot connect to the source: ${(err as Error).message}`,
      'check that the source is reachable and the URL, user and password are right', {}, { cause: err });
  }
}

export async function currentPosition(url: string): Promise<Position> {
  const st = await ReplicationSession.serverStatus(url);
  return { file: st.file, pos: st.pos };
}

export async function loadSchemas(loader: InformationSchemaLoader, tables: readonly TableName[]): Promise<Map<string, TableSchema>> {
  const out = new Map<string, TableSchema>();
  for (const [db, names] of tablesByDatabase(tables)) {
    const m = await loader.loadDatabase(db, names);
    for (const [name, schema] of m) out.set(`${db}.${name}`, schema);
  }
  for (const t of tables) {
    if (!out.has(`${t.database}.${t.table}`)) {
      throw new SluiceError('UNKNOWN_TABLE', `table ${t.database}.${t.table} is not on the source`, 'check the pipeline\'s tables patterns');
    }
  }
  return out;
}
