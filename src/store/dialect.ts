/**
 * Where the store lives, and a Kysely instance on it: the embedded SQLite file `<data-dir>/sluice.db`
 * (better-sqlite3), or a shared MySQL/MariaDB (mysql2) or PostgreSQL (pg) database named by `--store`.
 * Also the few statements whose SQL differs by dialect (upsert, insert-if-missing, the store's clock).
 */
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, MysqlDialect, PostgresDialect, SqliteAdapter, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type DialectAdapter, type Driver, type InsertObject, type RawBuilder } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import { mysqlConnectionOptions } from '../mysql/connection.js';
import { migrateLegacySqlite } from './legacy-sqlite-migrations.js';
import type { StoreSchema } from './schema.js';

export type StoreDialect = 'sqlite' | 'mysql' | 'postgres';

export interface StoreLocation {
  dialect: StoreDialect;
  /** The SQLite file, or the database URL (with its password: never log it; use `describe`). */
  target: string;
  /** Where the store is, for logs and the API (no password). */
  describe: string;
}

/** The store named by `--store` (a mysql://, mariadb:// or postgres[ql]:// URL), or the SQLite file in the data dir. */
export function storeLocation(spec: string | undefined, dataDir: string): StoreLocation {
  if (!spec || spec === 'sqlite') return { dialect: 'sqlite', target: join(dataDir, 'sluice.db'), describe: `sqlite:${join(dataDir, 'sluice.db')}` };
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new SluiceError('BAD_CONFIG', 'the --store value is not a URL', 'give mysql://user:password@host:3306/database or postgresql://user:password@host:5432/database (or leave it out for the embedded SQLite store)');
  }
  const describe = `${url.protocol}//${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}${url.pathname}`;
  if (!url.pathname || url.pathname === '/') {
    throw new SluiceError('BAD_CONFIG', `the --store URL ${describe} names no database`, 'add the database to the URL path (…/sluice); create it first, with a user that may create tables in it');
  }
  if (url.protocol === 'mysql:' || url.protocol === 'mariadb:') return { dialect: 'mysql', target: spec.replace(/^mariadb:/, 'mysql:'), describe };
  if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return { dialect: 'postgres', target: spec, describe };
  if (url.protocol === 'sqlite:' || url.protocol === 'file:') return { dialect: 'sqlite', target: decodeURIComponent(url.pathname), describe: `sqlite:${decodeURIComponent(url.pathname)}` };
  throw new SluiceError('BAD_CONFIG', `the --store URL scheme ${url.protocol} is not supported`, 'use mysql:// (MySQL, MariaDB) or postgresql:// (PostgreSQL), or leave --store out for the embedded SQLite store');
}

/** SQLite transactions take the write lock at BEGIN, so two writers wait for each other instead of failing to upgrade. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite DDL is transactional: migrations run inside one (immediate) transaction, so the file's write lock
 * keeps a second process out until the first committed (Kysely's own adapter runs them outside any).
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly db: Database.Database) {
    super({ database: db });
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.db });
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** PostgreSQL BIGINT (int8) and COUNT(*) as numbers: every such value here is a count or a time in ms (< 2^53). */
const pgTypes = {
  getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format))) as typeof pg.types.getTypeParser,
};

export function openDatabase(loc: StoreLocation): Kysely<StoreSchema> {
  if (loc.dialect === 'sqlite') {
    mkdirSync(join(loc.target, '..'), { recursive: true, mode: 0o700 });
    const db = new Database(loc.target);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrateLegacySqlite(db);
    return new Kysely<StoreSchema>({ dialect: new ImmediateSqliteDialect(db) });
  }
  if (loc.dialect === 'mysql') {
    const pool = createPool(mysqlConnectionOptions(loc.target, {
      connectionLimit: 10, dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false, charset: 'utf8mb4_bin',
      connectTimeout: 10_000, enableKeepAlive: true,
    }));
    return new Kysely<StoreSchema>({ dialect: new MysqlDialect({ pool }) });
  }
  const pool = new pg.Pool({ connectionString: loc.target, max: 10, connectionTimeoutMillis: 10_000, types: pgTypes });
  // An idle client whose server went away emits 'error' on the pool: the next query reconnects; do not crash.
  pool.on('error', () => undefined);
  return new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Insert `row`, or update `update` (default: every column of `row` but the keys) where a row with the
 * same `keys` exists — `INSERT … ON CONFLICT DO UPDATE` (SQLite, PostgreSQL) or `ON DUPLICATE KEY UPDATE`.
 */
export async function upsert<T extends keyof StoreSchema & string>(
  db: Kysely<StoreSchema>, dialect: StoreDialect, table: T, row: InsertObject<StoreSchema, T>, keys: ReadonlyArray<keyof StoreSchema[T] & string>,
  update?: Partial<InsertObject<StoreSchema, T>>,
): Promise<void> {
  const set = update ?? Object.fromEntries(Object.entries(row as Record<string, unknown>).filter(([k]) => !keys.includes(k as keyof StoreSchema[T] & string)));
  // Kysely cannot type a table chosen by a type parameter: the row type is checked by this function's signature.
  const q = (db as unknown as Kysely<Record<string, Record<string, unknown>>>).insertInto(table as string).values(row as Record<string, unknown>);
  if (dialect === 'mysql') await q.onDuplicateKeyUpdate(set as Record<string, unknown>).execute();
  else await q.onConflict((oc) => oc.columns([...keys]).doUpdateSet(set as Record<string, unknown>)).execute();
}

/** Insert `row` unless a row with the same key exists (then nothing happens). */
export async function insertIfMissing<T extends keyof StoreSchema & string>(
  db: Kysely<StoreSchema>, dialect: StoreDialect, table: T, row: InsertObject<StoreSchema, T>, keys: ReadonlyArray<keyof StoreSchema[T] & string>,
): Promise<void> {
  const q = (db as unknown as Kysely<Record<string, Record<string, unknown>>>).insertInto(table as string).values(row as Record<string, unknown>);
  if (dialect === 'mysql') await q.ignore().execute();
  else await q.onConflict((oc) => oc.columns([...keys]).doNothing()).execute();
}

/** The store's clock, in ms since the epoch, as an SQL expression (leases and heartbeats never use a node's clock). */
export function storeNowMs(dialect: StoreDialect): RawBuilder<number> {
  if (dialect === 'sqlite') return sql<number>`CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)`;
  if (dialect === 'mysql') return sql<number>`CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)`;
  return sql<number>`CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`;
}
