/**
 * The target side of the fault-injection harnesses: a throwaway MariaDB server (or, for the cluster bed, the
 * source's own server), or a throwaway database on the local PostgreSQL (127.0.0.1:5432, trust, user postgres;
 * SLUICE_CHAOS_PG_URL overrides the admin URL). Each gives the harnesses what differs between the two: the target
 * entry of the config or of the store, counts and highest values of a copy, the row texts of a copy for the
 * comparison, the target faults (a restart, a read-only spell), and a witness of the checkpoint row (a trigger
 * that logs every write that moves a pipeline: epoch, owner, time by the target's clock).
 */
import { randomBytes } from 'node:crypto';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import { startMariaDb, type MariaDbServer } from '../mariadb-server.js';
import { diffRows, diffTable, pgRowTexts, sourceTextsFor, type TableDiff } from './compare.js';

export type ChaosTargetKind = 'mysql' | 'postgres';
export const CHAOS_TARGET_KINDS: readonly ChaosTargetKind[] = ['mysql', 'postgres'];

/** One write of the target's checkpoint row, as the witness trigger logged it. */
export interface CheckpointWrite {
  id: number;
  pipeline: string;
  epoch: number;
  owner: string | null;
  /** ms since the epoch, by the target's clock (this machine's). */
  at: number;
}

/** See ChaosTarget.slowClaims. */
export interface SlowClaims {
  /** A claim is sleeping now (holding the checkpoint row). */
  underway(): Promise<boolean>;
  /** Claims at full speed again. */
  remove(): Promise<void>;
}

/** The target as an endpoint of the store (`Store.putEndpoint`), less kind, name, host and port. */
export interface ChaosTargetEndpoint {
  type: string;
  user: string;
  password: string;
  database?: string;
  options: Record<string, string>;
}

export interface ChaosTarget {
  readonly kind: ChaosTargetKind;
  /** Where the harness's TCP proxy forwards to. */
  readonly host: string;
  readonly port: number;
  /** The `targets.services` entry of the config (YAML, two lines), Sluice reaching the target through `proxyPort`. */
  configEntry(proxyPort: number): string;
  /** The target as a store endpoint (reached through the harness's proxy: host and port are the caller's). */
  readonly endpoint: ChaosTargetEndpoint;
  /** Rows of `db`.price_log on the target; -1 when it cannot be read (yet). */
  priceLogRows(db: string): Promise<number>;
  /** Rows of `db`.`table` on the target (0 when it does not exist yet). */
  rowCount(db: string, table: string): Promise<number>;
  /** The highest `column` of `db`.`table` on the target (0 when empty or not there yet). */
  maxOf(db: string, table: string, column: string): Promise<number>;
  /** The target's clock, ms since the epoch. */
  now(): Promise<number>;
  /** Log every write of the checkpoint rows that moves a pipeline (waits until the pipeline created them). */
  installCheckpointWitness(): Promise<void>;
  /** Checkpoint writes logged so far (in the order the row lock let them commit), optionally of one pipeline. */
  checkpointWrites(pipeline?: string): Promise<CheckpointWrite[]>;
  /**
   * Make every claim (an UPDATE of a checkpoint row that changes its epoch) sleep `seconds` inside its transaction,
   * holding the row: a window in which a claim is under way. Needs the checkpoint table.
   */
  slowClaims(seconds: number): Promise<SlowClaims>;
  /** The target restart fault; returns its description. */
  restart(seconds: number): Promise<string>;
  /** The read-only target fault; returns its description. */
  readOnly(seconds: number): Promise<string>;
  /** `sourceDb.table` on the source compared with the copy `copyDb.table`, value by value, every column. */
  diff(source: Connection, sourceDb: string, table: string, copyDb: string): Promise<TableDiff>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until true; throws after `timeoutMs`, naming `what` and the last error. */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) { last = err; }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

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

/**
 * A throwaway target of `kind`. `mysqlServer`: a MySQL target on that server (the cluster bed's source server,
 * written to as root; left running by close()) instead of a new one.
 */
export async function startChaosTarget(kind: ChaosTargetKind, opts: { mysqlServer?: MariaDbServer } = {}): Promise<ChaosTarget> {
  return kind === 'postgres' ? startPgTarget() : startMySqlTarget(opts.mysqlServer);
}

async function startMySqlTarget(shared?: MariaDbServer): Promise<ChaosTarget> {
  const server: MariaDbServer = shared ?? await startMariaDb();
  const conn = reconnecting(server);
  const user = shared ? 'root' : 'sluice';
  // Sluice writes to the target as a user without the right to write while the server is read-only.
  if (!shared) {
    await (await conn.get()).query(`CREATE USER sluice@'%';
      GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, TRIGGER, CREATE VIEW, SHOW VIEW, PROCESS ON *.* TO sluice@'%'`);
  }
  const q = (n: string): string => `\`${n.replace(/`/g, '``')}\``;
  const scalar = async (sql: string, params: unknown[] = []): Promise<number> => {
    const [rows] = await (await conn.get()).query<RowDataPacket[]>(sql, params);
    return Number(rows[0]?.n ?? 0);
  };
  return {
    kind: 'mysql', host: server.host, port: server.port,
    endpoint: { type: 'mariadb', user, password: '', options: {} },
    configEntry: (proxyPort) => `    type: mysql\n    url: mysql://${user}@127.0.0.1:${proxyPort}`,
    async priceLogRows(db) {
      try {
        return await scalar(`SELECT COUNT(*) AS n FROM ${q(db)}.price_log`);
      } catch {
        return -1;
      }
    },
    rowCount: (db, table) => scalar(`SELECT COUNT(*) AS n FROM ${q(db)}.${q(table)}`).catch(() => 0),
    maxOf: (db, table, column) => scalar(`SELECT IFNULL(MAX(${q(column)}), 0) AS n FROM ${q(db)}.${q(table)}`).catch(() => 0),
    now: () => scalar('SELECT CAST(UNIX_TIMESTAMP(SYSDATE(6)) * 1000 AS DECIMAL(20,3)) AS n'),
    async installCheckpointWitness() {
      const c = await conn.get();
      await c.query(`CREATE DATABASE IF NOT EXISTS witness;
        CREATE TABLE IF NOT EXISTS witness.checkpoint_writes (id BIGINT AUTO_INCREMENT PRIMARY KEY, pipeline VARCHAR(64) NOT NULL, epoch BIGINT NOT NULL,
          owner VARCHAR(1024) NULL, at TIMESTAMP(6) NOT NULL)`);
      await waitUntil('the target checkpoint table', async () => (await scalar(
        "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '_sluice' AND TABLE_NAME = 'checkpoints'")) > 0, 60_000);
      for (const ev of ['INSERT', 'UPDATE']) {
        // Writes that move the pipeline (a claim, a position, a snapshot's progress), not lease renewals or releases.
        const moved = ev === 'INSERT' ? 'TRUE' : 'NOT (NEW.epoch <=> OLD.epoch AND NEW.file <=> OLD.file AND NEW.pos <=> OLD.pos AND NEW.gtid_set <=> OLD.gtid_set AND NEW.state <=> OLD.state)';
        await c.query(`CREATE TRIGGER IF NOT EXISTS _sluice.witness_${ev.toLowerCase()} AFTER ${ev} ON _sluice.checkpoints FOR EACH ROW
          IF ${moved} THEN INSERT INTO witness.checkpoint_writes (pipeline, epoch, owner, at) VALUES (NEW.pipeline, NEW.epoch, NEW.owner, SYSDATE(6)); END IF`);
      }
    },
    async checkpointWrites(pipeline) {
      const [rows] = await (await conn.get()).query<RowDataPacket[]>(
        `SELECT id, pipeline, epoch, owner, CAST(UNIX_TIMESTAMP(at) * 1000 AS DECIMAL(20,3)) AS at FROM witness.checkpoint_writes
         ${pipeline ? 'WHERE pipeline = ?' : ''} ORDER BY id`, pipeline ? [pipeline] : []);
      return rows.map((r) => ({ id: Number(r.id), pipeline: String(r.pipeline), epoch: Number(r.epoch), owner: r.owner === null ? null : String(r.owner), at: Number(r.at) }));
    },
    async slowClaims(seconds) {
      await (await conn.get()).query(`CREATE TRIGGER IF NOT EXISTS _sluice.witness_slow_claim BEFORE UPDATE ON _sluice.checkpoints FOR EACH ROW
        IF NOT (NEW.epoch <=> OLD.epoch) THEN DO SLEEP(${Number(seconds)}); END IF`);
      return {
        underway: async () => (await scalar("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE '%checkpoints%SET epoch =%'")) > 0,
        remove: async () => { await (await conn.get()).query('DROP TRIGGER IF EXISTS _sluice.witness_slow_claim'); },
      };
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
      return diffTable(source, await conn.get(), sourceDb, table, copyDb);
    },
    async close() {
      conn.close();
      if (!shared) await server.stop().catch(() => undefined);
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
  const q = (n: string): string => `"${n.replace(/"/g, '""')}"`;
  const scalar = async (sql: string, params: unknown[] = []): Promise<number> => Number((await client.query<{ n: string | null }>(sql, params)).rows[0]?.n ?? 0);
  const user = decodeURIComponent(adminUrl.username) || 'postgres';
  return {
    kind: 'postgres', host: adminUrl.hostname, port: Number(adminUrl.port || 5432),
    endpoint: { type: 'postgres', user, password: decodeURIComponent(adminUrl.password), database: name, options: {} },
    configEntry: (proxyPort) => `    type: postgres\n    url: postgres://${user}@127.0.0.1:${proxyPort}/${name}`,
    async priceLogRows(db) {
      try {
        return await scalar(`SELECT count(*) AS n FROM ${q(db)}.price_log`);
      } catch {
        return -1;
      }
    },
    rowCount: (db, table) => scalar(`SELECT count(*) AS n FROM ${q(db)}.${q(table)}`).catch(() => 0),
    maxOf: (db, table, column) => scalar(`SELECT COALESCE(max(${q(column)}), 0)::text AS n FROM ${q(db)}.${q(table)}`).catch(() => 0),
    now: () => scalar('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::text AS n'),
    async installCheckpointWitness() {
      await client.query(`CREATE SCHEMA IF NOT EXISTS witness;
        CREATE TABLE IF NOT EXISTS witness.checkpoint_writes (id bigserial PRIMARY KEY, pipeline varchar(64) NOT NULL, epoch bigint NOT NULL,
          owner varchar(1024) NULL, at timestamptz(6) NOT NULL);
        CREATE OR REPLACE FUNCTION witness.log_checkpoint_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          -- Writes that move the pipeline (a claim, a position, a snapshot's progress), not lease renewals or releases.
          IF TG_OP = 'INSERT' OR NEW.epoch IS DISTINCT FROM OLD.epoch OR NEW.file IS DISTINCT FROM OLD.file OR NEW.pos IS DISTINCT FROM OLD.pos
              OR NEW.gtid_set IS DISTINCT FROM OLD.gtid_set OR NEW.state IS DISTINCT FROM OLD.state THEN
            INSERT INTO witness.checkpoint_writes (pipeline, epoch, owner, at) VALUES (NEW.pipeline, NEW.epoch, NEW.owner, clock_timestamp());
          END IF;
          RETURN NULL;
        END $$`);
      await waitUntil('the target checkpoint table', async () => (await scalar("SELECT count(to_regclass('_sluice.checkpoints'))::text AS n")) > 0, 60_000);
      await client.query(`CREATE OR REPLACE TRIGGER witness_write AFTER INSERT OR UPDATE ON _sluice.checkpoints
        FOR EACH ROW EXECUTE FUNCTION witness.log_checkpoint_write()`);
    },
    async checkpointWrites(pipeline) {
      const r = await client.query<{ id: string; pipeline: string; epoch: string; owner: string | null; at: string }>(
        `SELECT id, pipeline, epoch, owner, (extract(epoch FROM at) * 1000)::text AS at FROM witness.checkpoint_writes
         ${pipeline ? 'WHERE pipeline = $1' : ''} ORDER BY id`, pipeline ? [pipeline] : []);
      return r.rows.map((w) => ({ id: Number(w.id), pipeline: w.pipeline, epoch: Number(w.epoch), owner: w.owner, at: Number(w.at) }));
    },
    async slowClaims(seconds) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS witness;
        CREATE OR REPLACE FUNCTION witness.slow_claim() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(${Number(seconds)}); RETURN NEW; END $$;
        CREATE OR REPLACE TRIGGER witness_slow_claim BEFORE UPDATE ON _sluice.checkpoints
          FOR EACH ROW WHEN (NEW.epoch IS DISTINCT FROM OLD.epoch) EXECUTE FUNCTION witness.slow_claim()`);
      return {
        underway: async () => (await scalar("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'")) > 0,
        remove: async () => { await client.query('DROP TRIGGER IF EXISTS witness_slow_claim ON _sluice.checkpoints'); },
      };
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
