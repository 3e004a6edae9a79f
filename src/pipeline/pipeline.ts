/**
 * One pipeline: keeps the selected source tables identical on the target.
 *
 *  1. open the target (checkpoint store, epoch claim) and read the checkpoint — this module, with the lease keeper;
 *  2. create missing target tables from the source's models (`ensureTables`, compatibility-checked otherwise);
 *  3. initial snapshot (chunked, parallel, lock-free, resumable) unless `snapshot: none` or done — snapshot-phase.ts;
 *  4. stream the binlog from the checkpoint: whole source transactions grouped into target
 *     transactions, each with its checkpoint (exactly-once) — stream-loop.ts; DDL per policy — ddl-policy.ts;
 *     skip / re-snapshot / resync — repairs.ts.
 * Transient failures (source or target down) restart from step 1 with backoff (restart-policy.ts): the checkpoint
 * in the target says exactly where to resume. The target is reached only through the `Target` contract.
 */
import mysql from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PipelineConfig, SourceConfig, TargetConfig } from '../config/types.js';
import { type Checkpoint, type HistoryRows, type SourceTable, type Target, type TargetFactory, type TargetOptions, type TableRouter } from '../targets/target.js';
import { targetFactory } from '../targets/registry.js';
import { readSourceTables } from '../source/source-table-reader.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';
import { endWithin } from '../mysql/connection.js';
import { SchemaHistory, type SchemaHistoryJSON } from '../mysql/schema/schema-history.js';
import { compileTableFilter, type TableFilter } from '../source/table-filter.js';
import type { Flavor, RowChange } from '../core/types.js';
import { ChunkFilter } from '../snapshot/chunk-filter.js';
import { isPipelineState, withHistory, type PendingSwap, type PipelineCheckpointState, type ResnapshotRequest } from './pipeline-state.js';
import { listSourceTables, type TableName } from '../source/source-tables.js';
import type { SharedReader } from './source-hub.js';
import { fnv1a32 } from '../fnv-hash.js';
import { INSTANCE, describeInstance } from '../instance.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { PipelineStats, SkipTarget, TableCounts } from './stats.js';
import { connectSource, currentPosition } from './source-access.js';
import { describe, isTransient, sleep } from './restart-policy.js';
import { snapshot } from './snapshot-phase.js';
import { stream } from './stream-loop.js';

export type { PipelineStats, PipelineStatus, SkipTarget, SkippedEvent, TableCounts } from './stats.js';

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
  hub?: SharedReader;
  /** Makes this pipeline's targets; default: the registry's kind for `target.type`. */
  targets?: TargetFactory;
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

/**
 * A pipeline's state and lifecycle. Its members below `stats` are the state the stage modules of this folder
 * (snapshot-phase, stream-loop, repairs, ddl-policy) share with it; outside src/pipeline/ use only `name`,
 * `stats`, `run` and `requestResnapshot`.
 */
/** Tables whose definitions are read and ensured on the target at a time. */
const ENSURE_TABLES_SLICE = 500;

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
  readonly cfg: PipelineConfig;
  readonly log: Logger;
  readonly filter: TableFilter;
  readonly serverId: number;
  flavor: Flavor = 'mysql';
  /** With `ddl: ignore`, tables that came into scope by DDL the target never saw: their changes are skipped. */
  readonly skipTables = new Set<string>();
  /** Position of the transaction / DDL to skip (cleared once passed). */
  skipAt: SkipTarget | null;
  /** A resync was asked for and not yet written to the checkpoint. */
  resyncPending: boolean;
  /** The stream loop runs (a snapshot now is a re-snapshot inside it, not the initial one). */
  inStream = false;
  /** Source tables to copy again while streaming (`db.table`), in request order. */
  readonly resnapshots: ResnapshotRequest[] = [];
  /** The epoch of this instance's current claim on the target (every checkpoint is written with it). */
  epoch = 0;
  /** A claim was made (its lease is released when the pipeline stops). */
  claimed = false;
  /** `cutWrites()` was called: every target of this run is interrupted, and those made later start so. */
  private writesCut = false;
  /** Targets made by `newTarget` and not closed yet (what `cutWrites` interrupts). */
  private readonly openTargets = new Set<Target>();
  /**
   * The schema history is stored on the target one row per table (see `historyRows`): the revision of the
   * history written last, and whether the next write must replace every stored row (a fresh start).
   */
  historyWritten = 0;
  private historyReplace = false;
  /** Makes this pipeline's targets (they share what the kind caches per pipeline, e.g. table shapes). */
  readonly targets: TargetFactory;

  constructor(readonly opts: PipelineOptions) {
    this.cfg = opts.config;
    this.name = opts.config.name;
    this.log = opts.logger.child({ pipeline: this.name });
    this.filter = compileTableFilter(this.cfg.tables, this.cfg.exclude);
    this.serverId = opts.source.serverId ?? defaultServerId(this.name);
    this.skipAt = opts.skip ?? null;
    this.stats.pendingSkip = this.skipAt;
    this.resyncPending = opts.resync ?? false;
    this.targets = opts.targets ?? targetFactory(opts.target, { parallelism: this.cfg.tuning.snapshotParallelism });
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
      if (this.claimed && !fenced && !this.writesCut) await this.releaseLease();
    }
  }

  /**
   * Stop writing now, before the run has stopped: the coordinator's lease is lost or about to end (cluster mode),
   * so nothing more may reach the target — not the batch in hand, not a release. Every open target connection is
   * cut (an open target transaction rolls back) and targets made later cannot connect; abort the run's signal too.
   */
  cutWrites(): void {
    this.writesCut = true;
    for (const t of this.openTargets) t.interrupt();
  }

  async runWithRestarts(signal: AbortSignal): Promise<void> {
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
  async explain(err: unknown): Promise<unknown> {
    if (!isSluiceError(err) || err.code !== 'DUPLICATE_SERVER_ID') return err;
    const sink = this.newTarget();
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

  serverIdInUse(): number {
    return this.opts.hub?.serverId ?? this.serverId;
  }

  async releaseLease(): Promise<void> {
    const sink = this.newTarget();
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

  newTarget(route?: TableRouter, extra: Partial<TargetOptions> = {}): Target {
    const target = this.targets({
      pipeline: this.name,
      // Targets that are not opened write with this instance's claim.
      epoch: this.claimed ? this.epoch : this.opts.epoch,
      leaseSeconds: this.cfg.tuning.leaseSeconds,
      // Shadow copies (re-snapshot) are created without foreign keys: constraint names are unique per database.
      ...(route ? { route } : { targetDatabase: this.cfg.targetDatabase, foreignKeyScope: this.filter }),
      maxStatementBytes: this.cfg.tuning.maxStatementBytes,
      logger: this.log,
      ...extra,
    });
    if (this.writesCut) target.interrupt();
    this.openTargets.add(target);
    const close = target.close.bind(target);
    target.close = async () => {
      this.openTargets.delete(target);
      await close();
    };
    return target;
  }

  /** The source's model of `tables` (what the target creates its tables from). */
  sourceTables(tables: readonly TableName[]): Promise<SourceTable[]> {
    return readSourceTables(this.opts.source.url, tables, { parallelism: this.cfg.tuning.snapshotParallelism });
  }

  /**
   * One start: claim the pipeline on the target, then snapshot and stream. A lease keeper renews the
   * claim meanwhile; once another instance has taken the pipeline over, everything stops (FENCED).
   */
  async runOnce(outer: AbortSignal): Promise<void> {
    this.stats.status = 'starting';
    // The sink that claims: a new epoch (or the coordinator's), never this instance's previous one.
    const sink = this.newTarget(undefined, { epoch: this.opts.epoch });
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
    // A restart: the status shows the checkpoint the stream resumes from while the run gets there.
    if (stored && !(isPipelineState(stored.state) && stored.state.phase === 'snapshot')) this.stats.position = stored.position;
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
    // A stop that came while the claim was waiting fired no event for this listener.
    if (outer.aborted) inner.abort();
    // Its own connection, with short lock waits: while this pipeline's transaction holds the row, its commit renews.
    const keeper = new LeaseKeeper(this.newTarget(undefined, { lockWaitSeconds: 2 }), this.cfg.tuning.leaseSeconds, this.log, (err) => {
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

  async runClaimed(sink: Target, stored: Checkpoint | null, signal: AbortSignal): Promise<void> {
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
        let tables = await listSourceTables(src, this.filter);
        // A resumed snapshot copies the tables it planned. Tables that came since (created or renamed into place by a
        // deploy while Sluice was down) are made by the stream's DDL at their position, and then copied again under
        // their name (a table renamed since was copied in part under its old one); their target tables are not made now.
        const prior = state?.phase === 'snapshot' ? state.tables : [];
        const planned = new Set(prior.map((t) => `${t.database}\0${t.table}`));
        const later = prior.length > 0 ? tables.filter((t) => !planned.has(`${t.database}\0${t.table}`)) : [];
        if (later.length > 0) {
          tables = tables.filter((t) => planned.has(`${t.database}\0${t.table}`));
          this.log.info({ tables: later.map((t) => `${t.database}.${t.table}`) }, 'resumed snapshot: tables that appeared since it began are made by the stream, then copied again');
        }
        const t0 = Date.now();
        // In slices: the parsed definitions of thousands of tables need not all be in memory at once.
        for (let i = 0; i < tables.length; i += ENSURE_TABLES_SLICE) {
          let sources = await this.sourceTables(tables.slice(i, i + ENSURE_TABLES_SLICE));
          if (cp !== null) {
            // A resumed snapshot: DDL since it began (a deploy while Sluice was down) is applied by the stream at its
            // position, so an existing target table must match the table as it was then, not as it is now.
            const at = cp.position;
            sources = sources.map((s) => {
              const then = history?.schemaAt(s.schema.database, s.schema.table, at);
              return then ? { ...s, schema: then } : s;
            });
          }
          await sink.ensureTables(sources);
        }
        this.log.info({ tables: tables.length, seconds: (Date.now() - t0) / 1000 }, 'target tables created or checked');
        if (cp !== null || this.cfg.snapshot === 'initial') {
          cp = await snapshot(this, sink, history, tables, prior, cp, signal, undefined, undefined, later);
        } else {
          const st = await ReplicationSession.serverStatus(this.opts.source.url);
          const position = { file: st.file, pos: st.pos };
          for (const t of tables) await history.ensureLoaded(t.database, t.table, position);
          cp = withHistory({ pipeline: this.name, position, epoch: this.epoch, state: { phase: 'stream', coverage: [] } }, this.historyRows(history));
          await sink.apply({ changes: [], checkpoint: cp });
          this.log.info({ position: cp.position }, 'no snapshot requested; streaming from the current end of the binlog');
        }
      }
      if (signal.aborted) return;
      await stream(this, sink, src, history, cp, signal);
    } finally {
      await history?.close().catch(() => undefined);
      if (src) await endWithin(src, 1000);
      await sink.close().catch(() => undefined);
    }
  }

  // ── snapshot ────────────────────────────────────────────────────────────────────────────────

  // ── streaming ───────────────────────────────────────────────────────────────────────────────

  noteQueue(): void {
    this.stats.resnapshotQueue = this.resnapshots.map((t) => `${t.database}.${t.table}`);
  }

  /** Count an error and keep it (with its details) for the status. */
  recordError(err: unknown): void {
    this.stats.errors++;
    this.stats.lastError = describe(err);
    this.stats.lastErrorDetails = isSluiceError(err) ? err.details : null;
  }

  /** A purged binlog position: say how to repair this pipeline (resync) rather than only what happened. */
  withRepairHint(err: unknown): unknown {
    if (!isSluiceError(err) || (err.code !== 'POSITION_PURGED' && err.code !== 'GTID_PURGED')) return err;
    return new SluiceError(err.code, `pipeline ${this.name} cannot resume: ${err.message}`,
      `resync the pipeline: Resync on its page in sluice serve (POST /api/pipelines/${this.name}/resync) streams from the current position and copies every table again, ` +
      'swapping each copy in atomically (the target keeps its rows meanwhile); keep binlogs longer (binlog_expire_logs_seconds) so that a stopped pipeline can catch up',
      err.details, { cause: err });
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
  historyRows(history: SchemaHistory): HistoryRows | undefined {
    const replace = this.historyReplace;
    if (!replace && history.revision === this.historyWritten) return undefined;
    const changes = history.changesSince(replace ? 0 : this.historyWritten);
    this.historyWritten = history.revision;
    this.historyReplace = false;
    if (changes === null && !replace) return undefined;
    return { ...(changes ?? { tables: [] }), ...(replace ? { replace: true } : {}) };
  }

  /** The checkpoint state while streaming: chunk coverage, schema history, pending re-snapshots. */
  streamState(chunkFilter: ChunkFilter, swaps?: PendingSwap[]): PipelineCheckpointState {
    return {
      phase: 'stream', coverage: chunkFilter.remaining(),
      ...(this.resnapshots.length > 0 ? { resnapshot: this.resnapshots.map((t) => ({ ...t })) } : {}),
      ...(swaps && swaps.length > 0 ? { swaps } : {}),
    };
  }

  countApplied(changes: readonly RowChange[]): void {
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
}

/**
 * The replica server id for reading source `name` when none is configured: distinct per process, so
 * that two Sluice processes never drop each other's binlog connection (one pipeline is still written by
 * one instance only: the target's lease and epoch see to that).
 */
export function defaultServerId(name: string): number {
  return 1_000_000 + (fnv1a32(`${name}\0${INSTANCE.id}`) % 3_000_000_000);
}
