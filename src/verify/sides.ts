/**
 * The two servers as verify reads them: every read is one consistent snapshot paired with a binlog
 * position — on the source the snapshot's own position, on the target the pipeline's checkpoint as that
 * same snapshot sees it (the checkpoint row is written in the transaction of the data it covers).
 */
import mysql, { format, type RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../errors.js';
import { mysqlConnectionOptions } from '../mysql/connection.js';
import { comparePositions } from '../mysql/schema/schema-history.js';
import { CHECKPOINT_TABLE } from '../targets/mysql/checkpoint-table.js';
import { qualifiedName } from '../targets/mysql/sql-literal.js';
import type { Position } from '../core/types.js';
import type { TableFilter } from '../source/table-filter.js';
import { listSourceTables, type TableName } from '../source/source-tables.js';
import { masterPosition } from '../snapshot/snapshot-reader.js';

export interface At<T> {
  value: T;
  position: Position;
}

export type Conn = mysql.PoolConnection;

const SESSION = "SET SESSION time_zone = '+00:00', sql_mode = REPLACE(REPLACE(@@sql_mode, 'ANSI_QUOTES', ''), 'NO_BACKSLASH_ESCAPES', ''), foreign_key_checks = 0, @sluice_writer = 1";

function createPool(url: string, size: number): mysql.Pool {
  const pool = mysql.createPool(mysqlConnectionOptions(url, {
    connectionLimit: Math.max(1, size),
    timezone: 'Z',
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  }));
  pool.on('connection', (c) => {
    c.query(SESSION);
  });
  return pool;
}

abstract class Side {
  protected readonly pool: mysql.Pool;
  constructor(url: string, size: number, readonly label: 'source' | 'target') {
    this.pool = createPool(url, size);
  }

  protected async withConnection<T>(body: (conn: Conn) => Promise<T>): Promise<T> {
    let conn: Conn;
    try {
      conn = await this.pool.getConnection();
    } catch (err) {
      throw new SluiceError('CONNECTION_FAILED', `verify cannot connect to the ${this.label}: ${(err as Error).message}`,
        `check that the ${this.label} is reachable and the URL, user and password in the config are right`, {}, { cause: err });
    }
    try {
      return await body(conn);
    } catch (err) {
      conn.destroy();
      throw err;
    } finally {
      try { conn.release(); } catch { /* destroyed */ }
    }
  }

  async query(sql: string): Promise<RowDataPacket[]> {
    return this.withConnection(async (c) => (await c.query<RowDataPacket[]>(sql))[0]);
  }

  /** Whether the server has CRC32C() (MariaDB 10.8+). */
  async hasCrc32c(): Promise<boolean> {
    try {
      await this.query("SELECT CRC32C('x')");
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

export class SourceSide extends Side {
  constructor(url: string, size: number) {
    super(url, size, 'source');
  }

  /** The base tables `filter` selects. */
  async tables(filter: TableFilter): Promise<TableName[]> {
    return listSourceTables(this.pool, filter);
  }

  /**
   * `body` inside START TRANSACTION WITH CONSISTENT SNAPSHOT, with the snapshot's binlog position (MariaDB:
   * exact; MySQL: the position read just after the snapshot began, an upper bound — safe for waiting on it).
   */
  async read<T>(body: (conn: Conn) => Promise<T>): Promise<At<T>> {
    return this.withConnection(async (conn) => {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      try {
        const position = await snapshotPosition(conn);
        const value = await body(conn);
        return { value, position };
      } finally {
        await conn.query('COMMIT').catch(() => undefined);
      }
    });
  }
}

async function snapshotPosition(conn: Conn): Promise<Position> {
  const [st] = await conn.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
  const m = new Map(st.map((r) => [String(r.Variable_name), String(r.Value)]));
  const file = m.get('Binlog_snapshot_file');
  const pos = Number(m.get('Binlog_snapshot_position'));
  if (file && Number.isFinite(pos)) return { file, pos };
  return masterPosition(conn);
}

export class TargetSide extends Side {
  private readonly checkpoints: string;
  private last: Position | null = null;

  constructor(url: string, size: number, checkpointDatabase: string, readonly pipeline: string) {
    super(url, size, 'target');
    this.checkpoints = qualifiedName(checkpointDatabase, CHECKPOINT_TABLE);
  }

  private checkpointSql(lock: boolean): string {
    return format(`SELECT file, pos FROM ${this.checkpoints} WHERE pipeline = ?${lock ? ' FOR UPDATE' : ''}`, [this.pipeline]);
  }

  private toPosition(rows: RowDataPacket[]): Position {
    const r = rows[0];
    if (!r || String(r.file) === '') {
      throw new SluiceError('VERIFY_NOT_READY', `pipeline '${this.pipeline}' has no checkpoint on the target yet`,
        'start the pipeline (sluice run / sluice serve) and verify once it streams');
    }
    return { file: String(r.file), pos: Number(r.pos) };
  }

  /** The pipeline's phase from its checkpoint state ('snapshot', 'stream', or null). */
  async phase(): Promise<string | null> {
    const rows = await this.query(format(`SELECT JSON_VALUE(state, '$.phase') AS phase, file FROM ${this.checkpoints} WHERE pipeline = ?`, [this.pipeline])).catch((err: unknown) => {
      throw new SluiceError('VERIFY_NOT_READY', `cannot read the checkpoint of pipeline '${this.pipeline}' on the target: ${(err as Error).message}`,
        'start the pipeline (sluice run / sluice serve) so that it creates its checkpoint, then verify', {}, { cause: err });
    });
    this.toPosition(rows);
    return rows[0]!.phase === null ? null : String(rows[0]!.phase);
  }

  /** Wait until the target's checkpoint is at or after `p` (the pipeline has applied the source up to p). */
  async waitFor(p: Position, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(100, delay * 2)) {
      if (this.last && comparePositions(this.last, p) >= 0) return;
      this.last = this.toPosition(await this.query(this.checkpointSql(false)));
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

  /** `body` inside a consistent snapshot, with the pipeline's checkpoint as that snapshot sees it. */
  async read<T>(body: (conn: Conn) => Promise<T>): Promise<At<T>> {
    return this.withConnection(async (conn) => {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      try {
        const position = this.toPosition((await conn.query<RowDataPacket[]>(this.checkpointSql(false)))[0]);
        const value = await body(conn);
        return { value, position };
      } finally {
        await conn.query('COMMIT').catch(() => undefined);
      }
    });
  }

  /**
   * `body` in one target transaction that holds the pipeline's checkpoint row locked (the pipeline's own
   * transactions wait meanwhile), given the checkpoint position; committed when `body` resolves.
   */
  async underCheckpointLock<T>(body: (conn: Conn, checkpoint: Position) => Promise<T>): Promise<T> {
    return this.withConnection(async (conn) => {
      await conn.query('SET SESSION innodb_lock_wait_timeout = 20');
      await conn.query('BEGIN');
      try {
        const cp = this.toPosition((await conn.query<RowDataPacket[]>(this.checkpointSql(true)))[0]);
        const out = await body(conn, cp);
        await conn.query('COMMIT');
        return out;
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }
}
