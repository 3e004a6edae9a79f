/** What a pipeline reports about itself: status, progress, lag, errors, skips (the API and metrics read it). */
import type { Position } from '../core/types.js';

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
