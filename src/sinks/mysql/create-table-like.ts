/**
 * "Schema unchanged": create a target table from the source's `SHOW CREATE TABLE`, or check that an
 * existing one is compatible (same columns, in order, with the same types).
 *
 * On creation: AUTO_INCREMENT=N is dropped; FOREIGN KEY constraints are dropped (the copy is
 * read-only, rows arrive in source-commit order and referenced tables may live elsewhere; the source
 * enforces them); a non-transactional engine (MyISAM, Aria, MEMORY…) becomes InnoDB so rows commit
 * atomically with the checkpoint. Charset, collation, keys, defaults and comments are kept.
 */
import type { Connection, Pool, RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../../errors.js';
import { qualifiedName, quoteId } from './sql-literal.js';

export type QueryConnection = Pick<Connection, 'query'> | Pick<Pool, 'query'>;

export type CreateTableOutcome = 'created' | 'compatible';

interface ColumnDef { name: string; type: string; nullable: boolean }

/** Create `targetDb`.`targetTable` like the source's `db`.`table` if absent, else check compatibility. */
export async function createTableLike(source: QueryConnection, target: QueryConnection, db: string, table: string,
  targetDb: string, targetTable: string = table): Promise<CreateTableOutcome> {
  const [exists] = await target.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [targetDb, targetTable]);
  if (exists.length > 0) {
    await checkCompatible(source, target, db, table, targetDb, targetTable);
    return 'compatible';
  }
  let createSql: string;
  try {
    const [rows] = await source.query<RowDataPacket[]>(`SHOW CREATE TABLE ${qualifiedName(db, table)}`);
    createSql = String(rows[0]?.['Create Table'] ?? '');
  } catch (err) {
    throw new SluiceError('UNKNOWN_TABLE', `cannot read the definition of source table \`${db}\`.\`${table}\`: ${(err as Error).message}`,
      'check that the table exists on the source and that the source user has SELECT on it', { db, table }, { cause: err });
  }
  if (!createSql) {
    throw new SluiceError('UNKNOWN_TABLE', `\`${db}\`.\`${table}\` on the source is not a base table`, 'list only base tables (not views) in the pipeline');
  }
  const [schemata] = await source.query<RowDataPacket[]>(
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db]);
  const s = schemata[0];
  const dbOptions = s ? ` CHARACTER SET ${String(s['cs'])} COLLATE ${String(s['co'])}` : '';
  await target.query(`CREATE DATABASE IF NOT EXISTS ${quoteId(targetDb)}${dbOptions}`);
  await target.query(targetCreateSql(createSql, targetDb, targetTable));
  return 'created';
}

/** The source's CREATE TABLE adapted for the target (see the module comment). */
export function targetCreateSql(createSql: string, targetDb: string, targetTable: string): string {
  let sql = createSql.replace(/^CREATE\s+TABLE\s+(`(?:[^`]|``)+`|\S+)/i, `CREATE TABLE IF NOT EXISTS ${qualifiedName(targetDb, targetTable)}`);
  sql = sql.replace(/\s+AUTO_INCREMENT=\d+/i, '');
  // FOREIGN KEY lines: `  CONSTRAINT `fk` FOREIGN KEY (…) REFERENCES … [ON …],` or the last line before ")".
  sql = sql.replace(/,\n\s*(CONSTRAINT\s+`(?:[^`]|``)+`\s+)?FOREIGN KEY [^\n]*(?=\n)/g, '');
  sql = sql.replace(/ENGINE=(MyISAM|Aria|MEMORY|HEAP|CSV|ARCHIVE|MRG_MyISAM|BLACKHOLE)\b/i, 'ENGINE=InnoDB');
  // Aria's PAGE_CHECKSUM/TRANSACTIONAL options are invalid for InnoDB.
  sql = sql.replace(/\s+(PAGE_CHECKSUM|TRANSACTIONAL)=\d+/gi, '');
  return sql;
}

async function readColumns(conn: QueryConnection, db: string, table: string): Promise<ColumnDef[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, DATA_TYPE AS dt FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [db, table]);
  return rows.map((r) => ({ name: String(r['name']), type: normalizeType(String(r['type']), String(r['dt'])), nullable: r['nullable'] === 'YES' }));
}

/** Type text that MySQL and MariaDB spell alike: no integer display widths, JSON = LONGTEXT, lower case. */
export function normalizeType(columnType: string, dataType = ''): string {
  let t = columnType.toLowerCase().trim();
  if (dataType.toLowerCase() === 'json' || t === 'json') return 'longtext';
  t = t.replace(/^(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)/, '$1');
  t = t.replace(/^integer\b/, 'int');
  return t;
}

async function checkCompatible(source: QueryConnection, target: QueryConnection, db: string, table: string,
  targetDb: string, targetTable: string): Promise<void> {
  const src = await readColumns(source, db, table);
  if (src.length === 0) {
    throw new SluiceError('UNKNOWN_TABLE', `source table \`${db}\`.\`${table}\` does not exist or has no visible columns`,
      'check the table name and that the source user has SELECT on it');
  }
  const tgt = await readColumns(target, targetDb, targetTable);
  const diffs: string[] = [];
  const n = Math.max(src.length, tgt.length);
  for (let i = 0; i < n; i++) {
    const s = src[i];
    const t = tgt[i];
    if (s && !t) diffs.push(`target lacks column ${i + 1} \`${s.name}\` ${s.type}`);
    else if (!s && t) diffs.push(`target has an extra column ${i + 1} \`${t.name}\` ${t.type}`);
    else if (s && t && (s.name !== t.name || s.type !== t.type)) {
      diffs.push(`column ${i + 1}: source \`${s.name}\` ${s.type}, target \`${t.name}\` ${t.type}`);
    }
  }
  if (diffs.length > 0) {
    throw new SluiceError('TARGET_TABLE_INCOMPATIBLE',
      `target table \`${targetDb}\`.\`${targetTable}\` does not match source \`${db}\`.\`${table}\`: ${diffs.join('; ')}`,
      `ALTER the target table to the source definition (SHOW CREATE TABLE \`${db}\`.\`${table}\` on the source), or drop it so Sluice re-creates it and copies it again`,
      { source: `${db}.${table}`, target: `${targetDb}.${targetTable}`, differences: diffs });
  }
}
