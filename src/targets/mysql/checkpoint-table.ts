/**
 * The checkpoint table on the target: one row per pipeline with the resume position, GTID set,
 * ownership epoch and free-form JSON state. Written in the same transaction as the data it covers.
 *
 * Fencing: every write first locks the row (SELECT … FOR UPDATE) and checks that the stored epoch is
 * the writer's own and the stored position the one it last committed; every claim raises the stored
 * epoch. A stale writer (an old instance that is still alive, a paused one that woke up) is refused by
 * the target itself, before it writes anything, whatever the interleaving.
 *
 * Ownership: the row also names the owning instance (host, pid) and a lease (`lease_until`, by the
 * target's clock) that every write and a periodic renewal extend; a new instance waits while the
 * lease of a live owner runs, and a clean stop releases it.
 */
import { format, type RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../../errors.js';
import { describeInstance, parseInstance, type InstanceInfo } from '../../instance.js';
import type { Checkpoint, HistoryRows } from '../target.js';
import { qualifiedName, quoteId } from './sql-literal.js';

export const CHECKPOINT_TABLE = 'checkpoints';
/** The schema history of each pipeline, one row per source table (and one, `db = ''`, for database defaults). */
export const HISTORY_TABLE = 'schema_history';
/** Most bytes of history rows per INSERT statement. */
const HISTORY_STATEMENT_BYTES = 1024 * 1024;

export interface StoredCheckpointRow {
  epoch: number;
  file: string;
  pos: number;
  gtidSet: string | null;
  /** The state JSON; undefined when the row was read without it (ownership checks: it can be megabytes). */
  state?: string | null;
  updatedAt: string | null;
  /** The owning instance, if one was recorded. */
  owner: InstanceInfo | null;
  ownerSince: string | null;
  /** Seconds left on the owner's lease by the target's clock (≤ 0: expired or released). */
  leaseLeft: number;
}

/** Columns added after the first release: added to existing checkpoint tables on open. */
const OWNER_COLUMNS: ReadonlyArray<[string, string]> = [
  ['owner', 'owner VARCHAR(1024) NULL'],
  ['owner_since', 'owner_since TIMESTAMP(6) NULL DEFAULT NULL'],
  ['lease_until', 'lease_until TIMESTAMP(6) NULL DEFAULT NULL'],
];

const SELECT_COLUMNS = `epoch, file, pos, gtid_set, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS updated_at, owner,
  DATE_FORMAT(owner_since, '%Y-%m-%d %H:%i:%s.%f') AS owner_since, IFNULL(TIMESTAMPDIFF(MICROSECOND, NOW(6), lease_until), -1) AS lease_left_us`;

/** `NOW(6) + INTERVAL s SECOND` with microsecond precision. */
function leaseEnd(seconds: number): string {
  return `NOW(6) + INTERVAL ${Math.round(seconds * 1e6)} MICROSECOND`;
}

/** The error the writer's fence raises when the row is not this writer's (see fenceStatements). */
export const FENCE_ERRNO = 1242;

export class CheckpointTable {
  readonly name: string;

  readonly history: string;

  constructor(readonly database: string) {
    this.name = qualifiedName(database, CHECKPOINT_TABLE);
    this.history = qualifiedName(database, HISTORY_TABLE);
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
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
${OWNER_COLUMNS.map(([, def]) => `  ${def}`).join(',\n')}
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Sluice pipeline checkpoints (do not edit while pipelines run)'`,
      `CREATE TABLE IF NOT EXISTS ${this.history} (
  pipeline VARCHAR(64) NOT NULL,
  db VARCHAR(64) NOT NULL,
  tbl VARCHAR(64) NOT NULL,
  versions LONGTEXT NOT NULL COMMENT 'JSON',
  PRIMARY KEY (pipeline, db, tbl)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='Sluice schema history per source table (written with the checkpoint)'`,
    ];
  }

  /** The owner columns missing from an existing table (`present`: its column names), as one ALTER, or null. */
  upgradeSql(present: ReadonlySet<string>): string | null {
    const missing = OWNER_COLUMNS.filter(([name]) => !present.has(name));
    return missing.length === 0 ? null : `ALTER TABLE ${this.name} ${missing.map(([, def]) => `ADD COLUMN ${def}`).join(', ')}`;
  }

  columnsSql(): string {
    return format('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [this.database, CHECKPOINT_TABLE]);
  }

  /**
   * Lock and read the pipeline's row (inside a transaction). The state (the schema history of every table:
   * megabytes with thousands of tables) is read only when asked for — ownership checks on every batch and
   * chunk need the small columns only.
   */
  lockSql(pipeline: string, withState = false): string {
    return format(`SELECT ${SELECT_COLUMNS}${withState ? ', state' : ''} FROM ${this.name} WHERE pipeline = ? FOR UPDATE`, [pipeline]);
  }

  /**
   * The writer's fence as statements that open the transaction, lock the row and fail with ER_SUBQUERY_NO_1_ROW
   * (1242, see FENCE_ERRNO) unless it holds `epoch` and, when `at` is given, that position (null: none yet). A
   * batch's statements, the checkpoint and COMMIT then follow in the same round trip: an error skips them all.
   * (MySQL has no SIGNAL outside stored programs: a scalar subquery that returns two rows is the portable error;
   * a SELECT, since DO turns it into a warning.)
   * The check is a consistent read taken after the row lock is held, so it sees the latest committed row.
   */
  fenceStatements(pipeline: string, epoch: number, at?: Checkpoint['position'] | null): string[] {
    const pos = at === undefined ? '' : at === null ? " AND file = '' AND pos = 0"
      : format(' AND file = ? AND pos = ? AND gtid_set <=> ?', [at.file, at.pos, at.gtidSet ?? null]);
    return ['START TRANSACTION', format(`SELECT epoch FROM ${this.name} WHERE pipeline = ? FOR UPDATE`, [pipeline]),
      `SELECT (SELECT 1 UNION ALL SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM ${this.name} WHERE ${format('pipeline = ? AND epoch = ?', [pipeline, epoch])}${pos})) AS sluice_fence`];
  }

  readSql(pipeline: string, withState = false): string {
    return format(`SELECT ${SELECT_COLUMNS}${withState ? ', state' : ''} FROM ${this.name} WHERE pipeline = ?`, [pipeline]);
  }

  /** A claimed row without a position yet. */
  insertClaimSql(pipeline: string, epoch: number, owner: InstanceInfo, leaseSeconds: number): string {
    return format(`INSERT INTO ${this.name} (pipeline, file, pos, gtid_set, epoch, state, owner, owner_since, lease_until) VALUES (?, '', 0, NULL, ?, NULL, ?, NOW(6), ${leaseEnd(leaseSeconds)})`,
      [pipeline, epoch, JSON.stringify(owner)]);
  }

  /** Take the row for `owner` with a new `epoch` (under the row lock). */
  claimSql(pipeline: string, epoch: number, owner: InstanceInfo, leaseSeconds: number): string {
    return format(`UPDATE ${this.name} SET epoch = ?, owner = ?, owner_since = NOW(6), lease_until = ${leaseEnd(leaseSeconds)} WHERE pipeline = ?`,
      [epoch, JSON.stringify(owner), pipeline]);
  }

  /** Extend the lease of the writer with `epoch`; changes nothing (0 rows) once another epoch owns the row. */
  renewSql(pipeline: string, epoch: number, leaseSeconds: number): string {
    return format(`UPDATE ${this.name} SET lease_until = ${leaseEnd(leaseSeconds)} WHERE pipeline = ? AND epoch = ?`, [pipeline, epoch]);
  }

  /** End the lease of the writer with `epoch` now (a clean stop): the next instance need not wait. */
  releaseSql(pipeline: string, epoch: number): string {
    return format(`UPDATE ${this.name} SET lease_until = NULL WHERE pipeline = ? AND epoch = ?`, [pipeline, epoch]);
  }

  /**
   * Store `cp` for `pipeline`, written by the owner of `epoch` (and extend its lease). `state: undefined`
   * keeps the stored state; `null` clears it. The epoch condition is a second guard behind the row lock.
   */
  writeSql(pipeline: string, cp: Checkpoint, epoch: number, leaseSeconds: number): string {
    const stateSet = cp.state === undefined ? '' : format(', state = ?', [cp.state === null ? null : JSON.stringify(cp.state)]);
    return format(`UPDATE ${this.name} SET file = ?, pos = ?, gtid_set = ?, lease_until = ${leaseEnd(leaseSeconds)}${stateSet} WHERE pipeline = ? AND epoch = ?`,
      [cp.position.file, cp.position.pos, cp.position.gtidSet ?? null, pipeline, epoch]);
  }

  /**
   * The statements that store `cp` (see writeSql), the changed schema-history rows first, in statements of at
   * most about 1 MiB each. The checkpoint UPDATE is always the last one.
   */
  writeStatements(pipeline: string, cp: Checkpoint, epoch: number, leaseSeconds: number): string[] {
    return [...this.writeSteps(pipeline, cp, epoch, leaseSeconds)];
  }

  /**
   * writeStatements one statement at a time, each history statement serialized only when asked for: with
   * thousands of tables the whole history is megabytes of SQL (10,000 tables: ~13 MB, several copies of it at
   * once between the statements, the packed queries and the driver's buffers), while a caller that sends as it
   * goes holds about one query of it.
   */
  *writeSteps(pipeline: string, cp: Checkpoint, epoch: number, leaseSeconds: number): Generator<string, void, undefined> {
    const h = cp.history;
    if (h) {
      if (h.replace) yield format(`DELETE FROM ${this.history} WHERE pipeline = ?`, [pipeline]);
      const head = `INSERT INTO ${this.history} (pipeline, db, tbl, versions) VALUES `;
      const tail = ' ON DUPLICATE KEY UPDATE versions = VALUES(versions)';
      let part: string[] = [];
      let bytes = 0;
      const rows = function* (): Generator<string> {
        for (const t of h.tables) yield format('(?, ?, ?, ?)', [pipeline, t.database, t.table, JSON.stringify(t.versions)]);
        if (h.databases !== undefined) yield format("(?, '', '', ?)", [pipeline, JSON.stringify(h.databases)]);
      };
      for (const r of rows()) {
        if (part.length > 0 && bytes + r.length > HISTORY_STATEMENT_BYTES) {
          yield head + part.join(',') + tail;
          part = [];
          bytes = 0;
        }
        part.push(r);
        bytes += r.length + 1;
      }
      if (part.length > 0) yield head + part.join(',') + tail;
    }
    yield this.writeSql(pipeline, cp, epoch, leaseSeconds);
  }

  /** Read the pipeline's schema-history rows. */
  historySql(pipeline: string): string {
    return format(`SELECT db, tbl, versions FROM ${this.history} WHERE pipeline = ?`, [pipeline]);
  }

  /** The stored schema-history rows as `HistoryRows`, or undefined when there are none. */
  static toHistory(rows: readonly RowDataPacket[]): HistoryRows | undefined {
    if (rows.length === 0) return undefined;
    const tables: Array<{ database: string; table: string; versions: unknown }> = [];
    let databases: unknown;
    for (const r of rows) {
      const db = String(r['db']), tbl = String(r['tbl']);
      const value = JSON.parse(String(r['versions'])) as unknown;
      if (db === '' && tbl === '') databases = value;
      else tables.push({ database: db, table: tbl, versions: value });
    }
    return databases === undefined ? { tables } : { tables, databases };
  }

  static parseRow(row: RowDataPacket | undefined): StoredCheckpointRow | null {
    if (!row) return null;
    return {
      epoch: Number(row['epoch']),
      file: String(row['file']),
      pos: Number(row['pos']),
      gtidSet: row['gtid_set'] === null ? null : String(row['gtid_set']),
      ...('state' in row ? { state: row['state'] === null ? null : String(row['state']) } : {}),
      updatedAt: row['updated_at'] === null ? null : String(row['updated_at']),
      owner: parseInstance(row['owner'] === null || row['owner'] === undefined ? null : String(row['owner'])),
      ownerSince: row['owner_since'] === null || row['owner_since'] === undefined ? null : String(row['owner_since']),
      leaseLeft: Number(row['lease_left_us'] ?? -1) / 1e6,
    };
  }

  /** The stored row as a Checkpoint; null when the pipeline has no position and no state yet. */
  static toCheckpoint(pipeline: string, r: StoredCheckpointRow | null): Checkpoint | null {
    if (r && r.state === undefined) throw new Error('internal: checkpoint row read without its state');
    if (!r || (r.file === '' && r.state === null)) return null;
    const cp: Checkpoint = {
      pipeline,
      position: { file: r.file, pos: r.pos, ...(r.gtidSet !== null ? { gtidSet: r.gtidSet } : {}) },
      epoch: r.epoch,
    };
    if (r.updatedAt) cp.updatedAt = new Date(r.updatedAt.replace(' ', 'T').slice(0, 23) + 'Z');
    if (r.state !== null && r.state !== undefined) cp.state = JSON.parse(r.state) as unknown;
    return cp;
  }

  /** Whether the stored row already holds exactly `cp` (a batch whose commit outcome was unknown). */
  static holds(r: StoredCheckpointRow, cp: Checkpoint): boolean {
    if (cp.state !== undefined && r.state === undefined) throw new Error('internal: checkpoint row read without its state');
    return CheckpointTable.at(r, cp.position) && (cp.state === undefined || r.state === (cp.state === null ? null : JSON.stringify(cp.state)));
  }

  /** Whether the stored row's position is `p`. */
  static at(r: StoredCheckpointRow, p: Checkpoint['position'] | null): boolean {
    if (p === null) return r.file === '' && r.pos === 0;
    return r.file === p.file && r.pos === p.pos && (r.gtidSet ?? undefined) === (p.gtidSet ?? undefined);
  }
}

function ownerText(stored: StoredCheckpointRow): string {
  return stored.owner ? `${describeInstance(stored.owner)}${stored.ownerSince ? `, owner since ${stored.ownerSince} (target clock)` : ''}` : 'an instance that did not record itself';
}

/** A write refused because another instance (a newer epoch) owns the pipeline now. */
export function fencedError(pipeline: string, stored: StoredCheckpointRow, ownEpoch: number): SluiceError {
  return new SluiceError('FENCED',
    `pipeline '${pipeline}' was taken over by ${ownerText(stored)} with epoch ${stored.epoch} (this instance held epoch ${ownEpoch}); this instance wrote nothing more and stops`,
    'nothing to repair: the other instance goes on from the target\'s checkpoint. Run each pipeline in one instance only (stop the extra `sluice run` or `sluice serve`)',
    { pipeline, storedEpoch: stored.epoch, ownEpoch, owner: stored.owner });
}

/** The checkpoint moved although the epoch is ours: someone else wrote the row (should not happen). */
export function checkpointMovedError(pipeline: string, stored: StoredCheckpointRow, expected: Checkpoint['position'] | null): SluiceError {
  return new SluiceError('FENCED',
    `the checkpoint of pipeline '${pipeline}' on the target is at ${stored.file}:${stored.pos}, not where this instance last committed (${expected ? `${expected.file}:${expected.pos}` : 'nothing'}); this instance wrote nothing more and stops`,
    'another writer changed the checkpoint row (another Sluice instance, or an edit by hand): run each pipeline in one instance only; a restart resumes from the stored checkpoint',
    { pipeline, stored: { file: stored.file, pos: stored.pos }, expected });
}

/** The pipeline is owned by another instance whose lease still runs. */
export function ownedError(pipeline: string, stored: StoredCheckpointRow): SluiceError {
  return new SluiceError('PIPELINE_OWNED',
    `pipeline '${pipeline}' is owned by a live instance: ${ownerText(stored)}, lease ${stored.leaseLeft.toFixed(1)} s left`,
    'stop that instance (a clean stop hands the pipeline over at once) — this instance waits and takes over when it stops or its lease runs out; '
      + 'if it is gone for good, its lease ends by itself (tuning.leaseSeconds)',
    { pipeline, owner: stored.owner, ownerSince: stored.ownerSince, epoch: stored.epoch, leaseLeftSeconds: Math.max(0, stored.leaseLeft) });
}
