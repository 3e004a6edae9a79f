/**
 * The contract every target kind implements. A sink applies batches of whole source transactions and
 * stores the pipeline's checkpoint in the target, atomically with the data (exactly-once), and
 * refuses to write when a newer epoch owns the pipeline (fencing).
 */
import type { Position, RowChange } from '../core/types.js';

export interface Checkpoint {
  /** Pipeline name (the checkpoint row's key). */
  pipeline: string;
  /** Resume point: the source position after the last applied transaction. */
  position: Position;
  /** Ownership epoch of the writer; a sink refuses to write once a higher epoch has written. */
  epoch: number;
  /** When it was stored (read back from the target; ignored on write). */
  updatedAt?: Date;
  /** Free-form JSON state, e.g. snapshot progress. */
  state?: unknown;
  /**
   * The schema history, kept by the target one row per table. On write: the tables that changed since the
   * last checkpoint (their rows are replaced; `replace` first forgets every row of the pipeline). On read
   * (`open`): every stored row. Absent: nothing changed / nothing stored.
   */
  history?: HistoryRows;
}

/** Schema history rows (see `SchemaHistory.takeChanges`): opaque JSON to the target, one row per table. */
export interface HistoryRows {
  tables: ReadonlyArray<{ database: string; table: string; versions: unknown }>;
  /** Database defaults (one value for all databases), when they changed. */
  databases?: unknown;
  replace?: boolean;
}

export interface SinkBatch {
  /** Changes of one or more WHOLE source transactions, in source order. */
  changes: RowChange[];
  /** The checkpoint to store in the same target transaction. */
  checkpoint: Checkpoint;
  /**
   * More of the same (large) source transaction follows: apply these changes but keep the target
   * transaction open; the batch without `partial` writes the checkpoint and commits. If anything fails
   * in between, the whole target transaction is rolled back (the source transaction is re-read).
   */
  partial?: boolean;
}

export interface DdlChange {
  /** The statement's default database on the source (may be '' when none). */
  database: string;
  sql: string;
}

export interface Sink {
  /** Prepare the target (checkpoint table), claim the pipeline for this sink's epoch, return the saved checkpoint. */
  open(): Promise<Checkpoint | null>;
  /** One target transaction: the changes and the checkpoint row, atomically. */
  apply(batch: SinkBatch): Promise<void>;
  /** Run a DDL statement on the target, then store the checkpoint. */
  applyDdl(ddl: DdlChange, checkpoint: Checkpoint): Promise<void>;
  /** Roll back a transaction opened by `partial` batches (the source rolled it back). */
  abort(): Promise<void>;
  close(): Promise<void>;
}

/** Where a source table goes on the target. */
export interface TableRoute { database: string; table: string }
export type TableRouter = (database: string, table: string) => TableRoute;

/** `db.table` → `targetDatabase ?? db`.`table`. */
export function routeToDatabase(targetDatabase?: string): TableRouter {
  return (database, table) => ({ database: targetDatabase ?? database, table });
}
