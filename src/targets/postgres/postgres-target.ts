/**
 * The PostgreSQL target: applies batches of whole source transactions as one PostgreSQL transaction
 * together with the pipeline's checkpoint row (exactly-once), refuses to write once a newer epoch owns the
 * pipeline (fencing), loads snapshot chunks with COPY, swaps re-copied tables in atomically, translates DDL.
 *
 * One PostgreSQL schema per source database (or the pipeline's targetDatabase); the checkpoint and the
 * snapshot progress live in schema `_sluice`. Locks on the checkpoint row:
 *   - a batch:          FOR NO KEY UPDATE (one writer at a time; the epoch and position are compared)
 *   - a snapshot chunk: FOR KEY SHARE (chunk writers and the stream do not block each other)
 *   - a claim (open):   FOR UPDATE (waits for every writer of the old epoch, then raises the epoch)
 * A batch, in round trips: `BEGIN; SELECT … FOR NO KEY UPDATE` → check → data statements, the checkpoint
 * UPDATE and COMMIT packed into one or more simple-protocol queries. A lost connection raises
 * CONNECTION_LOST: call `apply` again with the same batch — if the lost COMMIT did land, the target
 * recognises its checkpoint and does not apply the batch twice.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { SluiceError, isSluiceError } from '../../errors.js';
import { createLogger, type Logger } from '../../log.js';
import { describeInstance, type InstanceInfo } from '../../instance.js';
import type { RowChange } from '../../core/types.js';
import type { Row } from '../../core/cell.js';
import { fnv1a32 } from '../../fnv-hash.js';
import { mergeChanges, type KeyMoveOp, type Segment, type TableOps, type TableShape } from '../merge-changes.js';
import { addStaying, followsKeyUpdate, stayingOf, stayingRows } from '../key-moves.js';
import { CheckpointTable, fencedError, type StoredCheckpointRow } from '../mysql/checkpoint-table.js';
import { claimEpoch, packStatements, routesOf, storedPosition } from '../ownership.js';
import { SqlTargetBase, type CommitProgress, type SqlDriver } from '../sql-target-base.js';
import type {
  Checkpoint, ChunkDone, DdlChange, SnapshotChunk, SourceTable, TableRef, Target, TargetCapabilities,
} from '../target.js';
import { sourceTextDeclined } from '../target.js';
import type { ReferentialAction } from '../../mysql/schema/ddl-ast.js';
import { addForeignKeySql, constraintExistsSql, orphanSweepSql, pendingDeleteSql, pendingInsertSql, pendingTableSql, targetForeignKeys, type ForeignKeyRoute, type PgForeignKey } from './foreign-keys.js';
import { PgCheckpointTable } from './checkpoint-table.js';
import { copyBuffers, copyRowBuffers } from './copy-encoder.js';
import { translateDdl, type Router } from './ddl-translate.js';
import { pipelinedQuery } from './pipelined-query.js';
import { connectFailed, connectionLost, isConnectionError, isLockConflict, isUniqueViolation, pgMessage, sqlState, targetWriteFailed } from './pg-errors.js';
import { createTableSql, qualified } from './table-sql.js';
import { bitWidth, pgIdent, pgKind, pgLiteral, pgSqlLiteral, pgTargetName, type PgColumn } from './type-map.js';

export interface PostgresTargetOptions {
  /** Pipeline name: the checkpoint row's key. */
  pipeline: string;
  /** `postgres://user:pass@host:5432/dbname` */
  url: string;
  /** Fencing epoch (see MysqlSinkOptions.epoch): explicit → claim exactly it; absent → stored + 1. */
  epoch?: number;
  /** Seconds of ownership each write or renewal grants (default 15). */
  leaseSeconds?: number;
  owner?: InstanceInfo;
  /** Schema of the checkpoint and snapshot-progress tables (default `_sluice`). */
  checkpointSchema?: string;
  /** Source table → target schema and table; default: `targetDatabase ?? db`.`table`. */
  route?: Router;
  targetDatabase?: string;
  /** Most bytes of SQL per round trip (default 4 MiB). */
  maxStatementBytes?: number;
  /** Most rows per multi-row statement (default 1000). */
  maxRowsPerStatement?: number;
  /** lock_timeout of this target's session, in seconds (default: the server's). */
  lockWaitSeconds?: number;
  /** The source tables the pipeline copies: foreign keys to them are kept (foreign-keys.ts); absent → no foreign keys. */
  foreignKeyScope?: (database: string, table: string) => boolean;
  /** Retries of a transaction after a deadlock or serialization failure (default 5). */
  lockRetries?: number;
  /**
   * The session's synchronous_commit (default: the server's). `off` is safe for exactly-once — rows and
   * checkpoint are lost or kept together in a crash of PostgreSQL, and lost ones are re-read from the
   * source — like innodb_flush_log_at_trx_commit=2 on a MySQL target.
   */
  synchronousCommit?: 'on' | 'off';
  logger?: Logger;
}

/** Columns by name: a MySQL column name or its PostgreSQL name (pgTargetName) finds the same column. */
class PgColumnsByName extends Map<string, PgColumn> {
  override get(name: string): PgColumn | undefined {
    return super.get(pgTargetName(name));
  }

  override has(name: string): boolean {
    return super.has(pgTargetName(name));
  }
}

/** A target table as the catalog shows it. */
interface PgTableShape extends TableShape {
  byName: PgColumnsByName;
  /** The table has foreign keys / other tables' foreign keys reference it. */
  hasForeignKeys: boolean;
  referenced: boolean;
}

type QueryResult = pg.QueryResult<Record<string, unknown>>;

/**
 * Upserts of at least this many rows of a table go through COPY into a temporary table: half the PostgreSQL CPU of
 * VALUES lists, but two more round trips and a temporary table. Below it, the batch is one round trip (measured on the
 * bench's 200k-transaction stream at load 13–14: small batches staged from 200 rows took 31–37 s, unstaged 24–26 s,
 * PostgreSQL CPU 1.8 vs 3.9 s; full 5,000-change batches, at low load, still stage).
 */
const STAGE_MIN_ROWS = 1000;

/**
 * Most staging tables a connection keeps (one per table and column set, emptied at each COMMIT): every COMMIT of a
 * transaction that used one empties them all, so a pipeline with more tables that big batches stage stages the
 * others in a table of the batch's own (dropped at its COMMIT).
 */
const MAX_KEPT_STAGES = 16;

/** A COPY into a temporary table (created by the SQL steps before it); its text is made when the step runs. */
interface CopyStep { copy: string; data: () => Iterable<Buffer> }
/** What a batch runs, in order: SQL statements (packed into round trips) and COPY steps. */
type Step = string | CopyStep;

export const SESSION_SETUP = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; "
  + "SET standard_conforming_strings = on; SET client_encoding = 'UTF8'; SET application_name = 'sluice'";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every value as the server's text (no parsing into Date or number). */
export const RAW_TYPES = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

export const POSTGRES_CAPABILITIES: TargetCapabilities = {
  transactionalCheckpoint: true,
  bulkLoad: true,
  shadowSwap: true,
  ddl: 'translated',
  foreignKeys: true,
  generatedColumns: 'written',
  sourceText: 'pg-copy',
};

/** node-postgres as SqlTargetBase needs it. */
const PG_DRIVER: SqlDriver<pg.Client> = {
  name: 'the PostgreSQL target',
  cut,
  endWithin: async (conn, ms) => { await Promise.race([conn.end().catch(() => undefined), sleep(ms).then(() => cut(conn))]); },
  rollback: (conn) => conn.query('ROLLBACK'),
  isConnectionError,
  isLockConflict,
  isLockWaitTimeout: (err) => sqlState(err) === '55P03',
  // Two pipelines creating `_sluice` at once: one loses the race on the catalog.
  isCatalogRace: (err) => isUniqueViolation(err) || sqlState(err) === '42P06' || sqlState(err) === '42P07',
  abortsLargeTransaction: (err) => isLockConflict(err) || isUniqueViolation(err),
  isUniqueViolation,
  connectionLost,
  targetWriteFailed,
  message: pgMessage,
  details: (err) => ({ sqlState: sqlState(err) }),
};

export class PostgresTarget extends SqlTargetBase<pg.Client, Step> implements Target {
  readonly kind = 'postgres';
  readonly capabilities = POSTGRES_CAPABILITIES;
  readonly checkpoints: PgCheckpointTable;
  private readonly route: Router;
  private readonly url: string;
  private readonly endpoint: { host: string; port: number; database: string; user: string };
  private readonly maxBytes: number;
  private readonly maxRows: number;
  private readonly sessionSetup: string;
  private readonly shapes = new Map<string, PgTableShape | null>();
  /** Names of temporary staging tables of the batch's own (unique per session). */
  private stageSeq = 0;
  /** Staging tables kept by this connection (see MAX_KEPT_STAGES); forgotten with the connection. */
  private keptStages = new Set<string>();
  /** Referenced source table → its target table, or null when the pipeline does not copy it (no foreign key then). */
  private readonly fkRoute: ForeignKeyRoute | null;
  /** The stream has passed the snapshot: queued foreign keys may be added (see enforceForeignKeys). */
  private enforceFks = false;
  /** No queued foreign key is waiting (false: look before the next batch). */
  private pendingDone = false;
  /** Routed referenced table → the foreign keys (queued or present) that reference it; null: read again when needed. */
  private referencing: Map<string, PgForeignKey[]> | null = null;
  /** Source table → whether its rows have a column name PostgreSQL cannot hold as it is (over 63 bytes). */
  private readonly longColumnNames = new Map<string, boolean>();

  constructor(opts: PostgresTargetOptions) {
    super(PG_DRIVER, { ...opts, logger: opts.logger ?? createLogger('sluice.target.postgres') });
    this.checkpoints = new PgCheckpointTable(opts.checkpointSchema ?? '_sluice');
    const td = opts.targetDatabase;
    this.route = opts.route ?? ((database, table) => ({ database: td ?? database, table }));
    const scope = opts.foreignKeyScope;
    this.fkRoute = scope ? (database, table) => (scope(database, table) ? this.route(database, table) : null) : null;
    this.url = opts.url;
    this.endpoint = parsePostgresUrl(opts.url);
    this.maxBytes = opts.maxStatementBytes ?? 4 * 1024 * 1024;
    this.maxRows = opts.maxRowsPerStatement ?? 1000;
    this.sessionSetup = SESSION_SETUP + (opts.synchronousCommit ? `; SET synchronous_commit = ${opts.synchronousCommit === 'off' ? 'off' : 'on'}` : '')
      + (opts.lockWaitSeconds !== undefined ? `; SET lock_timeout = '${Math.max(1, Math.round(opts.lockWaitSeconds))}s'` : '');
  }

  // ── connection ──────────────────────────────────────────────────────────────────────────────

  /** A new connection with this target's session settings (not cached). */
  private async openConnection(what: string): Promise<pg.Client> {
    if (this.interrupted) {
      throw new SluiceError('CONNECTION_LOST', `the PostgreSQL target connection was cut (${what})`, 'the pipeline restarts from its checkpoint automatically');
    }
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 10_000, application_name: 'sluice' });
    // An error on an idle connection (server restart) must not crash the process; the next use fails and reconnects.
    client.on('error', (err) => {
      this.log.debug({ err: pgMessage(err) }, 'PostgreSQL target connection error');
      if (this.conn === client) this.conn = null;
    });
    try {
      await client.connect();
    } catch (err) {
      void client.end().catch(() => undefined);
      const e = this.endpoint;
      const f = connectFailed(e.host, e.port, e.database, e.user, err);
      if (f.code === 'CONNECTION_FAILED') throw new SluiceError('CONNECTION_LOST', f.message, 'this is retried automatically; ' + f.fix, f.details, { cause: err });
      throw f;
    }
    try {
      await client.query(this.sessionSetup);
    } catch (err) {
      cut(client);
      throw connectionLost('session setup', err);
    }
    if (this.interrupted) {
      cut(client);
      throw new SluiceError('CONNECTION_LOST', `the PostgreSQL target connection was cut (${what})`, 'the pipeline restarts from its checkpoint automatically');
    }
    return client;
  }

  protected async connect(what: string): Promise<pg.Client> {
    if (this.conn) return this.conn;
    const client = await this.openConnection(what);
    client.on('end', () => { if (this.conn === client) this.conn = null; });
    this.conn = client;
    this.keptStages = new Set();
    return client;
  }

  /** Run `sql` (one or more statements, simple protocol); the results of each statement. */
  private static async multi(client: pg.Client, sql: string): Promise<QueryResult[]> {
    const res = (await client.query({ text: sql, types: RAW_TYPES } as pg.QueryConfig)) as unknown as QueryResult | QueryResult[];
    return Array.isArray(res) ? res : [res];
  }

  // ── ownership ───────────────────────────────────────────────────────────────────────────────

  protected async openOnce(): Promise<Checkpoint | null> {
    const client = await this.openConnection('open');
    try {
      await client.query(this.checkpoints.createSql());
      // A short lock wait: a transaction holding the row is an owner at work (PIPELINE_OWNED) or a stale one.
      const wait = Math.max(1, Math.min(5, Math.round(this.leaseSeconds / 3)));
      const res = await PostgresTarget.multi(client, `BEGIN; SET LOCAL lock_timeout = '${wait}s'; ${this.checkpoints.lockSql(this.pipeline, true)}; ${this.checkpoints.historySql(this.pipeline)}`);
      const stored = PgCheckpointTable.parseRow(res[2]?.rows[0]);
      let epoch: number;
      try {
        epoch = claimEpoch(this.pipeline, stored, this.epoch, this.explicitEpoch, this.owner);
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      const claim = stored
        ? this.checkpoints.claimSql(this.pipeline, epoch, this.owner, this.leaseSeconds)
        : this.checkpoints.insertClaimSql(this.pipeline, epoch, this.owner, this.leaseSeconds);
      await client.query(`${claim}; COMMIT`);
      const historyRows = res[3]?.rows ?? [];
      this.epoch = epoch;
      this.previousOwner = stored && stored.owner?.id !== this.owner.id ? { owner: stored.owner, epoch: stored.epoch, leaseLeft: stored.leaseLeft, self: false } : null;
      this.committed = storedPosition(stored);
      return withHistory(CheckpointTable.toCheckpoint(this.pipeline, stored ? { ...stored, epoch } : null), historyRows);
    } catch (err) {
      if (isSluiceError(err)) throw err;
      if (isConnectionError(err)) throw connectionLost('open', err);
      throw targetWriteFailed('claiming the pipeline', err);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  protected async readStoredRow(): Promise<StoredCheckpointRow | null> {
    const client = await this.connect('reading the checkpoint');
    try {
      const [res] = await PostgresTarget.multi(client, this.checkpoints.readSql(this.pipeline));
      return PgCheckpointTable.parseRow(res?.rows[0]);
    } catch (err) {
      if (sqlState(err) === '42P01' || sqlState(err) === '3F000') return null;
      throw await this.failure('reading the checkpoint', err);
    }
  }

  /** The stored checkpoint with its schema-history rows, without claiming or locking (null when none). */
  async readCheckpoint(): Promise<Checkpoint | null> {
    const client = await this.connect('reading the checkpoint');
    try {
      const res = await PostgresTarget.multi(client, `${this.checkpoints.readSql(this.pipeline, true)}; ${this.checkpoints.historySql(this.pipeline)}`);
      return withHistory(CheckpointTable.toCheckpoint(this.pipeline, PgCheckpointTable.parseRow(res[0]?.rows[0])), res[1]?.rows ?? []);
    } catch (err) {
      if (sqlState(err) === '42P01' || sqlState(err) === '3F000') return null;
      throw await this.failure('reading the checkpoint', err);
    }
  }

  /**
   * The lease of `stored`'s owner ran out but its transaction still holds the checkpoint row (a paused or
   * cut-off instance): end the sessions that block a claim (pg_terminate_backend; needs the same user,
   * pg_signal_backend or superuser).
   */
  protected async endStaleOwner(stored: StoredCheckpointRow): Promise<void> {
    const who = stored.owner ? describeInstance(stored.owner) : 'an unknown instance';
    const waiter = await this.openConnection('ending a stale owner\'s transaction');
    const probe = await this.openConnection('ending a stale owner\'s transaction').catch((err: unknown) => { cut(waiter); throw err; });
    try {
      const [pidRes] = await PostgresTarget.multi(waiter, 'SELECT pg_backend_pid()::text AS pid');
      const pid = Number(pidRes?.rows[0]?.['pid']);
      const blocked = PostgresTarget.multi(waiter, `BEGIN; SET LOCAL lock_timeout = '5s'; ${this.checkpoints.lockSql(this.pipeline)}`).catch(() => null);
      let killed: number[] = [];
      for (let i = 0; i < 40 && killed.length === 0; i++) {
        await sleep(50);
        const [res] = await PostgresTarget.multi(probe, `SELECT b::text AS pid, pg_terminate_backend(b)::text AS ok FROM unnest(pg_blocking_pids(${pid})) AS b`);
        killed = (res?.rows ?? []).filter((r) => r['ok'] === 'true').map((r) => Number(r['pid']));
        if ((res?.rows ?? []).length > 0 && killed.length === 0) break;
      }
      await blocked;
      if (killed.length > 0) {
        this.log.warn({ previousOwner: who, sessions: killed },
          `the previous owner's lease ran out while its transaction still held the checkpoint row: ended its session(s) ${killed.join(', ')}`);
      } else {
        this.log.warn({ previousOwner: who },
          'the previous owner\'s lease ran out but its transaction still holds the checkpoint row, and Sluice could not end it: grant pg_signal_backend to the target user, or end that session by hand');
      }
    } catch (err) {
      this.log.warn({ err: pgMessage(err) }, 'could not end the stale owner\'s session');
    } finally {
      await waiter.end().catch(() => undefined);
      await probe.end().catch(() => undefined);
    }
  }

  async renewLease(): Promise<boolean> {
    const client = await this.connect('renewing the lease');
    try {
      const [res] = await PostgresTarget.multi(client, `SET lock_timeout = '1s'; ${this.checkpoints.renewSql(this.pipeline, this.epoch, this.leaseSeconds)}; SET lock_timeout = 0`).then((r) => [r[1]]);
      if ((res?.rowCount ?? 0) > 0) return true;
      const stored = await this.readStoredRow();
      if (stored && stored.epoch !== this.epoch) throw fencedError(this.pipeline, stored, this.epoch);
      return false;
    } catch (err) {
      if (isLockConflict(err)) {
        await client.query('SET lock_timeout = 0').catch(() => undefined);
        return false;
      }
      throw await this.failure('renewing the lease', err);
    }
  }

  async releaseLease(): Promise<void> {
    const client = await this.connect('releasing the lease');
    try {
      await client.query(this.checkpoints.releaseSql(this.pipeline, this.epoch));
    } catch (err) {
      throw await this.failure('releasing the lease', err);
    }
  }

  /** The writers' lock of the checkpoint row (with the state only when a lost COMMIT must be recognised). */
  private writerLockSql(withState = false): string {
    return this.checkpoints.lockSql(this.pipeline, withState).replace(/FOR UPDATE$/, 'FOR NO KEY UPDATE');
  }

  // ── tables ──────────────────────────────────────────────────────────────────────────────────

  /** The cache key of a table: the same for its MySQL names and its PostgreSQL names (pgTargetName). */
  private static shapeKey(schema: string, table: string): string {
    return `${pgTargetName(schema)}\0${pgTargetName(table)}`;
  }

  /** Read the catalog shapes of `tables` (routed names) not cached yet. */
  private async loadShapes(client: pg.Client, tables: Iterable<{ database: string; table: string }>): Promise<void> {
    const missing = new Map<string, string[]>();
    for (const t of tables) {
      if (this.shapes.has(PostgresTarget.shapeKey(t.database, t.table))) continue;
      const list = missing.get(t.database) ?? [];
      if (!list.includes(t.table)) list.push(t.table);
      missing.set(t.database, list);
    }
    for (const [schema, names] of missing) {
      const [res] = await PostgresTarget.multi(client, `SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS type,
  (SELECT array_position(i.indkey::int2[], a.attnum) FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)::text AS pk,
  EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conrelid = c.oid AND f.contype = 'f')::text AS has_fk,
  EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = c.oid AND f.contype = 'f')::text AS referenced
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ${pgLiteral(pgTargetName(schema))} AND c.relname IN (${names.map((x) => pgLiteral(pgTargetName(x))).join(', ')})
  AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum`);
      const found = new Map<string, { cols: PgColumn[]; pk: Array<[number, string]>; fk: boolean; ref: boolean }>();
      for (const r of res?.rows ?? []) {
        const t = String(r['t']);
        const e = found.get(t) ?? { cols: [], pk: [], fk: r['has_fk'] === 'true', ref: r['referenced'] === 'true' };
        const col: PgColumn = { name: String(r['c']), type: String(r['type']), kind: pgKind(String(r['type'])) };
        e.cols.push(col);
        if (r['pk'] !== null && r['pk'] !== undefined) e.pk.push([Number(r['pk']), col.name]);
        found.set(t, e);
      }
      for (const name of names) {
        const e = found.get(pgTargetName(name));
        this.shapes.set(PostgresTarget.shapeKey(schema, name), e ? {
          columns: e.cols.map((c) => c.name),
          primaryKey: e.pk.sort((a, b) => a[0] - b[0]).map(([, c]) => c),
          byName: new PgColumnsByName(e.cols.map((c) => [c.name, c])),
          hasForeignKeys: e.fk,
          referenced: e.ref,
        } : null);
      }
    }
  }

  private shapeOf(schema: string, table: string): PgTableShape {
    const s = this.shapes.get(PostgresTarget.shapeKey(schema, table));
    if (!s) {
      throw new SluiceError('TARGET_TABLE_INCOMPATIBLE', `table ${schema}.${table} does not exist on the PostgreSQL target`,
        'let the pipeline create it (a snapshot creates the target tables), or create it by hand; see docs/postgres-target.md for the type mapping',
        { schema, table });
    }
    return s;
  }

  private invalidate(schema?: string, table?: string): void {
    this.referencing = null;
    this.longColumnNames.clear();
    if (schema === undefined) this.shapes.clear();
    else this.shapes.delete(PostgresTarget.shapeKey(schema, table ?? ''));
  }

  /**
   * Create the routed table from the source model (schema, columns, primary key, indexes), or check that
   * the existing one has every source column and the same primary key.
   */
  async ensureTable(source: SourceTable): Promise<'created' | 'compatible'> {
    return (await this.ensureTables([source]))[0]!;
  }

  /**
   * ensureTable for many tables: the catalog is read with one query per schema, and the missing tables are
   * created with their statements packed into a few round trips (one transaction per pack).
   */
  async ensureTables(sources: readonly SourceTable[]): Promise<Array<'created' | 'compatible'>> {
    if (sources.length === 0) return [];
    const client = await this.connect('creating tables');
    const targets = sources.map((source) => {
      const r = this.route(source.schema.database, source.schema.table);
      return { source, schema: r.database, table: r.table };
    });
    try {
      for (const t of targets) this.invalidate(t.schema, t.table);
      await this.loadShapes(client, targets.map((t) => ({ database: t.schema, table: t.table })));
      const out: Array<'created' | 'compatible'> = [];
      const create: string[][] = [];
      const queued = this.queueForeignKeys(targets);
      for (const { source, schema, table } of targets) {
        const existing = this.shapes.get(PostgresTarget.shapeKey(schema, table));
        if (!existing) {
          create.push(createTableSql(schema, table, source, (column, expression) => this.log.warn({ table: `${schema}.${table}`, column, default: expression },
            'a column default PostgreSQL cannot evaluate (a MySQL expression) is left out on the PostgreSQL table')));
          out.push('created');
          continue;
        }
        const problem = PostgresTarget.mismatch(existing, source, schema, table);
        if (problem) throw problem;
        out.push('compatible');
      }
      // Schemas first (once each), then the tables, in packs that keep a table's statements together.
      const schemas = [...new Set(create.map((c) => c[0]!))];
      if (queued.length > 0) schemas.push(`CREATE SCHEMA IF NOT EXISTS ${pgIdent(this.checkpoints.schema)}`, pendingTableSql(this.checkpoints.schema));
      const packs = packStatements([...create.map((c) => c.slice(1).join(';\n')), ...queued], this.maxBytes);
      for (const sql of [schemas.join(';\n'), ...packs]) {
        if (sql === '') continue;
        for (let attempt = 0; ; attempt++) {
          try {
            await client.query(`BEGIN;\n${sql};\nCOMMIT`);
            break;
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            // Parallel workers creating the same schema or table at once: one loses the race on the catalog.
            if (attempt < 3 && (isUniqueViolation(err) || sqlState(err) === '42P06' || sqlState(err) === '42P07')) continue;
            throw err;
          }
        }
      }
      for (const t of targets) this.invalidate(t.schema, t.table);
      if (queued.length > 0) this.pendingDone = false;
      return out;
    } catch (err) {
      throw await this.failure(`creating tables (${targets.slice(0, 3).map((t) => `${t.schema}.${t.table}`).join(', ')}${targets.length > 3 ? ', …' : ''})`, err);
    }
  }

  /** The routed tables of these source tables that do not exist on PostgreSQL. */
  async missingTables(tables: readonly TableRef[]): Promise<TableRef[]> {
    const client = await this.connect('reading the target tables');
    try {
      const routed = tables.map((t) => ({ source: t, to: this.route(t.database, t.table) }));
      for (const r of routed) this.invalidate(r.to.database, r.to.table);
      await this.loadShapes(client, routed.map((r) => r.to));
      return routed.filter((r) => !this.shapes.get(PostgresTarget.shapeKey(r.to.database, r.to.table))).map((r) => r.source);
    } catch (err) {
      throw await this.failure('reading the target tables', err);
    }
  }

  /** Why the existing routed table of `source` does not fit it (missing columns, another primary key), or null. Read-only. */
  async incompatibility(source: SourceTable): Promise<SluiceError | null> {
    const r = this.route(source.schema.database, source.schema.table);
    const client = await this.connect('reading a target table');
    try {
      this.invalidate(r.database, r.table);
      await this.loadShapes(client, [r]);
    } catch (err) {
      throw await this.failure(`reading table ${r.database}.${r.table}`, err);
    }
    const existing = this.shapes.get(PostgresTarget.shapeKey(r.database, r.table));
    return existing ? PostgresTarget.mismatch(existing, source, r.database, r.table) : null;
  }

  private static mismatch(existing: PgTableShape, source: SourceTable, schema: string, table: string): SluiceError | null {
    const missing = source.schema.columns.filter((c) => !existing.byName.has(c.name)).map((c) => c.name);
    const samePk = existing.primaryKey.join('\0') === source.schema.primaryKey.join('\0');
    if (missing.length === 0 && samePk) return null;
    return new SluiceError('TARGET_TABLE_INCOMPATIBLE',
      `PostgreSQL table ${schema}.${table} does not match source ${source.schema.database}.${source.schema.table}: `
        + [missing.length > 0 ? `missing columns ${missing.join(', ')}` : '', samePk ? '' : `primary key (${existing.primaryKey.join(', ')}) instead of (${source.schema.primaryKey.join(', ')})`].filter(Boolean).join('; '),
      'drop the PostgreSQL table (Sluice creates it again from the source) or change it to match; see docs/postgres-target.md',
      { schema, table });
  }

  async dropTableIfExists(database: string, table: string): Promise<void> {
    const client = await this.connect('dropping a table');
    try {
      await client.query(`DROP TABLE IF EXISTS ${qualified(database, table)}`);
      this.invalidate(database, table);
    } catch (err) {
      throw await this.failure(`dropping ${database}.${table}`, err);
    }
  }

  /**
   * Put each shadow copy in the place of its table (same schema), all in one transaction: readers see the
   * old tables or the new ones. Idempotent: a pair whose shadow is gone (swapped before a crash) is skipped.
   */
  async swapTables(swaps: ReadonlyArray<{ database: string; table: string; shadow: string }>): Promise<number> {
    if (swaps.length === 0) return 0;
    const client = await this.connect('swapping in re-copied tables');
    try {
      const lit = (s: string): string => pgLiteral(pgTargetName(s));
      const [res] = await PostgresTarget.multi(client, `SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND (n.nspname, c.relname) IN (${swaps.flatMap((w) => [`(${lit(w.database)}, ${lit(w.table)})`, `(${lit(w.database)}, ${lit(w.shadow)})`]).join(', ')})`);
      const present = new Set((res?.rows ?? []).map((r) => PostgresTarget.shapeKey(String(r['s']), String(r['t']))));
      const todo = swaps.filter((w) => present.has(PostgresTarget.shapeKey(w.database, w.shadow)));
      if (todo.length === 0) return 0;
      const fkAdds = await this.foreignKeysAfterSwap(client, todo.filter((w) => present.has(PostgresTarget.shapeKey(w.database, w.table))));
      // The stream is not past the new copies' chunks yet: the queued keys wait for it (the pipeline says when).
      this.enforceFks = false;
      const statements = ['BEGIN'];
      for (const w of todo) {
        // CASCADE: other tables' foreign keys to the old table go with it (re-added below, to the new copy).
        if (present.has(PostgresTarget.shapeKey(w.database, w.table))) statements.push(`DROP TABLE ${qualified(w.database, w.table)} CASCADE`);
        statements.push(`ALTER TABLE ${qualified(w.database, w.shadow)} RENAME TO ${pgIdent(w.table)}`);
        // Index names carry the table name: give the shadow's indexes the live names.
        statements.push(renameShadowIndexes(w.database, w.shadow, w.table));
      }
      statements.push(...fkAdds, 'COMMIT');
      await client.query(statements.join(';\n'));
      return todo.length;
    } catch (err) {
      throw await this.failure(`swapping in the new copies of ${swaps.map((w) => `${w.database}.${w.table}`).join(', ')}`, err);
    } finally {
      for (const w of swaps) {
        this.invalidate(w.database, w.table);
        this.invalidate(w.database, w.shadow);
      }
    }
  }

  // ── foreign keys ────────────────────────────────────────────────────────────────────────────

  /** The statements that queue the foreign keys of these tables (to copied tables; others are logged and left out). */
  private queueForeignKeys(targets: ReadonlyArray<{ source: SourceTable; schema: string; table: string }>): string[] {
    const route = this.fkRoute;
    if (!route) return [];
    const out: string[] = [];
    for (const { source, schema, table } of targets) {
      const { kept, outside } = targetForeignKeys(source, schema, table, route);
      for (const fk of outside) {
        this.log.warn({ table: `${source.schema.database}.${source.schema.table}`, foreignKey: fk.name, references: `${fk.refDatabase ?? source.schema.database}.${fk.refTable}` },
          'a foreign key to a table outside the pipeline is left out on PostgreSQL (cascades from that table are not repeated)');
      }
      out.push(...kept.map((fk) => pendingInsertSql(this.checkpoints.schema, this.pipeline, fk)));
    }
    return out;
  }

  /** The stream has passed every snapshot chunk (on) or not: queued foreign keys are added once it has. */
  enforceForeignKeys(on: boolean): void {
    this.enforceFks = on;
  }

  /** Add the queued foreign keys, removing or detaching the orphans cascades left during the copy (see foreign-keys.ts). */
  async removeForeignKeyOrphans(): Promise<{ deleted: number; nulled: number }> {
    const client = await this.connect('adding foreign keys');
    try {
      return await this.finalizeForeignKeys(client);
    } catch (err) {
      throw await this.failure('adding foreign keys', err);
    }
  }

  /** One transaction (fenced by the writer's lock): queued foreign keys added NOT VALID, orphans swept, each validated. */
  private async finalizeForeignKeys(client: pg.Client): Promise<{ deleted: number; nulled: number }> {
    const out = { deleted: 0, nulled: 0 };
    const pending = qualified(this.checkpoints.schema, 'pending_foreign_keys');
    const [exists] = await PostgresTarget.multi(client, `SELECT to_regclass(${pgLiteral(pending)})::text AS t`);
    if (exists?.rows[0]?.['t'] === null || exists?.rows[0]?.['t'] === undefined) {
      this.pendingDone = true;
      return out;
    }
    const lockRes = await PostgresTarget.multi(client, `BEGIN; ${this.writerLockSql()}`);
    try {
      this.checkOwnership(PgCheckpointTable.parseRow(lockRes[1]?.rows[0]));
      const [rows] = await PostgresTarget.multi(client, `SELECT fk FROM ${pending} WHERE pipeline = ${pgLiteral(this.pipeline)} ORDER BY schema_name, table_name, name`);
      const fks = (rows?.rows ?? []).map((r) => JSON.parse(String(r['fk'])) as PgForeignKey);
      const added: PgForeignKey[] = [];
      for (const fk of fks) {
        const [t] = await PostgresTarget.multi(client, `SELECT to_regclass(${pgLiteral(qualified(fk.schema, fk.table))})::text AS c, to_regclass(${pgLiteral(qualified(fk.refSchema, fk.refTable))})::text AS p`);
        if (t?.rows[0]?.['c'] == null || t.rows[0]['p'] == null) continue; // dropped since
        const [has] = await PostgresTarget.multi(client, constraintExistsSql(fk));
        if ((has?.rows.length ?? 0) === 0) {
          try {
            await client.query(`SAVEPOINT sluice_fk; ${addForeignKeySql(fk)}; RELEASE SAVEPOINT sluice_fk`);
          } catch (err) {
            if (isConnectionError(err)) throw err;
            await client.query('ROLLBACK TO SAVEPOINT sluice_fk');
            this.log.warn({ table: `${fk.schema}.${fk.table}`, foreignKey: fk.name, err: pgMessage(err) },
              'PostgreSQL refused a foreign key of the source (e.g. the referenced columns have no unique key there): it is left out');
            continue;
          }
        }
        added.push(fk);
      }
      // The constraints exist now: removing an orphan cascades further down, as on the source.
      for (const fk of added) {
        const sql = orphanSweepSql(fk);
        if (!sql) continue;
        const [res] = await PostgresTarget.multi(client, sql);
        if (fk.onDelete === 'CASCADE') out.deleted += res?.rowCount ?? 0;
        else out.nulled += res?.rowCount ?? 0;
      }
      // A row the sweep changed twice (orphaned under two foreign keys) is this transaction's own, so its second
      // update queues deferred checks of its other constraints, and PostgreSQL refuses VALIDATE CONSTRAINT on a
      // table with pending trigger events. Run those checks now (COMMIT would run the same ones).
      if (out.deleted + out.nulled > 0) await client.query('SET CONSTRAINTS ALL IMMEDIATE');
      for (const fk of added) {
        try {
          await client.query(`SAVEPOINT sluice_fk; ALTER TABLE ${qualified(fk.schema, fk.table)} VALIDATE CONSTRAINT ${pgIdent(fk.name)}; RELEASE SAVEPOINT sluice_fk`);
        } catch (err) {
          if (isConnectionError(err)) throw err;
          await client.query('ROLLBACK TO SAVEPOINT sluice_fk');
          this.log.warn({ table: `${fk.schema}.${fk.table}`, foreignKey: fk.name, err: pgMessage(err) },
            'rows of the source break a foreign key (written with foreign_key_checks=0?): the constraint stays NOT VALID on PostgreSQL (checked for new rows only)');
        }
      }
      await client.query(`DELETE FROM ${pending} WHERE pipeline = ${pgLiteral(this.pipeline)}; COMMIT`);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      this.invalidate();
    }
    this.pendingDone = true;
    if (out.deleted + out.nulled > 0) this.log.info({ ...out }, 'foreign keys added; child rows left by cascades during the copy removed or detached');
    return out;
  }

  /**
   * The statements that put back, after a swap, the foreign keys the dropped tables had — their own and other tables'
   * to them (DROP TABLE … CASCADE removes both; the shadow copies were made without any) — NOT VALID, as the new copy
   * is not yet consistent with the stream; they are queued too, and validated (orphans swept) once the stream has
   * passed the copy. Names stay: the copies take the dropped tables' names.
   */
  private async foreignKeysAfterSwap(client: pg.Client, live: ReadonlyArray<{ database: string; table: string; shadow: string }>): Promise<string[]> {
    if (live.length === 0) return [];
    const lit = (x: string): string => pgLiteral(pgTargetName(x));
    const pairs = live.map((w) => `(${lit(w.database)}, ${lit(w.table)})`).join(', ');
    const out: string[] = [];
    for (const fk of await PostgresTarget.catalogForeignKeys(client, `(n.nspname, c.relname) IN (${pairs}) OR (rn.nspname, rc.relname) IN (${pairs})`)) {
      out.push(addForeignKeySql(fk), pendingInsertSql(this.checkpoints.schema, this.pipeline, fk));
    }
    if (out.length === 0) return out;
    this.pendingDone = false;
    return [`CREATE SCHEMA IF NOT EXISTS ${pgIdent(this.checkpoints.schema)}`, pendingTableSql(this.checkpoints.schema), ...out];
  }

  /** The foreign-key constraints on PostgreSQL that match `where` (over con, n/c: the child, rn/rc: the parent). */
  private static async catalogForeignKeys(client: pg.Client, where: string): Promise<PgForeignKey[]> {
    const names = (rel: string, keys: string): string => `ARRAY(SELECT a.attname::text FROM unnest(con.${keys}) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.${rel} AND a.attnum = k.n ORDER BY k.o)`;
    const [res] = await PostgresTarget.multi(client, `SELECT con.conname AS name, n.nspname AS s, c.relname AS t, rn.nspname AS rs, rc.relname AS rt,
  con.confdeltype AS d, con.confupdtype AS u, array_to_json(${names('conrelid', 'conkey')})::text AS cols, array_to_json(${names('confrelid', 'confkey')})::text AS rcols
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype = 'f' AND (${where})`);
    const rule: Record<string, ReferentialAction> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
    return (res?.rows ?? []).map((r) => ({
      name: String(r['name']), schema: String(r['s']), table: String(r['t']), refSchema: String(r['rs']), refTable: String(r['rt']),
      columns: JSON.parse(String(r['cols'])) as string[], refColumns: JSON.parse(String(r['rcols'])) as string[],
      onDelete: rule[String(r['d'])] ?? 'NO ACTION', onUpdate: rule[String(r['u'])] ?? 'NO ACTION',
    }));
  }

  /**
   * Routed referenced table → the foreign keys of the pipeline that reference it: those queued until the stream has
   * passed the copy (`pending_foreign_keys`) and those PostgreSQL has (after a re-copy, or added by hand). Read once,
   * again after DDL or a table change (invalidate).
   */
  private async referencingKeys(client: pg.Client): Promise<Map<string, PgForeignKey[]>> {
    if (this.referencing) return this.referencing;
    const out = new Map<string, PgForeignKey[]>();
    const seen = new Set<string>();
    const add = (fk: PgForeignKey): void => {
      const id = `${fk.schema}\0${fk.table}\0${fk.name}`;
      if (seen.has(id)) return;
      seen.add(id);
      const k = PostgresTarget.shapeKey(fk.refSchema, fk.refTable);
      out.set(k, [...(out.get(k) ?? []), fk]);
    };
    const pending = qualified(this.checkpoints.schema, 'pending_foreign_keys');
    const [exists] = await PostgresTarget.multi(client, `SELECT to_regclass(${pgLiteral(pending)})::text AS t`);
    if (exists?.rows[0]?.['t'] != null) {
      const [rows] = await PostgresTarget.multi(client, `SELECT fk FROM ${pending} WHERE pipeline = ${pgLiteral(this.pipeline)}`);
      for (const r of rows?.rows ?? []) add(JSON.parse(String(r['fk'])) as PgForeignKey);
    }
    if (this.fkRoute) for (const fk of await PostgresTarget.catalogForeignKeys(client, 'true')) add(fk);
    this.referencing = out;
    return out;
  }

  // ── apply ───────────────────────────────────────────────────────────────────────────────────

  protected override onApplyFailed(): void {
    this.invalidate(); // a table fixed by hand before the retry is read again
  }

  protected async beginWriter(client: pg.Client, withState: boolean): Promise<StoredCheckpointRow | null> {
    const lockRes = await PostgresTarget.multi(client, `BEGIN; ${this.writerLockSql(withState)}`);
    return PgCheckpointTable.parseRow(lockRes[1]?.rows[0]);
  }

  protected override fenceSteps(): Step[] {
    return ['BEGIN', this.checkpoints.fenceSql(this.pipeline, this.epoch, this.committed)];
  }

  protected override isFenceFailure(err: unknown): boolean {
    return sqlState(err) === '22012';
  }

  protected checkpointSteps(checkpoint: Checkpoint): Step[] {
    return this.checkpoints.writeStatements(this.pipeline, checkpoint, this.epoch, this.leaseSeconds);
  }

  protected async stepsFor(client: pg.Client, sourceChanges: readonly RowChange[], strict: boolean): Promise<Step[]> {
    if (this.enforceFks && !this.pendingDone && !this.openTransaction) await this.finalizeForeignKeys(client);
    const changes = this.withPgColumnNames(sourceChanges);
    const routes = routesOf(changes, this.route);
    await this.loadShapes(client, routes.values());
    const segments = mergeChanges(changes, (db, t) => {
      const r = routes.get(`${db}\0${t}`)!;
      const shape = this.shapeOf(r.database, r.table);
      // Tables with foreign keys: changes in source order (a child never before its parent in the same statement
      // group), and a referenced row's update as UPDATE of its old key (so that ON UPDATE CASCADE follows; never
      // delete + insert, which would cascade a delete the source did not do).
      return shape.hasForeignKeys || shape.referenced ? { ...shape, inOrder: true, updateInPlace: shape.referenced } : shape;
    }, { strict, keyMoves: !this.enforceFks });
    const referencing = segments.some((seg) => seg.some((ops) => (ops.moves?.length ?? 0) > 0)) ? await this.referencingKeys(client) : new Map<string, PgForeignKey[]>();
    for (const seg of segments) {
      for (const ops of seg) {
        const r = routes.get(`${ops.database}\0${ops.table}`)!;
        for (const m of ops.moves ?? []) await this.findStaying(client, r.database, r.table, referencing.get(PostgresTarget.shapeKey(r.database, r.table)) ?? [], m);
      }
    }
    return this.buildStatements(segments, routes, referencing);
  }

  /**
   * `changes` with their rows keyed by the columns' PostgreSQL names (pgTargetName), as the catalog shapes are: only
   * the changes of tables that have a column name over 63 bytes are rebuilt; the others are passed as they are.
   */
  private withPgColumnNames(changes: readonly RowChange[]): readonly RowChange[] {
    let out: RowChange[] | null = null;
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      const key = `${c.database}\0${c.table}`;
      let long = this.longColumnNames.get(key);
      if (long === undefined) {
        long = Object.keys(c.after ?? c.before ?? {}).some((name) => pgTargetName(name) !== name);
        this.longColumnNames.set(key, long);
      }
      if (!long) {
        out?.push(c);
        continue;
      }
      out ??= changes.slice(0, i);
      const rename = (row: Row | null): Row | null => row && Object.fromEntries(Object.entries(row).map(([name, v]) => [pgTargetName(name), v]));
      out.push({ ...c, before: rename(c.before), after: rename(c.after) });
    }
    return out ?? changes;
  }

  /**
   * Run steps in order, packed into simple-protocol queries of about maxBytes of SQL each: a COPY step's statement
   * goes in the text like any other and its rows are sent right behind the query (pipelined-query.ts), so a batch —
   * fence, statements, COPYs into staging tables, checkpoint, COMMIT — is one round trip. With `commit`, COMMIT goes
   * with the last statements (and `progress.commitSent` is set before it is sent). Returns the rows the checkpoint's
   * statement changed (the last before COMMIT), when known.
   */
  protected async runSteps(client: pg.Client, steps: Iterable<Step>, commit: boolean, progress?: CommitProgress): Promise<number | null> {
    let sql: string[] = [];
    let copies: Array<() => Iterable<Buffer>> = [];
    let size = 0;
    let counts: Array<number | null> = [];
    const send = async (final: boolean): Promise<void> => {
      const withCommit = final && commit;
      if (sql.length === 0 && !withCommit) return;
      if (withCommit) {
        sql.push('COMMIT');
        if (progress) progress.commitSent = true;
      }
      const text = sql.join(';\n');
      const data = copies;
      sql = [];
      copies = [];
      size = 0;
      counts = await pipelinedQuery(client, text, data);
    };
    for (const step of steps) {
      const text = typeof step === 'string' ? step : step.copy;
      if (sql.length > 0 && size + text.length + 2 > this.maxBytes) await send(false);
      sql.push(text);
      size += text.length + 2;
      if (typeof step !== 'string') copies.push(step.data);
    }
    await send(true);
    // The last statement before COMMIT: the checkpoint's (when the round trip holds it).
    return commit && counts.length >= 2 ? counts[counts.length - 2] ?? null : null;
  }

  /** The columns of `row` the target table has (others are warned about once and not written). */
  private columnsOf(schema: string, table: string, shape: PgTableShape, row: Row): PgColumn[] {
    const out: PgColumn[] = [];
    for (const name of Object.keys(row)) {
      const c = shape.byName.get(name);
      if (c) out.push(c);
      else this.warnUnknownColumn(schema, table, name);
    }
    return out;
  }

  /** Rows grouped by the target columns they hold, in first-seen order (full images of a table: one group). */
  private byColumns(schema: string, table: string, shape: PgTableShape, rows: readonly Row[]): Array<{ cols: PgColumn[]; rows: Row[] }> {
    const groups = new Map<string, { cols: PgColumn[]; rows: Row[] }>();
    // The previous row's names: a row with exactly those (the common case) joins its group without any allocation.
    let last: { names: string[]; rows: Row[] } | null = null;
    for (const row of rows) {
      if (last !== null && hasExactly(row, last.names)) {
        last.rows.push(row);
        continue;
      }
      const cols = this.columnsOf(schema, table, shape, row);
      const id = cols.map((c) => c.name).join('\0');
      let g = groups.get(id);
      if (!g) groups.set(id, g = { cols, rows: [] });
      g.rows.push(row);
      last = { names: Object.keys(row), rows: g.rows };
    }
    return [...groups.values()];
  }

  private buildStatements(segments: Segment[], routes: Map<string, { database: string; table: string }>, referencing: Map<string, PgForeignKey[]>): Step[] {
    const out: Step[] = [];
    for (const seg of segments) {
      for (const ops of seg) {
        const r = routes.get(`${ops.database}\0${ops.table}`)!;
        for (const m of ops.moves ?? []) out.push(...this.keyMoveSteps(r.database, r.table, m, referencing.get(PostgresTarget.shapeKey(r.database, r.table)) ?? []));
        out.push(...this.tableStatements(r.database, r.table, ops));
      }
    }
    return out;
  }

  /** The child rows that keep referencing a moved key (see key-moves.ts): read now, kept in `m.staying`. */
  private async findStaying(client: pg.Client, schema: string, table: string, fks: readonly PgForeignKey[], m: KeyMoveOp): Promise<void> {
    if (m.scope.partial.length === 0) return;
    const parent = this.shapeOf(schema, table);
    for (const fk of fks) {
      if (!followsKeyUpdate(fk.onUpdate) || !fk.refColumns.every((c) => c in m.before && c in m.row)) continue;
      const child = { database: fk.schema, table: fk.table };
      let shape: PgTableShape | null = null;
      const stay = await stayingRows(m.scope, child, this.route, async () => {
        await this.loadShapes(client, [child]);
        shape = this.shapeOf(child.database, child.table);
        const pk = shape.primaryKey;
        // Without a primary key the rows cannot be told apart: they all follow.
        if (pk.length === 0) return [];
        const ref = fk.refColumns.map((c) => parent.byName.get(c));
        if (ref.some((c) => c === undefined)) return [];
        const where = fk.columns.map((c, i) => `${pgIdent(c)} = ${pgSqlLiteral(ref[i]!, m.before[ref[i]!.name] ?? null)}`);
        const [res] = await PostgresTarget.multi(client, `SELECT ${pk.map(pgIdent).join(', ')} FROM ${qualified(child.database, child.table)} WHERE ${where.join(' AND ')}`);
        return (res?.rows ?? []).map((r) => Object.fromEntries(pk.map((c) => [c, r[c] as Row[string]])));
      }, (row) => Object.fromEntries(Object.entries(row).map(([c, v]) => [c, shape?.byName.get(c)?.type === 'bytea' && typeof v === 'string' && v.startsWith('\\x') ? Buffer.from(v.slice(2), 'hex') : v])));
      if (stay && stay.length > 0) addStaying(m, child.database, child.table, stay);
    }
  }

  /**
   * A primary-key change while the stream overlaps the snapshot (TableOps.moves), each part where the move's scope
   * says so (see KeyMove): the children's references moved from the old key to the new one as the source's ON UPDATE
   * rule did (CASCADE: the new values; SET NULL: NULL) — the source's engine did that inside InnoDB, not in the binlog,
   * and the constraints that would repeat it on PostgreSQL are not there yet — but for the rows that stay (the copy
   * holds them later than the move), then the old row removed, then the new row inserted unless present. Never merged
   * with other changes of the batch: a chunk may have copied any intermediate key of a row renamed twice in one batch,
   * and each of them must go.
   */
  private keyMoveSteps(schema: string, table: string, m: KeyMoveOp, fks: readonly PgForeignKey[]): string[] {
    const shape = this.shapeOf(schema, table);
    const t = qualified(schema, table);
    const out: string[] = [];
    for (const fk of fks) {
      if (!followsKeyUpdate(fk.onUpdate)) continue;
      const ref = fk.refColumns.map((c) => shape.byName.get(c));
      if (ref.some((c) => c === undefined || !(c.name in m.before) || !(c.name in m.row))) continue;
      const cols = ref as PgColumn[];
      const old = cols.map((c) => pgSqlLiteral(c, m.before[c.name] ?? null));
      const now = cols.map((c) => pgSqlLiteral(c, m.row[c.name] ?? null));
      // Unchanged referenced columns (the key changed elsewhere) or a NULL in the old ones (MATCH SIMPLE): nothing to follow.
      if (old.every((v, i) => v === now[i]) || old.includes('NULL')) continue;
      const set = fk.columns.map((c, i) => `${pgIdent(c)} = ${fk.onUpdate === 'SET NULL' ? 'NULL' : now[i]!}`);
      const where = fk.columns.map((c, i) => `${pgIdent(c)} = ${old[i]!}`);
      // The rows the copy holds later than the move keep their reference (values as read: text, cast by PostgreSQL).
      const stay = stayingOf(m, fk.schema, fk.table);
      if (stay.length > 0) where.push(`NOT (${stay.map((k) => `(${Object.keys(k).map((c) => `${pgIdent(c)} = ${pgLiteral(String(k[c]))}`).join(' AND ')})`).join(' OR ')})`);
      out.push(`UPDATE ${qualified(fk.schema, fk.table)} SET ${set.join(', ')} WHERE ${where.join(' AND ')}`);
    }
    const pk = shape.primaryKey.map((c) => shape.byName.get(c)!);
    if (m.scope.deleteOld) out.push(`DELETE FROM ${t} WHERE ${pk.map((c) => `${pgIdent(c.name)} = ${pgSqlLiteral(c, m.from[c.name] ?? null)}`).join(' AND ')}`);
    const cols = this.columnsOf(schema, table, shape, m.row);
    if (m.scope.insertNew) out.push(...this.insertStatements(t, cols, [m.row], ` ON CONFLICT (${pk.map((c) => pgIdent(c.name)).join(', ')}) DO NOTHING`));
    return out;
  }

  /** Statements for one table's operations within a segment: deletes, patches, upserts, then ordered ops. */
  private tableStatements(schema: string, table: string, ops: TableOps): Step[] {
    const shape = this.shapeOf(schema, table);
    const t = qualified(schema, table);
    const pk = shape.primaryKey.map((c) => shape.byName.get(c)!);
    const out: Step[] = [];
    const keyCond = (key: Row): string => pk.map((c) => `${pgIdent(c.name)} = ${pgSqlLiteral(c, key[c.name] ?? null)}`).join(' AND ');
    for (let i = 0; i < ops.deletes.length; i += this.maxRows) {
      const part = ops.deletes.slice(i, i + this.maxRows);
      if (pk.length === 1) out.push(`DELETE FROM ${t} WHERE ${pgIdent(pk[0]!.name)} IN (${part.map((k) => pgSqlLiteral(pk[0]!, k[pk[0]!.name] ?? null)).join(', ')})`);
      else out.push(`DELETE FROM ${t} WHERE ${part.map((k) => `(${keyCond(k)})`).join(' OR ')}`);
    }
    for (const p of ops.patches) {
      const cols = this.columnsOf(schema, table, shape, p.set);
      if (cols.length === 0) continue;
      out.push(`UPDATE ${t} SET ${cols.map((c) => `${pgIdent(c.name)} = ${pgSqlLiteral(c, p.set[c.name]!)}`).join(', ')} WHERE ${keyCond(p.key)}`);
    }
    // Upserts, grouped by their column set (full images all have the same one).
    for (const { cols, rows } of this.byColumns(schema, table, shape, ops.upserts)) {
      const nonKey = cols.filter((c) => !shape.primaryKey.includes(c.name));
      const conflict = pk.length === 0 ? ''
        : nonKey.length === 0 ? ` ON CONFLICT (${pk.map((c) => pgIdent(c.name)).join(', ')}) DO NOTHING`
          : ` ON CONFLICT (${pk.map((c) => pgIdent(c.name)).join(', ')}) DO UPDATE SET ${nonKey.map((c) => `${pgIdent(c.name)} = EXCLUDED.${pgIdent(c.name)}`).join(', ')}`;
      if (rows.length >= STAGE_MIN_ROWS && pk.length > 0) {
        // Many rows: COPY them into a temporary table, then one INSERT … SELECT … ON CONFLICT. The temporary table is
        // kept by the connection for the next batches (no catalog rows made and removed per batch), emptied at COMMIT
        // and before each use (a table written twice in one transaction); named after the columns and their types.
        const colList = cols.map((c) => pgIdent(c.name)).join(', ');
        const kept = pgIdent(`sluice_keep_${fnv1a32(`${schema}\0${table}\0${cols.map((c) => `${c.name}\0${c.type}`).join('\0')}`).toString(16)}`);
        const keep = this.keptStages.has(kept) || this.keptStages.size < MAX_KEPT_STAGES;
        const stage = keep ? kept : pgIdent(`sluice_stage_${++this.stageSeq}`);
        if (keep) {
          this.keptStages.add(kept);
          out.push(`CREATE TEMP TABLE IF NOT EXISTS ${stage} ON COMMIT DELETE ROWS AS SELECT ${colList} FROM ${t} WITH NO DATA`, `DELETE FROM ${stage}`);
        } else {
          out.push(`CREATE TEMP TABLE ${stage} ON COMMIT DROP AS SELECT ${colList} FROM ${t} WITH NO DATA`);
        }
        out.push({ copy: `COPY ${stage} (${colList}) FROM STDIN`, data: () => copyRowBuffers(cols, rows) });
        out.push(`INSERT INTO ${t} (${colList}) SELECT ${colList} FROM ${stage}${conflict}`);
        if (!keep) out.push(`DROP TABLE ${stage}`);
      } else {
        out.push(...this.insertStatements(t, cols, rows, conflict));
      }
    }
    // Tables without a primary key: full-row match, one row at a time (ctid), in source order.
    let inserts: Row[] = [];
    const flushInserts = (): void => {
      if (inserts.length === 0) return;
      for (const { cols, rows } of this.byColumns(schema, table, shape, inserts)) out.push(...this.insertStatements(t, cols, rows, ''));
      inserts = [];
    };
    for (const op of ops.ordered) {
      if (op.kind === 'insert') {
        inserts.push(op.row);
        continue;
      }
      flushInserts();
      const matchCols = this.columnsOf(schema, table, shape, op.match);
      const cond = matchCols.map((c) => `${pgIdent(c.name)} IS NOT DISTINCT FROM ${pgSqlLiteral(c, op.match[c.name]!)}`).join(' AND ');
      const one = `ctid = (SELECT ctid FROM ${t} WHERE ${cond || 'true'} LIMIT 1)`;
      if (op.kind === 'delete') {
        out.push(`DELETE FROM ${t} WHERE ${one}`);
      } else {
        const setCols = this.columnsOf(schema, table, shape, op.set);
        if (setCols.length > 0) out.push(`UPDATE ${t} SET ${setCols.map((c) => `${pgIdent(c.name)} = ${pgSqlLiteral(c, op.set[c.name]!)}`).join(', ')} WHERE ${one}`);
      }
    }
    flushInserts();
    return out;
  }

  /** Multi-row INSERTs of at most maxRows rows and about maxBytes each. */
  private insertStatements(t: string, cols: readonly PgColumn[], rows: readonly Row[], suffix: string): string[] {
    const out: string[] = [];
    const head = `INSERT INTO ${t} (${cols.map((c) => pgIdent(c.name)).join(', ')}) VALUES `;
    let tuples: string[] = [];
    let size = head.length;
    for (const row of rows) {
      const tuple = `(${cols.map((c) => pgSqlLiteral(c, row[c.name] ?? null)).join(', ')})`;
      if (tuples.length > 0 && (tuples.length >= this.maxRows || size + tuple.length > this.maxBytes)) {
        out.push(head + tuples.join(', ') + suffix);
        tuples = [];
        size = head.length;
      }
      tuples.push(tuple);
      size += tuple.length + 2;
    }
    if (tuples.length > 0) out.push(head + tuples.join(', ') + suffix);
    return out;
  }

  // ── DDL ─────────────────────────────────────────────────────────────────────────────────────

  /** Translate the DDL (refused with DDL_UNSUPPORTED when it cannot be), run it and store the checkpoint, in one transaction. */
  async applyDdl(ddl: DdlChange, checkpoint: Checkpoint): Promise<void> {
    const client = await this.connect('applyDdl');
    try {
      // Current types of the tables an ALTER changes (to skip a type change that changes nothing).
      const touched = ddl.ast?.kind === 'alter_table' ? [this.route(ddl.ast.table.database, ddl.ast.table.table)] : [];
      this.invalidate();
      await this.loadShapes(client, touched);
      const fkRoute = this.fkRoute;
      const statements = translateDdl(ddl, {
        route: this.route,
        currentType: (schema, table, column) => this.shapes.get(PostgresTarget.shapeKey(schema, table))?.byName.get(column)?.type,
        ...(fkRoute ? { foreignKeys: {
          route: fkRoute,
          queue: (fk: PgForeignKey) => pendingInsertSql(this.checkpoints.schema, this.pipeline, fk),
          drop: (schema: string, table: string, name: string) => pendingDeleteSql(this.checkpoints.schema, this.pipeline, schema, table, name),
        } } : {}),
      });
      if (fkRoute && statements.length > 0) {
        // Before the DDL's transaction, on its own: another pipeline into this database applying the same
        // source DDL creates the table at the same moment, and IF NOT EXISTS does not keep the loser from
        // failing on the catalog (then it is there: once more).
        await PostgresTarget.createRacing(client, `CREATE SCHEMA IF NOT EXISTS ${pgIdent(this.checkpoints.schema)}; ${pendingTableSql(this.checkpoints.schema)}`);
        this.pendingDone = false;
      }
      const lockRes = await PostgresTarget.multi(client, `BEGIN; ${this.writerLockSql()}`);
      this.checkOwnership(PgCheckpointTable.parseRow(lockRes[1]?.rows[0]), true);
      for (const sql of statements) await client.query(sql);
      await client.query(`${this.checkpoints.writeStatements(this.pipeline, checkpoint, this.epoch, this.leaseSeconds).join(';\n')}; COMMIT`);
      this.committed = checkpoint.position;
      if (statements.length > 0) this.log.info({ statements: statements.length }, 'DDL translated and applied on the PostgreSQL target');
    } catch (err) {
      const known = await this.ddlFailure(err);
      if (known) throw known;
      throw new SluiceError('DDL_FAILED', `the PostgreSQL target rejected the translation of \`${ddl.sql.slice(0, 200)}\`: ${pgMessage(err)}`,
        'change the PostgreSQL table by hand to match the source, then set `ddl: ignore` for this pipeline or re-snapshot the table',
        { sqlState: sqlState(err), database: ddl.database }, { cause: err });
    } finally {
      this.invalidate();
    }
  }

  /** Run `sql` (CREATE … IF NOT EXISTS, outside a transaction) again when it lost a race with a concurrent creator. */
  private static async createRacing(client: pg.Client, sql: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (err) {
        if (attempt < 3 && PG_DRIVER.isCatalogRace(err)) continue;
        throw err;
      }
    }
  }

  // ── snapshot ────────────────────────────────────────────────────────────────────────────────

  /** Create the chunk progress table (idempotent); read the shapes of the `tables` about to be copied together. */
  async prepareSnapshot(tables?: readonly TableRef[]): Promise<void> {
    const client = await this.connect('preparing the snapshot');
    try {
      await PostgresTarget.createRacing(client, `CREATE SCHEMA IF NOT EXISTS ${pgIdent(this.checkpoints.schema)}; ${this.checkpoints.chunkTableSql()}`);
      if (tables) await this.loadShapes(client, tables.map((t) => this.route(t.database, t.table)));
    } catch (err) {
      throw await this.failure('preparing the snapshot', err);
    }
  }

  async snapshotChunksDone(): Promise<ChunkDone[]> {
    const client = await this.connect('reading snapshot progress');
    try {
      const [res] = await PostgresTarget.multi(client, this.checkpoints.chunksSql(this.pipeline));
      return (res?.rows ?? []).map((r) => ({ database: String(r['db']), table: String(r['tbl']), index: Number(r['idx']), file: String(r['file']), pos: Number(r['pos']), rows: Number(r['rows_copied']) }));
    } catch (err) {
      throw await this.failure('reading snapshot progress', err);
    }
  }

  async clearSnapshotChunks(): Promise<void> {
    const client = await this.connect('clearing snapshot progress');
    try {
      await client.query(this.checkpoints.clearChunksSql(this.pipeline));
    } catch (err) {
      throw await this.failure('clearing snapshot progress', err);
    }
  }

  /**
   * One chunk in one transaction: a key-share lock on the checkpoint row (fencing), COPY of the rows, the
   * progress row. Rows already on the target (the stream got there first, or a retried chunk of a re-copy)
   * make the COPY fail with a unique violation: then the chunk goes through a temporary table and
   * INSERT … ON CONFLICT DO UPDATE (the chunk's rows win, as REPLACE does on the MySQL target).
   *
   * A chunk given as COPY text printed by the source (`sourceText`, format `pg-copy`; see copy-select.ts) is
   * forwarded as it is. It is declined (nothing written; the pipeline sends the typed cells) when the target table's
   * columns are not the types the text was printed for, or PostgreSQL rejects a value of it.
   */
  async applySnapshotChunk(chunk: SnapshotChunk): Promise<void> {
    const text = chunk.sourceText;
    if (text && text.format !== 'pg-copy') throw sourceTextDeclined(chunk.database, chunk.table, true);
    const client = await this.connect('snapshot');
    const r = this.route(chunk.database, chunk.table);
    const table = r.table;
    const count = text ? text.rows : chunk.rows.length;
    try {
      await this.loadShapes(client, [{ database: r.database, table }]);
      const shape = this.shapeOf(r.database, table);
      let cols: PgColumn[];
      let feed: () => Iterable<Buffer>;
      if (text) {
        const matching = text.columns.map((c) => shape.byName.get(c.name)).filter((c, i): c is PgColumn => c !== undefined && sameType(c, text.columns[i]!.pgType));
        if (matching.length !== text.columns.length) throw sourceTextDeclined(chunk.database, chunk.table, false);
        cols = matching;
        feed = () => [text.data];
      } else {
        const idx: number[] = [];
        cols = [];
        chunk.columns.forEach((name, i) => {
          const c = shape.byName.get(name);
          if (c) { idx.push(i); cols.push(c); } else this.warnUnknownColumn(r.database, table, name);
        });
        const rows = idx.length === chunk.columns.length ? chunk.rows : chunk.rows.map((row) => idx.map((i) => row[i] ?? null));
        feed = () => copyBuffers(cols, rows);
      }
      const savepoint = shape.primaryKey.length > 0 ? '; SAVEPOINT sluice_chunk' : '';
      const lockRes = await PostgresTarget.multi(client, `BEGIN; ${this.checkpoints.shareSql(this.pipeline).replace(/FOR SHARE$/, 'FOR KEY SHARE')}${savepoint}`);
      const stored = PgCheckpointTable.parseRow(lockRes[1]?.rows[0]);
      if (!stored || stored.epoch !== this.epoch) {
        throw fencedError(this.pipeline, stored ?? { epoch: 0, file: '', pos: 0, gtidSet: null, state: null, updatedAt: null, owner: null, ownerSince: null, leaseLeft: 0 }, this.epoch);
      }
      const t = qualified(r.database, table);
      const colList = cols.map((c) => pgIdent(c.name)).join(', ');
      try {
        try {
          await copyFeed(client, `COPY ${t} (${colList}) FROM STDIN`, feed());
        } catch (err) {
          if (!isUniqueViolation(err) || shape.primaryKey.length === 0) throw err;
          await client.query('ROLLBACK TO SAVEPOINT sluice_chunk');
          const stage = pgIdent(`sluice_stage_${fnv1a32(`${r.database}.${table}`).toString(16)}`);
          await client.query(`CREATE TEMP TABLE ${stage} ON COMMIT DROP AS SELECT ${colList} FROM ${t} WITH NO DATA`);
          await copyFeed(client, `COPY ${stage} (${colList}) FROM STDIN`, feed());
          const nonKey = cols.filter((c) => !shape.primaryKey.includes(c.name));
          const action = nonKey.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${nonKey.map((c) => `${pgIdent(c.name)} = EXCLUDED.${pgIdent(c.name)}`).join(', ')}`;
          await client.query(`INSERT INTO ${t} (${colList}) SELECT ${colList} FROM ${stage} ON CONFLICT (${shape.primaryKey.map(pgIdent).join(', ')}) ${action}`);
        }
      } catch (err) {
        // A value of the source's text PostgreSQL refuses: the typed path writes the chunk, or says exactly what is wrong.
        if (!text || isConnectionError(err) || isLockConflict(err) || isSluiceError(err)) throw err;
        this.log.warn({ table: `${r.database}.${table}`, chunk: chunk.index, why: pgMessage(err) },
          'a snapshot chunk did not load as the source printed it: it is written from typed values instead');
        throw sourceTextDeclined(chunk.database, chunk.table, false);
      }
      await client.query(`${this.checkpoints.chunkDoneSql(this.pipeline, { database: chunk.database, table: chunk.table, index: chunk.index, file: chunk.position.file, pos: chunk.position.pos, rows: count })}; COMMIT`);
    } catch (err) {
      // The table may be fixed by hand before the retry (e.g. a column made bytea): read its shape again then.
      this.invalidate(r.database, table);
      throw await this.chunkFailure(err, `a snapshot chunk of ${r.database}.${table} (${count} rows)`);
    }
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────

  /** The backend process id of this target's connection (tests cut it with pg_terminate_backend). */
  async backendPid(): Promise<number> {
    const client = await this.connect('reading the backend pid');
    const [res] = await PostgresTarget.multi(client, 'SELECT pg_backend_pid()::text AS pid');
    return Number(res?.rows[0]?.['pid']);
  }
}

/** `row` has exactly these property names, in this order (no array made). */
function hasExactly(row: Row, names: readonly string[]): boolean {
  let i = 0;
  for (const k in row) {
    if (k !== names[i]) return false;
    i++;
  }
  return i === names.length;
}

/** The checkpoint with its schema-history rows attached (when there are any). */
function withHistory(cp: Checkpoint | null, rows: ReadonlyArray<Record<string, unknown>>): Checkpoint | null {
  if (cp === null) return null;
  const history = CheckpointTable.toHistory(rows as Parameters<typeof CheckpointTable.toHistory>[0]);
  return history ? { ...cp, history } : cp;
}

/** Close a client's socket at once (pending queries fail); `end()` would wait for them. */
function cut(client: pg.Client): void {
  try {
    client.connection.stream.destroy();
  } catch { /* already gone */ }
  void client.end().catch(() => undefined);
}

/** COPY text (buffers of whole or partial lines) into a table through pg-copy-streams. */
async function copyFeed(client: pg.Client, sql: string, data: Iterable<Buffer>): Promise<void> {
  const stream = client.query(copyFrom(sql));
  await streamPipeline(Readable.from(data), stream);
}

/** The target column has the type a COPY text field was printed for (pgColumnType; compared as the catalog prints it). */
function sameType(col: PgColumn, pgType: string): boolean {
  const kind = pgKind(pgType);
  if (kind !== col.kind) return false;
  return kind !== 'bit' || bitWidth(pgType) === bitWidth(col.type);
}

/** Rename the indexes of `shadow` (named `shadow__x`) to the live table's names (`table__x`), by a DO block over the catalog. */
function renameShadowIndexes(schema: string, shadow: string, table: string): string {
  const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  [schema, shadow, table] = [schema, shadow, table].map(pgTargetName) as [string, string, string];
  return `DO $sluice$ DECLARE r record; BEGIN
FOR r IN SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ${lit(schema)} AND c.relname = ${lit(table)} AND NOT x.indisprimary AND left(i.relname, ${shadow.length + 2}) = ${lit(shadow + '__')} LOOP
  EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', ${lit(schema)}, r.relname, left(${lit(table + '__')} || substr(r.relname, ${shadow.length + 3}), 63));
END LOOP; END $sluice$`;
}

/** Host, port, database and user of a postgres:// URL (for messages; never the password). */
export function parsePostgresUrl(url: string): { host: string; port: number; database: string; user: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SluiceError('BAD_CONFIG', 'the PostgreSQL target URL is not a URL', 'write it as postgres://user:password@host:5432/database');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new SluiceError('BAD_CONFIG', `the PostgreSQL target URL starts with ${u.protocol}//`, 'write it as postgres://user:password@host:5432/database');
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '') throw new SluiceError('BAD_CONFIG', 'the PostgreSQL target URL names no database', 'add it: postgres://user:password@host:5432/database');
  return { host: u.hostname || 'localhost', port: u.port ? Number(u.port) : 5432, database, user: decodeURIComponent(u.username) || 'postgres' };
}

/** The shadow-table name for a re-copy of `table` ('new') — within PostgreSQL's 63-byte limit, distinct per table. */
export function pgShadowTableName(table: string): string {
  return `${table.slice(0, 30)}__sluice_new_${fnv1a32(table).toString(16).padStart(8, '0')}`;
}
