/** The status of a managed pipeline as the API reports it (see docs/api.md, PipelineStatus). */
import type { DesiredState } from '../store/store.js';
import type { SkipTarget, SkippedEvent } from '../pipeline/pipeline.js';

/** `unowned`: a cluster's pipeline that should run and that no node holds (see PipelineOwner.reason). */
export type PipelineState = 'stopped' | 'starting' | 'snapshotting' | 'streaming' | 'retrying' | 'paused' | 'failed' | 'unowned';
/** The states of a run on this node (the metrics' label values): `unowned` is a cluster's view, never a run's. */
export const PIPELINE_STATES: readonly PipelineState[] = ['stopped', 'starting', 'snapshotting', 'streaming', 'retrying', 'paused', 'failed'];

/** Which node of a cluster runs the pipeline, and where the status comes from (null on a single node). */
export interface PipelineOwner {
  /** The lease holder (null: no node runs it now). */
  node: string | null;
  /** Its lease epoch (the fencing token of its target transactions); null when nobody holds the lease. */
  epoch: number | null;
  /** The node that answered is the owner: the status is its own, live. */
  self: boolean;
  /** Age of the owner's published report by the store's clock, ms (null: the answering node's own status, or no report yet). */
  reportAgeMs: number | null;
  /** Why no node runs a pipeline that should run (null otherwise). */
  reason: string | null;
}

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
  /** Cluster: the owner, its epoch and the age of its report (null on a single node). */
  owner: PipelineOwner | null;
}
