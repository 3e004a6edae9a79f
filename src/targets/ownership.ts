/**
 * Rules every target kind with a checkpoint row applies the same way (MySQL, PostgreSQL): who owns a
 * pipeline, which epoch a claim takes, whether a writer may still write, and how statements are packed
 * into round trips. Pure: no I/O.
 */
import { SluiceError } from '../errors.js';
import { isKnownDead, type InstanceInfo } from '../instance.js';
import type { RowChange } from '../core/types.js';
import { CheckpointTable, checkpointMovedError, fencedError, ownedError, type StoredCheckpointRow } from './mysql/checkpoint-table.js';
import type { Checkpoint } from './target.js';

/** Another instance owns the row and its lease still runs (it is not known to be dead). */
export function heldByLiveOther(stored: StoredCheckpointRow | null, self: InstanceInfo): boolean {
  return stored !== null && stored.leaseLeft > 0 && stored.owner !== null && stored.owner.id !== self.id && !isKnownDead(stored.owner);
}

/**
 * The epoch a claim takes, under the row lock: exactly `epoch` when it was given (FENCED if the stored one is
 * newer), else the stored one + 1 (PIPELINE_OWNED while another live instance holds the lease).
 */
export function claimEpoch(pipeline: string, stored: StoredCheckpointRow | null, epoch: number, explicit: boolean, self: InstanceInfo): number {
  if (explicit) {
    if (stored && stored.epoch > epoch) throw fencedError(pipeline, stored, epoch);
    return epoch;
  }
  if (stored && heldByLiveOther(stored, self)) throw ownedError(pipeline, stored);
  return stored ? stored.epoch + 1 : Math.max(epoch, 1);
}

/** The position a claimed row holds (null when it has none yet). */
export function storedPosition(stored: StoredCheckpointRow | null): Checkpoint['position'] | null {
  return stored && stored.file !== '' ? { file: stored.file, pos: stored.pos, ...(stored.gtidSet !== null ? { gtidSet: stored.gtidSet } : {}) } : null;
}

/**
 * The row must be this writer's: its epoch (a newer claim fences this writer) and, when `committed` is given,
 * the position this writer last committed (compare-and-set: no other writer moved it).
 */
export function checkOwnership(pipeline: string, stored: StoredCheckpointRow | null, epoch: number, committed?: Checkpoint['position'] | null): void {
  if (!stored) {
    throw new SluiceError('INTERNAL', `no checkpoint row for pipeline '${pipeline}' on the target`,
      'call open() before apply(); if the row was deleted by hand, restart the pipeline');
  }
  if (stored.epoch !== epoch) throw fencedError(pipeline, stored, epoch);
  if (committed !== undefined && !CheckpointTable.at(stored, committed)) throw checkpointMovedError(pipeline, stored, committed);
}

/** Source table → target table, once per table of a batch. */
export function routesOf<R>(changes: readonly RowChange[], route: (database: string, table: string) => R): Map<string, R> {
  const routes = new Map<string, R>();
  for (const c of changes) {
    const id = `${c.database}\0${c.table}`;
    if (!routes.has(id)) routes.set(id, route(c.database, c.table));
  }
  return routes;
}

/** Join statements into multi-statement queries of at most `maxBytes` each. */
export function packStatements(statements: readonly string[], maxBytes: number): string[] {
  return [...packStatementsLazily(statements, maxBytes)];
}

/**
 * packStatements one query at a time, taking statements only as it needs them: a caller that sends each query
 * before asking for the next holds one query's SQL at a time, however many statements there are.
 */
export function* packStatementsLazily(statements: Iterable<string>, maxBytes: number): Generator<string, void, undefined> {
  let cur: string[] = [];
  let size = 0;
  for (const s of statements) {
    if (cur.length > 0 && size + s.length + 2 > maxBytes) {
      yield cur.join(';\n');
      cur = [];
      size = 0;
    }
    cur.push(s);
    size += s.length + 2;
  }
  if (cur.length > 0) yield cur.join(';\n');
}
