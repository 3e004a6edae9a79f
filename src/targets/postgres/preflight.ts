/**
 * Checks before a pipeline writes to PostgreSQL, each with a cause and a fix: the server answers and accepts
 * the user, the database exists and is UTF8, the user may create schemas in it (CREATE on the database),
 * and the schemas Sluice writes to can be created or are writable. Also the connection test of the UI.
 */
import pg from 'pg';
import { SluiceError } from '../../errors.js';
import { connectFailed, pgMessage } from './pg-errors.js';
import { parsePostgresUrl } from './postgres-target.js';
import { pgLiteral } from './type-map.js';

export interface PostgresCheck {
  name: string;
  ok: boolean;
  message: string;
  /** What to do when not ok. */
  fix?: string;
}

export interface PostgresConnectionInfo {
  version: string;
  database: string;
  user: string;
}

async function withClient<T>(url: string, body: (c: pg.Client) => Promise<T>): Promise<T> {
  const e = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'sluice-check' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    void client.end().catch(() => undefined);
    throw connectFailed(e.host, e.port, e.database, e.user, err);
  }
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Connect and say what answered (the UI's connection test). Throws a typed error on failure. */
export async function testPostgresConnection(url: string): Promise<PostgresConnectionInfo> {
  return withClient(url, async (c) => {
    const res = await c.query<{ v: string; d: string; u: string }>('SELECT version() AS v, current_database() AS d, current_user AS u');
    const r = res.rows[0]!;
    return { version: r.v, database: r.d, user: r.u };
  });
}

/**
 * Preflight of a PostgreSQL target for `schemas` (the target schemas the pipeline writes, plus `_sluice`).
 * Connection failures throw (ACCESS_DENIED, BAD_CONFIG for a missing database, CONNECTION_FAILED); the rest
 * come back as a list of checks.
 */
export async function checkPostgresTarget(url: string, schemas: readonly string[]): Promise<PostgresCheck[]> {
  return withClient(url, async (c) => {
    const checks: PostgresCheck[] = [];
    const info = await c.query<{ v: string; enc: string; ro: string; cancreate: boolean; d: string; u: string }>(
      `SELECT current_setting('server_version_num') AS v, pg_encoding_to_char(encoding) AS enc, current_setting('default_transaction_read_only') AS ro,
        has_database_privilege(current_database(), 'CREATE') AS cancreate, current_database() AS d, current_user AS u
       FROM pg_database WHERE datname = current_database()`);
    const r = info.rows[0]!;
    const version = Number(r.v);
    checks.push(version >= 120000
      ? { name: 'version', ok: true, message: `PostgreSQL ${Math.floor(version / 10000)}` }
      : { name: 'version', ok: false, message: `PostgreSQL ${Math.floor(version / 10000)} is older than 12`, fix: 'use PostgreSQL 12 or newer' });
    checks.push(r.enc === 'UTF8'
      ? { name: 'encoding', ok: true, message: 'database encoding UTF8' }
      : { name: 'encoding', ok: false, message: `database ${r.d} has encoding ${r.enc}: text that does not fit it would be refused`, fix: `create the target database with ENCODING 'UTF8' (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)` });
    checks.push(r.ro === 'off'
      ? { name: 'writable', ok: true, message: 'accepts writes' }
      : { name: 'writable', ok: false, message: 'the server is read-only (a hot standby, or default_transaction_read_only on)', fix: 'point the target URL at the primary' });
    for (const schema of new Set(schemas)) {
      const s = await c.query<{ exists: boolean; owner: boolean; usage: boolean; create: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${pgLiteral(schema)}) AS exists,
          COALESCE((SELECT pg_has_role(nspowner, 'USAGE') FROM pg_namespace WHERE nspname = ${pgLiteral(schema)}), false) AS owner,
          COALESCE((SELECT has_schema_privilege(oid, 'USAGE') FROM pg_namespace WHERE nspname = ${pgLiteral(schema)}), false) AS usage,
          COALESCE((SELECT has_schema_privilege(oid, 'CREATE') FROM pg_namespace WHERE nspname = ${pgLiteral(schema)}), false) AS create`);
      const x = s.rows[0]!;
      if (!x.exists) {
        checks.push(r.cancreate
          ? { name: `schema ${schema}`, ok: true, message: `schema ${schema} does not exist yet; Sluice creates it` }
          : { name: `schema ${schema}`, ok: false, message: `schema ${schema} does not exist and user ${r.u} may not create schemas in database ${r.d}`,
            fix: `GRANT CREATE ON DATABASE "${r.d}" TO "${r.u}" (or create the schema: CREATE SCHEMA "${schema}" AUTHORIZATION "${r.u}")` });
      } else {
        checks.push(x.usage && x.create
          ? { name: `schema ${schema}`, ok: true, message: `schema ${schema} exists and is writable${x.owner ? ' (owned)' : ''}` }
          : { name: `schema ${schema}`, ok: false, message: `user ${r.u} lacks USAGE or CREATE on schema ${schema}`,
            fix: `GRANT USAGE, CREATE ON SCHEMA "${schema}" TO "${r.u}"` });
      }
    }
    // The real thing: create and drop a table in a transaction that is rolled back.
    try {
      await c.query('BEGIN');
      await c.query('CREATE TEMP TABLE sluice_preflight (a int) ON COMMIT DROP');
      await c.query('ROLLBACK');
      checks.push({ name: 'temporary tables', ok: true, message: 'may create temporary tables (used when a snapshot chunk meets rows already copied)' });
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      checks.push({ name: 'temporary tables', ok: false, message: `cannot create temporary tables: ${pgMessage(err)}`, fix: `GRANT TEMPORARY ON DATABASE "${r.d}" TO "${r.u}"` });
    }
    return checks;
  });
}

/** Preflight that throws the first failed check as a typed error. */
export async function assertPostgresTarget(url: string, schemas: readonly string[]): Promise<void> {
  const failed = (await checkPostgresTarget(url, schemas)).find((c) => !c.ok);
  if (failed) throw new SluiceError('MISSING_GRANTS', `PostgreSQL target: ${failed.message}`, failed.fix ?? 'see docs/postgres-target.md', { check: failed.name });
}
