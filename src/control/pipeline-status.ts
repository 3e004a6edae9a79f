/** The status of a managed pipeline as the API reports it (see docs/api.md, PipelineStatus). */
import type { DesiredState } from '../store/store.js';
import type { SkipTarget, SkippedEvent } from '../pipeline/pipeline.js';

export type PipelineState = 'stopped' | 'starting' | 'snapshotting' | 'streaming' | 'retrying' | 'paused' | 'failed';
export const PIPELINE_STATES: readonly PipelineState[] = ['stopped', 'starting', 'snapshotting', 'streaming', 'retrying', 'paused', 'failed'];

export interface PipelineError {
  time: string;
  code: string;
  message: string;
  fix: string | null;
  /** Set when the error concerns one source transaction / DDL statement that can be skipped (POST …/skip). */
  skip?: SkipTarget;
  /** When the pipeline was streaming again after this error (absent while it is unresolved). */
  resolvedAt?: string;
}

export interface TableProgress { database: string; table: string; rowsCopied: number; rowsEstimated: number; done: boolean }

export interface PipelineStatus {
  name: string;
  state: PipelineState;
  desiredState: DesiredState;
  since: string | null;
  startedAt: string | null;
  lagSeconds: number | null;
  rowsPerSecond: number;
  rowsApplied: number;
  transactionsApplied: number;
  snapshot: {
    rowsCopied: number;
    rowsEstimated: number;
    percent: number | null;
    rowsPerSecond: number;
    etaSeconds: number | null;
    tables: TableProgress[];
    /** The last complete copy of every table (initial snapshot, re-snapshot or resync, any run), kept in the store. */
    lastCopies: Array<{ table: string; rowsCopied: number; finishedAt: string }>;
  };
  position: { file: string; pos: number; gtidSet?: string } | null;
  errorCount: number;
  restarts: number;
  recentErrors: PipelineError[];
  /** A skip requested and not yet reached by the stream. */
  pendingSkip: SkipTarget | null;
  /** Source transactions / DDL skipped on request by this server. */
  skipped: SkippedEvent[];
  /** Tables waiting to be copied again (the first is being copied while the state is snapshotting). */
  resnapshotQueue: string[];
  /** Binlog bytes received and reconnects of the binlog connection (cumulative since the server started). */
  bytesRead: number;
  sourceReconnects: number;
  /** Changes read and not yet committed on the target. */
  queuedChanges: number;
}
