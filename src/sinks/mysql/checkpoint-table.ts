/**
 * The checkpoint table on the target: one row per pipeline with the resume position, GTID set,
 * ownership epoch and free-form JSON state. Written in the same transaction as the data it covers.
 *
 * Fencing: every write first locks the row (SELECT … FOR UPDATE) and checks that the stored epoch is
 * not newer than the writer's; `claim` raises the stored epoch. A stale writer is refused by the
 * target itself, before it writes anything.
 */
import { format, type RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../../errors.js';
import type { Checkpoint } from '../sink.js';
import { qualifiedName, quoteId } from './sql-literal.js';

export const CHECKPOINT_TABLE = 'checkpoints';

export interface StoredCheckpointRow {
  epoch: number;
  file: string;
  pos: number;
  gtidSet: string | null;
  state: string | null;
  updatedAt: string | null;
}

export class CheckpointTable {
  readonly name: string;

  constructor(readonly database: string) {
    this.name = qualifiedName(database, CHECKPOINT_TABLE);
  }

  /** Statements that create the database and table if needed. */
  createSql(): string[] {
    return [
      `CREATE DATABASE IF NOT EXISTS ${quoteId(this.database)}`,
      `CREATE TABLE IF NOT EXISTS ${this.name} (
  pipeline VARCHAR(64) NOT NULL PRIMARY KEY,
  file VARCHAR(512) NOT NULL,
  pos BIGINT UNSIGNED NOT NULL,
  gtid_set LONGTEXT NULL,
  epoch BIGINT UNSIGNED NOT NULL,
  state LONGTEXT NULL COMMENT 'JSON',
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Sluice pipeline checkpoints (do not edit while pipelines run)'`,
    ];
  }

  /** Lock and read the pipeline's row (inside a transaction). */
  lockSql(pipeline: string): string {
    return format(`SELECT epoch, file, pos, gtid_set, state, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS updated_at FROM ${this.name} WHERE pipeline = ? FOR UPDATE`, [pipeline]);
  }

  readSql(pipeline: string): string {
    return format(`SELECT epoch, file, pos, gtid_set, state, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS updated_at FROM ${this.name} WHERE pipeline = ?`, [pipeline]);
  }

  /** A claimed row without a position yet. */
  insertClaimSql(pipeline: string, epoch: number): string {
    return format(`INSERT INTO ${this.name} (pipeline, file, pos, gtid_set, epoch, state) VALUES (?, '', 0, NULL, ?, NULL)`, [pipeline, epoch]);
  }

  setEpochSql(pipeline: string, epoch: number): string {
    return format(`UPDATE ${this.name} SET epoch = ? WHERE pipeline = ?`, [epoch, pipeline]);
  }

  /**
   * Store `cp` for `pipeline` with the writer's `epoch`. `state: undefined` keeps the stored state;
   * `null` clears it. The epoch condition is a second guard behind the row lock.
   */
  writeSql(pipeline: string, cp: Checkpoint, epoch: number): string {
    const stateSet = cp.state === undefined ? '' : format(', state = ?', [cp.state === null ? null : JSON.stringify(cp.state)]);
    return format(`UPDATE ${this.name} SET file = ?, pos = ?, gtid_set = ?, epoch = ?${stateSet} WHERE pipeline = ? AND epoch <= ?`,
      [cp.position.file, cp.position.pos, cp.position.gtidSet ?? null, epoch, pipeline, epoch]);
  }

  static parseRow(row: RowDataPacket | undefined): StoredCheckpointRow | null {
    if (!row) return null;
    return {
      epoch: Number(row['epoch']),
      file: String(row['file']),
      pos: Number(row['pos']),
      gtidSet: row['gtid_set'] === null ? null : String(row['gtid_set']),
      state: row['state'] === null ? null : String(row['state']),
      updatedAt: row['updated_at'] === null ? null : String(row['updated_at']),
    };
  }

  /** The stored row as a Checkpoint; null when the pipeline has no position and no state yet. */
  static toCheckpoint(pipeline: string, r: StoredCheckpointRow | null): Checkpoint | null {
    if (!r || (r.file === '' && r.state === null)) return null;
    const cp: Checkpoint = {
      pipeline,
      position: { file: r.file, pos: r.pos, ...(r.gtidSet !== null ? { gtidSet: r.gtidSet } : {}) },
      epoch: r.epoch,
    };
    if (r.updatedAt) cp.updatedAt = new Date(r.updatedAt.replace(' ', 'T').slice(0, 23) + 'Z');
    if (r.state !== null) cp.state = JSON.parse(r.state) as unknown;
    return cp;
  }

  /** Whether the stored row already holds exactly `cp` (a batch whose commit outcome was unknown). */
  static holds(r: StoredCheckpointRow, cp: Checkpoint): boolean {
    return r.file === cp.position.file && r.pos === cp.position.pos && (r.gtidSet ?? undefined) === (cp.position.gtidSet ?? undefined)
      && (cp.state === undefined || r.state === (cp.state === null ? null : JSON.stringify(cp.state)));
  }
}

export function fencedError(pipeline: string, storedEpoch: number, ownEpoch: number): SluiceError {
  return new SluiceError('FENCED',
    `pipeline '${pipeline}' is owned by epoch ${storedEpoch} on the target, newer than this writer's epoch ${ownEpoch}; nothing was written`,
    'another Sluice instance has taken over this pipeline: stop this one. If the other instance is gone for good, start this one with a higher epoch',
    { pipeline, storedEpoch, ownEpoch });
}
