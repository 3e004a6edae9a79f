/**
 * The contract between the pipeline and a target kind (MySQL/MariaDB, PostgreSQL, …). The pipeline talks
 * to targets through this interface only; a kind never sees MySQL text it would have to parse: row
 * changes carry cells typed by the source's schema model, tables come as parsed definitions, DDL comes
 * parsed (the statement's AST plus the model of every table it touched, after the change).
 *
 * Exactly-once is a capability: a target with `transactionalCheckpoint` stores the checkpoint in the same
 * transaction as the rows, and refuses to write once a higher epoch owns the pipeline (fencing).
 */
import { SluiceError } from '../errors.js';
import type { Position, RowChange } from '../core/types.js';
import type { Cell } from '../core/cell.js';
import type { TableSchema } from '../mysql/schema/table-schema.js';
import type { DdlAst } from '../mysql/schema/ddl-ast.js';
import type { LoadDataPackets } from '../mysql/load-data-packets.js';
import type { SourceTableModel } from '../mysql/schema/source-table.js';
import type { InstanceInfo } from '../instance.js';
import type { Logger } from '../log.js';
import { fnv1a32 } from '../fnv-hash.js';

/** What a target kind can do; the pipeline adapts to what is missing (or refuses with a clear error). */
export interface TargetCapabilities {
  /** The checkpoint commits atomically with the rows (exactly-once); else at-least-once. */
  transactionalCheckpoint: boolean;
  /** Snapshot chunks go through a bulk path (LOAD DATA, COPY) rather than INSERT statements. */
  bulkLoad: boolean;
  /** Re-snapshots are built in shadow tables and swapped in atomically. */
  shadowSwap: boolean;
  /** DDL: `native` runs the source's statement (routed), `translated` turns the parsed DDL into its own dialect, `none` refuses DDL. */
  ddl: 'native' | 'translated' | 'none';
  /** Foreign keys between copied tables are kept on the target (else dropped, and cascades are reproduced or not needed). */
  foreignKeys: boolean;
  /**
   * Generated columns: `computed` — the target computes them from their expression (the snapshot leaves them out);
   * `written` — they are plain columns on the target, and the snapshot copies the source's computed values.
   */
  generatedColumns: 'computed' | 'written';
  /**
   * The target takes snapshot rows as the source server prints them (`SnapshotChunk.sourceText`), in this format:
   * `load-data` (LOAD DATA text, a MySQL target's fast path) or `pg-copy` (PostgreSQL COPY text, see
   * postgres/copy-select.ts). The pipeline never reads or makes it.
   */
  sourceText?: SourceTextFormat;
}

export interface Checkpoint {
  /** Pipeline name (the checkpoint row's key). */
  pipeline: string;
  /** Resume point: the source position after the last applied transaction. */
  position: Position;
  /** Ownership epoch of the writer; a target refuses to write once a higher epoch has written. */
  epoch: number;
  /** When it was stored (read back from the target; ignored on write). */
  updatedAt?: Date;
  /** Free-form JSON state, e.g. snapshot progress and schema history. */
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

export interface TargetBatch {
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

/**
 * A source table as the schema model knows it: what a target creates its table from — `schema` (columns as
 * information_schema shows them, primary key), `definition` (parsed SHOW CREATE TABLE), `createSql` (its text),
 * `databaseDefaults` (the source database's charset and collation). Built by `source/source-table-reader.ts`.
 */
export type SourceTable = SourceTableModel;

/** A parsed DDL statement and the model of the tables it touched, after it. */
export interface DdlChange {
  /** The statement's default database on the source ('' when none). */
  database: string;
  /** The source text (for logs, and for targets of the same dialect). */
  sql: string;
  /** The parsed statement; null when the parser does not know the form (the target refuses or runs it as is). */
  ast: DdlAst | null;
  /** Tables the statement created or changed, as they are after it (source names). */
  after: SourceTable[];
}

/** The formats of `SnapshotChunk.sourceText`. */
export type SourceTextFormat = 'load-data' | 'pg-copy';

/**
 * A chunk's rows as the source printed them: LOAD DATA text (columns: how each field is written), or PostgreSQL
 * COPY text (columns: the PostgreSQL type each field was printed for).
 */
export type SourceText =
  | { format?: 'load-data'; columns: ReadonlyArray<{ name: string; as: 'text' | 'hex' | 'bit' }>;
    /** The text, or the same already cut into protocol packets (the snapshot reader's, reused once loaded). */
    data: Buffer | LoadDataPackets; rows: number;
    /** Character set of the text (an ASCII-compatible one; default utf8mb4). */
    charset?: string }
  | { format: 'pg-copy'; columns: ReadonlyArray<{ name: string; pgType: string }>; data: Buffer; rows: number };

/** One chunk of the snapshot: rows typed by `schema`, in `columns` order. */
export interface SnapshotChunk {
  /** Source table (the target routes it, or writes it to `into` for shadow copies). */
  database: string;
  table: string;
  schema: TableSchema;
  /** Column names, in the order of each row's cells. */
  columns: readonly string[];
  rows: ReadonlyArray<readonly Cell[]>;
  /**
   * Only for targets with `capabilities.sourceText`: the rows as text printed by the source in the target's format
   * (see snapshot-reader.ts `ChunkText`); `rows` is then empty. A target that cannot write it exactly writes nothing
   * and rejects with `isSourceTextDeclined`: the pipeline sends the chunk's typed cells instead.
   */
  sourceText?: SourceText;
  /** Chunk number within the table's plan and the source position the chunk was read at. */
  index: number;
  position: Position;
}

/** A chunk already committed (kept in the target so a restart resumes after it). */
export interface ChunkDone { database: string; table: string; index: number; file: string; pos: number; rows: number }

export interface OwnerInfo { owner: InstanceInfo | null; epoch: number; leaseLeft: number; self: boolean }

export interface TableRef { database: string; table: string }

export interface Target {
  readonly kind: string;
  readonly capabilities: TargetCapabilities;
  /** The epoch this target writes with (set by `open`). */
  readonly epoch: number;
  /** Who owned the pipeline before `open` claimed it (null when nobody held a lease). */
  readonly previousOwner: OwnerInfo | null;

  /** Prepare the target (checkpoint store), claim the pipeline for a new epoch, return the saved checkpoint. */
  open(): Promise<Checkpoint | null>;
  /** One target transaction: the changes and the checkpoint, atomically. */
  apply(batch: TargetBatch): Promise<void>;
  /**
   * Several whole batches (none `partial`), in order, each its own target transaction with its checkpoint, sent
   * together (MySQL/MariaDB: multi-statement queries of at most 64 KiB): several small batches (e.g. cut at
   * tuning.maxBatchTables) cost one wait instead of one each.
   * Returns how many batches committed, in order: all of them, or fewer (0 when the target did not try) — the
   * caller then applies the rest one by one with `apply`, which retries and reports errors as usual. Throws
   * CONNECTION_LOST when the connection was lost once the group was sent (which batches landed is then unknown:
   * the pipeline goes on from the stored checkpoint), and FENCED / PIPELINE_OWNED like `apply`.
   */
  applyPacked?(batches: readonly TargetBatch[]): Promise<number>;
  /** Apply a DDL change (native or translated), then store the checkpoint. */
  applyDdl(ddl: DdlChange, checkpoint: Checkpoint): Promise<void>;
  /** Roll back a transaction opened by `partial` batches (the source rolled it back). */
  abort(): Promise<void>;
  /** Cut in-flight work at once (a stop or a lost lease): pending calls reject. */
  interrupt(): void;
  close(): Promise<void>;

  // ── ownership (lease and epoch, kept in the target beside the checkpoint) ──
  renewLease(): Promise<boolean>;
  releaseLease(): Promise<void>;
  currentOwner(): Promise<OwnerInfo | null>;

  // ── tables ──
  /**
   * Create the routed target tables from the source model, or check that existing ones are compatible. Batched:
   * a pipeline may hold 10,000 tables — look up what exists with one query per database, not one per table,
   * and create the missing ones over a few connections at once.
   */
  ensureTables(sources: readonly SourceTable[]): Promise<Array<'created' | 'compatible'>>;
  dropTableIfExists(database: string, table: string): Promise<void>;
  /** Atomically put shadow tables in place of the live ones (re-snapshot); returns how many were swapped. */
  swapTables(swaps: ReadonlyArray<{ database: string; table: string; shadow: string }>): Promise<number>;

  /** The (routed) target tables of these source tables that do not exist (for `ddl: ignore` pipelines). */
  missingTables(tables: readonly TableRef[]): Promise<TableRef[]>;

  // ── snapshot ──
  /** Prepare the snapshot's progress store; `tables` (source names) are about to be copied (a target may read their shapes together). */
  prepareSnapshot(tables?: readonly TableRef[]): Promise<void>;
  snapshotChunksDone(): Promise<ChunkDone[]>;
  clearSnapshotChunks(): Promise<void>;
  /** Write one chunk and record it done, in one target transaction. */
  applySnapshotChunk(chunk: SnapshotChunk): Promise<void>;

  // ── stream ──
  /**
   * The stream is about to write these source tables (those of the pipeline's scope that exist): a target may read
   * what it needs about them together, once, instead of batch by batch in the stream's path. A table missing on the
   * target is not an error here (a batch that writes it still is).
   */
  prepareStream?(tables: readonly TableRef[]): Promise<void>;

  // ── foreign keys (kinds with `foreignKeys`) ──
  /** Check FKs on apply (off while tables are still being copied). */
  enforceForeignKeys?(on: boolean): void;
  /** Remove child rows whose parent a cascade removed while the tables were copied. */
  removeForeignKeyOrphans?(tables: readonly TableRef[]): Promise<{ deleted: number; nulled: number }>;
}

/** Where a source table goes on the target. */
export interface TableRoute { database: string; table: string }
export type TableRouter = (database: string, table: string) => TableRoute;

/** `db.table` → `targetDatabase ?? db`.`table`. */
export function routeToDatabase(targetDatabase?: string): TableRouter {
  return (database, table) => ({ database: targetDatabase ?? database, table });
}

/** The name of a re-snapshot's shadow copy of `table` (`new`) or of the table it replaced (`old`), same database. */
export function shadowTableName(table: string, kind: 'new' | 'old'): string {
  return `${table.slice(0, 40)}__sluice_${kind}_${fnv1a32(table).toString(16).padStart(8, '0')}`;
}

/** What the pipeline says when it asks a kind for a target (the kind adds its own config: URL, checkpoint place). */
export interface TargetOptions {
  /** Pipeline name: the checkpoint's key. */
  pipeline: string;
  /** Fencing epoch: absent → `open` claims the next one; present → claim exactly it (a non-opened target writes with it). */
  epoch?: number;
  /** Seconds of ownership each write or renewal grants. */
  leaseSeconds?: number;
  /** Source table → target table; default `targetDatabase ?? db`.`table`. */
  route?: TableRouter;
  targetDatabase?: string;
  /** The source tables the pipeline copies (foreign keys to them are kept); absent → tables are created without foreign keys. */
  foreignKeyScope?: (database: string, table: string) => boolean;
  /** Most bytes of SQL per statement / round trip. */
  maxStatementBytes?: number;
  /** Lock wait of this target's session, in seconds (the lease keeper's short one). */
  lockWaitSeconds?: number;
  logger?: Logger;
}

/** Makes the targets of one pipeline (they may share caches: table shapes read once per pipeline). */
export type TargetFactory = (opts: TargetOptions) => Target;

/** A target declined a chunk's `sourceText` (nothing written): send its typed cells. `refused`: it will decline every one. */
export function sourceTextDeclined(database: string, table: string, refused: boolean): SluiceError {
  return new SluiceError('SNAPSHOT_FAILED', `the target could not load the source's text of a chunk of ${database}.${table}`,
    'nothing to do: the chunk is written from typed values', { sourceTextDeclined: true, refused });
}

export function isSourceTextDeclined(err: unknown): err is SluiceError {
  return err instanceof SluiceError && err.details['sourceTextDeclined'] === true;
}
