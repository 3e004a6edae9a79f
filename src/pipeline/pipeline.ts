/**
 * One pipeline: keeps the selected source tables identical on the target.
 *
 *  1. open the sink (checkpoint table, epoch claim) and read the checkpoint;
 *  2. create missing target tables with the source's definition (compatibility-checked otherwise);
 *  3. initial snapshot (chunked, parallel, lock-free, resumable) unless `snapshot: none` or done;
 *  4. stream the binlog from the checkpoint: whole source transactions grouped into target
 *     transactions, each with its checkpoint (exactly-once), DDL per policy.
 * Transient failures (source or target down) restart from step 1 with backoff: the checkpoint in the
 * target says exactly where to resume.
 */
import mysql from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PipelineConfig, SourceConfig, TargetConfig } from '../config/types.js';
import { MysqlSink, shadowTableName, type MysqlSinkOptions } from '../targets/mysql/mysql-sink.js';
import { TableShapeCache } from '../targets/mysql/table-shapes.js';
import { routeToDatabase, type Checkpoint, type HistoryRows, type TableRouter } from '../targets/sink.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';
import { connectMysql, endWithin } from '../mysql/connection.js';
import { InformationSchemaLoader } from '../mysql/schema/schema-loader.js';
import { SchemaHistory, comparePositions, type SchemaHistoryJSON } from '../mysql/schema/schema-history.js';
import { classifyStatement } from '../mysql/schema/ddl.js';
import type { TableSchema } from '../mysql/schema/table-schema.js';
import { BinlogSource } from '../source/binlog-source.js';
import { compileTableFilter, type TableFilter } from '../source/table-filter.js';
import type { DdlMessage, Flavor, Position, RowChange, SourceMessage } from '../core/types.js';
import { ChunkFilter, type TableCoverage } from '../snapshot/chunk-filter.js';
import { SnapshotReader, columnSignature, isDefinitionChanged, pkColumns } from '../snapshot/snapshot-reader.js';
import { isPipelineState, type PendingSwap, type PipelineCheckpointState, type ResnapshotRequest, type SnapshotTablePlan } from './pipeline-state.js';
import { listSourceTables, type TableName } from '../source/source-tables.js';
import type { SourceHub } from './source-hub.js';
import { WakeTimer } from './wake-timer.js';
import { fnv1a32 } from '../fnv-hash.js';
import { INSTANCE, describeInstance } from '../instance.js';
import { LeaseKeeper } from './lease-keeper.js';
import { StreamWatchdog } from './stream-watchdog.js';

export type PipelineStatus = 'starting' | 'snapshotting' | 'streaming' | 'retrying' | 'stopped' | 'failed';

/** Row changes applied to one table by streaming, by operation. */
export interface TableCounts { inserts: number; updates: number; deletes: number }

/**
 * A source transaction (by the position of its first event) or DDL statement (by the position after it)
 * to pass over.
 */
export interface SkipTarget { file: string; pos: number; kind: 'transaction' | 'ddl' }

/** A source transaction or DDL statement passed over on purpose (`skip`), with what it held. */
export interface SkippedEvent { position: SkipTarget; changes: number; time: string }

/** Error codes of a single transaction or DDL statement that an operator may choose to skip. */
const SKIPPABLE = new Set(['TARGET_WRITE_FAILED', 'DDL_FAILED', 'SCHEMA_MISMATCH']);

export interface PipelineStats {
  status: PipelineStatus;
  rowsApplied: number;
  transactionsApplied: number;
  snapshotRowsCopied: number;
  snapshotRowsEstimated: number;
  /** Per-table progress of the current (or last) snapshot. */
  snapshotTables: Array<{ database: string; table: string; rowsCopied: number; rowsEstimated: number; chunksDone: number; chunksTotal: number; done: boolean }>;
  /**
   * Seconds the target is behind the source, null before anything was applied: now minus the source time
   * of the newest point the target is known to have — the commit time of the last applied transaction,
   * or the time of the last binlog heartbeat taken while caught up (the source sends one every second
   * when idle). So lag stays near zero on an idle source and grows while the target falls behind, the
   * stream stalls, or the pipeline is down — it never freezes at its last value.
   */
  readonly lagSeconds: number | null;
  /** Source time (epoch ms) up to which the target is complete. */
  appliedSourceTime: number | null;
  position: Position | null;
  errors: number;
  lastError: string | null;
  /** Structured context of the last error (e.g. `skip`: the position of the transaction that failed). */
  lastErrorDetails: Readonly<Record<string, unknown>> | null;
  restarts: number;
  /** Times the watchdog restarted a stream that made no progress and got no heartbeat for `stallTimeoutSeconds`. */
  stalls: number;
  /** Streamed row changes applied, per source table (`db.table`) and operation. */
  changesByTable: Map<string, TableCounts>;
  /** Binlog bytes received from the source (shared reader: the whole source's). */
  bytesRead: number;
  /** Reconnects of the binlog connection. */
  sourceReconnects: number;
  /** Row changes read but not yet committed on the target (the batch being built and the one in flight). */
  queuedChanges: number;
  /** Transactions / DDL skipped on request. */
  skipped: SkippedEvent[];
  /** The skip this pipeline still waits for (null once passed, or missed because the stream went past it). */
  pendingSkip: SkipTarget | null;
  /** Tables waiting to be re-copied, and the one being copied now. */
  resnapshotQueue: string[];
}

export interface PipelineOptions {
  config: PipelineConfig;
  source: SourceConfig;
  target: TargetConfig;
  logger: Logger;
  /**
   * Fencing token from a coordinator: the sink claims exactly this epoch. Without it, each start claims
   * the next epoch on the target for this instance (waiting while another live instance owns it).
   */
  epoch?: number;
  /** Shared binlog reader of the source (one per source for all its pipelines); a private reader otherwise. */
  hub?: SourceHub;
  /** Backoff between restarts after transient failures. */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
  /**
   * Skip the source transaction that starts at this position (or the DDL statement that ends there):
   * the operator's way past a change the target cannot take. Its changes are not applied; the
   * checkpoint moves past it.
   */
  skip?: SkipTarget;
  /**
   * Start over without losing the target's tables: stream from the source's current position and copy
   * every table again into shadow tables swapped in atomically (the cure when the binlog the checkpoint
   * needs was purged, or the target drifted). Readers keep the old rows until the new copies are in place.
   */
  resync?: boolean;
}

const TIMEOUT = Symbol('timeout');

export class Pipeline {
  readonly name: string;
  readonly stats: PipelineStats = {
    status: 'starting', rowsApplied: 0, transactionsApplied: 0, snapshotRowsCopied: 0, snapshotRowsEstimated: 0, snapshotTables: [],
    appliedSourceTime: null,
    get lagSeconds(): number | null {
      return this.appliedSourceTime === null ? null : Math.max(0, (Date.now() - this.appliedSourceTime) / 1000);
    },
    position: null, errors: 0, lastError: null, lastErrorDetails: null, restarts: 0, stalls: 0,
    changesByTable: new Map(), bytesRead: 0, sourceReconnects: 0, queuedChanges: 0, skipped: [], pendingSkip: null, resnapshotQueue: [],
  };
  private readonly cfg: PipelineConfig;
  private readonly log: Logger;
  private readonly filter: TableFilter;
  private readonly serverId: number;
  private flavor: Flavor = 'mysql';
  /** With `ddl: ignore`, tables that came into scope by DDL the target never saw: their changes are skipped. */
  private readonly skipTables = new Set<string>();
  /** Position of the transaction / DDL to skip (cleared once passed). */
  private skipAt: SkipTarget | null;
  /** A resync was asked for and not yet written to the checkpoint. */
  private resyncPending: boolean;
  /** The stream loop runs (a snapshot now is a re-snapshot inside it, not the initial one). */
  private inStream = false;
  /** Source tables to copy again while streaming (`db.table`), in request order. */
  private readonly resnapshots: ResnapshotRequest[] = [];
  /** The epoch of this instance's current claim on the target (every checkpoint is written with it). */
  private epoch = 0;
  /** A claim was made (its lease is released when the pipeline stops). */
  private claimed = false;
  /**
   * The schema history is stored on the target one row per table (see `historyRows`): the revision of the
   * history written last, and whether the next write must replace every stored row (a fresh start).
   */
  private historyWritten = 0;
  private historyReplace = false;
  /** Target table shapes, shared by all of this pipeline's sinks (read once, not per sink). */
  private readonly shapes = new TableShapeCache();

  constructor(private readonly opts: PipelineOptions) {
    this.cfg = opts.config;
    this.name = opts.config.name;
    this.log = opts.logger.child({ pipeline: this.name });
    this.filter = compileTableFilter(this.cfg.tables, this.cfg.exclude);
    this.serverId = opts.source.serverId ?? defaultServerId(this.name);
    this.skipAt = opts.skip ?? null;
    this.stats.pendingSkip = this.skipAt;
    this.resyncPending = opts.resync ?? false;
  }

  /**
   * Copy one source table again while streaming: a fresh copy is built in a shadow table on the target
   * (chunked and lock-free like the initial snapshot) and swapped in atomically; the stream resumes
   * with the copy's chunk positions, so no change is lost or applied twice. The stream waits meanwhile.
   * The request is kept in the checkpoint, so a restart finishes it.
   */
  async requestResnapshot(database: string, table: string): Promise<void> {
    // While streaming, or while the stream copies other tables (the request queues behind them).
    if (this.stats.status !== 'streaming' && !(this.stats.status === 'snapshotting' && this.inStream)) {
      throw new SluiceError('BAD_ARGUMENT', `pipeline ${this.name} is ${this.stats.status}: a table can be re-copied only while streaming`,
        this.stats.status === 'snapshotting' ? 'wait for the snapshot to finish' : 'start the pipeline first');
    }
    if (!this.filter(database, table)) {
      throw new SluiceError('UNKNOWN_TABLE', `${database}.${table} is not one of pipeline ${this.name}'s tables`, 'pick a table the pipeline syncs (its tables patterns)');
    }
    if (this.resnapshots.some((t) => t.database === database && t.table === table)) return;
    const src = await connectSource(this.opts.source.url);
    try {
      if ((await listSourceTables(src, (db, t) => db === database && t === table)).length === 0) {
        throw new SluiceError('UNKNOWN_TABLE', `table ${database}.${table} is not on the source`, 'check the database and table name');
      }
    } finally {
      await src.end().catch(() => undefined);
    }
    if (this.resnapshots.some((t) => t.database === database && t.table === table)) return;
    this.resnapshots.push({ database, table });
    this.noteQueue();
  }

  /** Runs until `signal` aborts (clean stop) or a permanent error (thrown). */
  async run(signal: AbortSignal): Promise<void> {
    let fenced = false;
    try {
      await this.runWithRestarts(signal);
    } catch (err) {
      fenced = isSluiceError(err) && err.code === 'FENCED';
      throw err;
    } finally {
      // Hand the pipeline over at once (another instance need not wait for the lease to run out).
      if (this.claimed && !fenced) await this.releaseLease();
    }
  }

  private async runWithRestarts(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let started = Date.now();
    let lastOwnedLog = 0;
    const work = (): number => this.stats.transactionsApplied + this.stats.rowsApplied + this.stats.snapshotRowsCopied;
    while (!signal.aborted) {
      const workBefore = work();
      try {
        await this.runOnce(signal);
        this.stats.status = 'stopped';
        return;
      } catch (caught) {
        if (signal.aborted) {
          this.stats.status = 'stopped';
          return;
        }
        const err = await this.explain(this.withRepairHint(caught));
        this.recordError(err);
        if (isSluiceError(err) && err.code === 'PIPELINE_OWNED') {
          // Another live instance owns the pipeline: wait for it to stop (or for its lease to run out).
          this.stats.status = 'retrying';
          const left = Number(err.details['leaseLeftSeconds'] ?? 1);
          if (Date.now() - lastOwnedLog > 30_000) {
            lastOwnedLog = Date.now();
            this.log.warn({ err: describe(err), owner: err.details['owner'] }, 'pipeline is owned by a live instance; waiting for it to stop or for its lease to run out');
          }
          await sleep(Math.min(2000, Math.max(200, left * 1000 + 100)), signal);
          continue;
        }
        if (!isTransient(err)) {
          this.stats.status = 'failed';
          this.log.error({ err: describe(err) }, 'pipeline failed');
          throw err;
        }
        // A run that got work done, or stayed up for a minute, starts the backoff over: one fault is retried
        // at once, only a fault that persists backs off.
        if (Date.now() - started > 60_000 || work() !== workBefore) attempt = 0;
        attempt++;
        this.stats.status = 'retrying';
        this.stats.restarts++;
        const base = this.opts.retry?.baseDelayMs ?? 500;
        const delay = Math.min(this.opts.retry?.maxDelayMs ?? 5_000, base * 2 ** Math.min(attempt - 1, 8));
        this.log.warn({ err: describe(err), attempt, delayMs: delay }, 'pipeline interrupted; restarting from the checkpoint');
        await sleep(delay, signal);
        started = Date.now();
      }
    }
    this.stats.status = 'stopped';
  }

  /**
   * A DUPLICATE_SERVER_ID from the source: say whether another instance took this pipeline over (then it
   * is FENCED, not a configuration problem) or another replica of the source uses the same server id.
   */
  private async explain(err: unknown): Promise<unknown> {
    if (!isSluiceError(err) || err.code !== 'DUPLICATE_SERVER_ID') return err;
    const sink = this.newSink();
    try {
      const now = await sink.currentOwner();
      if (now && !now.self && now.epoch !== this.epoch) {
        return new SluiceError('FENCED', `pipeline '${this.name}' was taken over by ${now.owner ? describeInstance(now.owner) : 'another instance'} (epoch ${now.epoch}); the source dropped this instance's binlog connection for it`,
          'nothing to repair: the other instance goes on from the target\'s checkpoint. Run each pipeline in one instance only', { ...err.details, owner: now.owner }, { cause: err });
      }
    } catch { /* the target cannot tell: keep the source's error */ } finally {
      await sink.close().catch(() => undefined);
    }
    return new SluiceError('DUPLICATE_SERVER_ID',
      `${err.message} — this pipeline is still owned by this instance, so the other connection is not a Sluice instance of pipeline '${this.name}': `
        + 'it is another replica of the source (a MySQL/MariaDB replica, another Sluice process reading this source, or another CDC tool) registered with server id '
        + `${this.serverIdInUse()}`,
      'find it on the source with SHOW SLAVE HOSTS (SHOW REPLICAS) and SELECT HOST FROM information_schema.PROCESSLIST WHERE COMMAND LIKE \'Binlog Dump%\'; '
        + 'then give this source a serverId that no other replica uses (or leave serverId unset: Sluice picks one per process)',
      { ...err.details, serverId: this.serverIdInUse() }, { cause: err });
  }

  private serverIdInUse(): number {
    return this.opts.hub?.serverId ?? this.serverId;
  }

  private async releaseLease(): Promise<void> {
    const sink = this.newSink();
    try {
      // Bounded: a target that does not answer must not hold up the stop (the lease then runs out by itself).
      await Promise.race([sink.releaseLease(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref())]);
      this.log.info({ epoch: this.epoch }, 'pipeline released: another instance may take it over at once');
    } catch (err) {
      this.log.warn({ err: describe(err) }, 'could not release the pipeline on the target; another instance takes it over when the lease runs out');
    } finally {
      sink.interrupt();
      await sink.close().catch(() => undefined);
    }
  }

  private newSink(route?: TableRouter, extra: Partial<MysqlSinkOptions> = {}): MysqlSink {
    return new MysqlSink({
      pipeline: this.name,
      connection: this.opts.target.url,
      // Sinks that are not opened write with this instance's claim.
      epoch: this.claimed ? this.epoch : this.opts.epoch,
      leaseSeconds: this.cfg.tuning.leaseSeconds,
      checkpointDatabase: this.opts.target.checkpointDatabase,
      // Shadow copies (re-snapshot) are created without foreign keys: constraint names are unique per database.
      ...(route ? { route } : { targetDatabase: this.cfg.targetDatabase, foreignKeyScope: this.filter }),
      maxStatementBytes: this.cfg.tuning.maxStatementBytes,
      logger: this.log,
      shapes: this.shapes,
      ...extra,
    });
  }

  /**
   * One start: claim the pipeline on the target, then snapshot and stream. A lease keeper renews the
   * claim meanwhile; once another instance has taken the pipeline over, everything stops (FENCED).
   */
  private async runOnce(outer: AbortSignal): Promise<void> {
    this.stats.status = 'starting';
    // The sink that claims: a new epoch (or the coordinator's), never this instance's previous one.
    const sink = this.newSink(undefined, { epoch: this.opts.epoch });
    const stored = await sink.open().catch(async (err: unknown) => {
      await sink.close().catch(() => undefined);
      // Owned by another instance that claimed after this one: this instance was taken over, not merely early.
      if (this.claimed && isSluiceError(err) && err.code === 'PIPELINE_OWNED' && Number(err.details['epoch']) > this.epoch) {
        throw new SluiceError('FENCED', `pipeline '${this.name}' was taken over while this instance was restarting it: ${err.message}`,
          'nothing to repair: the other instance goes on from the target\'s checkpoint. Run each pipeline in one instance only',
          { ...err.details, ownEpoch: this.epoch }, { cause: err });
      }
      throw err;
    });
    this.epoch = sink.epoch;
    this.claimed = true;
    const prev = sink.previousOwner;
    if (prev?.owner) {
      this.log.warn({ from: describeInstance(prev.owner), previousEpoch: prev.epoch, epoch: this.epoch, leaseLeftSeconds: Math.max(0, prev.leaseLeft) },
        `took over pipeline ${this.name} from ${describeInstance(prev.owner)}`);
    } else {
      this.log.info({ epoch: this.epoch }, `claimed pipeline ${this.name}`);
    }
    const inner = new AbortController();
    const onAbort = (): void => inner.abort();
    outer.addEventListener('abort', onAbort, { once: true });
    // Its own connection, with short lock waits: while this pipeline's transaction holds the row, its commit renews.
    const keeper = new LeaseKeeper(this.newSink(undefined, { lockWaitSeconds: 2 }), this.cfg.tuning.leaseSeconds, this.log, (err) => {
      this.log.error({ err: describe(err) }, 'this instance lost the pipeline to another one: stopping it');
      inner.abort();
    });
    try {
      await this.runClaimed(sink, stored, inner.signal);
    } catch (err) {
      if (keeper.lost && !outer.aborted) throw keeper.lost;
      throw err;
    } finally {
      outer.removeEventListener('abort', onAbort);
      await keeper.stop();
    }
    if (keeper.lost && !outer.aborted) throw keeper.lost;
  }

  private async runClaimed(sink: MysqlSink, stored: Checkpoint | null, signal: AbortSignal): Promise<void> {
    let src: mysql.Connection | null = null;
    let history: SchemaHistory | null = null;
    let cp = stored;
    try {
      src = await connectSource(this.opts.source.url);
      this.flavor = /mariadb/i.test(String(((await src.query('SELECT VERSION() AS v')) as unknown as [Array<{ v: string }>])[0][0]?.v)) ? 'mariadb' : 'mysql';
      if (this.resyncPending) {
        const tables = await listSourceTables(src, this.filter);
        const position = await currentPosition(this.opts.source.url);
        const fresh = new SchemaHistory({ url: this.opts.source.url });
        try {
          for (const t of tables) await fresh.ensureLoaded(t.database, t.table, position);
          cp = { pipeline: this.name, position, epoch: this.epoch,
            state: { phase: 'stream', coverage: [], resnapshot: tables.map((t) => ({ database: t.database, table: t.table })) },
            history: { ...fresh.changesSince(0)!, replace: true } };
        } finally {
          await fresh.close().catch(() => undefined);
        }
        await sink.apply({ changes: [], checkpoint: cp });
        this.resyncPending = false;
        this.log.warn({ position, tables: tables.length }, 'resync: streaming from the current source position; every table is copied again and swapped in');
      }
      const state = cp && isPipelineState(cp.state) ? cp.state : null;
      history = this.restoreHistory(cp, state);
      if (cp === null || state?.phase === 'snapshot') {
        const tables = await listSourceTables(src, this.filter);
        const t0 = Date.now();
        for (const t of tables) await sink.createTableLike(src, t.database, t.table, this.cfg.targetDatabase ?? t.database);
        this.log.info({ tables: tables.length, seconds: (Date.now() - t0) / 1000 }, 'target tables created or checked');
        if (cp !== null || this.cfg.snapshot === 'initial') {
          cp = await this.snapshot(sink, history, tables, state?.phase === 'snapshot' ? state.tables : [], cp, signal);
        } else {
          const st = await ReplicationSession.serverStatus(this.opts.source.url);
          const position = { file: st.file, pos: st.pos };
          for (const t of tables) await history.ensureLoaded(t.database, t.table, position);
          cp = { pipeline: this.name, position, epoch: this.epoch, state: { phase: 'stream', coverage: [] }, history: this.historyRows(history) };
          await sink.apply({ changes: [], checkpoint: cp });
          this.log.info({ position: cp.position }, 'no snapshot requested; streaming from the current end of the binlog');
        }
      }
      if (signal.aborted) return;
      await this.stream(sink, src, history, cp, signal);
    } finally {
      await history?.close().catch(() => undefined);
      if (src) await endWithin(src, 1000);
      await sink.close().catch(() => undefined);
    }
  }

  // ── snapshot ────────────────────────────────────────────────────────────────────────────────

  /**
   * Copy `tables` chunk by chunk (resuming `prior` plans), then return the streaming checkpoint:
   * position = the earliest chunk position, state = the chunk positions the stream must respect.
   */
  private async snapshot(sink: MysqlSink, history: SchemaHistory, tables: TableName[], prior: SnapshotTablePlan[], cp: Checkpoint | null, signal: AbortSignal,
    streamState?: { position: Position; coverage: TableCoverage[] }, route?: TableRouter): Promise<Checkpoint> {
    this.stats.status = 'snapshotting';
    const tuning = this.cfg.tuning;
    const reader = new SnapshotReader(this.opts.source.url, this.flavor, tuning.snapshotParallelism, this.log);
    const loader = new InformationSchemaLoader(this.opts.source.url);
    try {
      const planStarted = Date.now();
      const schemas = await loadSchemas(loader, tables);
      this.log.info({ tables: tables.length, seconds: (Date.now() - planStarted) / 1000 }, 'snapshot: source definitions read');
      const plans: SnapshotTablePlan[] = [];
      /** Tables whose definition changed while they were copied, and a source position after the change. */
      const changed = new Map<string, { plan: SnapshotTablePlan; after: Position }>();
      for (const t of tables) {
        const schema = schemas.get(`${t.database}.${t.table}`)!;
        const old = prior.find((p) => p.database === t.database && p.table === t.table);
        if (old) {
          plans.push(old);
          // A resumed snapshot: a DDL since it was planned makes the rest of the table a new copy's job.
          if (old.columns !== undefined && old.columns !== columnSignature(schema)) changed.set(`${t.database}.${t.table}`, { plan: old, after: await currentPosition(this.opts.source.url) });
          continue;
        }
        const ranges = await reader.planChunks(schema, tuning.snapshotChunkSize);
        plans.push({ database: t.database, table: t.table, ranges, done: {}, rowsCopied: 0, rowsEstimated: await reader.estimateRows(t.database, t.table), columns: columnSignature(schema) });
      }
      this.log.info({ tables: plans.length, seconds: (Date.now() - planStarted) / 1000 }, 'snapshot chunks planned');
      const epoch = this.epoch;
      const planPosition = cp?.position ?? streamState?.position ?? (await currentPosition(this.opts.source.url));
      // The schema in force where the stream will start (the snapshot's earliest chunk comes after it).
      for (const t of tables) await history.ensureLoaded(t.database, t.table, planPosition);
      const stateOf = (): PipelineCheckpointState => ({ phase: 'snapshot', tables: plans });
      // Streaming-time snapshots (a table renamed into scope) keep the stream's position and coverage.
      const checkpointOf = (): Checkpoint => streamState
        ? { pipeline: this.name, position: streamState.position, epoch, state: { phase: 'stream', coverage: streamState.coverage } }
        : withHistory({ pipeline: this.name, position: planPosition, epoch, state: stateOf() }, this.historyRows(history));
      this.log.info({ tables: tables.length, seconds: (Date.now() - planStarted) / 1000 }, 'snapshot: schema history loaded');
      // Chunk progress lives in the target's snapshot_chunks table, written with each chunk's rows.
      await sink.prepareSnapshot();
      if (prior.length === 0) await sink.clearSnapshotChunks();
      for (const c of await sink.snapshotChunksDone()) {
        const plan = plans.find((p) => p.database === c.database && p.table === c.table);
        if (plan && c.index < plan.ranges.length && !(c.index in plan.done)) {
          plan.done[c.index] = { file: c.file, pos: c.pos };
          plan.rowsCopied += c.rows;
        }
      }
      if (!streamState) await sink.apply({ changes: [], checkpoint: checkpointOf() });

      const queue: Array<{ plan: SnapshotTablePlan; index: number }> = [];
      for (const plan of plans) {
        if (changed.has(`${plan.database}.${plan.table}`)) continue;
        plan.ranges.forEach((_, index) => { if (!(index in plan.done)) queue.push({ plan, index }); });
      }
      const tableProgress = (p: SnapshotTablePlan): Pipeline['stats']['snapshotTables'][number] => {
        const chunksDone = Object.keys(p.done).length;
        return { database: p.database, table: p.table, rowsCopied: p.rowsCopied, rowsEstimated: Math.max(p.rowsEstimated, p.rowsCopied),
          chunksDone, chunksTotal: p.ranges.length, done: chunksDone === p.ranges.length };
      };
      // Progress of one table after each chunk (not of every table: with thousands of tables that was quadratic).
      const planIndex = new Map(plans.map((p, i) => [p, i]));
      const progress = (plan?: SnapshotTablePlan): void => {
        const i = plan === undefined ? undefined : planIndex.get(plan);
        if (i === undefined || this.stats.snapshotTables.length !== plans.length) this.stats.snapshotTables = plans.map(tableProgress);
        else this.stats.snapshotTables[i] = tableProgress(plan!);
      };
      progress();
      this.stats.snapshotRowsEstimated = plans.reduce((s, p) => s + p.rowsEstimated, 0);
      this.stats.snapshotRowsCopied = plans.reduce((s, p) => s + p.rowsCopied, 0);
      this.log.info({ tables: plans.length, chunks: queue.length, rowsEstimated: this.stats.snapshotRowsEstimated }, 'snapshot started');
      const started = Date.now();
      let lastLog = Date.now();
      // Each worker reads a chunk from the source and writes it through its own target connection.
      // The shapes of the tables still to copy, read together (and once: the sinks share them) rather than at each table's first chunk.
      if (queue.length > 1) {
        const shapesOf = route ? this.newSink(route) : sink;
        try {
          await shapesOf.loadSnapshotShapes([...new Set(queue.map((j) => j.plan))]);
        } finally {
          if (shapesOf !== sink) await shapesOf.close().catch(() => undefined);
        }
      }
      const workerSinks: MysqlSink[] = [];
      const worker = async (): Promise<void> => {
        const ws = this.newSink(route);
        workerSinks.push(ws);
        for (;;) {
          if (signal.aborted) return;
          const job = queue.shift();
          if (!job) return;
          const schema = schemas.get(`${job.plan.database}.${job.plan.table}`)!;
          const range = job.plan.ranges[job.index]!;
          // Fast path: the source formats rows as SQL tuples; rows too large for that go through values.
          let position: Position;
          let count: number;
          try {
            const lit = await reader.readChunkLiterals(schema, range);
            if (lit) {
              await ws.applySnapshotTuples(schema.database, schema.table, lit.columns, lit.tuples, { index: job.index, position: lit.position });
              position = lit.position;
              count = lit.tuples.length;
            } else {
              const read = await reader.readChunk(schema, range);
              await ws.applySnapshotChunk(schema.database, schema.table, read.rows, { index: job.index, position: read.position });
              position = read.position;
              count = read.rows.length;
            }
          } catch (err) {
            if (!isDefinitionChanged(err)) throw err;
            // A DDL on this table since it was planned: stop copying it; it is copied again after the stream applied the DDL.
            const key = `${job.plan.database}.${job.plan.table}`;
            // The DDL is committed (the check saw it), so the source's current end is past it.
            const at = await currentPosition(this.opts.source.url);
            const prev = changed.get(key);
            if (!prev || comparePositions(at, prev.after) > 0) changed.set(key, { plan: job.plan, after: at });
            for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.plan === job.plan) queue.splice(i, 1);
            this.log.warn({ table: key, after: at }, 'table definition changed during the snapshot: the table is copied again once streaming has applied the change');
            continue;
          }
          job.plan.done[job.index] = position;
          job.plan.rowsCopied += count;
          this.stats.snapshotRowsCopied += count;
          progress(job.plan);
          if (Date.now() - lastLog > 2000) {
            lastLog = Date.now();
            const secs = (Date.now() - started) / 1000;
            this.log.info({ table: `${schema.database}.${schema.table}`, rowsCopied: this.stats.snapshotRowsCopied,
              rowsEstimated: this.stats.snapshotRowsEstimated, rowsPerSecond: Math.round(this.stats.snapshotRowsCopied / secs) }, 'snapshot progress');
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.max(1, tuning.snapshotParallelism) }, worker));
      } finally {
        await Promise.all(workerSinks.map((w) => w.close().catch(() => undefined)));
      }
      if (signal.aborted) throw new SluiceError('SNAPSHOT_FAILED', 'snapshot interrupted', 'it resumes at the next chunk on restart');

      // Changed tables get no coverage: the stream applies all their changes (they are copied again later).
      const coverage: TableCoverage[] = plans.filter((p) => !changed.has(`${p.database}.${p.table}`)).map((p) => ({
        database: p.database, table: p.table,
        chunks: p.ranges.map((range, i) => ({ range, position: p.done[i]! })),
      }));
      const again: ResnapshotRequest[] = [...changed.values()].map((c) => ({ database: c.plan.database, table: c.plan.table, after: c.after }));
      const seconds = (Date.now() - started) / 1000;
      this.log.info({ rowsCopied: this.stats.snapshotRowsCopied, seconds, rowsPerSecond: Math.round(this.stats.snapshotRowsCopied / Math.max(seconds, 0.001)) }, 'snapshot done');
      if (streamState) {
        return { pipeline: this.name, position: streamState.position, epoch,
          state: { phase: 'stream', coverage: [...streamState.coverage, ...coverage], ...(again.length > 0 ? { resnapshot: again } : {}) } };
      }
      const positions = coverage.flatMap((c) => c.chunks.map((x) => x.position)).sort(comparePositions);
      const start = positions[0] ?? planPosition;
      const next: Checkpoint = withHistory({ pipeline: this.name, position: start, epoch,
        state: { phase: 'stream', coverage, ...(again.length > 0 ? { resnapshot: again } : {}) } }, this.historyRows(history));
      await sink.apply({ changes: [], checkpoint: next });
      await sink.clearSnapshotChunks();
      return next;
    } finally {
      await reader.close();
      await loader.close();
    }
  }

  // ── streaming ───────────────────────────────────────────────────────────────────────────────

  private async stream(sink: MysqlSink, src: mysql.Connection, ownHistory: SchemaHistory, cp: Checkpoint, signal: AbortSignal): Promise<void> {
    this.stats.status = 'streaming';
    ownHistory.setPosition(cp.position);
    const state = isPipelineState(cp.state) && cp.state.phase === 'stream' ? cp.state : { phase: 'stream' as const, coverage: [] };
    const chunkFilter = new ChunkFilter();
    if (state.coverage.length > 0) {
      const loader = new InformationSchemaLoader(this.opts.source.url);
      try {
        const schemas = await loadSchemas(loader, state.coverage);
        for (const cov of state.coverage) {
          const schema = schemas.get(`${cov.database}.${cov.table}`);
          if (schema) chunkFilter.add(cov, pkColumns(schema));
        }
      } finally {
        await loader.close();
      }
    }
    // Re-snapshots requested before a restart, and finished copies that were not yet swapped in.
    for (const t of state.resnapshot ?? []) {
      if (!this.resnapshots.some((x) => x.database === t.database && x.table === t.table)) this.resnapshots.push({ ...t });
    }
    this.noteQueue();
    if (state.swaps && state.swaps.length > 0) {
      const swapped = await sink.swapTables(state.swaps);
      this.log.info({ tables: state.swaps.map((w) => `${w.database}.${w.table}`), swapped }, 're-snapshot: the copies made before the restart are in place');
      await sink.apply({ changes: [], checkpoint: withHistory({ pipeline: this.name, position: cp.position, epoch: this.epoch, state: this.streamState(chunkFilter) }, this.historyRows(ownHistory)) });
    }
    const tuning = this.cfg.tuning;
    let source: { next(): Promise<SourceMessage | null>; close(): Promise<void>; bytesRead: number; reconnects: number };
    let history = ownHistory;
    if (this.opts.hub) {
      const sub = await this.opts.hub.subscribe({ name: this.name, start: cp.position, filter: this.filter, history: ownHistory });
      source = sub;
      history = sub.history;
      // Another history object (the source's shared one): its revisions are not ours; write it whole once.
      this.historyWritten = 0;
    } else {
      source = new BinlogSource({
        url: this.opts.source.url,
        serverId: this.serverId,
        start: { kind: 'position', position: cp.position },
        filter: this.filter,
        logger: this.log,
        schemaHistory: ownHistory,
        heartbeatSeconds: 1,
        reconnect: { maxAttempts: 5 },
      });
    }
    if (this.cfg.ddl === 'ignore') await this.findTablesMissingOnTarget(src);
    this.log.info({ position: cp.position, filteredTables: chunkFilter.size }, 'streaming');
    const bytesBase = this.stats.bytesRead - source.bytesRead;
    const reconnectsBase = this.stats.sourceReconnects - source.reconnects;
    let batch: RowChange[] = [];
    /** Where each source transaction of `batch` starts and ends, and how many of its changes it holds. */
    let batchBounds: TxnBounds[] = [];
    let inflightChanges = 0;
    /** Changes of the transaction being skipped (all its parts). */
    let skippedChanges = 0;
    let txn: RowChange[] = [];
    let batchPos: Position | null = null;
    let batchTxns = 0;
    let batchCommitTime = 0;
    let batchStarted = 0;
    /** A large transaction is being applied in parts (a target transaction is open). */
    let inLargeTxn = false;
    let lastWrite = Date.now();
    let lastPos = cp.position;
    const epoch = this.epoch;

    // The state is rewritten only when it changed (chunk coverage pruned, re-snapshots asked); the schema
    // history travels as the rows of the tables it changed since the last checkpoint (none on most batches).
    let writtenState = '';
    const checkpointAt = (position: Position): Checkpoint => {
      chunkFilter.prune(position);
      const text = JSON.stringify({ coverage: chunkFilter.remaining(), resnapshot: this.resnapshots });
      const cp = withHistory({ pipeline: this.name, position, epoch }, this.historyRows(history));
      if (text === writtenState) return cp;
      writtenState = text;
      return { ...cp, state: this.streamState(chunkFilter) };
    };
    // Past the snapshot's chunks the target checks foreign keys and so repeats the source's cascades; at that
    // moment, child rows left by cascades during the copy are removed (see MysqlSink.removeForeignKeyOrphans).
    const copiedTables = new Map<string, TableName>();
    const foreignKeysFrom = async (txnStart: Position): Promise<void> => {
      for (const c of chunkFilter.remaining()) copiedTables.set(`${c.database}.${c.table}`, { database: c.database, table: c.table });
      const passed = chunkFilter.passedBy(txnStart);
      if (passed && copiedTables.size > 0) {
        await sink.removeForeignKeyOrphans([...copiedTables.values()]);
        copiedTables.clear();
      }
      sink.enforceForeignKeys(passed);
    };
    // One batch may be in flight while the next one is read and decoded (source and target work overlap).
    let inflight: Promise<void> | null = null;
    let applyError: unknown = null;
    const drain = async (): Promise<void> => {
      const p = inflight;
      inflight = null;
      if (p) await p;
    };
    /**
     * Apply a batch. When the target refuses it for a reason a retry cannot cure, apply its transactions
     * one at a time (each with its checkpoint) to find the one that fails: the error then names its
     * position, so the operator can fix the target or skip exactly that transaction.
     */
    const applyBatch = async (changes: RowChange[], bounds: TxnBounds[], checkpoint: Checkpoint): Promise<void> => {
      try {
        await sink.apply({ changes, checkpoint });
      } catch (err) {
        if (!isSluiceError(err) || !SKIPPABLE.has(err.code) || bounds.length === 0) throw err;
        if (bounds.length === 1) throw this.skippable(err, bounds[0]!.start);
        this.log.warn({ transactions: bounds.length, err: describe(err) }, 'the target refused a batch: applying its transactions one by one to find the one that fails');
        let offset = 0;
        for (const b of bounds) {
          const part = changes.slice(offset, offset + b.count);
          offset += b.count;
          try {
            await sink.apply({ changes: part, checkpoint: { pipeline: this.name, position: b.end, epoch } });
          } catch (e) {
            throw this.skippable(e, b.start);
          }
        }
        await sink.apply({ changes: [], checkpoint });
      }
    };
    const flush = async (): Promise<void> => {
      if (batchPos === null) return;
      await drain();
      const changes = batch, position = batchPos, txns = batchTxns, commitTime = batchCommitTime, bounds = batchBounds;
      if (bounds.length > 0) await foreignKeysFrom(bounds[0]!.start);
      const checkpoint = checkpointAt(position);
      batch = [];
      batchBounds = [];
      batchPos = null;
      batchTxns = 0;
      lastPos = position;
      lastWrite = Date.now();
      inflightChanges = changes.length;
      this.stats.queuedChanges = inflightChanges;
      inflight = watchdog.track(applyBatch(changes, bounds, checkpoint)).then(() => {
        this.countApplied(changes);
        inflightChanges = 0;
        this.stats.queuedChanges = batch.length + txn.length;
        this.stats.rowsApplied += changes.length;
        this.stats.transactionsApplied += txns;
        this.stats.position = position;
        this.stats.appliedSourceTime = Math.max(this.stats.appliedSourceTime ?? 0, commitTime);
      });
      inflight.catch((err: unknown) => { applyError = err; }); // also observed by the next drain()
    };

    let pending: Promise<SourceMessage | null> | null = null;
    const wake = new WakeTimer<typeof TIMEOUT>(TIMEOUT, signal);
    let sourceClosed: Promise<void> | null = null;
    const closeSource = (): Promise<void> => (sourceClosed ??= source.close());
    const watchdog = new StreamWatchdog(tuning.stallTimeoutSeconds * 1000, (idleMs) => {
      this.stats.stalls++;
      this.log.warn({ idleSeconds: Math.round(idleMs / 1000), position: lastPos }, 'stream stalled (no message from the source, not even a heartbeat, and no write finished): restarting it from the checkpoint');
      // Whatever hangs (a half-open connection to either server) is cut; the loop then ends with STREAM_STALLED.
      sink.interrupt();
      void closeSource();
    });
    this.inStream = true;
    try {
      while (!signal.aborted) {
        watchdog.check();
        if (applyError !== null) throw applyError;
        if (this.resnapshots.length > 0 && txn.length === 0 && !inLargeTxn && this.resnapshots.some((t) => !t.after || comparePositions(lastPos, t.after) >= 0)) {
          // Between transactions: everything read so far is applied first, then the tables are copied.
          await flush();
          await drain();
          await watchdog.suspended(() => this.copyTablesAgain(sink, src, history, chunkFilter, lastPos, signal));
          writtenState = '';
          lastWrite = Date.now();
          continue;
        }
        this.stats.bytesRead = bytesBase + source.bytesRead;
        this.stats.sourceReconnects = reconnectsBase + source.reconnects;
        pending ??= source.next();
        // Wait for the next message until the batch is due (or a second when there is no batch).
        const due: number = batchPos !== null ? batchStarted + tuning.maxBatchDelayMs : Date.now() + 1000;
        const m: SourceMessage | null | typeof TIMEOUT = await wake.race(pending, due);
        if (m === TIMEOUT) {
          if (batchPos !== null && Date.now() >= batchStarted + tuning.maxBatchDelayMs) await flush();
          continue;
        }
        pending = null;
        watchdog.progress();
        if (m === null) {
          watchdog.check();
          break;
        }
        if (m.kind === 'transaction') {
          if (m.rolledBack) {
            txn = [];
            if (inLargeTxn) await sink.abort();
            inLargeTxn = false;
            continue;
          }
          if (this.skipAt !== null && comparePositions(m.startPosition, this.skipAt) > 0) this.missSkip(m.startPosition);
          if (this.skipAt?.kind === 'transaction' && samePosition(m.startPosition, this.skipAt)) {
            // The operator chose to pass over this transaction: none of its changes are applied.
            skippedChanges += m.changes.length;
            if (m.last) {
              this.passSkip(skippedChanges);
              skippedChanges = 0;
            }
          } else for (const ch of m.changes) {
            const img = ch.after ?? ch.before;
            if (img !== null && '@1' in img) throw unresolvedColumns(ch.database, ch.table, m.startPosition);
            if (this.skipTables.size > 0 && this.skipTables.has(`${ch.database}.${ch.table}`)) continue;
            // A primary-key change is passed whole while the stream overlaps the snapshot: the sink applies it
            // as a move, so that the children of a referenced row follow its key (ON UPDATE CASCADE).
            const f = chunkFilter.size > 0 && !chunkFilter.movesKey(ch) ? chunkFilter.filter(ch, m.startPosition) : ch;
            if (f) txn.push(f);
          }
          if (!m.last) {
            if (txn.length >= tuning.batchSize) {
              // Too large to hold: stream it into one open target transaction (memory stays bounded).
              if (!inLargeTxn) {
                await flush();
                await drain();
                await foreignKeysFrom(m.startPosition);
              }
              try {
                await watchdog.track(sink.apply({ changes: txn, checkpoint: { pipeline: this.name, position: m.startPosition, epoch }, partial: true }));
              } catch (err) {
                throw this.skippable(err, m.startPosition);
              }
              this.countApplied(txn);
              this.stats.rowsApplied += txn.length;
              inLargeTxn = true;
              txn = [];
            }
            continue;
          }
          if (inLargeTxn) {
            try {
              await watchdog.track(sink.apply({ changes: txn, checkpoint: checkpointAt(m.position) }));
            } catch (err) {
              writtenState = '';
              throw this.skippable(err, m.startPosition);
            }
            inLargeTxn = false;
            this.countApplied(txn);
            this.stats.rowsApplied += txn.length;
            this.stats.transactionsApplied++;
            this.stats.position = m.position;
            this.stats.appliedSourceTime = Math.max(this.stats.appliedSourceTime ?? 0, m.commitTime);
            lastPos = m.position;
            lastWrite = Date.now();
            txn = [];
            continue;
          }
          if (batchPos === null) batchStarted = Date.now();
          batchBounds.push({ start: m.startPosition, end: m.position, count: txn.length });
          for (const ch of txn) batch.push(ch);
          txn = [];
          this.stats.queuedChanges = batch.length + inflightChanges;
          batchPos = m.position;
          batchTxns++;
          batchCommitTime = m.commitTime;
          if (batch.length >= tuning.batchSize) await flush();
        } else if (m.kind === 'ddl') {
          await flush();
          await drain();
          if (this.skipAt !== null && comparePositions(m.position, this.skipAt) > 0) this.missSkip(m.position);
          if (this.skipAt?.kind === 'ddl' && samePosition(m.position, this.skipAt)) {
            await sink.apply({ changes: [], checkpoint: checkpointAt(m.position) });
            this.passSkip(0);
          } else {
            try {
              await watchdog.suspended(() => this.onDdl(sink, src, history, m, chunkFilter, signal));
            } catch (err) {
              throw this.skippable(err, m.position, 'ddl');
            }
          }
          lastPos = m.position;
          lastWrite = Date.now();
        } else {
          // Heartbeat: the source is idle (or everything was filtered): move the checkpoint now and then.
          if (batchPos === null && txn.length === 0 && !inLargeTxn && inflightChanges === 0) {
            this.stats.appliedSourceTime = Math.max(this.stats.appliedSourceTime ?? 0, m.time);
            if (Date.now() - lastWrite > 1000 && comparePositions(m.position, lastPos) > 0) {
              batchPos = m.position;
              batchCommitTime = m.time;
              await flush();
            }
          }
        }
      }
      await flush();
      await drain();
    } catch (err) {
      throw watchdog.stalled ?? err;
    } finally {
      watchdog.close();
      wake.close();
      this.inStream = false;
      await (inflight as Promise<void> | null)?.catch(() => undefined);
      await closeSource();
    }
  }

  private noteQueue(): void {
    this.stats.resnapshotQueue = this.resnapshots.map((t) => `${t.database}.${t.table}`);
  }

  /** Count an error and keep it (with its details) for the status. */
  private recordError(err: unknown): void {
    this.stats.errors++;
    this.stats.lastError = describe(err);
    this.stats.lastErrorDetails = isSluiceError(err) ? err.details : null;
  }

  /** A purged binlog position: say how to repair this pipeline (resync) rather than only what happened. */
  private withRepairHint(err: unknown): unknown {
    if (!isSluiceError(err) || (err.code !== 'POSITION_PURGED' && err.code !== 'GTID_PURGED')) return err;
    return new SluiceError(err.code, `pipeline ${this.name} cannot resume: ${err.message}`,
      `resync the pipeline: Resync on its page in sluice serve (POST /api/pipelines/${this.name}/resync) streams from the current position and copies every table again, ` +
      'swapping each copy in atomically (the target keeps its rows meanwhile); keep binlogs longer (binlog_expire_logs_seconds) so that a stopped pipeline can catch up',
      err.details, { cause: err });
  }

  /** The checkpoint state while streaming: chunk coverage, pending re-snapshots and swaps (the schema history is stored apart). */
  private streamState(chunkFilter: ChunkFilter, swaps?: PendingSwap[]): PipelineCheckpointState {
    return {
      phase: 'stream', coverage: chunkFilter.remaining(),
      ...(this.resnapshots.length > 0 ? { resnapshot: this.resnapshots.map((t) => ({ ...t })) } : {}),
      ...(swaps && swaps.length > 0 ? { swaps } : {}),
    };
  }

  /**
   * The schema history a (re)start goes on from: the target's rows, else the whole history an older version
   * kept in the checkpoint state (written as rows by the next checkpoint), else an empty one (a fresh start:
   * the first checkpoint replaces whatever rows the target still holds for this pipeline).
   */
  private restoreHistory(cp: Checkpoint | null, state: PipelineCheckpointState | null): SchemaHistory {
    const opts = { url: this.opts.source.url };
    this.historyReplace = false;
    if (cp?.history) {
      const h = SchemaHistory.fromJSON({ format: 1, cursor: null, tables: cp.history.tables as SchemaHistoryJSON['tables'],
        ...(cp.history.databases !== undefined ? { databases: cp.history.databases as NonNullable<SchemaHistoryJSON['databases']> } : {}) }, opts);
      this.historyWritten = h.revision;
      // Versions superseded before the checkpoint are never needed again: keep the model (and its rows) small.
      h.compact(cp.position);
      return h;
    }
    this.historyWritten = 0;
    if (state?.schemas) return SchemaHistory.fromJSON(state.schemas, opts);
    this.historyReplace = true;
    return new SchemaHistory(opts);
  }

  /**
   * The schema-history rows the next checkpoint must carry: the tables whose versions changed since the last
   * checkpoint that carried rows (undefined when none did). Every failed write restarts the pipeline, which
   * reads the history back from the target, so what is counted written here is written or reloaded.
   */
  private historyRows(history: SchemaHistory): HistoryRows | undefined {
    const replace = this.historyReplace;
    if (!replace && history.revision === this.historyWritten) return undefined;
    const changes = history.changesSince(replace ? 0 : this.historyWritten);
    this.historyWritten = history.revision;
    this.historyReplace = false;
    if (changes === null && !replace) return undefined;
    return { ...(changes ?? { tables: [] }), ...(replace ? { replace: true } : {}) };
  }

  private countApplied(changes: readonly RowChange[]): void {
    const byTable = this.stats.changesByTable;
    let db = '', table = '';
    let counts: TableCounts | undefined;
    for (const c of changes) {
      if (counts === undefined || c.table !== table || c.database !== db) {
        db = c.database;
        table = c.table;
        const key = `${db}.${table}`;
        counts = byTable.get(key);
        if (counts === undefined) byTable.set(key, counts = { inserts: 0, updates: 0, deletes: 0 });
      }
      if (c.op === 'insert') counts.inserts++;
      else if (c.op === 'update') counts.updates++;
      else counts.deletes++;
    }
  }

  /** An error the target raised for one source transaction (or DDL): name it, and say it can be skipped. */
  private skippable(err: unknown, position: Position, kind: 'transaction' | 'ddl' = 'transaction'): unknown {
    if (!isSluiceError(err) || !SKIPPABLE.has(err.code) || err.details['skip'] !== undefined) return err;
    const what = kind === 'ddl' ? 'DDL statement' : 'transaction';
    return new SluiceError(err.code, `${err.message} (source ${what} at ${position.file}:${position.pos})`,
      `${err.fix}; or, to pass over this one source ${what}, skip it: POST /api/pipelines/${this.name}/skip (Skip on the pipeline page)`,
      { ...err.details, skip: { file: position.file, pos: position.pos, kind } satisfies SkipTarget }, { cause: err });
  }

  /** The stream went past the position to skip without meeting it there: forget it (nothing was skipped). */
  private missSkip(at: Position): void {
    this.log.warn({ skip: this.skipAt, streamAt: at }, 'the transaction to skip was not met (the stream is past its position): nothing skipped');
    this.skipAt = null;
    this.stats.pendingSkip = null;
  }

  private passSkip(changes: number): void {
    const position = this.skipAt!;
    this.skipAt = null;
    this.stats.pendingSkip = null;
    this.stats.skipped.push({ position, changes, time: new Date().toISOString() });
    this.log.warn({ position, changes }, `skipped a source ${position.kind} on request: its changes are not on the target`);
  }

  /**
   * Copy the tables of the re-snapshot queue again (see requestResnapshot), all in one snapshot into
   * shadow tables, swapped in by one atomic RENAME. `position` is where the stream stands: everything
   * before it is applied. A copy that fails for a reason other than a lost connection leaves the tables
   * as they were; the error is reported and the stream goes on.
   */
  private async copyTablesAgain(sink: MysqlSink, src: mysql.Connection, history: SchemaHistory, chunkFilter: ChunkFilter, position: Position, signal: AbortSignal): Promise<void> {
    const tables = this.resnapshots.filter((t) => !t.after || comparePositions(position, t.after) >= 0);
    const keys = tables.map((t) => `${t.database}.${t.table}`);
    const epoch = this.epoch;
    const base = routeToDatabase(this.cfg.targetDatabase);
    const shadows = new Map(tables.map((t) => {
      const target = base(t.database, t.table);
      return [`${t.database}\0${t.table}`, { database: target.database, table: target.table, shadow: shadowTableName(target.table, 'new') }] as const;
    }));
    const swaps: PendingSwap[] = [...shadows.values()];
    const route: TableRouter = (db, table) => {
      const w = shadows.get(`${db}\0${table}`);
      return w ? { database: w.database, table: w.shadow } : base(db, table);
    };
    const checkpoint = (pending?: PendingSwap[]): Checkpoint => withHistory({ pipeline: this.name, position, epoch, state: this.streamState(chunkFilter, pending) }, this.historyRows(history));
    const done = (): void => {
      for (const t of tables) {
        const i = this.resnapshots.indexOf(t);
        if (i >= 0) this.resnapshots.splice(i, 1);
      }
      this.noteQueue();
    };
    // The request is in the checkpoint before any work: a restart finishes it.
    await sink.apply({ changes: [], checkpoint: checkpoint() });
    this.log.info({ tables: keys, position }, 're-snapshot: copying tables into shadow tables');
    try {
      const present = await listSourceTables(src, (db, table) => shadows.has(`${db}\0${table}`));
      const missing = keys.filter((k) => !present.some((t) => `${t.database}.${t.table}` === k));
      if (missing.length > 0) throw new SluiceError('UNKNOWN_TABLE', `cannot re-snapshot ${missing.join(', ')}: not on the source`, 'check the table names');
      // Read before the shadow tables take the source's definitions: every DDL that ended by here is in them.
      const definedAt = await currentPosition(this.opts.source.url);
      const shadowSink = this.newSink(route);
      try {
        for (const w of swaps) await sink.dropTableIfExists(w.database, w.shadow);
        for (const t of tables) await shadowSink.createTableLike(src, t.database, t.table);
      } finally {
        await shadowSink.close();
      }
      const next = await this.snapshot(sink, history, tables, [], null, signal, { position, coverage: [] }, route);
      const coverage = isPipelineState(next.state) && next.state.phase === 'stream' ? next.state.coverage : [];
      // Tables whose definition changed during the copy: copied again once the stream has applied the DDL.
      const changed = isPipelineState(next.state) && next.state.phase === 'stream' ? next.state.resnapshot ?? [] : [];
      const isChanged = (db: string, table: string): boolean => changed.some((c) => c.database === db && c.table === table);
      const loader = new InformationSchemaLoader(this.opts.source.url);
      try {
        const schemas = await loadSchemas(loader, tables);
        for (const cov of coverage) {
          const schema = schemas.get(`${cov.database}.${cov.table}`);
          if (schema && !isChanged(cov.database, cov.table)) chunkFilter.add({ ...cov, definedAt }, pkColumns(schema));
        }
      } finally {
        await loader.close();
      }
      done();
      const ready = tables.filter((t) => !isChanged(t.database, t.table));
      const readySwaps = ready.map((t) => shadows.get(`${t.database}\0${t.table}`)!);
      for (const c of changed) {
        const w = shadows.get(`${c.database}\0${c.table}`)!;
        await sink.dropTableIfExists(w.database, w.shadow);
        this.resnapshots.push({ ...c });
        this.log.warn({ table: `${c.database}.${c.table}`, after: c.after }, 're-snapshot: the table definition changed during the copy; copying it again once the stream has passed the change');
      }
      this.noteQueue();
      // Swap the copies in: first say so in the checkpoint (a crash in between completes the swap on restart).
      await sink.apply({ changes: [], checkpoint: checkpoint(readySwaps) });
      await sink.swapTables(readySwaps);
      for (const t of ready) this.skipTables.delete(`${t.database}.${t.table}`);
      await sink.apply({ changes: [], checkpoint: checkpoint() });
      this.log.info({ tables: keys, rowsCopied: this.stats.snapshotRowsCopied }, 're-snapshot done: the new copies are in place');
    } catch (err) {
      if (signal.aborted || isTransient(err)) throw err;
      done();
      this.recordError(err);
      this.log.error({ tables: keys, err: describe(err) }, 're-snapshot failed; the tables keep their previous copy and streaming goes on');
      for (const w of swaps) await sink.dropTableIfExists(w.database, w.shadow).catch(() => undefined);
      await sink.apply({ changes: [], checkpoint: checkpoint() });
    } finally {
      this.stats.status = 'streaming';
    }
  }

  private async findTablesMissingOnTarget(src: mysql.Connection): Promise<void> {
    const tables = await listSourceTables(src, this.filter);
    const missing = await missingOnTarget(this.opts.target.url, tables, (t) => ({ database: this.cfg.targetDatabase ?? t.database, table: t.table }));
    for (const t of missing) this.skipTables.add(`${t.database}.${t.table}`);
    if (missing.length > 0) this.log.warn({ tables: missing }, 'ddl: ignore — these source tables have no target table and are not followed');
  }

  private async onDdl(sink: MysqlSink, src: mysql.Connection, history: SchemaHistory, m: DdlMessage, chunkFilter: ChunkFilter, signal: AbortSignal): Promise<void> {
    const checkpoint = (): Checkpoint => withHistory({ pipeline: this.name, position: m.position, epoch: this.epoch, state: this.streamState(chunkFilter) }, this.historyRows(history));
    if (this.cfg.ddl === 'ignore') {
      const c = classifyStatement(m.sql, m.database);
      if (c.kind === 'ddl') {
        const added = c.ddl.action === 'create_table' ? c.ddl.tables : c.ddl.renames.map((r) => r.to);
        for (const t of added) {
          if (this.filter(t.database, t.table)) this.skipTables.add(`${t.database}.${t.table}`);
        }
      }
      this.log.info({ sql: m.sql, skippedTables: [...this.skipTables] }, 'DDL ignored (policy ignore); tables it brought into scope are not followed');
      await sink.apply({ changes: [], checkpoint: checkpoint() });
      return;
    }
    if (this.cfg.ddl === 'fail') {
      throw new SluiceError('DDL_REJECTED', `DDL on a synced table stopped pipeline ${this.name}: ${m.sql.slice(0, 200)}`,
        `apply the change to the target yourself, then set ddl: ignore for one restart, or set ddl: apply to let Sluice run DDL`, { position: m.position });
    }
    const cls = classifyStatement(m.sql, m.database);
    if (cls.kind === 'ddl') {
      // Tables copied again while streaming already have the DDL that happened before their copy was defined.
      const touched = [...cls.ddl.tables, ...cls.ddl.renames.flatMap((r) => [r.from, r.to])].filter((t) => this.filter(t.database, t.table));
      if (touched.length > 0 && touched.every((t) => chunkFilter.definitionHas(t.database, t.table, m.position))) {
        this.log.info({ sql: m.sql.slice(0, 200), position: m.position }, 'DDL already in the re-copied table definition; not applied again');
        await sink.apply({ changes: [], checkpoint: checkpoint() });
        return;
      }
    }
    // Tables renamed from outside the pipeline's scope into it: create and copy them now.
    const incoming: TableName[] = [];
    if (cls.kind === 'ddl') {
      for (const r of cls.ddl.renames) {
        if (!this.filter(r.from.database, r.from.table) && this.filter(r.to.database, r.to.table)) incoming.push({ database: r.to.database, table: r.to.table });
      }
    }
    if (incoming.length === 0 || incoming.length < (cls.kind === 'ddl' ? cls.ddl.renames.length : 0)) {
      this.log.info({ sql: m.sql, position: m.position }, 'applying DDL');
      await sink.applyDdl({ database: m.database, sql: m.sql }, checkpoint());
    }
    if (incoming.length > 0) {
      this.log.info({ tables: incoming }, 'tables came into scope by RENAME: copying them');
      for (const t of incoming) await sink.createTableLike(src, t.database, t.table, this.cfg.targetDatabase ?? t.database);
      const next = await this.snapshot(sink, history, incoming, [], null, signal, { position: m.position, coverage: chunkFilter.remaining() });
      const loader = new InformationSchemaLoader(this.opts.source.url);
      try {
        const schemas = await loadSchemas(loader, incoming);
        const state = next.state as PipelineCheckpointState;
        if (state.phase === 'stream') {
          for (const cov of state.coverage) {
            const schema = schemas.get(`${cov.database}.${cov.table}`);
            if (schema) chunkFilter.add(cov, pkColumns(schema));
          }
        }
      } finally {
        await loader.close();
      }
      await sink.apply({ changes: [], checkpoint: checkpoint() });
      this.stats.status = 'streaming';
    }
  }
}

/** Target tables that must exist for `ddl: ignore` pipelines: in-scope source tables without one are skipped. */
export async function missingOnTarget(targetUrl: string, tables: readonly TableName[], route: (t: TableName) => TableName): Promise<TableName[]> {
  const conn = await connectMysql(targetUrl);
  try {
    const missing: TableName[] = [];
    for (const t of tables) {
      const r = route(t);
      const [rows] = await conn.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [r.database, r.table]);
      if ((rows as unknown[]).length === 0) missing.push(t);
    }
    return missing;
  } finally {
    await conn.end().catch(() => undefined);
  }
}

async function connectSource(url: string): Promise<mysql.Connection> {
  try {
    return await connectMysql(url, { supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
  } catch (err) {
    if (isSluiceError(err)) throw err;
    if ((err as { errno?: number }).errno === 1045) {
      throw new SluiceError('ACCESS_DENIED', `the source refused the login: ${(err as Error).message}`,
        'check the user and password in the source URL', {}, { cause: err });
    }
    throw new SluiceError('CONNECTION_FAILED', `cannot connect to the source: ${(err as Error).message}`,
      'check that the source is reachable and the URL, user and password are right', {}, { cause: err });
  }
}

async function currentPosition(url: string): Promise<Position> {
  const st = await ReplicationSession.serverStatus(url);
  return { file: st.file, pos: st.pos };
}

async function loadSchemas(loader: InformationSchemaLoader, tables: readonly TableName[]): Promise<Map<string, TableSchema>> {
  const byDb = new Map<string, string[]>();
  for (const t of tables) byDb.set(t.database, [...(byDb.get(t.database) ?? []), t.table]);
  const out = new Map<string, TableSchema>();
  for (const [db, names] of byDb) {
    const m = await loader.loadDatabase(db, names);
    for (const [name, schema] of m) out.set(`${db}.${name}`, schema);
  }
  for (const t of tables) {
    if (!out.has(`${t.database}.${t.table}`)) {
      throw new SluiceError('UNKNOWN_TABLE', `table ${t.database}.${t.table} is not on the source`, 'check the pipeline\'s tables patterns');
    }
  }
  return out;
}

interface TxnBounds { start: Position; end: Position; count: number }

/** `cp` with `history` rows when there are any. */
function withHistory(cp: Checkpoint, history: HistoryRows | undefined): Checkpoint {
  return history ? { ...cp, history } : cp;
}

function samePosition(a: Position, b: Position): boolean {
  return a.pos === b.pos && a.file === b.file;
}

function isTransient(err: unknown): boolean {
  if (isSluiceError(err)) return err.code === 'CONNECTION_LOST' || err.code === 'CONNECTION_FAILED' || err.code === 'TRANSACTION_ABORTED' || err.code === 'STREAM_STALLED' || err.code === 'TARGET_READ_ONLY';
  const code = (err as { code?: string } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'PROTOCOL_CONNECTION_LOST' || code === 'ETIMEDOUT' || code === 'EPIPE';
}

function describe(err: unknown): string {
  if (isSluiceError(err)) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}


/** A row whose columns could not be named: never write it under guessed names. */
function unresolvedColumns(database: string, table: string, position: Position): SluiceError {
  return new SluiceError('SCHEMA_MISMATCH',
    `cannot tell the columns of ${database}.${table} at ${position.file}:${position.pos}: the binlog carries no column names and the table's current definition does not match the event (several DDL statements happened while the pipeline was behind)`,
    'set binlog_row_metadata=FULL on the source (names then travel in the binlog), then re-snapshot: delete this pipeline\'s row from the target\'s _sluice.checkpoints and truncate its target tables; or skip this one transaction (POST /api/pipelines/<name>/skip) and re-snapshot the table afterwards',
    { database, table, position, skip: { file: position.file, pos: position.pos, kind: 'transaction' } satisfies SkipTarget });
}

/** A replica server id derived from a name (stable across restarts, unlikely to collide). */
/**
 * The replica server id for reading source `name` when none is configured: distinct per process, so
 * that two Sluice processes never drop each other's binlog connection (one pipeline is still written by
 * one instance only: the target's lease and epoch see to that).
 */
export function defaultServerId(name: string): number {
  return 1_000_000 + (fnv1a32(`${name}\0${INSTANCE.id}`) % 3_000_000_000);
}
