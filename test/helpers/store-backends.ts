// Throwaway databases for the store: a SQLite file in a temp dir, a database on a throwaway MariaDB (started
// once per test file), and a database on the local PostgreSQL (127.0.0.1:5432, user postgres). Each backend
// hands out fresh, empty databases and drops them at the end. PostgreSQL missing: the test is skipped, except
// under CI=true where it fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startMariaDb, type MariaDbServer } from '../../src/testkit/index.js';

export const PG_ADMIN_URL = process.env['SLUICE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface StoreBackend {
  name: 'sqlite' | 'mariadb' | 'postgres';
  /** A new empty store location: the `--store` URL (undefined for SQLite) and a data dir of its own. */
  fresh(): Promise<{ url: string | undefined; dataDir: string }>;
  /** Drop every database and directory handed out; stop the server. */
  close(): Promise<void>;
}

const newDir = (dirs: string[]): string => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-store-test-'));
  dirs.push(d);
  return d;
};

export function sqliteBackend(): StoreBackend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    fresh: () => Promise.resolve({ url: undefined, dataDir: newDir(dirs) }),
    close: async () => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); },
  };
}

export async function mariadbBackend(): Promise<StoreBackend> {
  const server: MariaDbServer = await startMariaDb({ binlog: false });
  const dirs: string[] = [];
  return {
    name: 'mariadb',
    fresh: async () => {
      const db = `sluice_store_${randomBytes(4).toString('hex')}`;
      await server.query(`CREATE DATABASE ${db}`);
      return { url: `mysql://root@127.0.0.1:${server.port}/${db}`, dataDir: newDir(dirs) };
    },
    close: async () => {
      await server.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** The local PostgreSQL, or null when it does not answer (an error under CI=true). */
export async function postgresBackend(): Promise<StoreBackend | null> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    await admin.end().catch(() => undefined);
    if (process.env['CI'] === 'true') throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is needed under CI=true: ${String(err)}`);
    return null;
  }
  const dbs: string[] = [];
  const dirs: string[] = [];
  const base = new URL(PG_ADMIN_URL);
  return {
    name: 'postgres',
    fresh: async () => {
      const db = `sluice_store_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${db}`);
      dbs.push(db);
      const u = new URL(base.href);
      u.pathname = `/${db}`;
      return { url: u.href, dataDir: newDir(dirs) };
    },
    close: async () => {
      for (const db of dbs) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.end();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
