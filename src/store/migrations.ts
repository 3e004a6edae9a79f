/**
 * The store's schema as versioned migrations, the same for SQLite, MySQL/MariaDB and PostgreSQL (Kysely's
 * schema builder), applied by Kysely's Migrator and recorded in `sluice_migrations`. Several nodes may
 * start together: the Migrator holds a lock while it migrates (GET_LOCK on MySQL, pg_advisory_lock on
 * PostgreSQL; on SQLite its transaction, which takes the file's write lock at BEGIN), so each migration runs
 * once and the others find the schema done. PostgreSQL and SQLite migrate inside a transaction; MySQL DDL
 * is not transactional, so every step here is written to be safe to run again (IF NOT EXISTS, a duplicate
 * index ignored).
 *
 * A SQLite store of an older Sluice (PRAGMA user_version 1–4) is first brought to version 4
 * (legacy-sqlite-migrations.ts); the first migration below then creates only the tables it lacks.
 */
import { Migrator, sql, type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { SluiceError } from '../errors.js';
import type { StoreDialect } from './dialect.js';

/** A Kysely over any schema: the migrations create the tables that StoreSchema describes. */
type AnyDb = Kysely<unknown>;

function tableIn(db: AnyDb, dialect: StoreDialect, name: string): CreateTableBuilder<string, never> {
  const t = db.schema.createTable(name).ifNotExists();
  // Binary collation: names, usernames and hashes compare exactly, as in SQLite and PostgreSQL.
  return dialect === 'mysql' ? t.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`) : t;
}

/** Long text (JSON documents): MEDIUMTEXT on MySQL, whose TEXT holds only 64 KiB. */
const longText = (dialect: StoreDialect) => (dialect === 'mysql' ? sql`mediumtext` : sql`text`);

async function createIndex(db: AnyDb, dialect: StoreDialect, name: string, table: string, columns: string[]): Promise<void> {
  if (dialect !== 'mysql') {
    await db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
    return;
  }
  try {
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  } catch (err) {
    if ((err as { errno?: number }).errno !== 1061) throw err; // ER_DUP_KEYNAME: an earlier, interrupted run made it
  }
}

/** An auto-increment BIGINT primary key in each dialect. */
function withSerialId<T extends string>(t: CreateTableBuilder<T, never>, dialect: StoreDialect): CreateTableBuilder<T, 'id'> {
  if (dialect === 'postgres') return t.addColumn('id', 'bigserial', (c) => c.primaryKey());
  if (dialect === 'sqlite') return t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  return t.addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement());
}

function migrations(dialect: StoreDialect): Record<string, Migration> {
  const text = longText(dialect);
  return {
    // Everything the control plane kept in SQLite user_version 4, plus the alert tables (created on first
    // use before) and store-wide settings.
    '0001_control_plane': {
      up: async (db: AnyDb) => {
        await tableIn(db, dialect, 'endpoints')
          .addColumn('kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('type', 'varchar(32)', (c) => c.notNull())
          .addColumn('host', 'varchar(255)', (c) => c.notNull())
          .addColumn('port', 'integer', (c) => c.notNull())
          .addColumn('user', 'varchar(255)', (c) => c.notNull())
          .addColumn('password_sealed', text)
          .addColumn('database_name', 'varchar(255)')
          .addColumn('options', text, (c) => c.notNull())
          .addColumn('server_id', 'bigint')
          .addColumn('checkpoint_database', 'varchar(255)')
          .addColumn('managed', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
          .addPrimaryKeyConstraint('endpoints_pk', ['kind', 'name'])
          .execute();
        await tableIn(db, dialect, 'pipelines')
          .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('config', text, (c) => c.notNull())
          .addColumn('desired_state', 'varchar(16)', (c) => c.notNull().defaultTo('stopped'))
          .addColumn('managed', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
          .execute();
        await tableIn(db, dialect, 'users')
          .addColumn('username', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('role', 'varchar(16)', (c) => c.notNull())
          .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .execute();
        await tableIn(db, dialect, 'sessions')
          .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('username', 'varchar(255)', (c) => c.notNull().references('users.username').onDelete('cascade'))
          .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen', 'bigint', (c) => c.notNull())
          .execute();
        await tableIn(db, dialect, 'api_tokens')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('username', 'varchar(255)', (c) => c.notNull().references('users.username').onDelete('cascade'))
          .addColumn('role', 'varchar(16)', (c) => c.notNull())
          .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('last_used_at', 'varchar(40)')
          .addColumn('expires_at', 'varchar(40)')
          .execute();
        await withSerialId(tableIn(db, dialect, 'audit_log'), dialect)
          .addColumn('time', 'varchar(40)', (c) => c.notNull())
          .addColumn('actor', 'varchar(255)')
          .addColumn('action', 'varchar(255)', (c) => c.notNull())
          .addColumn('target', 'varchar(1024)')
          .addColumn('details', text, (c) => c.notNull())
          .addColumn('ip', 'varchar(64)')
          .execute();
        await tableIn(db, dialect, 'metric_samples')
          .addColumn('pipeline', 'varchar(255)', (c) => c.notNull())
          .addColumn('time', 'bigint', (c) => c.notNull())
          .addColumn('state', 'varchar(32)', (c) => c.notNull())
          .addColumn('lag_seconds', 'double precision')
          .addColumn('rows_per_second', 'double precision', (c) => c.notNull())
          .addColumn('rows_applied', 'bigint', (c) => c.notNull())
          .addColumn('snapshot_rows_copied', 'bigint', (c) => c.notNull())
          .addColumn('error_count', 'bigint', (c) => c.notNull())
          .execute();
        await createIndex(db, dialect, 'metric_samples_by_pipeline_time', 'metric_samples', ['pipeline', 'time']);
        await createIndex(db, dialect, 'metric_samples_by_time', 'metric_samples', ['time']);
        await tableIn(db, dialect, 'pipeline_skips')
          .addColumn('pipeline', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('file', 'varchar(255)', (c) => c.notNull())
          .addColumn('pos', 'bigint', (c) => c.notNull())
          .addColumn('kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('requested_at', 'varchar(40)', (c) => c.notNull())
          .execute();
        await tableIn(db, dialect, 'table_copies')
          .addColumn('pipeline', 'varchar(255)', (c) => c.notNull())
          .addColumn('source_table', 'varchar(255)', (c) => c.notNull())
          .addColumn('rows_copied', 'bigint', (c) => c.notNull())
          .addColumn('finished_at', 'varchar(40)', (c) => c.notNull())
          .addPrimaryKeyConstraint('table_copies_pk', ['pipeline', 'source_table'])
          .execute();
        await tableIn(db, dialect, 'verify_results')
          .addColumn('pipeline', 'varchar(255)', (c) => c.notNull())
          .addColumn('source_table', 'varchar(255)', (c) => c.notNull())
          .addColumn('repair', 'integer', (c) => c.notNull())
          .addColumn('result', text, (c) => c.notNull())
          .addColumn('checked_at', 'varchar(40)', (c) => c.notNull())
          .addPrimaryKeyConstraint('verify_results_pk', ['pipeline', 'source_table'])
          .execute();
        await tableIn(db, dialect, 'alert_settings')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('sealed', text, (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
          .execute();
        await tableIn(db, dialect, 'alert_incidents')
          .addColumn('rule', 'varchar(32)', (c) => c.notNull())
          .addColumn('pipeline', 'varchar(255)', (c) => c.notNull())
          .addColumn('opened_at', 'bigint', (c) => c.notNull())
          .addColumn('summary', text, (c) => c.notNull())
          .addColumn('notified', 'integer', (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint('alert_incidents_pk', ['rule', 'pipeline'])
          .execute();
        await withSerialId(tableIn(db, dialect, 'alert_notifications'), dialect)
          .addColumn('time', 'varchar(40)', (c) => c.notNull())
          .addColumn('kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('rule', 'varchar(32)')
          .addColumn('pipeline', 'varchar(255)')
          .addColumn('title', text, (c) => c.notNull())
          .addColumn('deliveries', text, (c) => c.notNull())
          .execute();
        await tableIn(db, dialect, 'store_settings')
          .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('value', text, (c) => c.notNull())
          .execute();
      },
    },
    // Cluster coordination (src/cluster/): the node registry and the leases, times by the store's clock.
    '0002_cluster': {
      up: async (db: AnyDb) => {
        await tableIn(db, dialect, 'nodes')
          .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('host', 'varchar(255)', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('version', 'varchar(64)', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
          .addColumn('draining', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await tableIn(db, dialect, 'leases')
          .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('owner', 'varchar(255)')
          .addColumn('epoch', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('expires_at', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('acquired_at', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('renewed_at', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
      },
    },
    // Cluster control (src/control/status-publisher.ts, command-queue.ts): each owner's published pipeline
    // status, and the actions other nodes send to the owner. Times by the store's clock (ms).
    '0003_cluster_control': {
      up: async (db: AnyDb) => {
        await tableIn(db, dialect, 'pipeline_status')
          .addColumn('pipeline', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('node', 'varchar(255)', (c) => c.notNull())
          .addColumn('epoch', 'bigint', (c) => c.notNull())
          .addColumn('status', text, (c) => c.notNull())
          .addColumn('published_at', 'bigint', (c) => c.notNull())
          .execute();
        await withSerialId(tableIn(db, dialect, 'pipeline_commands'), dialect)
          .addColumn('pipeline', 'varchar(255)', (c) => c.notNull())
          .addColumn('action', 'varchar(32)', (c) => c.notNull())
          .addColumn('args', text, (c) => c.notNull())
          .addColumn('state', 'varchar(16)', (c) => c.notNull())
          .addColumn('requested_by', 'varchar(255)', (c) => c.notNull())
          .addColumn('actor', 'varchar(255)')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('claimed_by', 'varchar(255)')
          .addColumn('claimed_epoch', 'bigint')
          .addColumn('claimed_at', 'bigint')
          .addColumn('finished_at', 'bigint')
          .addColumn('result', text)
          .execute();
        await createIndex(db, dialect, 'pipeline_commands_by_state', 'pipeline_commands', ['state', 'pipeline']);
      },
    },
  };
}

export const MIGRATION_TABLE = 'sluice_migrations';

/** Apply the migrations this store lacks (once, under the Migrator's lock); returns the names applied now. */
export async function migrateStore(db: Kysely<unknown>, dialect: StoreDialect): Promise<string[]> {
  if (await upToDate(db)) return []; // the usual start: no lock taken
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations(dialect)) };
  const migrator = new Migrator({ db, provider, migrationTableName: MIGRATION_TABLE, migrationLockTableName: `${MIGRATION_TABLE}_lock` });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new SluiceError('STORE_MIGRATION_FAILED', `the store schema could not be migrated${failed ? ` (${failed})` : ''}: ${error instanceof Error ? error.message : String(error)}`,
      'check that the store user may create and alter tables in its database; fix the cause and start again (finished steps are not repeated)', { migration: failed ?? null }, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Whether every migration this Sluice knows is recorded (false when the table is missing). */
async function upToDate(db: Kysely<unknown>): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
    const done = new Set(rows.map((r) => r.name));
    return knownMigrations().every((m) => done.has(m));
  } catch {
    return false;
  }
}

/** Names of every migration this Sluice knows, oldest first. */
export function knownMigrations(): string[] {
  return Object.keys(migrations('sqlite')).sort();
}
