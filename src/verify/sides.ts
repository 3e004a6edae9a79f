/**
 * The two servers as verify reads them: every read is one consistent snapshot paired with a binlog
 * position — on the source the snapshot's own position, on the target the pipeline's checkpoint as that
 * same snapshot sees it (the checkpoint row is written in the transaction of the data it covers).
 */
import mysql, { format, type RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../errors.js';
import { mysqlConnectionOptions } from '../mysql/connection.js';
import { CHECKPOINT_TABLE } from '../targets/mysql/checkpoint-table.js';
import { qualifiedName } from '../targets/mysql/sql-literal.js';
import type { Position } from '../core/types.js';
import type { TableFilter } from '../source/table-filter.js';
import { listSourceTables, type TableName } from '../source/source-tables.js';
import { masterPosition } from '../snapshot/snapshot-reader.js';
import { MysqlTableAccess } from './mysql-access.js';
import { CheckpointWaiter, checkpointPosition, checkpointUnreadable, type At, type TableAccess, type TableSpec, type VerifyTarget, underLock } from './table-access.js';
import { TableSql } from './table-sql.js';

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

  /** Unknown column, unknown table, table definition changed (a DDL under the read). */
  isDefinitionChange(err: unknown): boolean {
    const errno = (err as { errno?: number }).errno;
    return errno === 1054 || errno === 1146 || errno === 1412;
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

/** A MySQL/MariaDB target as verify reads it (the table access: mysql-access.ts). */
export class MysqlTargetSide extends Side implements VerifyTarget {
  private readonly checkpoints: string;
  private readonly waiter: CheckpointWaiter;
  /** Both servers have CRC32C() (asked once). */
  private crc32c: Promise<boolean> | undefined;

  constructor(url: string, size: number, checkpointDatabase: string, readonly pipeline: string) {
    super(url, size, 'target');
    this.checkpoints = qualifiedName(checkpointDatabase, CHECKPOINT_TABLE);
    this.waiter = new CheckpointWaiter(pipeline, async () => this.toPosition(await this.query(this.checkpointSql(false))));
  }

  private checkpointSql(lock: boolean): string {
    return format(`SELECT file, pos FROM ${this.checkpoints} WHERE pipeline = ?${lock ? ' FOR UPDATE' : ''}`, [this.pipeline]);
  }

  private toPosition(rows: RowDataPacket[]): Position {
    return checkpointPosition(this.pipeline, rows[0]);
  }

  /** The pipeline's phase from its checkpoint state ('snapshot', 'stream', or null). */
  async phase(): Promise<string | null> {
    const rows = await this.query(format(`SELECT JSON_VALUE(state, '$.phase') AS phase, file FROM ${this.checkpoints} WHERE pipeline = ?`, [this.pipeline])).catch((err: unknown) => {
      throw checkpointUnreadable(this.pipeline, err);
    });
    this.toPosition(rows);
    return rows[0]!.phase === null ? null : String(rows[0]!.phase);
  }

  /** Wait until the target's checkpoint is at or after `p` (the pipeline has applied the source up to p). */
  async waitFor(p: Position, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiter.waitFor(p, timeoutMs, signal);
  }

  async table(spec: TableSpec): Promise<TableAccess | { problem: string }> {
    const { schema, targetDatabase: db, table } = spec;
    const targetCols = await this.query(format('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, table]));
    const have = new Set(targetCols.map((r: RowDataPacket) => String(r.c)));
    if (have.size === 0) return { problem: `the target table ${db}.${table} does not exist` };
    const missing = schema.columns.filter((c) => !have.has(c.name)).map((c) => c.name);
    if (missing.length > 0) return { problem: `the target table lacks column(s) ${missing.join(', ')}` };
    this.crc32c ??= Promise.all([spec.source.hasCrc32c(), this.hasCrc32c()]).then(([s, t]) => s && t);
    const crc32c = await this.crc32c;
    return new MysqlTableAccess(spec.source, this, spec.key, {
      source: new TableSql(schema, spec.database, table, spec.key.columns, crc32c),
      target: new TableSql(schema, db, table, spec.key.columns, crc32c),
    });
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
      return underLock(conn, (sql) => conn.query(sql), 'BEGIN',
        async () => this.toPosition((await conn.query<RowDataPacket[]>(this.checkpointSql(true)))[0]), body);
    });
  }
}
