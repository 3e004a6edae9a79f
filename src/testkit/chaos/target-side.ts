/**
 * The target side of the fault-injection harness: a throwaway MariaDB server, or a throwaway database on the
 * local PostgreSQL (127.0.0.1:5432, trust, user postgres; SLUICE_CHAOS_PG_URL overrides the admin URL).
 * Each gives the harness what differs between the two: the target entry of the config, the price_log count,
 * the row texts of a copy for the comparison, and the target faults (a restart, a read-only spell).
 */
import { randomBytes } from 'node:crypto';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import { startMariaDb, type MariaDbServer } from '../mariadb-server.js';
import { diffRows, pgRowTexts, sourceTextsFor, rowTexts, type TableDiff } from './compare.js';

export type ChaosTargetKind = 'mysql' | 'postgres';
export const CHAOS_TARGET_KINDS: readonly ChaosTargetKind[] = ['mysql', 'postgres'];

export interface ChaosTarget {
  readonly kind: ChaosTargetKind;
  /** Where the harness's TCP proxy forwards to. */
  readonly host: string;
  readonly port: number;
  /** The `targets.services` entry of the config (YAML, two lines), Sluice reaching the target through `proxyPort`. */
  configEntry(proxyPort: number): string;
  /** Rows of `db`.price_log on the target; -1 when it cannot be read (yet). */
  priceLogRows(db: string): Promise<number>;
  /** The target restart fault; returns its description. */
  restart(seconds: number): Promise<string>;
  /** The read-only target fault; returns its description. */
  readOnly(seconds: number): Promise<string>;
  /** `sourceDb.table` on the source compared with the copy `copyDb.table`, value by value, every column. */
  diff(source: Connection, sourceDb: string, table: string, copyDb: string): Promise<TableDiff>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A MySQL connection to `server` that is reopened when it broke (the server restarted); retried for ~30 s. */
export function reconnecting(server: { host: string; port: number }): { get(): Promise<Connection>; close(): void } {
  let c: Connection | null = null;
  return {
    async get() {
      for (let attempt = 0; ; attempt++) {
        try {
          c ??= await createConnection({ host: server.host, port: server.port, user: 'root', multipleStatements: true, connectTimeout: 3000 });
          await c.query('SELECT 1');
          return c;
        } catch (err) {
          c?.destroy();
          c = null;
          if (attempt > 120) throw err;
          await sleep(250);
        }
      }
    },
    close() { c?.destroy(); c = null; },
  };
}

export async function startChaosTarget(kind: ChaosTargetKind): Promise<ChaosTarget> {
  return kind === 'postgres' ? startPgTarget() : startMySqlTarget();
}

async function startMySqlTarget(): Promise<ChaosTarget> {
  const server: MariaDbServer = await startMariaDb();
  const conn = reconnecting(server);
  // Sluice writes to the target as a user without the right to write while the server is read-only.
  await (await conn.get()).query(`CREATE USER sluice@'%';
    GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, TRIGGER, CREATE VIEW, SHOW VIEW, PROCESS ON *.* TO sluice@'%'`);
  return {
    kind: 'mysql', host: server.host, port: server.port,
    configEntry: (proxyPort) => `    type: mysql\n    url: mysql://sluice@127.0.0.1:${proxyPort}`,
    async priceLogRows(db) {
      try {
        const [rows] = await (await conn.get()).query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${db}\`.price_log`);
        return Number(rows[0]?.n ?? 0);
      } catch {
        return -1;
      }
    },
    async restart(seconds) {
      const down = Math.min(seconds, 5);
      await server.kill();
      await sleep(down * 1000);
      await server.restart();
      return `kill -9 the target server, down ${down.toFixed(1)} s`;
    },
    async readOnly(seconds) {
      await (await conn.get()).query('SET GLOBAL read_only = 1');
      await sleep(seconds * 1000);
      await (await conn.get()).query('SET GLOBAL read_only = 0');
      return `target read_only for ${seconds} s`;
    },
    async diff(source, sourceDb, table, copyDb) {
      const [cols] = await source.query<RowDataPacket[]>(
        'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [sourceDb, table]);
      const names = cols.map((c) => String(c.c));
      const [a, b] = await Promise.all([rowTexts(source, sourceDb, table, names), rowTexts(await conn.get(), copyDb, table, names)]);
      return diffRows(table, a, b);
    },
    async close() {
      conn.close();
      await server.stop().catch(() => undefined);
    },
  };
}

const PG_ADMIN_URL = process.env.SLUICE_CHAOS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function startPgTarget(): Promise<ChaosTarget> {
  const name = `sluice_chaos_${randomBytes(5).toString('hex')}`;
  const adminUrl = new URL(PG_ADMIN_URL);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, application_name: 'sluice-chaos' });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  const dbUrl = new URL(PG_ADMIN_URL);
  dbUrl.pathname = `/${name}`;
  // Every value as the text PostgreSQL prints (no parsing into JS numbers or dates).
  const client = new pg.Client({ connectionString: dbUrl.toString(), application_name: 'sluice-chaos',
    types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig });
  client.on('error', () => undefined);
  await client.connect();
  await client.query("SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1");
  /** Ends every session of the throwaway database except the harness's own. */
  const terminate = async (): Promise<number> => {
    const r = await admin.query<{ n: string }>(
      "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> 'sluice-chaos'", [name]);
    return Number(r.rows[0]?.n ?? 0);
  };
  return {
    kind: 'postgres', host: adminUrl.hostname, port: Number(adminUrl.port || 5432),
    configEntry: (proxyPort) => `    type: postgres\n    url: postgres://${adminUrl.username || 'postgres'}@127.0.0.1:${proxyPort}/${name}`,
    async priceLogRows(db) {
      try {
        const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${db}".price_log`);
        return Number(r.rows[0]?.n ?? 0);
      } catch {
        return -1;
      }
    },
    async restart(seconds) {
      // No restart of the machine's PostgreSQL: every Sluice session of the database is terminated, twice
      // (the second time the sessions it opened meanwhile), as a restart would end them.
      const first = await terminate();
      await sleep(Math.min(seconds, 5) * 1000);
      const second = await terminate();
      return `pg_terminate_backend of Sluice's sessions: ${first}, then ${second} reopened ones ${Math.min(seconds, 5).toFixed(1)} s later`;
    },
    async readOnly(seconds) {
      // New sessions start read-only (default_transaction_read_only), the open ones are ended so Sluice
      // reconnects into read-only sessions; afterwards the same again without it.
      await admin.query(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
      const ended = await terminate();
      await sleep(seconds * 1000);
      await admin.query(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
      const again = await terminate();
      return `database default_transaction_read_only for ${seconds} s (${ended} sessions ended at the start, ${again} at the end)`;
    },
    async diff(source, sourceDb, table, copyDb) {
      const cols = await client.query<{ c: string; t: string; p: string | null }>(
        'SELECT column_name AS c, data_type AS t, datetime_precision AS p FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position', [copyDb, table]);
      if (cols.rows.length === 0) throw new Error(`the copy has no table ${copyDb}.${table}`);
      const [srcCols] = await source.query<RowDataPacket[]>(
        'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [sourceDb, table]);
      const names = srcCols.map((c) => String(c.c));
      const pgCols = new Map(cols.rows.map((c) => [c.c, { type: c.t, precision: c.p === null ? null : Number(c.p) }]));
      const [a, b] = await Promise.all([sourceTextsFor(source, sourceDb, table, names, pgCols), pgRowTexts(client, copyDb, table, names, pgCols)]);
      return diffRows(table, a, b);
    },
    async close() {
      await client.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}
