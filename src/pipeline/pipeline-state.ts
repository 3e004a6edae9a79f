/**
 * What a pipeline keeps in its checkpoint's `state` (JSON in the target, written atomically with the data):
 * the snapshot's plan and progress while it copies, then which chunks the stream must still filter.
 */
import type { Position } from '../core/types.js';
import type { Checkpoint, HistoryRows } from '../targets/target.js';
import type { KeyRange } from '../snapshot/key-range.js';
import type { TableCoverage } from '../snapshot/chunk-filter.js';
import type { SchemaHistoryJSON } from '../mysql/schema/schema-history.js';

export interface SnapshotTablePlan {
  database: string;
  table: string;
  /** Planned key ranges (fixed once planned, so a restart resumes the same chunks). */
  ranges: KeyRange[];
  /** For each range index that was copied: the binlog position of its snapshot. */
  done: Record<number, Position>;
  /** Rows copied so far and the estimate when planned (for progress). */
  rowsCopied: number;
  rowsEstimated: number;
  /** The columns the table had when planned (`name type, …`): a resumed snapshot notices a DDL in between. */
  columns?: string;
}

/** A table to copy again while streaming; with `after`, only once the stream has passed that position. */
export interface ResnapshotRequest { database: string; table: string; after?: Position }

/** A table copy into a shadow table that is complete and waits to be swapped in (done again after a crash). */
export interface PendingSwap {
  /** Target database and table, and the shadow table (same database) holding the fresh copy. */
  database: string;
  table: string;
  shadow: string;
}

/**
 * The schema history of the pipeline's tables (versions by position, so that events read after a restart —
 * also from before an ALTER TABLE — decode with the columns in force then) is stored beside the state, one row
 * per table (`Checkpoint.history`). `schemas` is where versions before that kept it whole: read, never written.
 */
export type PipelineCheckpointState =
  | { phase: 'snapshot'; tables: SnapshotTablePlan[]; schemas?: SchemaHistoryJSON }
  | {
    phase: 'stream'; coverage: TableCoverage[]; schemas?: SchemaHistoryJSON;
    /** Source tables asked to be copied again (re-snapshot) and not yet done: a restart does them. */
    resnapshot?: ResnapshotRequest[];
    /** Fresh copies to swap in (see PendingSwap). */
    swaps?: PendingSwap[];
  };

export function isPipelineState(v: unknown): v is PipelineCheckpointState {
  if (typeof v !== 'object' || v === null) return false;
  const phase = (v as { phase?: unknown }).phase;
  return phase === 'snapshot' || phase === 'stream';
}

/** `cp` with `history` rows when there are any. */
export function withHistory(cp: Checkpoint, history: HistoryRows | undefined): Checkpoint {
  return history ? { ...cp, history } : cp;
}
