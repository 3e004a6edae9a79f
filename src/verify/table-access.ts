/**
 * What verify needs of a target kind: the pipeline's checkpoint (phase, waiting for a position) and, per table,
 * a `TableAccess` — both sides' chunk digests and rows in one comparable form, each read paired with its
 * position, and repairs written under the target's checkpoint lock. MySQL/MariaDB targets: mysql-access.ts
 * (checksums computed by both servers); PostgreSQL targets: pg-access.ts (canonical texts compared in Sluice).
 */
import { SluiceError } from '../errors.js';
import { comparePositions } from '../mysql/schema/schema-history.js';
import type { TableSchema } from '../mysql/schema/table-schema.js';
import type { Position } from '../core/types.js';
import type { KeyRange } from '../snapshot/key-range.js';
import type { RowSet } from './compare.js';
import type { SourceSide } from './sides.js';
import type { VerifyKey } from './verify-key.js';

export interface At<T> {
  value: T;
  position: Position;
}

/** The rows a read covers: a chunk's key range (open for a table compared whole), or the rows of some keys. */
export type Selection = { range: KeyRange } | { keys: readonly string[] };

/** Where the target's key pages resume: the last key's values as the target's texts (opaque to the verifier). */
export type KeyCursor = ReadonlyArray<string | null>;

/** A chunk's digest: equal values ⇔ equal rows (barring hash collisions); `rows` counted on that side. */
export interface Digest {
  rows: number;
  value: string;
}

export interface TableAccess {
  /** Names of the compared columns, in the order of a RowSet's values. */
  readonly columnNames: readonly string[];
  /**
   * False when the target cannot select the source's key ranges alike (its collation orders the key otherwise).
   * A keyed table is then compared by keys (`targetKeys`, `sourceKeys`, `forget`: see TableVerifier), a key-less
   * one whole.
   */
  readonly chunked: boolean;
  /**
   * Tables not `chunked`: up to `limit` of the target's keys after `after` (null: from the first) in the target's
   * own key order, each remembered for later reads by key; `last` resumes the next page (null after the last one).
   */
  targetKeys?(after: KeyCursor | null, limit: number): Promise<{ keys: string[]; last: KeyCursor | null }>;
  /** Which of `keys` the source holds, by their exact key text (not by what the source's collation matched). */
  sourceKeys?(keys: readonly string[]): Promise<Set<string>>;
  /** Drop what the access remembers of these keys (they were found equal: no later read or repair names them). */
  forget?(keys: Iterable<string>): void;
  sourceDigest(sel: Selection): Promise<At<Digest>>;
  /** The target's digest in one snapshot with the checkpoint it was read at. */
  targetDigest(sel: Selection): Promise<At<Digest>>;
  /** Rows by key text (key-less: row text → [count]). */
  sourceRows(sel: Selection): Promise<At<RowSet>>;
  targetRows(sel: Selection): Promise<At<RowSet>>;
  /**
   * One target transaction holding the checkpoint row locked: the source rows of `keys` read after the lock,
   * written (present) or deleted (absent). Returns the rows repaired.
   */
  repairKeys(keys: readonly string[]): Promise<number>;
  /** Key-less tables: under the lock, the copies of the rows `rowTexts` inserted or deleted to the source's count. */
  repairCopies(rowTexts: readonly string[]): Promise<number>;
}

export interface TableSpec {
  source: SourceSide;
  schema: TableSchema;
  database: string;
  table: string;
  /** The target's database or schema. */
  targetDatabase: string;
  key: VerifyKey;
  /** Called with the row count of every read of this table's rows or keys (to watch that reads stay bounded). */
  onRead?: (side: 'source' | 'target', rows: number) => void;
}

export interface VerifyTarget {
  /** The pipeline's phase from its checkpoint state ('snapshot', 'stream', or null). */
  phase(): Promise<string | null>;
  /** Wait until the target's checkpoint is at or after `p` (the pipeline has applied the source up to p). */
  waitFor(p: Position, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** The access to one table's copy, or why it cannot be compared. */
  table(spec: TableSpec): Promise<TableAccess | { problem: string }>;
  /** Whether `err` says the table's definition changed under the read (a concurrent DDL). */
  isDefinitionChange(err: unknown): boolean;
  close(): Promise<void>;
}

/** The checkpoint position of a row read from the checkpoint table (VERIFY_NOT_READY when there is none yet). */
export function checkpointPosition(pipeline: string, row: { [column: string]: unknown } | undefined): Position {
  const file = row?.['file'];
  if (file === null || file === undefined || String(file) === '') {
    throw new SluiceError('VERIFY_NOT_READY', `pipeline '${pipeline}' has no checkpoint on the target yet`,
      'start the pipeline (sluice run / sluice serve) and verify once it streams');
  }
  return { file: String(file), pos: Number(row?.['pos']) };
}

export function checkpointUnreadable(pipeline: string, err: unknown): SluiceError {
  return new SluiceError('VERIFY_NOT_READY', `cannot read the checkpoint of pipeline '${pipeline}' on the target: ${(err as Error).message}`,
    'start the pipeline (sluice run / sluice serve) so that it creates its checkpoint, then verify', {}, { cause: err });
}

/** Polls a target's checkpoint until it reaches a position (the last one read is kept: positions only grow). */
export class CheckpointWaiter {
  private last: Position | null = null;

  constructor(private readonly pipeline: string, private readonly read: () => Promise<Position>) {}

  async waitFor(p: Position, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(100, delay * 2)) {
      if (this.last && comparePositions(this.last, p) >= 0) return;
      this.last = await this.read();
      if (comparePositions(this.last, p) >= 0) return;
      if (signal?.aborted) throw new SluiceError('VERIFY_NOT_READY', 'verify was stopped', 'nothing to do');
      if (Date.now() > deadline) {
        throw new SluiceError('VERIFY_NOT_READY',
          `pipeline '${this.pipeline}' did not reach source position ${p.file}:${p.pos} within ${Math.round(timeoutMs / 1000)} s (its checkpoint is at ${this.last.file}:${this.last.pos})`,
          'verify compares rows at positions the pipeline has applied: make sure the pipeline runs and streams (sluice run / sluice serve), or raise --wait-seconds when it lags');
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * `body` in the transaction `begin` opens on `conn`, after `lock` locked and read the checkpoint row; committed when
 * `body` resolves, rolled back when anything throws.
 */
export async function underLock<C, T>(conn: C, run: (sql: string) => Promise<unknown>, begin: string, lock: () => Promise<Position>,
  body: (conn: C, checkpoint: Position) => Promise<T>): Promise<T> {
  await run(begin);
  try {
    const out = await body(conn, await lock());
    await run('COMMIT');
    return out;
  } catch (err) {
    await run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A repair's source read must not be older than the checkpoint it holds locked. */
export function checkAfter(read: Position, cp: Position): void {
  if (comparePositions(read, cp) < 0) {
    throw new SluiceError('INTERNAL', `source read at ${read.file}:${read.pos} is before the target checkpoint ${cp.file}:${cp.pos}; repair not written`,
      'report this as a bug; nothing was changed on the target');
  }
}

/** WHERE condition selecting the rows whose key columns (`cols`, quoted) hold one of the literal tuples `keys` (joined by ','). */
export function keysCondition(cols: readonly string[], keys: readonly string[]): string {
  if (keys.length === 0) return 'FALSE';
  if (cols.length === 1) return `${cols[0]} IN (${keys.join(', ')})`;
  return `(${cols.join(', ')}) IN (${keys.map((k) => `(${k})`).join(', ')})`;
}
