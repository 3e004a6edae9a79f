/**
 * The checkpoint table on a PostgreSQL target: `_sluice.checkpoints`, the same columns and rules as the
 * MySQL target's (see src/sinks/mysql/checkpoint-table.ts): one row per pipeline with the resume
 * position, ownership epoch, owner and lease; every write locks the row (SELECT … FOR UPDATE), checks the
 * epoch and the last committed position, and is committed in the transaction of the rows it covers.
 * Chunk progress of the snapshot lives beside it in `_sluice.snapshot_chunks`.
 *
 * Statements are built as text with literals (simple query protocol), so that several go in one round trip.
 * Leases use clock_timestamp() (the server's clock at the statement, not the transaction's start).
 */
import { parseInstance, type InstanceInfo } from '../../instance.js';
import type { StoredCheckpointRow } from '../mysql/checkpoint-table.js';
import type { Checkpoint } from '../target.js';
import { pgIdent, pgLiteral } from './type-map.js';

export const CHECKPOINT_TABLE = 'checkpoints';
export const CHUNK_TABLE = 'snapshot_chunks';
export const HISTORY_TABLE = 'schema_history';
/** Most bytes of history rows per INSERT statement. */
const HISTORY_STATEMENT_BYTES = 1 << 20;

const SELECT_COLUMNS = `epoch::text AS epoch, file, pos::text AS pos, gtid_set,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS updated_at, owner,
  to_char(owner_since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS owner_since,
  COALESCE(round(EXTRACT(EPOCH FROM (lease_until - clock_timestamp())) * 1000000)::bigint, -1)::text AS lease_left_us`;

function leaseEnd(seconds: number): string {
  return `clock_timestamp() + interval '${Math.round(seconds * 1e6)} microseconds'`;
}

function lit(v: string | number | null): string {
  if (v === null) return 'NULL';
  return typeof v === 'number' ? String(v) : pgLiteral(v);
}

export class PgCheckpointTable {
  readonly name: string;
  readonly chunks: string;
  readonly history: string;

  constructor(readonly schema: string) {
    this.name = `${pgIdent(schema)}.${pgIdent(CHECKPOINT_TABLE)}`;
    this.chunks = `${pgIdent(schema)}.${pgIdent(CHUNK_TABLE)}`;
    this.history = `${pgIdent(schema)}.${pgIdent(HISTORY_TABLE)}`;
  }

  /** Creates the schema and the table if needed (one statement string). */
  createSql(): string {
    return `CREATE SCHEMA IF NOT EXISTS ${pgIdent(this.schema)};
CREATE TABLE IF NOT EXISTS ${this.name} (
  pipeline varchar(64) NOT NULL PRIMARY KEY,
  file varchar(512) NOT NULL,
  pos bigint NOT NULL CHECK (pos >= 0),
  gtid_set text NULL,
  epoch bigint NOT NULL CHECK (epoch >= 0),
  state text NULL,
  updated_at timestamptz(6) NOT NULL DEFAULT clock_timestamp(),
  owner varchar(1024) NULL,
  owner_since timestamptz(6) NULL,
  lease_until timestamptz(6) NULL
);
COMMENT ON TABLE ${this.name} IS 'Sluice pipeline checkpoints (do not edit while pipelines run)';
CREATE TABLE IF NOT EXISTS ${this.history} (
  pipeline varchar(64) NOT NULL,
  db varchar(64) NOT NULL,
  tbl varchar(64) NOT NULL,
  versions text NOT NULL,
  PRIMARY KEY (pipeline, db, tbl)
);
COMMENT ON TABLE ${this.history} IS 'Sluice schema history per source table (written with the checkpoint)'`;
  }

  chunkTableSql(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.chunks} (
  pipeline varchar(64) NOT NULL, db varchar(64) NOT NULL, tbl varchar(64) NOT NULL, idx integer NOT NULL,
  file varchar(512) NOT NULL, pos bigint NOT NULL, rows_copied bigint NOT NULL,
  PRIMARY KEY (pipeline, db, tbl, idx))`;
  }

  /** Lock and read the pipeline's row; the state only when asked (ownership checks do not need it). */
  lockSql(pipeline: string, withState = false): string {
    return `SELECT ${SELECT_COLUMNS}${withState ? ', state' : ''} FROM ${this.name} WHERE pipeline = ${lit(pipeline)} FOR UPDATE`;
  }

  /**
   * The writer's fence as one statement: locks the row (FOR NO KEY UPDATE) and fails with division_by_zero (22012)
   * unless it holds `epoch` and, when `at` is given, that position (null: none yet). Lets a batch's statements, the
   * checkpoint and COMMIT follow in the same round trip: an error skips them all.
   */
  fenceSql(pipeline: string, epoch: number, at?: Checkpoint['position'] | null): string {
    const pos = at === undefined ? '' : at === null ? " AND file = '' AND pos = 0"
      : ` AND file = ${lit(at.file)} AND pos = ${lit(at.pos)} AND gtid_set IS NOT DISTINCT FROM ${lit(at.gtidSet ?? null)}`;
    return `SELECT 1 / (SELECT count(*)::int FROM (SELECT 1 FROM ${this.name} WHERE pipeline = ${lit(pipeline)} AND epoch = ${lit(epoch)}${pos} FOR NO KEY UPDATE) AS sluice_fence) AS fence`;
  }

  /** A shared lock (parallel snapshot chunk writers do not block each other; a claim waits for them). */
  shareSql(pipeline: string): string {
    return `SELECT ${SELECT_COLUMNS} FROM ${this.name} WHERE pipeline = ${lit(pipeline)} FOR SHARE`;
  }

  readSql(pipeline: string, withState = false): string {
    return `SELECT ${SELECT_COLUMNS}${withState ? ', state' : ''} FROM ${this.name} WHERE pipeline = ${lit(pipeline)}`;
  }

  historySql(pipeline: string): string {
    return `SELECT db, tbl, versions FROM ${this.history} WHERE pipeline = ${lit(pipeline)}`;
  }

  /**
   * The statements that store `cp`: the changed schema-history rows first (statements of about 1 MiB at
   * most), then the checkpoint UPDATE, always last.
   */
  writeStatements(pipeline: string, cp: Checkpoint, epoch: number, leaseSeconds: number): string[] {
    const out: string[] = [];
    const h = cp.history;
    if (h) {
      if (h.replace) out.push(`DELETE FROM ${this.history} WHERE pipeline = ${lit(pipeline)}`);
      const rows = h.tables.map((t) => `(${lit(pipeline)}, ${lit(t.database)}, ${lit(t.table)}, ${lit(JSON.stringify(t.versions))})`);
      if (h.databases !== undefined) rows.push(`(${lit(pipeline)}, '', '', ${lit(JSON.stringify(h.databases))})`);
      const head = `INSERT INTO ${this.history} (pipeline, db, tbl, versions) VALUES `;
      const tail = ' ON CONFLICT (pipeline, db, tbl) DO UPDATE SET versions = EXCLUDED.versions';
      let part: string[] = [];
      let bytes = 0;
      for (const r of rows) {
        if (part.length > 0 && bytes + r.length > HISTORY_STATEMENT_BYTES) {
          out.push(head + part.join(', ') + tail);
          part = [];
          bytes = 0;
        }
        part.push(r);
        bytes += r.length + 2;
      }
      if (part.length > 0) out.push(head + part.join(', ') + tail);
    }
    out.push(this.writeSql(pipeline, cp, epoch, leaseSeconds));
    return out;
  }

  insertClaimSql(pipeline: string, epoch: number, owner: InstanceInfo, leaseSeconds: number): string {
    return `INSERT INTO ${this.name} (pipeline, file, pos, gtid_set, epoch, state, owner, owner_since, lease_until)
VALUES (${lit(pipeline)}, '', 0, NULL, ${epoch}, NULL, ${lit(JSON.stringify(owner))}, clock_timestamp(), ${leaseEnd(leaseSeconds)})`;
  }

  claimSql(pipeline: string, epoch: number, owner: InstanceInfo, leaseSeconds: number): string {
    return `UPDATE ${this.name} SET epoch = ${epoch}, owner = ${lit(JSON.stringify(owner))}, owner_since = clock_timestamp(),
lease_until = ${leaseEnd(leaseSeconds)}, updated_at = clock_timestamp() WHERE pipeline = ${lit(pipeline)}`;
  }

  renewSql(pipeline: string, epoch: number, leaseSeconds: number): string {
    return `UPDATE ${this.name} SET lease_until = ${leaseEnd(leaseSeconds)} WHERE pipeline = ${lit(pipeline)} AND epoch = ${epoch}`;
  }

  releaseSql(pipeline: string, epoch: number): string {
    return `UPDATE ${this.name} SET lease_until = NULL WHERE pipeline = ${lit(pipeline)} AND epoch = ${epoch}`;
  }

  /** Store `cp` (state: undefined keeps the stored state, null clears it) and extend the lease. */
  writeSql(pipeline: string, cp: Checkpoint, epoch: number, leaseSeconds: number): string {
    const state = cp.state === undefined ? '' : `, state = ${cp.state === null ? 'NULL' : lit(JSON.stringify(cp.state))}`;
    return `UPDATE ${this.name} SET file = ${lit(cp.position.file)}, pos = ${cp.position.pos}, gtid_set = ${lit(cp.position.gtidSet ?? null)},
lease_until = ${leaseEnd(leaseSeconds)}, updated_at = clock_timestamp()${state} WHERE pipeline = ${lit(pipeline)} AND epoch = ${epoch}`;
  }

  chunkDoneSql(pipeline: string, c: { database: string; table: string; index: number; file: string; pos: number; rows: number }): string {
    return `INSERT INTO ${this.chunks} (pipeline, db, tbl, idx, file, pos, rows_copied) VALUES (${lit(pipeline)}, ${lit(c.database)}, ${lit(c.table)}, ${c.index}, ${lit(c.file)}, ${c.pos}, ${c.rows})
ON CONFLICT (pipeline, db, tbl, idx) DO UPDATE SET file = EXCLUDED.file, pos = EXCLUDED.pos, rows_copied = EXCLUDED.rows_copied`;
  }

  chunksSql(pipeline: string): string {
    return `SELECT db, tbl, idx, file, pos::text AS pos, rows_copied::text AS rows_copied FROM ${this.chunks} WHERE pipeline = ${lit(pipeline)}`;
  }

  clearChunksSql(pipeline: string): string {
    return `DELETE FROM ${this.chunks} WHERE pipeline = ${lit(pipeline)}`;
  }

  static parseRow(row: Record<string, unknown> | undefined): StoredCheckpointRow | null {
    if (!row) return null;
    const str = (k: string): string | null => (row[k] === null || row[k] === undefined ? null : String(row[k]));
    return {
      epoch: Number(row['epoch']),
      file: String(row['file']),
      pos: Number(row['pos']),
      gtidSet: str('gtid_set'),
      ...('state' in row ? { state: str('state') } : {}),
      updatedAt: str('updated_at'),
      owner: parseInstance(str('owner')),
      ownerSince: str('owner_since'),
      leaseLeft: Number(row['lease_left_us'] ?? -1) / 1e6,
    };
  }
}
