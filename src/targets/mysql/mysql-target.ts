/**
 * The MySQL/MariaDB target (`Target`, targets/target.ts): applies batches of whole source transactions as one target transaction
 * together with the pipeline's checkpoint row (exactly-once), refuses to write when a newer epoch
 * owns the pipeline (fencing), applies DDL, and creates target tables like the source's.
 *
 * A batch transaction, in round trips:
 *   1. `START TRANSACTION; SELECT … FROM checkpoints WHERE pipeline=? FOR UPDATE` → epoch check
 *   2. the data statements, packed into multi-statement queries of up to maxStatementBytes
 *   3. (packed with the last data) `UPDATE checkpoints …; COMMIT`
 * Deadlocks and lock wait timeouts are retried inside with backoff; a unique-key conflict from a
 * merged batch (possible only with partial row images) is retried once without merging. A lost
 * connection raises CONNECTION_LOST: call `apply` again with the same batch — the target reconnects
 * and, if the lost COMMIT did land, recognises its checkpoint and does not apply the batch twice.
 */
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { format } from 'mysql2';
import { SluiceError, isSluiceError } from '../../errors.js';
import { createLogger, type Logger } from '../../log.js';
import { classifyStatement, type DdlAction } from '../../mysql/schema/ddl.js';
import type { Position, RowChange } from '../../core/types.js';
import type { Cell, Row } from '../../core/cell.js';
import type { MysqlConnectionOptions } from '../../mysql/mysql-url.js';
import { parseMysqlUrl } from '../../mysql/mysql-url.js';
import { abortConnection, connectMysql, endWithin } from '../../mysql/connection.js';
import { mergeChanges, type KeyMoveOp, type Segment, type TableOps, type TableShape } from '../merge-changes.js';
import { addStaying, followsKeyUpdate, stayingRows } from '../key-moves.js';
import { routeToDatabase, shadowTableName, type Checkpoint, type ChunkDone, type DdlChange, type SnapshotChunk, sourceTextDeclined, type SourceTable, type TableRef, type TableRouter, type Target, type TargetCapabilities } from '../target.js';
import { SqlTargetBase, type CommitProgress, type SqlDriver } from '../sql-target-base.js';
import { packStatementsLazily, routesOf } from '../ownership.js';
import { CheckpointTable, FENCE_ERRNO, fencedError, ownedError, type StoredCheckpointRow } from './checkpoint-table.js';
import { describeInstance, isKnownDead, type InstanceInfo } from '../../instance.js';
import { endBlockingTransactions } from './stale-owner.js';
import { forwardedAlterSql, forwardedCreateSql } from './create-table-like.js';
import { planEnsureTables, runSpread } from './ensure-tables.js';
import { rewriteDdl } from './ddl-rewrite.js';
import { foreignKeysOf, repointForeignKeys } from './foreign-key-repoint.js';
import { renderForeignKey } from '../../mysql/schema/create-table-render.js';
import type { ForeignKeyAst } from '../../mysql/schema/ddl-ast.js';
import { removeForeignKeyOrphans, type OrphanSweep } from './foreign-key-orphans.js';
import { connectionLost, errnoOf, isConnectionError, isDuplicateKey, isLockConflict, serverMessage, targetWriteFailed } from './mysql-errors.js';
import { buildTableStatements, type StatementLimits } from './statements.js';
import { TableShapeCache, type TargetTableInfo } from './table-shapes.js';
import { isLoadDataRefused, loadDataRefused, loadQuotedPacketsAfter, loadQuotedText, loadRows, serverAllowsLocalInfile, type LoadResult } from './load-data.js';
import type { LoadDataPackets } from '../../mysql/load-data-packets.js';
import { quoteId, sqlLiteral } from './sql-literal.js';
import { compoundBlocks, supportsCompoundBlocks } from './compound-blocks.js';

/**
 * Most bytes of SQL per compound block: a typical stream batch at thousands of tables (≤ 100 single-row
 * statements, ~7 KB) is one block, and a packed group's 64 KiB query (PACKED_QUERY_BYTES) holds several.
 */
const COMPOUND_BLOCK_BYTES = 16 * 1024;

export interface MysqlTargetOptions {
  /** Pipeline name: the checkpoint row's key. */
  pipeline: string;
  /** Target connection: options or a `mysql://user:pass@host:port` URL. */
  connection: MysqlConnectionOptions | string;
  /**
   * Fencing epoch. Without it, `open()` claims the pipeline with the next epoch (stored + 1) for this
   * instance, refusing (PIPELINE_OWNED) while another live instance holds the lease. With it (a token
   * handed out by a coordinator), `open()` claims exactly this epoch and is FENCED when the stored one
   * is newer. A target that is not opened (a snapshot worker) writes with this epoch.
   */
  epoch?: number;
  /** Seconds of ownership each write or renewal grants (default 15). */
  leaseSeconds?: number;
  /** The owning instance recorded with the claim (default: this process). */
  owner?: InstanceInfo;
  /** Database of the checkpoint table (default `_sluice`). */
  checkpointDatabase?: string;
  /** Source table → target table; default: `targetDatabase ?? db`.`table`. */
  route?: TableRouter;
  /** Shorthand for `route: routeToDatabase(targetDatabase)`. */
  targetDatabase?: string;
  /**
   * The source tables the pipeline copies: a created target table keeps its foreign keys to these (routed),
   * and drops the others. Without it, target tables are created without foreign keys.
   */
  foreignKeyScope?: (database: string, table: string) => boolean;
  /** Most bytes of SQL per statement / round trip (default 4 MiB; capped below max_allowed_packet). */
  maxStatementBytes?: number;
  /** Most rows per multi-row statement (default 5000). */
  maxRowsPerStatement?: number;
  /**
   * Target table shapes shared by the targets of one pipeline (snapshot workers, the stream's target): read once
   * from information_schema, which costs seconds per thousand tables on a target holding many.
   */
  shapes?: TableShapeCache;
  /** Connections that create target tables at once in `ensureTables` (default 4). */
  parallelism?: number;
  /** Retries of a transaction after a deadlock or lock wait timeout (default 5). */
  lockRetries?: number;
  /** `innodb_lock_wait_timeout` of this target's session, in seconds (default: the server's). */
  lockWaitSeconds?: number;
  logger?: Logger;
}

/**
 * Session settings for applying: UTC for TIMESTAMP text; strict (a value the target cannot hold is an
 * error, never a silent truncation) but accepting zero and invalid dates as the source stored them;
 * an explicit 0 in an AUTO_INCREMENT column stays 0; no foreign-key checks (snapshot chunks arrive in any
 * order; the stream turns them on once it has passed the snapshot, see enforceForeignKeys); `@sluice_writer`
 * marks the session as Sluice's for the read-only guard (verify/guard.ts).
 */
const SESSION_SETUP =
  "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION', foreign_key_checks = 0, autocommit = 1, @sluice_writer = 1";

/** Errors that mean a DDL statement was already applied (a re-run after a crash), per action. */
const ALREADY_APPLIED: Partial<Record<DdlAction, readonly number[]>> = {
  create_table: [1050],
  drop_table: [1051],
  // ALTER is atomic: duplicate column / key / FK, can't drop missing column or key, rename target exists
  alter_table: [1060, 1061, 1826, 1091, 1050],
  rename_table: [1050, 1146],
  truncate_table: [],
  create_index: [1061],
  drop_index: [1091],
  create_database: [1007],
  drop_database: [1008],
};

/** mysql2 as SqlTargetBase needs it (the socket is cut with abortConnection: destroy() only half-closes). */
const MYSQL_DRIVER: SqlDriver<Connection> = {
  name: 'the target',
  cut: abortConnection,
  endWithin,
  rollback: (conn) => conn.query('ROLLBACK'),
  isConnectionError,
  isLockConflict,
  isLockWaitTimeout: (err) => errnoOf(err) === 1205,
  isCatalogRace: () => false,
  abortsLargeTransaction: isLockConflict,
  isUniqueViolation: isDuplicateKey,
  connectionLost,
  targetWriteFailed: (what, err) => targetWriteFailed(what, err),
  message: serverMessage,
  details: (err) => ({ errno: errnoOf(err) }),
};

/** What a MySQL/MariaDB target does: everything, with the source's DDL run as is (routed). */
export const MYSQL_CAPABILITIES: TargetCapabilities = {
  transactionalCheckpoint: true, bulkLoad: false, shadowSwap: true, ddl: 'native', foreignKeys: true, generatedColumns: 'computed', sourceText: 'load-data',
};

export class MysqlTarget extends SqlTargetBase<Connection, string> implements Target {
  readonly kind = 'mysql';
  readonly capabilities = MYSQL_CAPABILITIES;
  readonly checkpoints: CheckpointTable;
  private readonly lockWaitSeconds: number | undefined;
  private readonly route: TableRouter;
  private readonly connOpts: MysqlConnectionOptions;
  private readonly limits: StatementLimits;
  private readonly shapes: TableShapeCache;
  private maxPacket = 16 * 1024 * 1024;
  /** The target runs MariaDB's `BEGIN NOT ATOMIC … END` (see compound-blocks.ts): a batch's row statements go in blocks. */
  private compound = false;
  private readonly foreignKeyScope: ((database: string, table: string) => boolean) | undefined;
  /** Apply with foreign_key_checks=1 (the target's engine repeats cascades); see enforceForeignKeys. */
  private enforceFks = false;
  /** foreign_key_checks of the current connection's session (null: unknown, set it before the next use). */
  private sessionFks: boolean | null = false;
  /** Snapshot chunks go through LOAD DATA LOCAL (null: the target's local_infile not checked yet). */
  private loadData: boolean | null = null;

  private readonly parallelism: number;

  constructor(opts: MysqlTargetOptions) {
    super(MYSQL_DRIVER, { ...opts, logger: opts.logger ?? createLogger('sluice.target.mysql') });
    this.lockWaitSeconds = opts.lockWaitSeconds;
    this.checkpoints = new CheckpointTable(opts.checkpointDatabase ?? '_sluice');
    this.route = opts.route ?? routeToDatabase(opts.targetDatabase);
    this.foreignKeyScope = opts.foreignKeyScope;
    this.shapes = opts.shapes ?? new TableShapeCache();
    if (typeof opts.connection === 'string') {
      const parsed = parseMysqlUrl(opts.connection);
      if (!parsed.ok) throw new SluiceError('BAD_ARGUMENT', `target URL: ${parsed.message}`, parsed.fix);
      this.connOpts = parsed.value;
    } else {
      this.connOpts = opts.connection;
    }
    this.limits = { maxBytes: opts.maxStatementBytes ?? 4 * 1024 * 1024, maxRows: opts.maxRowsPerStatement ?? 5000 };
    this.parallelism = Math.max(1, opts.parallelism ?? 4);
  }

  protected async readStoredRow(): Promise<StoredCheckpointRow | null> {
    const conn = await this.connect('reading the checkpoint');
    try {
      const [rows] = await conn.query<RowDataPacket[]>(this.checkpoints.readSql(this.pipeline));
      return CheckpointTable.parseRow(rows[0]);
    } catch (err) {
      throw await this.failure('reading the checkpoint', err);
    }
  }

  /** The lease of `stored`'s owner ran out but its transaction still holds the row: end that transaction. */
  protected async endStaleOwner(stored: StoredCheckpointRow): Promise<void> {
    const who = stored.owner ? describeInstance(stored.owner) : 'an unknown instance';
    const waiter = await this.openConnection('ending a stale owner\'s transaction');
    const probe = await this.openConnection('ending a stale owner\'s transaction').catch(async (err: unknown) => {
      abortConnection(waiter);
      throw err;
    });
    try {
      const outcome = await endBlockingTransactions(waiter, probe, this.checkpoints.lockSql(this.pipeline));
      if (outcome.killed.length > 0) {
        this.log.warn({ previousOwner: who, connections: outcome.killed },
          `the previous owner's lease ran out while its transaction still held the checkpoint row (a paused or cut-off instance?): ended its connection(s) ${outcome.killed.join(', ')}`);
      } else {
        this.log.warn({ previousOwner: who, problem: outcome.problem },
          `the previous owner's lease ran out but its transaction still holds the checkpoint row, and Sluice could not end it (${outcome.problem}): grant PROCESS to the target user, or end that instance or its connection by hand`);
      }
    } finally {
      await endWithin(waiter, 500);
      await endWithin(probe, 500);
    }
  }

  protected async openOnce(): Promise<Checkpoint | null> {
    // A connection of its own: the claim runs with a short lock wait that the writes must not inherit.
    const conn = await this.openConnection('open');
    try {
      for (const sql of this.checkpoints.createSql()) await conn.query(sql);
      const [cols] = await conn.query<RowDataPacket[]>(this.checkpoints.columnsSql());
      const upgrade = this.checkpoints.upgradeSql(new Set(cols.map((r) => String(r.c))));
      if (upgrade) await conn.query(upgrade);
      // A short lock wait: a transaction holding the row is an owner at work (then PIPELINE_OWNED), or a
      // stale owner's whose lease ran out (then it is ended, see open()).
      // With a coordinator's epoch a held row is a stale owner's (or a commit finishing): wait briefly.
      const lockWait = this.explicitEpoch ? 2 : Math.max(1, Math.min(5, Math.round(this.leaseSeconds / 3)));
      await conn.query(`SET SESSION innodb_lock_wait_timeout = ${lockWait}; START TRANSACTION`);
      const [rows] = await conn.query<RowDataPacket[]>(this.checkpoints.lockSql(this.pipeline, true));
      const stored = CheckpointTable.parseRow(rows[0]);
      let epoch = this.epoch;
      if (this.explicitEpoch) {
        if (stored && stored.epoch > epoch) {
          await conn.query('ROLLBACK');
          throw fencedError(this.pipeline, stored, epoch);
        }
      } else {
        if (stored && stored.leaseLeft > 0 && stored.owner && stored.owner.id !== this.owner.id && !isKnownDead(stored.owner)) {
          await conn.query('ROLLBACK');
          throw ownedError(this.pipeline, stored);
        }
        epoch = stored ? stored.epoch + 1 : Math.max(epoch, 1);
      }
      const [historyRows] = await conn.query<RowDataPacket[]>(this.checkpoints.historySql(this.pipeline));
      if (!stored) await conn.query(this.checkpoints.insertClaimSql(this.pipeline, epoch, this.owner, this.leaseSeconds));
      else await conn.query(this.checkpoints.claimSql(this.pipeline, epoch, this.owner, this.leaseSeconds));
      await conn.query('COMMIT');
      this.epoch = epoch;
      this.previousOwner = stored && stored.owner?.id !== this.owner.id ? { owner: stored.owner, epoch: stored.epoch, leaseLeft: stored.leaseLeft, self: false } : null;
      this.committed = stored && stored.file !== '' ? { file: stored.file, pos: stored.pos, ...(stored.gtidSet !== null ? { gtidSet: stored.gtidSet } : {}) } : null;
      return withHistory(CheckpointTable.toCheckpoint(this.pipeline, stored ? { ...stored, epoch } : null), historyRows);
    } catch (err) {
      if (isSluiceError(err)) throw err;
      if (isConnectionError(err)) throw connectionLost('open', err);
      throw targetWriteFailed('open', err);
    } finally {
      await endWithin(conn, 1000);
    }
  }

  /** The stored checkpoint, without claiming or locking. */
  async readCheckpoint(): Promise<Checkpoint | null> {
    const conn = await this.connect('reading the checkpoint');
    try {
      const [rows] = await conn.query<RowDataPacket[]>(this.checkpoints.readSql(this.pipeline, true));
      const cp = CheckpointTable.toCheckpoint(this.pipeline, CheckpointTable.parseRow(rows[0]));
      const [historyRows] = cp ? await conn.query<RowDataPacket[]>(this.checkpoints.historySql(this.pipeline)) : [[]];
      return withHistory(cp, historyRows);
    } catch (err) {
      if (errnoOf(err) === 1146 || errnoOf(err) === 1049) return null;
      throw await this.failure('reading the checkpoint', err);
    }
  }

  /**
   * Extend this target's lease. FENCED once another instance has claimed the pipeline. A lock wait (this
   * pipeline's own open transaction holds the row; its commit renews) is not an error: returns false.
   */
  async renewLease(): Promise<boolean> {
    const conn = await this.connect('renewing the lease');
    try {
      const [res] = await conn.query<ResultSetHeader>(this.checkpoints.renewSql(this.pipeline, this.epoch, this.leaseSeconds));
      if (res.affectedRows > 0) return true;
      const [rows] = await conn.query<RowDataPacket[]>(this.checkpoints.readSql(this.pipeline));
      const stored = CheckpointTable.parseRow(rows[0]);
      if (stored && stored.epoch !== this.epoch) throw fencedError(this.pipeline, stored, this.epoch);
      return false;
    } catch (err) {
      if (isLockConflict(err)) return false;
      throw await this.failure('renewing the lease', err);
    }
  }

  /** End this target's lease now (a clean stop), so that another instance need not wait for it. */
  async releaseLease(): Promise<void> {
    const conn = await this.connect('releasing the lease');
    try {
      await conn.query(this.checkpoints.releaseSql(this.pipeline, this.epoch));
    } catch (err) {
      throw await this.failure('releasing the lease', err);
    }
  }

  // ── apply (the retry loop and the large-transaction skeleton are SqlTargetBase's) ────────────

  protected override fenceStepsAt(at: Checkpoint['position'] | null | undefined): string[] {
    return this.checkpoints.fenceStatements(this.pipeline, this.epoch, at);
  }

  protected override commitStep(): string {
    return 'COMMIT';
  }

  protected override isFenceFailure(err: unknown): boolean {
    return errnoOf(err) === FENCE_ERRNO;
  }

  protected async beginWriter(conn: Connection, withState: boolean): Promise<StoredCheckpointRow | null> {
    const [lockRes] = await conn.query<RowDataPacket[][]>(`START TRANSACTION; ${this.checkpoints.lockSql(this.pipeline, withState)}`);
    return CheckpointTable.parseRow(lockRes[1]?.[0]);
  }

  protected async stepsFor(conn: Connection, changes: readonly RowChange[], strict: boolean): Promise<string[]> {
    const routes = routesOf(changes, this.route);
    await this.shapes.load(conn, [...routes.values()]);
    // Each table's shape looked up once per batch (not per merge and statement step): with thousands of tables
    // the shape cache's lookups were ~15 % of the batch's statement building.
    const shapes = this.shapesOf(routes);
    const segments = mergeChanges(changes, (db, t) => this.mergeShape(shapes, db, t), { strict, keyMoves: !this.enforceFks });
    for (const seg of segments) for (const ops of seg) for (const m of ops.moves ?? []) await this.findStaying(conn, shapes.get(`${ops.database}\0${ops.table}`)!, m);
    const statements = this.buildStatements(segments, shapes);
    return this.compound ? compoundBlocks(statements, COMPOUND_BLOCK_BYTES) : statements;
  }

  protected checkpointSteps(checkpoint: Checkpoint): Iterable<string> {
    return this.checkpoints.writeSteps(this.pipeline, checkpoint, this.epoch, this.leaseSeconds);
  }

  /** Queries are packed as they are sent (one ahead, to know the last): a checkpoint with megabytes of history is never whole in memory. */
  protected async runSteps(conn: Connection, steps: Iterable<string>, commit: boolean, progress?: CommitProgress, maxQueryBytes?: number): Promise<number | null> {
    const packs = packStatementsLazily(steps, this.maxQueryBytes(maxQueryBytes));
    let next = packs.next();
    if (next.done && commit) next = { done: false, value: '' };
    let changed: number | null = null;
    while (!next.done) {
      const pack = next.value;
      next = packs.next();
      const withCommit = commit && next.done === true;
      if (withCommit && progress) progress.commitSent = true;
      const [res] = await conn.query(withCommit ? (pack === '' ? 'COMMIT' : `${pack};\nCOMMIT`) : pack);
      if (withCommit && Array.isArray(res)) changed = (res as ResultSetHeader[])[res.length - 2]?.affectedRows ?? null;
    }
    return changed;
  }

  // ── snapshot chunks ───────────────────────────────────────────────────────────────────────
  // Chunks of the initial copy are written by several targets of one pipeline at once (one connection
  // each). Each chunk is one transaction: its rows (REPLACE, no merging: they are fresh full rows) and
  // a row in `snapshot_chunks` saying it is done and at which binlog position it was read. Fencing: a
  // shared lock on the pipeline's checkpoint row (parallel chunk writers do not block each other; a new
  // owner's epoch claim waits for them and then refuses them).

  private get chunkTable(): string {
    return `${quoteId(this.checkpoints.database)}.\`snapshot_chunks\``;
  }

  /** Create the chunk progress table (idempotent) and read the shapes of the tables about to be copied. */
  async prepareSnapshot(tables: readonly TableRef[] = []): Promise<void> {
    await this.createChunkTable();
    await this.loadSnapshotShapes(tables);
  }

  private async createChunkTable(): Promise<void> {
    const conn = await this.connect('preparing the snapshot');
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS ${this.chunkTable} (
  pipeline VARCHAR(64) NOT NULL, db VARCHAR(64) NOT NULL, tbl VARCHAR(64) NOT NULL, idx INT NOT NULL,
  file VARCHAR(512) NOT NULL, pos BIGINT UNSIGNED NOT NULL, rows_copied BIGINT NOT NULL,
  PRIMARY KEY (pipeline, db, tbl, idx)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
      // Names are utf8mb4 (a table named outside the server's default character set) and compared exactly as
      // MySQL does on Linux; a table created by an older version took the server's default (often latin1).
      const [rows] = await conn.query<RowDataPacket[]>(
        "SELECT TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'snapshot_chunks'", [this.checkpoints.database]);
      if (rows[0] && String(rows[0]['c']) !== 'utf8mb4_bin') await conn.query(`ALTER TABLE ${this.chunkTable} CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    } catch (err) {
      throw await this.failure('preparing the snapshot', err);
    }
  }

  /** Chunks of this pipeline's snapshot already written. */
  async snapshotChunksDone(): Promise<ChunkDone[]> {
    const conn = await this.connect('reading snapshot progress');
    try {
      const [rows] = await conn.query<RowDataPacket[]>(format(`SELECT db, tbl, idx, file, pos, rows_copied FROM ${this.chunkTable} WHERE pipeline = ?`, [this.pipeline]));
      return rows.map((r) => ({ database: String(r.db), table: String(r.tbl), index: Number(r.idx), file: String(r.file), pos: Number(r.pos), rows: Number(r.rows_copied) }));
    } catch (err) {
      throw await this.failure('reading snapshot progress', err);
    }
  }

  /** Forget this pipeline's chunk progress (a new snapshot starts, or the snapshot is complete). */
  async clearSnapshotChunks(): Promise<void> {
    const conn = await this.connect('clearing snapshot progress');
    try {
      await conn.query(format(`DELETE FROM ${this.chunkTable} WHERE pipeline = ?`, [this.pipeline]));
    } catch (err) {
      throw await this.failure('clearing snapshot progress', err);
    }
  }

  /**
   * Read the target shapes of every table the stream may write, together and once (see TableShapeCache.prefetch):
   * otherwise a pipeline over thousands of tables reads them batch by batch (three information_schema queries per
   * tuning.maxBatchTables tables) in the stream's path after every start.
   */
  async prepareStream(tables: readonly TableRef[]): Promise<void> {
    if (tables.length === 0) return;
    const conn = await this.connect('reading the target tables before streaming');
    try {
      await this.shapes.prefetch(conn, tables.map((t) => this.route(t.database, t.table)));
    } catch (err) {
      this.dropConnection();
      throw connectionLost('reading the target tables before streaming', err);
    }
  }

  /**
   * Read the target shapes of the tables a snapshot is about to copy, together (see TableShapeCache.load): with
   * thousands of tables, one lookup per table costs ~0.2 s each (information_schema's foreign-key views scan every
   * table). The tables must exist on the target (they are created before the copy).
   */
  private async loadSnapshotShapes(tables: readonly TableRef[]): Promise<void> {
    if (tables.length === 0) return;
    const conn = await this.connect('snapshot');
    try {
      await this.shapes.load(conn, tables.map((t) => this.route(t.database, t.table)));
    } catch (err) {
      if (isSluiceError(err)) throw err;
      this.dropConnection();
      throw connectionLost('reading the target tables before the snapshot', err);
    }
  }

  /**
   * Write one copied chunk and its progress row atomically: with LOAD DATA LOCAL INFILE where the target
   * allows it and the rows load exactly (see load-data.ts), else with multi-row statements.
   */
  async applySnapshotChunk(chunk: SnapshotChunk): Promise<void> {
    if (chunk.sourceText !== undefined) {
      const text = chunk.sourceText;
      if (text.format === 'pg-copy') throw sourceTextDeclined(chunk.database, chunk.table, true);
      const done = await this.applySnapshotText({ database: chunk.database, table: chunk.table, ...text, index: chunk.index, position: chunk.position });
      if (done) return;
      throw sourceTextDeclined(chunk.database, chunk.table, this.loadData === false);
    }
    const { database, table, columns, rows } = chunk;
    const progress = { index: chunk.index, position: chunk.position };
    const conn = await this.connect('snapshot');
    try {
      const route = this.route(database, table);
      await this.shapes.load(conn, [route]);
      const shape = this.shapes.get(route.database, route.table)!;
      if (await this.snapshotLoadData(conn) && await this.loadInChunkTransaction(conn, { ...chunk, rows: rows.length },
        () => loadRows(conn, shape, columns, rows, true))) return;
      const objects = rows.map((cells) => {
        const row: Row = {};
        columns.forEach((c, i) => { row[c] = cells[i] ?? null; });
        return row;
      });
      const ops: TableOps = shape.primaryKey.length > 0
        ? { database, table, deletes: [], patches: [], upserts: objects, ordered: [] }
        : { database, table, deletes: [], patches: [], upserts: [], ordered: objects.map((row) => ({ kind: 'insert' as const, row })) };
      const statements = this.buildStatements([[ops]], new Map([[`${database}\0${table}`, shape]]));
      await this.commitSnapshotChunk(conn, statements, database, table, rows.length, progress);
    } catch (err) {
      throw await this.chunkFailure(err, `a snapshot chunk of ${database}.${table} (${rows.length} rows)`);
    }
  }

  /** False once the target has refused LOAD DATA LOCAL: applySnapshotText would only return false. */
  get loadsSnapshotText(): boolean {
    return this.loadData !== false;
  }

  /**
   * Write one chunk given as LOAD DATA text printed by a MySQL/MariaDB source (the fast path; see
   * snapshot-reader.ts ChunkText) and its progress row atomically. Returns false, having written nothing,
   * when the target refuses LOAD DATA LOCAL or the text does not load exactly: write the chunk's cells
   * with applySnapshotChunk instead.
   */
  async applySnapshotText(chunk: { database: string; table: string; columns: ReadonlyArray<{ name: string; as: 'text' | 'hex' | 'bit' }>;
    data: Buffer | LoadDataPackets; rows: number; charset?: string; index: number; position: Position }): Promise<boolean> {
    const conn = await this.connect('snapshot');
    try {
      const route = this.route(chunk.database, chunk.table);
      await this.shapes.load(conn, [route]);
      const shape = this.shapes.get(route.database, route.table)!;
      if (!(await this.snapshotLoadData(conn))) return false;
      const data = chunk.data;
      const done = Buffer.isBuffer(data)
        ? await this.loadInChunkTransaction(conn, chunk, () => loadQuotedText(conn, shape, chunk.columns, data, chunk.rows, true, chunk.charset))
        // The transaction's start and fence read go in the LOAD DATA's round trip (one round trip less per chunk on
        // the table's one writer); the fence is checked before the load's answer, and a fenced load is rolled back.
        : await this.loadInChunkTransaction(conn, chunk, () => loadQuotedPacketsAfter(conn, shape, chunk.columns, data, chunk.rows, true,
          chunk.charset ?? 'utf8mb4', this.beginSnapshotChunkSql(), (results) => this.checkSnapshotFence((results[1] as RowDataPacket[] | undefined)?.[0])), false);
      // The server has answered the load (it read the whole file), so no socket write refers to the packets any more.
      if (!Buffer.isBuffer(chunk.data)) chunk.data.release();
      return done;
    } catch (err) {
      throw await this.chunkFailure(err, `a snapshot chunk of ${chunk.database}.${chunk.table} (${chunk.rows} rows)`);
    }
  }

  /** Whether snapshot chunks go through LOAD DATA LOCAL (checked once per sink: the target's local_infile). */
  private async snapshotLoadData(conn: Connection): Promise<boolean> {
    if (this.loadData === null) {
      this.loadData = await serverAllowsLocalInfile(conn);
      if (!this.loadData) this.warnLoadDataRefused(loadDataRefused(`${this.connOpts.host}:${this.connOpts.port}`, 'local_infile is OFF'));
    }
    return this.loadData;
  }

  private warnLoadDataRefused(err: SluiceError): void {
    this.loadData = false;
    this.log.warn({ code: err.code, fix: err.fix }, err.message);
  }

  /**
   * A chunk through LOAD DATA (`load`) and its progress row, in one transaction; false (rolled back, nothing
   * written) when the target refuses LOAD DATA or the rows would not load exactly.
   */
  private async loadInChunkTransaction(conn: Connection, chunk: { database: string; table: string; rows: number; index: number; position: Position },
    load: () => Promise<LoadResult>, begin = true): Promise<boolean> {
    if (begin) await this.beginSnapshotChunk(conn);
    let res: LoadResult;
    try {
      res = await load();
    } catch (err) {
      if (isConnectionError(err) || isLockConflict(err) || isSluiceError(err)) throw err;
      await conn.query('ROLLBACK');
      if (isLoadDataRefused(err)) {
        this.warnLoadDataRefused(loadDataRefused(`${this.connOpts.host}:${this.connOpts.port}`, serverMessage(err), err));
        return false;
      }
      // Any other error of the load (e.g. a value the column refuses): the statements report it exactly.
      res = { loaded: false, why: `${serverMessage(err)} (error ${errnoOf(err) ?? '?'})` };
    }
    if (!res.loaded) {
      await conn.query('ROLLBACK');
      this.log.warn({ table: `${chunk.database}.${chunk.table}`, chunk: chunk.index, why: res.why },
        'a snapshot chunk did not load exactly with LOAD DATA: it is written with INSERT statements instead');
      return false;
    }
    await conn.query(`${this.chunkDoneSql(chunk.database, chunk.table, chunk.rows, chunk)};\nCOMMIT`);
    return true;
  }

  /** The chunk's statements and its progress row in one transaction, fenced by a shared lock on the checkpoint row. */
  private async commitSnapshotChunk(conn: Connection, statements: string[], database: string, table: string, count: number,
    chunk: { index: number; position: Position }): Promise<void> {
    statements.push(this.chunkDoneSql(database, table, count, chunk));
    await this.beginSnapshotChunk(conn);
    for (let i = 0; i < statements.length; i++) await conn.query(i === statements.length - 1 ? `${statements[i]};\nCOMMIT` : statements[i]!);
  }

  /** START TRANSACTION, fenced: a shared lock on the checkpoint row, whose epoch must still be this sink's. */
  private async beginSnapshotChunk(conn: Connection): Promise<void> {
    const [lockRes] = await conn.query<RowDataPacket[][]>(this.beginSnapshotChunkSql());
    this.checkSnapshotFence(lockRes[1]?.[0]);
  }

  /** START TRANSACTION and the checkpoint row read with a shared lock (two results: OK, the row). */
  private beginSnapshotChunkSql(): string {
    return `START TRANSACTION; ${this.checkpoints.readSql(this.pipeline)} LOCK IN SHARE MODE`;
  }

  /** The checkpoint row read by beginSnapshotChunkSql must still carry this sink's epoch. */
  private checkSnapshotFence(row: RowDataPacket | undefined): void {
    const stored = CheckpointTable.parseRow(row);
    if (!stored || stored.epoch !== this.epoch) throw fencedError(this.pipeline, stored ?? { epoch: 0, file: '', pos: 0, gtidSet: null, state: null, updatedAt: null, owner: null, ownerSince: null, leaseLeft: 0 }, this.epoch);
  }

  /** The chunk's progress row (written in the chunk's transaction). */
  private chunkDoneSql(database: string, table: string, count: number, chunk: { index: number; position: Position }): string {
    return format(`INSERT INTO ${this.chunkTable} (pipeline, db, tbl, idx, file, pos, rows_copied) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [this.pipeline, database, table, chunk.index, chunk.position.file, chunk.position.pos, count]);
  }

  /** Run a DDL statement on the target (database rewritten by the router), then store the checkpoint. */
  async applyDdl(ddl: DdlChange, checkpoint: Checkpoint): Promise<void> {
    const conn = await this.connect('applyDdl');
    try {
      const [rows] = await conn.query<RowDataPacket[]>(this.checkpoints.readSql(this.pipeline));
      this.checkOwnership(CheckpointTable.parseRow(rows[0]));
      const cls = classifyStatement(ddl.sql, ddl.database);
      const parsed = cls.kind === 'ddl' ? cls.ddl : null;
      // A plain CREATE TABLE is generated from its parsed form (foreign keys to copied tables only), other DDL rewritten.
      const scope = this.foreignKeyScope;
      // ALTER TABLE is forwarded clause by clause (foreign keys to tables outside the pipeline left out).
      const fkTarget = (d: string, t: string): { database: string; table: string } | null => (scope?.(d, t) ? this.route(d, t) : null);
      const generated = scope ? forwardedCreateSql(ddl.sql, ddl.database, this.route, fkTarget) ?? forwardedAlterSql(ddl.sql, ddl.database, this.route, fkTarget) : null;
      const rewritten = generated !== null ? { sql: generated, useDatabase: ddl.database ? this.route(ddl.database, '').database : null } : rewriteDdl(ddl.sql, ddl.database, parsed, this.route);
      if (rewritten.useDatabase) {
        await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteId(rewritten.useDatabase)}`);
        await conn.query(`USE ${quoteId(rewritten.useDatabase)}`);
      }
      try {
        if (rewritten.sql !== '') await conn.query(rewritten.sql);
      } catch (err) {
        const tolerated = parsed ? ALREADY_APPLIED[parsed.action] ?? [] : [];
        const n = errnoOf(err);
        if (n === undefined || !tolerated.includes(n)) throw err;
        this.log.warn({ errno: n, error: serverMessage(err) }, 'DDL already applied on the target (re-run after a restart?); continuing');
      } finally {
        this.shapes.invalidate();
      }
      const [lockRes] = await conn.query<RowDataPacket[][]>(`START TRANSACTION; ${this.checkpoints.lockSql(this.pipeline)}`);
      this.checkOwnership(CheckpointTable.parseRow(lockRes[1]?.[0]), true);
      await conn.query(`${this.checkpoints.writeStatements(this.pipeline, checkpoint, this.epoch, this.leaseSeconds).join(';\n')}; COMMIT`);
      this.committed = checkpoint.position;
    } catch (err) {
      const known = await this.ddlFailure(err);
      if (known) throw known;
      const n = errnoOf(err);
      if (n === 1290 || n === 1836) throw targetWriteFailed('DDL', err);
      throw new SluiceError('DDL_FAILED', `target rejected DDL \`${ddl.sql.slice(0, 200)}\`: ${serverMessage(err)}`,
        'fix the target so the statement can run (or run an equivalent by hand), then restart; or set ddl: ignore for this pipeline',
        { errno: errnoOf(err), database: ddl.database }, { cause: err });
    }
  }

  /**
   * Create the routed target tables from the source models (foreign keys kept to tables in `foreignKeyScope`), or
   * check that existing ones are compatible; batched (see ensure-tables.ts).
   */
  async ensureTables(sources: readonly SourceTable[]): Promise<Array<'created' | 'compatible'>> {
    if (sources.length === 0) return [];
    const conn = await this.connect('creating target tables');
    const extra: Connection[] = [];
    try {
      const scope = this.foreignKeyScope;
      const plan = await planEnsureTables(conn, sources, this.route, scope ? (d, t) => (scope(d, t) ? this.route(d, t) : null) : undefined);
      for (const sql of plan.databases) await conn.query(sql);
      // One connection per 16 tables to create, up to `parallelism` (a few tables need no extra connection).
      const wanted = Math.min(this.parallelism, Math.ceil(plan.creates.length / 16)) - 1;
      for (let i = 0; i < wanted; i++) extra.push(await this.openConnection('creating target tables'));
      await runSpread([conn, ...extra], plan.creates);
      for (const t of plan.created) this.shapes.invalidate(t.database, t.table);
      return plan.outcomes;
    } catch (err) {
      if (isSluiceError(err)) throw err;
      throw await this.failure('creating target tables', err);
    } finally {
      await Promise.all(extra.map((c) => endWithin(c, 1000)));
    }
  }

  /** The routed target tables of `tables` that do not exist (one information_schema query per database). */
  async missingTables(tables: readonly TableRef[]): Promise<TableRef[]> {
    const conn = await this.connect('looking up target tables');
    try {
      const byDb = new Map<string, Set<string>>();
      for (const t of tables) {
        const r = this.route(t.database, t.table);
        if (!byDb.has(r.database)) {
          const [rows] = await conn.query<RowDataPacket[]>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [r.database]);
          byDb.set(r.database, new Set(rows.map((x) => String(x['t']).toLowerCase())));
        }
      }
      return tables.filter((t) => {
        const r = this.route(t.database, t.table);
        return !byDb.get(r.database)!.has(r.table.toLowerCase());
      });
    } catch (err) {
      throw await this.failure('looking up target tables', err);
    }
  }

  /** Drop a target table if it exists (a leftover shadow copy). */
  async dropTableIfExists(database: string, table: string): Promise<void> {
    const conn = await this.connect('dropping a table');
    try {
      await conn.query(`DROP TABLE IF EXISTS ${quoteId(database)}.${quoteId(table)}`);
      this.shapes.invalidate(database, table);
    } catch (err) {
      throw await this.failure(`dropping ${database}.${table}`, err);
    }
  }

  /**
   * Put each fresh copy `shadow` in the place of its `table` (same database) in one atomic RENAME of all
   * of them, then drop the old tables. Idempotent: a pair whose shadow is gone (swapped before a crash) is
   * left alone. Readers of the target see the old tables or the new ones, never a missing or half-filled one.
   * Returns how many tables were swapped.
   */
  async swapTables(swaps: ReadonlyArray<{ database: string; table: string; shadow: string }>): Promise<number> {
    if (swaps.length === 0) return 0;
    const conn = await this.connect('swapping in re-copied tables');
    const id = (db: string, t: string): string => `${quoteId(db)}.${quoteId(t)}`;
    try {
      const present = new Set<string>();
      for (const w of swaps) {
        const [rows] = await conn.query<RowDataPacket[]>(format('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?, ?)', [w.database, w.table, w.shadow]));
        for (const r of rows) present.add(`${w.database}\0${String(r.t)}`);
      }
      const todo = swaps.filter((w) => present.has(`${w.database}\0${w.shadow}`));
      if (todo.length === 0) return 0;
      // The copies were made without foreign keys (constraint names are unique per database, and the live
      // tables hold them): they get the live tables' own ones once those are gone.
      const ownKeys = new Map<string, ForeignKeyAst[]>();
      for (const w of todo) {
        if (present.has(`${w.database}\0${w.table}`)) ownKeys.set(`${w.database}\0${w.table}`, await foreignKeysOf(conn, w.database, w.table));
      }
      const renames: string[] = [];
      const drops: string[] = [];
      for (const w of todo) {
        const old = shadowTableName(w.table, 'old');
        await conn.query(`DROP TABLE IF EXISTS ${id(w.database, old)}`);
        if (present.has(`${w.database}\0${w.table}`)) {
          renames.push(`${id(w.database, w.table)} TO ${id(w.database, old)}`);
          drops.push(id(w.database, old));
        }
        renames.push(`${id(w.database, w.shadow)} TO ${id(w.database, w.table)}`);
      }
      await conn.query(`RENAME TABLE ${renames.join(', ')}`);
      // Foreign keys of other tables followed the old tables in the RENAME: point them at the new copies.
      for (const w of todo) {
        if (present.has(`${w.database}\0${w.table}`)) await repointForeignKeys(conn, w.database, shadowTableName(w.table, 'old'), w.table);
      }
      if (drops.length > 0) await conn.query(`DROP TABLE ${drops.join(', ')}`);
      const adds = todo.flatMap((w) => (ownKeys.get(`${w.database}\0${w.table}`) ?? []).map((fk) => `ALTER TABLE ${id(w.database, w.table)} ADD ${renderForeignKey(fk)}`));
      if (adds.length > 0) {
        // Not checked against the rows now: the stream is not yet past every chunk of the copy (see removeForeignKeyOrphans).
        this.sessionFks = null;
        await conn.query(`SET SESSION foreign_key_checks = 0; ${adds.join('; ')}`);
      }
      return todo.length;
    } catch (err) {
      throw await this.failure(`swapping in the new copies of ${swaps.map((w) => `${w.database}.${w.table}`).join(', ')}`, err);
    } finally {
      for (const w of swaps) {
        this.shapes.invalidate(w.database, w.table);
        this.shapes.invalidate(w.database, w.shadow);
      }
    }
  }

  /** The target shape of each routed table (`database\0table` of the source → the shape of its target table). */
  private shapesOf(routes: Map<string, { database: string; table: string }>): Map<string, TargetTableInfo> {
    const out = new Map<string, TargetTableInfo>();
    for (const [id, r] of routes) out.set(id, this.shapes.get(r.database, r.table)!);
    return out;
  }

  private buildStatements(segments: Segment[], shapes: Map<string, TargetTableInfo>): string[] {
    const out: string[] = [];
    const limits = { ...this.limits, maxBytes: Math.min(this.limits.maxBytes, this.maxPacket - 64 * 1024) };
    for (const seg of segments) {
      for (const ops of seg) {
        const t = shapes.get(`${ops.database}\0${ops.table}`)!;
        const statements = buildTableStatements(t, ops, limits, (col) => this.warnUnknownColumn(t.database, t.table, col));
        const keyChanged = ops.patches.some((p) => t.primaryKey.some((c) => c in p.set && !sameCell(p.set[c]!, p.key[c]!)));
        if (!this.enforceFks && t.referenced && (ops.deletes.length > 0 || keyChanged) && statements.length > 0) {
          // While the stream still overlaps the snapshot (checks off), a parent's delete or key update still
          // cascades: its children on the target are the ones the source cascaded to (see docs "Foreign keys").
          out.push('SET SESSION foreign_key_checks = 1', ...statements, 'SET SESSION foreign_key_checks = 0');
          this.sessionFks = null;
        } else {
          out.push(...statements);
        }
      }
    }
    return out;
  }

  /** Most bytes of one multi-statement query (maxStatementBytes, under the server's max_allowed_packet; `cap` for packed groups). */
  private maxQueryBytes(cap = Infinity): number {
    return Math.min(cap, this.limits.maxBytes, this.maxPacket - 64 * 1024);
  }

  protected override warnUnknownColumn(database: string, table: string, column: string): void {
    if (this.shapes.get(database, table)?.generated.has(column)) return; // the target computes it
    super.warnUnknownColumn(database, table, column);
  }

  /**
   * Stream apply with foreign_key_checks=1, so that the target's engine performs the ON DELETE/UPDATE
   * CASCADE and SET NULL the source's engine did (those row changes are not in the binlog). Off (the
   * default) while the stream still overlaps the snapshot's chunks: rows may then arrive before their
   * parents. Snapshot chunks, DDL and table swaps always run with the checks off.
   */
  enforceForeignKeys(on: boolean): void {
    this.enforceFks = on;
  }

  /**
   * After the stream has caught up with a snapshot of `tables` (source names): remove the child rows whose
   * parent is gone (a cascade done by the source while the copy was made; see foreign-key-orphans.ts).
   */
  async removeForeignKeyOrphans(tables: ReadonlyArray<{ database: string; table: string }>): Promise<OrphanSweep> {
    const conn = await this.connect('removing foreign-key orphans');
    this.sessionFks = null;
    try {
      const sweep = await removeForeignKeyOrphans(conn, tables.map((t) => this.route(t.database, t.table)));
      if (sweep.deleted + sweep.nulled > 0) this.log.info({ ...sweep }, 'removed child rows whose parent the source deleted during the snapshot');
      return sweep;
    } catch (err) {
      throw await this.failure('removing foreign-key orphans', err);
    }
  }

  /** The child rows that keep referencing a moved key (see key-moves.ts): read now, kept in `m.staying`. */
  private async findStaying(conn: Connection, t: TargetTableInfo, m: KeyMoveOp): Promise<void> {
    if (m.scope.partial.length === 0) return;
    for (const fk of t.referencedBy ?? []) {
      if (!followsKeyUpdate(fk.onUpdate) || !fk.refColumns.every((rc) => rc in m.before && rc in m.row)) continue;
      const stay = await stayingRows(m.scope, fk, this.route, async () => {
        await this.shapes.load(conn, [fk]);
        const pk = this.shapes.get(fk.database, fk.table)?.primaryKey ?? [];
        // Without a primary key the rows cannot be told apart: they all follow.
        if (pk.length === 0) return [];
        const where = fk.columns.map((c, i) => `${quoteId(c)}=${sqlLiteral(m.before[fk.refColumns[i]!] ?? null, t.types.get(fk.refColumns[i]!))}`);
        const [rows] = await conn.query<RowDataPacket[]>(`SELECT ${pk.map(quoteId).join(',')} FROM ${quoteId(fk.database)}.${quoteId(fk.table)} WHERE ${where.join(' AND ')}`);
        return rows.map((r) => Object.fromEntries(pk.map((c) => [c, r[c] as Cell])));
      });
      if (stay && stay.length > 0) addStaying(m, fk.database, fk.table, stay);
    }
  }

  /** The shape mergeChanges works with: source order and in-place updates where the target checks foreign keys. */
  private mergeShape(shapes: Map<string, TargetTableInfo>, db: string, table: string): TableShape {
    const shape = shapes.get(`${db}\0${table}`)!;
    if (!shape.hasForeignKeys && !shape.referenced) return shape;
    return { ...shape, inOrder: true, updateInPlace: shape.referenced };
  }

  protected async connect(what: string): Promise<Connection> {
    const conn = await this.connectOnce(what);
    const fks = what === 'apply' && this.enforceFks;
    if (fks !== this.sessionFks) {
      try {
        await conn.query(`SET SESSION foreign_key_checks = ${fks ? 1 : 0}`);
      } catch (err) {
        this.dropConnection();
        throw connectionLost('session setup', err);
      }
      this.sessionFks = fks;
    }
    return conn;
  }

  private async connectOnce(what: string): Promise<Connection> {
    if (this.conn) return this.conn;
    const conn = await this.openConnection(what);
    // A connection that dies while idle (target restarted) is forgotten, so the next call reconnects.
    const forget = (): void => { if (this.conn === conn) this.conn = null; };
    conn.on('error', forget);
    conn.on('end', forget);
    this.conn = conn;
    this.sessionFks = false; // a new session starts with foreign_key_checks = 0 (SESSION_SETUP)
    return conn;
  }

  /** A new connection to the target with this target's session settings (not cached). */
  private async openConnection(what: string): Promise<Connection> {
    if (this.interrupted) {
      throw new SluiceError('CONNECTION_LOST', `the target connection was cut because it stopped answering (${what})`, 'the pipeline restarts from its checkpoint automatically');
    }
    const o = this.connOpts;
    let conn: Connection;
    try {
      // No default database: the target names every table, and the URL's database may not exist yet.
      conn = await connectMysql({ host: o.host, port: o.port, user: o.user, password: o.password, options: o.options }, {
        multipleStatements: true, charset: 'UTF8MB4_GENERAL_CI', connectTimeout: 10_000,
        supportBigNumbers: true, dateStrings: true,
        // mysql2 would scan every (multi-megabyte) statement for placeholders even without values.
        queryFormat: (sql: string, values?: unknown) => (values === undefined || (Array.isArray(values) && values.length === 0) ? sql : format(sql, values as Parameters<typeof format>[1])),
      });
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      const n = errnoOf(err);
      if (n === 1045) {
        throw new SluiceError('ACCESS_DENIED', `target ${o.host}:${o.port} refused user '${o.user}': ${serverMessage(err)}`,
          'check the user and password in the target URL', { host: o.host, port: o.port }, { cause: err });
      }
      throw new SluiceError('CONNECTION_LOST', `cannot connect to target ${o.host}:${o.port} (${what}): ${serverMessage(err)}`,
        'this is retried automatically; check that the target server is up and reachable', { host: o.host, port: o.port }, { cause: err });
    }
    if (this.interrupted) {
      abortConnection(conn);
      throw new SluiceError('CONNECTION_LOST', `the target connection was cut because it stopped answering (${what})`, 'the pipeline restarts from its checkpoint automatically');
    }
    try {
      await conn.query(this.lockWaitSeconds === undefined ? SESSION_SETUP : `${SESSION_SETUP}, innodb_lock_wait_timeout = ${Math.max(1, Math.round(this.lockWaitSeconds))}`);
      const [rows] = await conn.query<RowDataPacket[]>('SELECT @@max_allowed_packet AS p, VERSION() AS v');
      this.maxPacket = Number(rows[0]?.['p'] ?? this.maxPacket);
      this.compound = supportsCompoundBlocks(String(rows[0]?.['v'] ?? ''));
    } catch (err) {
      abortConnection(conn);
      throw connectionLost('session setup', err);
    }
    return conn;
  }

}

/** Two cells hold the same value (key comparison for primary-key changes). */
function sameCell(a: Cell, b: Cell): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return typeof a === typeof b && String(a) === String(b);
}

/** The checkpoint with its schema-history rows attached (when there are any). */
function withHistory(cp: Checkpoint | null, rows: readonly RowDataPacket[]): Checkpoint | null {
  if (cp === null) return null;
  const history = CheckpointTable.toHistory(rows);
  return history ? { ...cp, history } : cp;
}
