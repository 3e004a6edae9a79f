// Throwaway PostgreSQL databases on the local server (127.0.0.1:5432, trust) for the PostgreSQL target's tests.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface PgTestDatabase {
  name: string;
  url: string;
  /** Run SQL in the throwaway database; rows with every value as text. */
  query(sql: string): Promise<Array<Record<string, string | null>>>;
  drop(): Promise<void>;
}

/** CREATE DATABASE sluice_test_<random>; drop() ends its sessions and drops it. */
export async function createPgDatabase(): Promise<PgTestDatabase> {
  const name = `sluice_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const client = new pg.Client({ connectionString: url, types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig });
  client.on('error', () => undefined);
  await client.connect();
  await client.query("SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1");
  return {
    name, url,
    async query(sql) {
      const r = (await client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(r) ? r[r.length - 1]! : r;
      return last.rows as Array<Record<string, string | null>>;
    },
    async drop() {
      await client.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
