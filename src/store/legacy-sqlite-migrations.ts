/**
 * The SQLite store's schema as it was versioned before the store moved to Kysely (PRAGMA user_version 1–4).
 * A store written by an older Sluice is brought to version 4 here; from there on migrations.ts takes over
 * (its first migration creates only what version 4 lacks). New stores never run these.
 */
import type { Database } from 'better-sqlite3';

export const LEGACY_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE endpoints (
    kind TEXT NOT NULL CHECK (kind IN ('source', 'target')),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    user TEXT NOT NULL,
    password_sealed TEXT,
    database_name TEXT,
    options TEXT NOT NULL DEFAULT '{}',
    server_id INTEGER,
    checkpoint_database TEXT,
    managed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, name)
  );
  CREATE TABLE pipelines (
    name TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    desired_state TEXT NOT NULL DEFAULT 'stopped',
    managed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  );
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    role TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
  );
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    ip TEXT
  );
  CREATE TABLE metric_samples (
    pipeline TEXT NOT NULL,
    time INTEGER NOT NULL,
    state TEXT NOT NULL,
    lag_seconds REAL,
    rows_per_second REAL NOT NULL,
    rows_applied INTEGER NOT NULL,
    snapshot_rows_copied INTEGER NOT NULL,
    error_count INTEGER NOT NULL
  );
  CREATE INDEX metric_samples_by_pipeline_time ON metric_samples (pipeline, time);
  CREATE INDEX metric_samples_by_time ON metric_samples (time);
  `,
  // 2: a skip requested by an operator and not yet reached by the stream survives a restart.
  `
  CREATE TABLE pipeline_skips (
    pipeline TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    pos INTEGER NOT NULL,
    kind TEXT NOT NULL,
    requested_at TEXT NOT NULL
  );
  `,
  // 3: API tokens may expire; the last copy of every table (initial snapshot, re-snapshot, resync) is remembered.
  `
  ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
  CREATE TABLE table_copies (
    pipeline TEXT NOT NULL,
    source_table TEXT NOT NULL,
    rows_copied INTEGER NOT NULL,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (pipeline, source_table)
  );
  `,
  // 4: the last verify result of every table (rows checked, differences with a sample) survives a restart.
  `
  CREATE TABLE verify_results (
    pipeline TEXT NOT NULL,
    source_table TEXT NOT NULL,
    repair INTEGER NOT NULL,
    result TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (pipeline, source_table)
  );
  `,
];

export const LEGACY_VERSION = LEGACY_MIGRATIONS.length;

/** Bring a store of an older Sluice (user_version 1–3) to version 4; a new store (version 0) is left alone. */
export function migrateLegacySqlite(db: Database): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current === 0) return;
  for (let v = current; v < LEGACY_MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(LEGACY_MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
