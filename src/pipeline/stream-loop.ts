/**
 * The stream loop: binlog messages → batches of whole source transactions, each applied with its checkpoint
 * (one batch in flight while the next is read), large transactions in parts, heartbeats, the watchdog; DDL and
 * re-snapshots are handed to ddl-policy.ts and repairs.ts between transactions.
 */
import mysql from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import { type Checkpoint, type Target } from '../targets/target.js';
import { InformationSchemaLoader } from '../mysql/schema/schema-loader.js';
import { SchemaHistory, comparePositions } from '../mysql/schema/schema-history.js';
import { BinlogSource } from '../source/binlog-source.js';
import type { Position, RowChange, SourceMessage } from '../core/types.js';
import { ChunkFilter } from '../snapshot/chunk-filter.js';
import { SourceChunkLocator } from '../snapshot/chunk-locator.js';
import { pkColumns } from '../snapshot/snapshot-reader.js';
import { isPipelineState, withHistory } from './pipeline-state.js';
import { type TableName } from '../source/source-tables.js';
import { WakeTimer } from './wake-timer.js';
import { StreamWatchdog } from './stream-watchdog.js';
import type { Pipeline } from './pipeline.js';
import type { SkipTarget } from './stats.js';
import { loadSchemas } from './source-access.js';
import { describe } from './restart-policy.js';
import { SKIPPABLE, copyTablesAgain, missSkip, passSkip, skippable } from './repairs.js';
import { findTablesMissingOnTarget, onDdl } from './ddl-policy.js';


const TIMEOUT = Symbol('timeout');

export async function stream(p: Pipeline, sink: Target, src: mysql.Connection, ownHistory: SchemaHistory, cp: Checkpoint, signal: AbortSignal): Promise<void> {
  p.stats.status = 'streaming';
  // The position the stream resumes from is what the target has: shown from now on, not only once a batch
  // moved it (an idle source may send no transaction for a long time; its heartbeats then give the lag).
  p.stats.position = cp.position;
  ownHistory.setPosition(cp.position);
  const state = isPipelineState(cp.state) && cp.state.phase === 'stream' ? cp.state : { phase: 'stream' as const, coverage: [] };
  const chunkFilter = new ChunkFilter(new SourceChunkLocator(src));
  /** The primary key of a table the chunk filter does not cover (for key moves). */
  const keyOf = (database: string, table: string): readonly string[] | undefined => history.schemaAt(database, table)?.primaryKey;
  // The key of each copied table as the events after the checkpoint have it: from the schema history at the
  // checkpoint (the table may have been renamed, dropped or altered on the source since, while Sluice was stopped);
  // from the source only for a table the history does not know.
  const unknown: typeof state.coverage = [];
  for (const cov of state.coverage) {
    const schema = ownHistory.schemaAt(cov.database, cov.table, cp.position);
    if (schema) chunkFilter.add(cov, pkColumns(schema));
    else unknown.push(cov);
  }
  if (unknown.length > 0) {
    const loader = new InformationSchemaLoader(p.opts.source.url);
    try {
      const schemas = await loadSchemas(loader, unknown);
      for (const cov of unknown) {
        const schema = schemas.get(`${cov.database}.${cov.table}`);
        if (schema) chunkFilter.add(cov, pkColumns(schema));
      }
    } finally {
      await loader.close();
    }
  }
  // Re-snapshots requested before a restart, and finished copies that were not yet swapped in.
  for (const t of state.resnapshot ?? []) {
    if (!p.resnapshots.some((x) => x.database === t.database && x.table === t.table)) p.resnapshots.push({ ...t });
  }
  p.noteQueue();
  if (state.swaps && state.swaps.length > 0) {
    const swapped = await sink.swapTables(state.swaps);
    p.log.info({ tables: state.swaps.map((w) => `${w.database}.${w.table}`), swapped }, 're-snapshot: the copies made before the restart are in place');
    await sink.apply({ changes: [], checkpoint: withHistory({ pipeline: p.name, position: cp.position, epoch: p.epoch, state: p.streamState(chunkFilter) }, p.historyRows(ownHistory)) });
  }
  const tuning = p.cfg.tuning;
  let source: { next(): Promise<SourceMessage | null>; close(): Promise<void>; bytesRead: number; reconnects: number };
  let history = ownHistory;
  if (p.opts.hub) {
    const sub = await p.opts.hub.subscribe({ name: p.name, start: cp.position, filter: p.filter, history: ownHistory });
    source = sub;
    history = sub.history;
    // Another history object (the source's shared one): its revisions are not ours; write it whole once.
    p.historyWritten = 0;
  } else {
    source = new BinlogSource({
      url: p.opts.source.url,
      serverId: p.serverId,
      start: { kind: 'position', position: cp.position },
      filter: p.filter,
      logger: p.log,
      schemaHistory: ownHistory,
      heartbeatSeconds: 1,
      reconnect: { maxAttempts: 5 },
    });
  }
  if (p.cfg.ddl === 'ignore') await findTablesMissingOnTarget(p, src);
  await sink.prepareStream?.(history.tableNames().filter((t) => p.filter(t.database, t.table)));
  p.log.info({ position: cp.position, filteredTables: chunkFilter.size }, 'streaming');
  const bytesBase = p.stats.bytesRead - source.bytesRead;
  const reconnectsBase = p.stats.sourceReconnects - source.reconnects;
  let batch: RowChange[] = [];
  /** Where each source transaction of `batch` starts and ends, and how many of its changes it holds. */
  let batchBounds: TxnBounds[] = [];
  /** Changes of the batches in flight or queued. */
  let pendingChanges = 0;
  /** Changes of the transaction being skipped (all its parts). */
  let skippedChanges = 0;
  let txn: RowChange[] = [];
  let batchPos: Position | null = null;
  /** The distinct tables `batch` writes (a batch is applied once it holds tuning.maxBatchTables; see TuningConfig). */
  const batchTables = new BatchTables();
  let batchTxns = 0;
  let batchCommitTime = 0;
  let batchStarted = 0;
  /** A large transaction is being applied in parts (a target transaction is open). */
  let inLargeTxn = false;
  let lastWrite = Date.now();
  let lastPos = cp.position;
  const epoch = p.epoch;

  // The state is rewritten only when it changed (chunk coverage pruned, re-snapshots asked); the schema
  // history travels as the rows of the tables it changed since the last checkpoint (none on most batches).
  let writtenState = '';
  const checkpointAt = (position: Position): Checkpoint => {
    chunkFilter.prune(position);
    const text = JSON.stringify({ coverage: chunkFilter.remaining(), resnapshot: p.resnapshots });
    const cp = withHistory({ pipeline: p.name, position, epoch }, p.historyRows(history));
    if (text === writtenState) return cp;
    writtenState = text;
    return { ...cp, state: p.streamState(chunkFilter) };
  };
  // Past the snapshot's chunks the target checks foreign keys and so repeats the source's cascades; at that
  // moment, child rows left by cascades during the copy are removed (see Target.removeForeignKeyOrphans).
  const copiedTables = new Map<string, TableName>();
  /** The target was told the stream is past the copy (its foreign-key checks on, the orphans swept). */
  let pastCopy = false;
  const foreignKeysFrom = async (txnStart: Position): Promise<void> => {
    for (const c of chunkFilter.remaining()) copiedTables.set(`${c.database}.${c.table}`, { database: c.database, table: c.table });
    const passed = chunkFilter.passedBy(txnStart);
    if (passed && copiedTables.size > 0) {
      await sink.removeForeignKeyOrphans?.([...copiedTables.values()]);
      copiedTables.clear();
    }
    sink.enforceForeignKeys?.(passed);
    pastCopy = passed;
  };
  // One group of batches is in flight while the next ones are read and decoded (source and target work overlap).
  // Batches closed meanwhile wait in `queued` and go together, in one round trip where the target can
  // (Target.applyPacked), as soon as the group in flight has committed: with thousands of tables a batch is cut
  // at tuning.maxBatchTables after ~100 changes, and one round trip each would make the stream wait on every one.
  let inflight: Promise<void> | null = null;
  let applyError: unknown = null;
  let queued: QueuedBatch[] = [];
  let queuedChanges = 0;
  /** Wait until every batch read so far is applied (the queue is sent as the group before it commits). */
  const drain = async (): Promise<void> => {
    for (;;) {
      if (inflight === null) {
        if (queued.length === 0) return;
        send();
      }
      const current = inflight!;
      try {
        await current;
      } finally {
        if (inflight === current) inflight = null;
      }
    }
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
      if (bounds.length === 1) throw skippable(p, err, bounds[0]!.start);
      p.log.warn({ transactions: bounds.length, err: describe(err) }, 'the target refused a batch: applying its transactions one by one to find the one that fails');
      let offset = 0;
      for (const b of bounds) {
        const part = changes.slice(offset, offset + b.count);
        offset += b.count;
        try {
          await sink.apply({ changes: part, checkpoint: { pipeline: p.name, position: b.end, epoch } });
        } catch (e) {
          throw skippable(p, e, b.start);
        }
      }
      await sink.apply({ changes: [], checkpoint });
    }
  };
  /** A group: packed when the target can (the batches it did not commit then go one by one, with their own reports). */
  const applyGroup = async (group: readonly QueuedBatch[]): Promise<void> => {
    let done = 0;
    if (group.length > 1 && sink.applyPacked) done = await sink.applyPacked(group.map((b) => ({ changes: b.changes, checkpoint: b.checkpoint })));
    for (const b of group.slice(done)) await applyBatch(b.changes, b.bounds, b.checkpoint);
  };
  const applied = (b: QueuedBatch): void => {
    p.countApplied(b.changes);
    pendingChanges -= b.changes.length;
    p.stats.rowsApplied += b.changes.length;
    p.stats.transactionsApplied += b.txns;
    p.stats.position = b.position;
    p.stats.appliedSourceTime = Math.max(p.stats.appliedSourceTime ?? 0, b.commitTime);
  };
  const send = (): void => {
    const group = queued;
    queued = [];
    queuedChanges = 0;
    const current: Promise<void> = watchdog.track(applyGroup(group)).then(() => {
      for (const b of group) applied(b);
      p.stats.queuedChanges = pendingChanges + batch.length + txn.length;
      if (inflight === current) inflight = null;
      // The batches closed while this group was applied go next, together.
      if (queued.length > 0 && applyError === null) send();
    });
    inflight = current;
    current.catch((err: unknown) => { applyError = err; }); // also observed by the next drain()
  };
  const flush = async (): Promise<void> => {
    if (batchPos === null) return;
    // While the stream overlaps the snapshot's chunks, foreign-key handling depends on every batch before this one.
    const overlap = chunkFilter.size > 0 || copiedTables.size > 0;
    if (overlap) await drain();
    const changes = batch, position = batchPos, txns = batchTxns, commitTime = batchCommitTime, bounds = batchBounds;
    if (bounds.length > 0) await foreignKeysFrom(bounds[0]!.start);
    const checkpoint = checkpointAt(position);
    batch = [];
    batchBounds = [];
    batchPos = null;
    batchTables.clear();
    batchTxns = 0;
    lastPos = position;
    lastWrite = Date.now();
    pendingChanges += changes.length;
    p.stats.queuedChanges = pendingChanges;
    queued.push({ changes, bounds, checkpoint, txns, commitTime, position });
    queuedChanges += changes.length;
    if (inflight === null) send();
    else if (overlap) await drain();
    // Enough waits already: hold the reading until the group in flight commits (the queue then goes).
    else if (queuedChanges >= tuning.batchSize) await inflight;
  };

  let pending: Promise<SourceMessage | null> | null = null;
  let sinceYield = 0;
  const wake = new WakeTimer<typeof TIMEOUT>(TIMEOUT, signal);
  let sourceClosed: Promise<void> | null = null;
  const closeSource = (): Promise<void> => (sourceClosed ??= source.close());
  const watchdog = new StreamWatchdog(tuning.stallTimeoutSeconds * 1000, (idleMs) => {
    p.stats.stalls++;
    p.log.warn({ idleSeconds: Math.round(idleMs / 1000), position: lastPos }, 'stream stalled (no message from the source, not even a heartbeat, and no write finished): restarting it from the checkpoint');
    // Whatever hangs (a half-open connection to either server) is cut; the loop then ends with STREAM_STALLED.
    sink.interrupt();
    void closeSource();
  });
  p.inStream = true;
  try {
    while (!signal.aborted) {
      watchdog.check();
      if (applyError !== null) throw applyError;
      if (p.resnapshots.length > 0 && txn.length === 0 && !inLargeTxn && p.resnapshots.some((t) => !t.after || comparePositions(lastPos, t.after) >= 0)) {
        // Between transactions: everything read so far is applied first, then the tables are copied.
        await flush();
        await drain();
        await watchdog.suspended(() => copyTablesAgain(p, sink, src, history, chunkFilter, lastPos, signal));
        writtenState = '';
        lastWrite = Date.now();
        continue;
      }
      p.stats.bytesRead = bytesBase + source.bytesRead;
      p.stats.sourceReconnects = reconnectsBase + source.reconnects;
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
      // Messages already buffered arrive as microtasks: while a batch is in flight, let its socket I/O run now and
      // then (the rest of its write, its reply) instead of only when the source's buffer runs dry.
      if (inflight !== null && ++sinceYield >= 256) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
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
        if (p.skipAt !== null && comparePositions(m.startPosition, p.skipAt) > 0) missSkip(p, m.startPosition);
        if (p.skipAt?.kind === 'transaction' && samePosition(m.startPosition, p.skipAt)) {
          // The operator chose to pass over p transaction: none of its changes are applied.
          skippedChanges += m.changes.length;
          if (m.last) {
            passSkip(p, skippedChanges);
            skippedChanges = 0;
          }
        } else {
          for (const ch of m.changes) {
            const img = ch.after ?? ch.before;
            if (img !== null && '@1' in img) throw unresolvedColumns(ch.database, ch.table, m.startPosition);
            if (p.skipTables.size > 0 && p.skipTables.has(`${ch.database}.${ch.table}`)) continue;
            // While the stream overlaps the snapshot, a primary-key change goes to the sink as a move, qualified by where
            // its keys' chunks lie (see KeyMove): the children of a referenced row follow its key (ON UPDATE CASCADE).
            // The sink uses it while it does not check foreign keys itself (a batch that starts before the end of the
            // copy; past it, the target's own cascade follows).
            const f = chunkFilter.size === 0 ? ch
              : chunkFilter.movesKey(ch, keyOf)
                ? await chunkFilter.qualifyMove(ch, m.startPosition)
                : chunkFilter.filter(ch, m.startPosition);
            if (f) txn.push(f);
          }
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
              await watchdog.track(sink.apply({ changes: txn, checkpoint: { pipeline: p.name, position: m.startPosition, epoch }, partial: true }));
            } catch (err) {
              throw skippable(p, err, m.startPosition);
            }
            p.countApplied(txn);
            p.stats.rowsApplied += txn.length;
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
            throw skippable(p, err, m.startPosition);
          }
          inLargeTxn = false;
          p.countApplied(txn);
          p.stats.rowsApplied += txn.length;
          p.stats.transactionsApplied++;
          p.stats.position = m.position;
          p.stats.appliedSourceTime = Math.max(p.stats.appliedSourceTime ?? 0, m.commitTime);
          lastPos = m.position;
          lastWrite = Date.now();
          txn = [];
          continue;
        }
        if (batchPos === null) batchStarted = Date.now();
        batchBounds.push({ start: m.startPosition, end: m.position, count: txn.length });
        for (const ch of txn) batch.push(ch);
        batchTables.addAll(txn);
        txn = [];
        p.stats.queuedChanges = batch.length + pendingChanges;
        batchPos = m.position;
        batchTxns++;
        batchCommitTime = m.commitTime;
        if (batch.length >= tuning.batchSize || batchTables.size >= tuning.maxBatchTables) await flush();
      } else if (m.kind === 'ddl') {
        await flush();
        await drain();
        if (p.skipAt !== null && comparePositions(m.position, p.skipAt) > 0) missSkip(p, m.position);
        if (p.skipAt?.kind === 'ddl' && samePosition(m.position, p.skipAt)) {
          await sink.apply({ changes: [], checkpoint: checkpointAt(m.position) });
          passSkip(p, 0);
        } else {
          try {
            await watchdog.suspended(() => onDdl(p, sink, src, history, m, chunkFilter, signal));
          } catch (err) {
            throw skippable(p, err, m.position, 'ddl');
          }
        }
        lastPos = m.position;
        lastWrite = Date.now();
      } else {
        // Heartbeat: the source is idle (or everything was filtered): move the checkpoint now and then.
        if (batchPos === null && txn.length === 0 && !inLargeTxn && pendingChanges === 0) {
          p.stats.appliedSourceTime = Math.max(p.stats.appliedSourceTime ?? 0, m.time);
          if (!pastCopy && chunkFilter.passedBy(m.position)) {
            // Everything up to here is read and, once drained, applied, and it is past the copy: the foreign-key step
            // waiting for a batch that starts past the copy runs now, not at the next source transaction (the last
            // changes of the catch-up may have shared a batch that started before the end of the copy). The
            // checkpoint then written records the pruned coverage (and lets a target finish the step in its apply).
            await drain();
            await foreignKeysFrom(m.position);
            batchPos = comparePositions(m.position, lastPos) > 0 ? m.position : lastPos;
            batchCommitTime = m.time;
            await flush();
          } else if (Date.now() - lastWrite > 1000 && comparePositions(m.position, lastPos) > 0) {
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
    p.inStream = false;
    await (inflight as Promise<void> | null)?.catch(() => undefined);
    await closeSource();
  }
}

interface TxnBounds { start: Position; end: Position; count: number }

/** A batch closed and waiting to be applied (with the ones closed while the group before it was applied). */
interface QueuedBatch { changes: RowChange[]; bounds: TxnBounds[]; checkpoint: Checkpoint; txns: number; commitTime: number; position: Position }

/** The distinct tables of a batch's changes (consecutive changes of one table are counted once, cheaply). */
class BatchTables {
  private readonly tables = new Set<string>();
  private lastDatabase = '';
  private lastTable = '';

  get size(): number {
    return this.tables.size;
  }

  addAll(changes: readonly RowChange[]): void {
    for (const ch of changes) {
      if (ch.table === this.lastTable && ch.database === this.lastDatabase && this.tables.size > 0) continue;
      this.lastDatabase = ch.database;
      this.lastTable = ch.table;
      this.tables.add(`${ch.database}\0${ch.table}`);
    }
  }

  clear(): void {
    this.tables.clear();
  }
}

function samePosition(a: Position, b: Position): boolean {
  return a.pos === b.pos && a.file === b.file;
}

/** A row whose columns could not be named: never write it under guessed names. */
function unresolvedColumns(database: string, table: string, position: Position): SluiceError {
  return new SluiceError('SCHEMA_MISMATCH',
    `cannot tell the columns of ${database}.${table} at ${position.file}:${position.pos}: the binlog carries no column names and the table's current definition does not match the event (several DDL statements happened while the pipeline was behind)`,
    'set binlog_row_metadata=FULL on the source (names then travel in the binlog), then re-snapshot: delete this pipeline\'s row from the target\'s _sluice.checkpoints and truncate its target tables; or skip this one transaction (POST /api/pipelines/<name>/skip) and re-snapshot the table afterwards',
    { database, table, position, skip: { file: position.file, pos: position.pos, kind: 'transaction' } satisfies SkipTarget });
}
