/**
 * Loads table schemas from information_schema: one query for the columns and one for the primary
 * keys per database (optionally narrowed to some tables), plus the collation ids once.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { connectMysql } from '../connection.js';
import { SluiceError } from '../../errors.js';
import { parseEnumMembers, type SchemaColumn, type TableSchema } from './table-schema.js';
import { tokenize } from './sql-tokenizer.js';
import { TableCharsetCatalog, type CharsetCatalog, type CharsetRow, type CollationRow } from './charset-catalog.js';
import type { TableDefaults } from './column-model.js';
import { intern } from './string-intern.js';

/** Anything that can load schemas (the information_schema loader, or a test double over a real server). */
export interface SchemaSource {
  /** Schemas of `database`'s tables (all of them, or only `tables`), keyed by table name. */
  loadDatabase(database: string, tables?: readonly string[]): Promise<Map<string, TableSchema>>;
  /** The server's character sets and collations (for the schema model). */
  catalog?(): Promise<CharsetCatalog>;
  /** A database's default character set and collation, or null when it does not exist. */
  databaseDefaults?(database: string): Promise<TableDefaults | null>;
  /** The user databases (system schemas excluded). */
  databases?(): Promise<string[]>;
  close(): Promise<void>;
}

interface ColumnRow extends RowDataPacket {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  IS_NULLABLE: string;
  CHARACTER_SET_NAME: string | null;
  COLLATION_NAME: string | null;
  CHARACTER_OCTET_LENGTH: number | string | null;
  NUMERIC_PRECISION: number | string | null;
  NUMERIC_SCALE: number | string | null;
  DATETIME_PRECISION: number | string | null;
  EXTRA: string | null;
}

const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

function num(v: number | string | null): number | null {
  return v === null ? null : Number(v);
}

export class InformationSchemaLoader implements SchemaSource {
  private conn: Promise<Connection> | null = null;
  private collations: Promise<Map<string, number>> | null = null;
  private charsetCatalog: Promise<CharsetCatalog> | null = null;

  constructor(private readonly url: string) {}

  private connection(): Promise<Connection> {
    if (this.conn === null) {
      const p = connectMysql(this.url, { supportBigNumbers: true, bigNumberStrings: true }).catch((err: unknown) => {
        this.conn = null;
        if (err instanceof SluiceError) throw err;
        throw new SluiceError('CONNECTION_FAILED', `cannot connect to the source to read information_schema: ${errMessage(err)}`,
          'check that the source server is reachable and the URL, user and password are right', {}, { cause: err });
      });
      this.conn = p;
    }
    return this.conn;
  }

  private async query<T extends RowDataPacket>(sql: string, params: unknown[]): Promise<T[]> {
    const c = await this.connection();
    try {
      const [rows] = await c.query<T[]>(sql, params);
      return rows;
    } catch (err) {
      // A dropped connection is re-opened on the next call.
      this.conn = null;
      c.destroy();
      throw new SluiceError('SERVER_ERROR', `reading information_schema failed: ${errMessage(err)}`,
        'make sure the replication user can SELECT the captured tables (information_schema only shows tables the user has privileges on)', { sql }, { cause: err });
    }
  }

  /** Collation name → id; MariaDB 10.10+ lists charset-specific UCA 14 collations only in the applicability table. */
  private collationIds(): Promise<Map<string, number>> {
    this.collations ??= (async () => {
      const map = new Map<string, number>();
      const rows = await this.query<RowDataPacket>('SELECT COLLATION_NAME, ID FROM information_schema.COLLATIONS WHERE ID IS NOT NULL', []);
      for (const r of rows) map.set(String(r['COLLATION_NAME']), Number(r['ID']));
      try {
        const c = await this.connection();
        const [more] = await c.query<RowDataPacket[]>('SELECT FULL_COLLATION_NAME, ID FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY WHERE ID IS NOT NULL');
        for (const r of more) map.set(String(r['FULL_COLLATION_NAME']), Number(r['ID']));
      } catch {
        // MySQL and older MariaDB: the table has no FULL_COLLATION_NAME/ID; COLLATIONS is complete there.
      }
      return map;
    })();
    this.collations.catch(() => { this.collations = null; });
    return this.collations;
  }

  async loadDatabase(database: string, tables?: readonly string[]): Promise<Map<string, TableSchema>> {
    const collations = await this.collationIds();
    const only = tables !== undefined && tables.length > 0;
    const tableCond = only ? ` AND TABLE_NAME IN (${tables.map(() => '?').join(',')})` : '';
    const params = only ? [database, ...tables] : [database];
    const cols = await this.query<ColumnRow>(
      'SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, COLLATION_NAME, ' +
      'CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, EXTRA ' +
      `FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?${tableCond} ORDER BY TABLE_NAME, ORDINAL_POSITION`, params);
    const keys = await this.query<RowDataPacket>(
      'SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS ' +
      `WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY'${tableCond} ORDER BY TABLE_NAME, SEQ_IN_INDEX`, params);
    const out = new Map<string, TableSchema>();
    for (const r of cols) {
      let t = out.get(r.TABLE_NAME);
      if (!t) {
        t = { database, table: r.TABLE_NAME, columns: [], primaryKey: [], version: 0 };
        out.set(r.TABLE_NAME, t);
      }
      t.columns.push(toColumn(r, collations));
    }
    for (const r of keys) out.get(String(r['TABLE_NAME']))?.primaryKey.push(intern(String(r['COLUMN_NAME'])));
    const defaults = await this.query<RowDataPacket>(
      `SELECT t.TABLE_NAME, t.TABLE_COLLATION, c.CHARACTER_SET_NAME FROM information_schema.TABLES t LEFT JOIN information_schema.COLLATIONS c ON c.COLLATION_NAME = t.TABLE_COLLATION WHERE t.TABLE_SCHEMA = ?${only ? ` AND t.TABLE_NAME IN (${tables.map(() => '?').join(',')})` : ''}`, params);
    for (const r of defaults) {
      const t = out.get(String(r['TABLE_NAME']));
      if (t && r['TABLE_COLLATION'] !== null) {
        t.collation = intern(String(r['TABLE_COLLATION']));
        t.charset = intern(r['CHARACTER_SET_NAME'] !== null ? String(r['CHARACTER_SET_NAME']) : t.collation.slice(0, Math.max(0, t.collation.indexOf('_'))));
      }
    }
    await this.markJsonColumns(database, out);
    return out;
  }

  /** The server's character sets (bytes per character, default collation) and collations (charset, id). */
  catalog(): Promise<CharsetCatalog> {
    this.charsetCatalog ??= (async () => {
      const cs = await this.query<RowDataPacket>('SELECT CHARACTER_SET_NAME, DEFAULT_COLLATE_NAME, MAXLEN FROM information_schema.CHARACTER_SETS', []);
      const co = await this.query<RowDataPacket>('SELECT COLLATION_NAME, CHARACTER_SET_NAME, ID FROM information_schema.COLLATIONS', []);
      const [v] = await this.query<RowDataPacket>('SELECT VERSION() AS v', []);
      const charsets: CharsetRow[] = cs.map((r) => ({ charset: String(r['CHARACTER_SET_NAME']), defaultCollation: String(r['DEFAULT_COLLATE_NAME']), maxLen: Number(r['MAXLEN']) }));
      const collations: CollationRow[] = co.map((r) => ({ collation: String(r['COLLATION_NAME']), charset: String(r['CHARACTER_SET_NAME']), id: r['ID'] === null ? null : Number(r['ID']) }));
      if (charsets.some((c) => c.charset === 'utf8mb3') && !charsets.some((c) => c.charset === 'utf8')) {
        const u = charsets.find((c) => c.charset === 'utf8mb3')!;
        charsets.push({ ...u, charset: 'utf8' });
      }
      return new TableCharsetCatalog(charsets, collations, String(v?.['v'] ?? '').toLowerCase().includes('mariadb'));
    })();
    this.charsetCatalog.catch(() => { this.charsetCatalog = null; });
    return this.charsetCatalog;
  }

  async databases(): Promise<string[]> {
    const rows = await this.query<RowDataPacket>(
      "SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys')", []);
    return rows.map((r) => String(r['s']));
  }

  async databaseDefaults(database: string): Promise<TableDefaults | null> {
    const rows = await this.query<RowDataPacket>(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    const r = rows[0];
    return r ? { charset: String(r['cs']), collation: String(r['co']) } : null;
  }

  /** MariaDB declares JSON as LONGTEXT plus a CHECK (json_valid(`col`)) named after the column. */
  private async markJsonColumns(database: string, tables: Map<string, TableSchema>): Promise<void> {
    let checks: RowDataPacket[];
    try {
      checks = await this.query<RowDataPacket>(
        'SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', [database]);
    } catch {
      return; // servers without CHECK_CONSTRAINTS have no such columns
    }
    for (const r of checks) {
      const name = jsonValidColumn(String(r['CHECK_CLAUSE']));
      if (name === null) continue;
      const col = tables.get(String(r['TABLE_NAME']))?.columns.find((c) => c.name === name);
      if (col && /text$/.test(col.dataType)) col.json = true;
    }
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = null;
    if (c) await c.then((x) => x.end(), () => undefined);
  }
}

function toColumn(r: ColumnRow, collations: Map<string, number>): SchemaColumn {
  const dataType = r.DATA_TYPE.toLowerCase();
  const extra = (r.EXTRA ?? '').toUpperCase();
  const binary = BINARY_TYPES.has(dataType);
  const col: SchemaColumn = {
    name: intern(r.COLUMN_NAME),
    dataType: intern(dataType),
    sqlType: intern(r.COLUMN_TYPE),
    unsigned: /\bunsigned\b/i.test(r.COLUMN_TYPE),
    nullable: r.IS_NULLABLE === 'YES',
    charset: binary ? 'binary' : intern(r.CHARACTER_SET_NAME),
    collation: binary ? 'binary' : intern(r.COLLATION_NAME),
    collationId: binary ? 63 : r.COLLATION_NAME !== null ? (collations.get(r.COLLATION_NAME) ?? null) : null,
    octetLength: num(r.CHARACTER_OCTET_LENGTH),
    numericPrecision: num(r.NUMERIC_PRECISION),
    numericScale: num(r.NUMERIC_SCALE),
    datetimePrecision: num(r.DATETIME_PRECISION),
    generated: extra.includes('VIRTUAL') ? 'virtual' : extra.includes('STORED') || extra.includes('PERSISTENT') ? 'stored' : null,
    visible: !extra.includes('INVISIBLE'),
  };
  if (dataType === 'enum' || dataType === 'set') col.enumValues = parseEnumMembers(r.COLUMN_TYPE);
  return col;
}

/** The column of a `json_valid(\`col\`)` CHECK clause, or null for any other clause. */
export function jsonValidColumn(clause: string): string | null {
  const t = tokenize(clause, { maxTokens: 5 });
  if (t.length !== 4 || t[0]!.t !== 'word' || t[0]!.u !== 'JSON_VALID' || t[1]!.t !== 'punct' || t[1]!.v !== '(' || t[2]!.t !== 'qid'
    || t[3]!.t !== 'punct' || t[3]!.v !== ')') return null;
  return t[2]!.v;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
