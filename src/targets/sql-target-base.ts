/**
 * What the SQL targets (MySQL/MariaDB, PostgreSQL) share: one cached connection, cut at once when it is lost or the
 * target is interrupted; ROLLBACK (or drop the connection) after a failed statement; driver errors mapped to typed
 * ones; the claim's retry loop (a stale owner's lock is broken once); a batch's retry loop (lock conflicts with
 * backoff, one reconnect before the COMMIT was sent, a lost COMMIT recognised by its checkpoint); the skeleton of a
 * large source transaction applied in parts; the ownership check (epoch fence + compare-and-set of the position).
 *
 * A kind supplies its driver (`SqlDriver`) and the statements: how to begin a writer's transaction and lock the
 * checkpoint row, how to turn changes into its steps, how to run them (with the checkpoint and COMMIT).
 */
import { SluiceError, isSluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import { INSTANCE, type InstanceInfo } from '../instance.js';
import type { RowChange } from '../core/types.js';
import { CheckpointTable, fencedError, ownedError, type StoredCheckpointRow } from './mysql/checkpoint-table.js';
import { checkOwnership, heldByLiveOther } from './ownership.js';
import type { Checkpoint, OwnerInfo, TargetBatch } from './target.js';

/** A kind's database driver, as the shared code needs it. */
export interface SqlDriver<C> {
  /** How the target names itself in messages ('the target', 'the PostgreSQL target'). */
  readonly name: string;
  /** Close the socket now (pending queries fail); never a half-close. */
  cut(conn: C): void;
  /** A polite close, but never waiting longer than `ms` (then the socket is cut). */
  endWithin(conn: C, ms: number): Promise<void>;
  rollback(conn: C): Promise<unknown>;
  isConnectionError(err: unknown): boolean;
  isLockConflict(err: unknown): boolean;
  /** A lock wait ran out (the claim then looks at who holds the checkpoint row). */
  isLockWaitTimeout(err: unknown): boolean;
  /** Two writers raced on the catalog (creating the checkpoint schema or table at once): try again. */
  isCatalogRace(err: unknown): boolean;
  /** An error that aborts a large transaction applied in parts but goes away when it is applied again. */
  abortsLargeTransaction(err: unknown): boolean;
  /** A unique-key conflict (a merged batch is applied again in source order). */
  isUniqueViolation(err: unknown): boolean;
  connectionLost(what: string, err: unknown): SluiceError;
  targetWriteFailed(what: string, err: unknown): SluiceError;
  message(err: unknown): string;
  /** The error's code for logs and error details: `{ errno }` or `{ sqlState }`. */
  details(err: unknown): Record<string, unknown>;
}

export interface SqlTargetBaseOptions {
  pipeline: string;
  epoch?: number;
  leaseSeconds?: number;
  owner?: InstanceInfo;
  lockRetries?: number;
  logger: Logger;
}

/** Progress of one batch attempt: once COMMIT is sent, a lost connection leaves the outcome unknown. */
export interface CommitProgress { commitSent: boolean }

/**
 * Most bytes of SQL per round trip of a packed group (Target.applyPacked). MariaDB's cost per statement grows with
 * the length of the multi-statement query it sits in (measured at 2,000 tables, ~100 single-row statements per
 * transaction: ~30 µs of server CPU per row with 1–20 transactions (8–160 KB) per query, 39–50 µs with 50
 * (400 KB)); ~8 small transactions per round trip keep the round trips few and the server's cost flat.
 */
export const PACKED_QUERY_BYTES = 64 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The steps of `parts` in order, taken only as the consumer asks (a checkpoint's steps may be made lazily). */
function* concat<S>(...parts: Array<Iterable<S>>): Generator<S, void, undefined> {
  for (const p of parts) yield* p;
}

export abstract class SqlTargetBase<C, S> {
  readonly pipeline: string;
  /** The epoch this target writes with (set by `open()`'s claim). */
  epoch: number;
  /** The instance that owned the pipeline before this target's claim, when it was another one. */
  previousOwner: OwnerInfo | null = null;
  protected readonly explicitEpoch: boolean;
  protected readonly leaseSeconds: number;
  protected readonly owner: InstanceInfo;
  protected readonly lockRetries: number;
  protected readonly log: Logger;
  /** The cached connection (null: connect on next use). */
  protected conn: C | null = null;
  /** interrupt() was called: no new connection. */
  protected interrupted = false;
  /** The checkpoint position this target last saw committed (compare-and-set of every write); undefined before open. */
  protected committed: Checkpoint['position'] | null | undefined = undefined;
  /** A large source transaction is being applied in parts (target transaction open). */
  protected openTransaction = false;
  /** The connection the open transaction began on. */
  protected txnConn: C | null = null;
  /** A COMMIT's outcome is unknown (connection lost): the next apply checks the stored checkpoint first. */
  protected uncertain = false;
  private readonly warnedColumns = new Set<string>();

  protected constructor(protected readonly driver: SqlDriver<C>, opts: SqlTargetBaseOptions) {
    this.pipeline = opts.pipeline;
    this.epoch = opts.epoch ?? 0;
    this.explicitEpoch = opts.epoch !== undefined;
    this.leaseSeconds = opts.leaseSeconds ?? 15;
    this.owner = opts.owner ?? INSTANCE;
    this.lockRetries = opts.lockRetries ?? 5;
    // Every line names the pipeline once: the logger given is most often already the pipeline's child.
    this.log = 'pipeline' in opts.logger.bindings() ? opts.logger : opts.logger.child({ pipeline: opts.pipeline });
  }

  /** The cached connection, or a new one with the kind's session settings. */
  protected abstract connect(what: string): Promise<C>;
  /** Claim the pipeline once (a connection of its own); see open(). */
  protected abstract openOnce(): Promise<Checkpoint | null>;
  /** The stored checkpoint row, unlocked (null when none). */
  protected abstract readStoredRow(): Promise<StoredCheckpointRow | null>;
  /** End the transaction of a previous owner whose lease ran out but which still holds the checkpoint row. */
  protected abstract endStaleOwner(stored: StoredCheckpointRow): Promise<void>;
  /** Begin a writer's transaction and lock the checkpoint row (with its state when a lost COMMIT must be recognised). */
  protected abstract beginWriter(conn: C, withState: boolean): Promise<StoredCheckpointRow | null>;
  /** The steps that apply `changes` (merged unless `strict`). */
  protected abstract stepsFor(conn: C, changes: readonly RowChange[], strict: boolean): Promise<S[]>;
  /**
   * Run `steps` in the open transaction; with `commit`, COMMIT goes with the last ones (`progress.commitSent` set
   * before it is sent). Returns the rows the last statement before COMMIT changed (the checkpoint's), when known.
   */
  protected abstract runSteps(conn: C, steps: Iterable<S>, commit: boolean, progress?: CommitProgress, maxQueryBytes?: number): Promise<number | null>;
  /** The checkpoint's write statements, as steps (possibly made as they are taken: see MysqlTarget). */
  protected abstract checkpointSteps(checkpoint: Checkpoint): Iterable<S>;
  /**
   * Steps that begin the writer's transaction and lock the checkpoint row, failing (`isFenceFailure`) unless the row
   * is this writer's at the position it last committed: the batch then goes in one round trip. Null (the default):
   * the row is read and checked first (beginWriter), one round trip more.
   */
  protected fenceSteps(): S[] | null { return this.fenceStepsAt(this.committed); }
  /** fenceSteps for a writer whose last committed position is `at` (a later transaction of a packed group). */
  protected fenceStepsAt(_at: Checkpoint['position'] | null | undefined): S[] | null { return null; }
  /** The step that commits a transaction inside a packed group (null: the kind sends one transaction per round trip). */
  protected commitStep(): S | null { return null; }
  protected isFenceFailure(_err: unknown): boolean { return false; }
  /** A batch failed with an error the target does not retry (a kind forgets cached table shapes here). */
  protected onApplyFailed(): void { /* nothing by default */ }

  // ── connection ──────────────────────────────────────────────────────────────────────────────

  protected dropConnection(): void {
    const c = this.conn;
    this.conn = null;
    if (c) this.driver.cut(c);
  }

  protected async rollbackQuietly(): Promise<void> {
    const c = this.conn;
    if (!c) return;
    try {
      await this.driver.rollback(c);
    } catch {
      this.dropConnection();
    }
  }

  /** A failed statement as a typed error: the connection dropped when it was lost, else the transaction rolled back. */
  protected async failure(what: string, err: unknown): Promise<SluiceError> {
    if (isSluiceError(err)) return err;
    if (this.driver.isConnectionError(err)) {
      this.dropConnection();
      return this.driver.connectionLost(what, err);
    }
    await this.rollbackQuietly();
    return this.driver.targetWriteFailed(what, err);
  }

  /** A failed snapshot chunk: connection loss and lock conflicts are retryable (the chunk is copied again). */
  protected async chunkFailure(err: unknown, what: string): Promise<SluiceError> {
    if (this.driver.isConnectionError(err)) {
      this.dropConnection();
      return this.driver.connectionLost('a snapshot chunk', err);
    }
    await this.rollbackQuietly();
    if (isSluiceError(err)) return err;
    if (this.driver.isLockConflict(err)) {
      return new SluiceError('TRANSACTION_ABORTED', `${this.driver.name} aborted a snapshot chunk (${this.driver.message(err)})`,
        'nothing to do: the chunk is copied again', this.driver.details(err), { cause: err });
    }
    return this.driver.targetWriteFailed(what, err);
  }

  /**
   * A failed DDL: a typed error (rolled back) or a lost connection (dropped) as they are; any other error is rolled
   * back and null returned (the kind says why its statement failed).
   */
  protected async ddlFailure(err: unknown): Promise<SluiceError | null> {
    if (isSluiceError(err)) {
      await this.rollbackQuietly();
      return err;
    }
    if (this.driver.isConnectionError(err)) {
      this.dropConnection();
      return this.driver.connectionLost('DDL', err);
    }
    await this.rollbackQuietly();
    return null;
  }

  /**
   * Cut this target's connection now: a hung write fails at once with CONNECTION_LOST, and the target does
   * not connect again (its owner starts over with a new target).
   */
  interrupt(): void {
    this.interrupted = true;
    this.openTransaction = false;
    this.dropConnection();
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = null;
    // A polite close, but never wait long for it: the connection may hang (no reset from the network).
    if (c) await this.driver.endWithin(c, 1000);
  }

  // ── ownership ───────────────────────────────────────────────────────────────────────────────

  /**
   * Create the checkpoint store if needed, claim the pipeline (a new epoch, this instance as owner, a lease), return
   * the saved checkpoint. PIPELINE_OWNED while another live instance holds the lease; FENCED when a coordinator's
   * epoch is older than the stored one.
   */
  async open(): Promise<Checkpoint | null> {
    let brokeStaleLock = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.openOnce();
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause ?? err;
        const raced = this.driver.isCatalogRace(cause);
        if (attempt >= this.lockRetries || (!this.driver.isLockConflict(cause) && !raced)) throw err;
        // The row is locked by a transaction. A live owner's: wait for it (PIPELINE_OWNED). One whose lease ran out
        // (a paused or cut-off instance that holds its lock): end it once, then claim. With a coordinator's epoch,
        // whoever holds the row with an older epoch lost its lease: its target lease does not count.
        if (this.driver.isLockWaitTimeout(cause)) {
          const stored = await this.readStoredRow();
          if (!this.explicitEpoch && stored && heldByLiveOther(stored, this.owner)) throw ownedError(this.pipeline, stored);
          if (this.explicitEpoch && stored && stored.epoch > this.epoch) throw fencedError(this.pipeline, stored, this.epoch);
          if (stored && !brokeStaleLock) {
            brokeStaleLock = true;
            await this.endStaleOwner(stored);
            continue;
          }
        }
        // Pipelines sharing a target open at the same time: their claims can deadlock or race on the new table.
        await sleep(50 * 2 ** attempt + Math.random() * 50);
      }
    }
  }

  /** Who owns the pipeline on the target now (null when no instance recorded itself). */
  async currentOwner(): Promise<OwnerInfo | null> {
    const stored = await this.readStoredRow();
    return stored ? { owner: stored.owner, epoch: stored.epoch, leaseLeft: stored.leaseLeft, self: stored.epoch === this.epoch && stored.owner?.id === this.owner.id } : null;
  }

  /**
   * The row must be this writer's: its epoch (a newer claim fences this writer) and, when `cas`, the
   * position this writer last committed (compare-and-set: no other writer moved it).
   */
  protected checkOwnership(stored: StoredCheckpointRow | null, cas = false): void {
    checkOwnership(this.pipeline, stored, this.epoch, cas ? this.committed : undefined);
  }

  // ── apply ───────────────────────────────────────────────────────────────────────────────────

  /**
   * One target transaction: the changes and the checkpoint. Lock conflicts are retried with backoff; a unique-key
   * conflict of a merged batch once in source order; a connection lost before COMMIT was sent once on a new
   * connection. A connection lost after it raises CONNECTION_LOST: call again with the same batch (a COMMIT that
   * did land is recognised by its checkpoint and not applied twice).
   */
  async apply(batch: TargetBatch): Promise<void> {
    if (batch.partial || this.openTransaction) return this.applyInParts(batch);
    let strict = false;
    let reconnected = false;
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connect('apply');
      const progress: CommitProgress = { commitSent: false };
      try {
        await this.applyOnce(conn, batch, strict, progress);
        this.uncertain = false;
        return;
      } catch (err) {
        if (isSluiceError(err) && err.code !== 'CONNECTION_LOST') {
          await this.rollbackQuietly();
          this.onApplyFailed();
          throw err;
        }
        if (this.driver.isConnectionError(err) || isSluiceError(err)) {
          this.dropConnection();
          if (progress.commitSent) this.uncertain = true;
          // Nothing can have committed: one immediate retry on a fresh connection (e.g. a stale idle one).
          if (!progress.commitSent && !reconnected) {
            reconnected = true;
            continue;
          }
          throw isSluiceError(err) ? err : this.driver.connectionLost('apply', err);
        }
        await this.rollbackQuietly();
        if (this.driver.isLockConflict(err) && attempt < this.lockRetries) {
          const wait = Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random());
          this.log.warn({ ...this.driver.details(err), attempt: attempt + 1, waitMs: Math.round(wait) }, `lock conflict on ${this.driver.name}, retrying batch`);
          await sleep(wait);
          continue;
        }
        if (this.driver.isUniqueViolation(err) && !strict) {
          this.log.warn({ error: this.driver.message(err) }, 'unique-key conflict in merged batch, re-applying in source order');
          strict = true;
          continue;
        }
        this.onApplyFailed();
        throw this.driver.targetWriteFailed(`a batch of ${batch.changes.length} changes`, err);
      }
    }
  }

  private async applyOnce(conn: C, batch: TargetBatch, strict: boolean, progress: CommitProgress): Promise<void> {
    const steps = await this.stepsFor(conn, batch.changes, strict);
    const fence = this.uncertain ? null : this.fenceSteps();
    if (fence) {
      let changed: number | null;
      try {
        changed = await this.runSteps(conn, concat(fence, steps, this.checkpointSteps(batch.checkpoint)), true, progress);
      } catch (err) {
        if (!this.isFenceFailure(err)) throw err;
        // Nothing ran after the fence (nor the COMMIT): say whose the row is now.
        await this.driver.rollback(conn);
        this.checkOwnership(await this.readStoredRow(), true);
        throw err;
      }
      if (changed === 0) throw new SluiceError('INTERNAL', `checkpoint row for '${this.pipeline}' was not updated`, 'report this as a bug');
      this.committed = batch.checkpoint.position;
      return;
    }
    const stored = await this.beginWriter(conn, this.uncertain);
    if (this.uncertain && stored && stored.epoch === this.epoch && CheckpointTable.holds(stored, batch.checkpoint)) {
      this.log.info({ position: batch.checkpoint.position }, 'batch was committed before the connection was lost; not applying it again');
      await this.driver.rollback(conn);
      this.committed = batch.checkpoint.position;
      return;
    }
    this.checkOwnership(stored, true);
    steps.push(...this.checkpointSteps(batch.checkpoint));
    const changed = await this.runSteps(conn, steps, true, progress);
    // Unreachable while the row lock is held; kept as a guard. The COMMIT has run: report loudly.
    if (changed === 0) throw new SluiceError('INTERNAL', `checkpoint row for '${this.pipeline}' was not updated`, 'report this as a bug');
    this.committed = batch.checkpoint.position;
  }

  /**
   * Target.applyPacked: the batches' transactions — each fence, statements, checkpoint, COMMIT — sent together
   * (runSteps without a final COMMIT). The server stops at the first error: the batches before it are committed,
   * the failing one's transaction is rolled back here, the rest never ran. Which ones committed is read from the
   * stored checkpoint (each batch's position is distinct and later than the one before).
   */
  async applyPacked(batches: readonly TargetBatch[]): Promise<number> {
    const commit = this.commitStep();
    if (commit === null || batches.length < 2 || this.openTransaction || this.committed === undefined || batches.some((b) => b.partial)) return 0;
    if (this.uncertain) return this.committedAfterLoss(batches);
    const start = this.committed;
    const conn = await this.connect('apply');
    const steps: S[] = [];
    try {
      let at: Checkpoint['position'] | null = start;
      for (const b of batches) {
        const fence = this.fenceStepsAt(at);
        if (fence === null) return 0;
        steps.push(...fence, ...await this.stepsFor(conn, b.changes, false), ...this.checkpointSteps(b.checkpoint), commit);
        at = b.checkpoint.position;
      }
    } catch (err) {
      // Nothing was sent yet: the batches go one by one (apply reports what failed, and where).
      if (this.driver.isConnectionError(err)) this.dropConnection();
      return 0;
    }
    try {
      await this.runSteps(conn, steps, false, undefined, PACKED_QUERY_BYTES);
      this.committed = batches[batches.length - 1]!.checkpoint.position;
      return batches.length;
    } catch (err) {
      if (this.driver.isConnectionError(err) || (isSluiceError(err) && err.code === 'CONNECTION_LOST')) {
        this.dropConnection();
        this.uncertain = true;
        throw isSluiceError(err) ? err : this.driver.connectionLost(`a packed group of ${batches.length} batches`, err);
      }
      await this.rollbackQuietly();
      const stored = await this.readStoredRow();
      this.checkOwnership(stored);
      let committed = 0;
      if (stored !== null && !CheckpointTable.at(stored, start)) {
        committed = batches.findIndex((b) => CheckpointTable.at(stored, b.checkpoint.position)) + 1;
        // Neither where this writer was nor one of the group's positions: another writer moved it (raises).
        if (committed === 0) this.checkOwnership(stored, true);
        else this.committed = batches[committed - 1]!.checkpoint.position;
      }
      this.log.debug({ batches: batches.length, committed, error: this.driver.message(err) }, 'a packed group failed: the rest of its batches go one by one');
      return committed;
    }
  }

  /**
   * The connection was lost after a packed group was sent (the same group is applied again): how many of its
   * batches landed, read under the checkpoint row's lock (a transaction of the lost session still running ends
   * first). 0 when the row is at none of the group's positions (then `apply` checks the first batch, as after any
   * lost COMMIT).
   */
  private async committedAfterLoss(batches: readonly TargetBatch[]): Promise<number> {
    const conn = await this.connect('apply');
    let stored: StoredCheckpointRow | null;
    try {
      stored = await this.beginWriter(conn, false);
      await this.driver.rollback(conn);
    } catch (err) {
      throw await this.failure('reading the checkpoint after a lost connection', err);
    }
    if (stored === null || stored.epoch !== this.epoch) return 0;
    const committed = batches.findIndex((b) => CheckpointTable.at(stored, b.checkpoint.position)) + 1;
    if (committed > 0) {
      this.log.info({ position: batches[committed - 1]!.checkpoint.position, batches: committed },
        'batches of a packed group were committed before the connection was lost; not applying them again');
      this.committed = batches[committed - 1]!.checkpoint.position;
      this.uncertain = false;
    }
    return committed;
  }

  /**
   * A source transaction too large for one batch: its parts go into one target transaction, kept open between
   * calls; the last part writes the checkpoint and commits. No retries inside: any error rolls back the whole
   * transaction and is reported as retryable (the pipeline re-reads it).
   */
  private async applyInParts(batch: TargetBatch): Promise<void> {
    const conn = await this.connect('apply');
    // The open transaction lives on the connection it began on: if that one is gone, so is the transaction
    // (the parts already sent were rolled back by the server), and nothing may go on elsewhere.
    if (this.openTransaction && this.txnConn !== conn) {
      this.openTransaction = false;
      throw new SluiceError('CONNECTION_LOST', `the connection to ${this.driver.name} of a large transaction was lost between its parts; the server rolled them back`,
        'nothing to do: the transaction is applied again from the checkpoint');
    }
    try {
      if (!this.openTransaction) {
        this.txnConn = conn;
        const stored = await this.beginWriter(conn, false);
        this.openTransaction = true;
        this.checkOwnership(stored, true);
      }
      const steps = await this.stepsFor(conn, batch.changes, false);
      if (!batch.partial) steps.push(...this.checkpointSteps(batch.checkpoint));
      await this.runSteps(conn, steps, !batch.partial);
      if (!batch.partial) {
        this.openTransaction = false;
        this.committed = batch.checkpoint.position;
      }
    } catch (err) {
      this.openTransaction = false;
      if (this.driver.isConnectionError(err)) {
        this.dropConnection();
        throw this.driver.connectionLost('a large transaction', err);
      }
      await this.rollbackQuietly();
      if (isSluiceError(err)) throw err;
      if (this.driver.abortsLargeTransaction(err)) {
        throw new SluiceError('TRANSACTION_ABORTED', `${this.driver.name} aborted a large transaction (${this.driver.message(err)})`,
          'nothing to do: it is rolled back and applied again from the checkpoint', this.driver.details(err), { cause: err });
      }
      throw this.driver.targetWriteFailed(`part of a large transaction (${batch.changes.length} changes)`, err);
    }
  }

  /** Roll back a transaction opened by `partial` batches (the source rolled it back). */
  async abort(): Promise<void> {
    if (!this.openTransaction) return;
    this.openTransaction = false;
    await this.rollbackQuietly();
  }

  /** Warn once that a source column is missing on the target table (its values are not written). */
  protected warnUnknownColumn(database: string, table: string, column: string): void {
    const id = `${database}.${table}.${column}`;
    if (this.warnedColumns.has(id)) return;
    this.warnedColumns.add(id);
    this.log.warn({ database, table, column },
      `source column does not exist on the table of ${this.driver.name}; its values are not written (apply the DDL, or ALTER the target)`);
  }
}
