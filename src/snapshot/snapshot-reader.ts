/**
 * Reads tables for the initial copy without locks: the key space is cut into chunks, and each chunk is
 * read in its own `START TRANSACTION WITH CONSISTENT SNAPSHOT`, together with the binlog position that
 * snapshot corresponds to (MariaDB's `binlog_snapshot_file/position`, exact). Later binlog events for
 * a key are applied only when they come after its chunk's position (see chunk-filter.ts).
 *
 * MySQL has no such status variable: there the position is read just before the snapshot starts (a
 * lower bound), so a few events may be applied again on top of the copy; with full row images and
 * upserts the target still converges to the source.
 */
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import { mysqlConnectionOptions } from '../mysql/connection.js';
import { currentAccount } from '../mysql/account-name.js';
import type { TableSchema, SchemaColumn } from '../mysql/schema/table-schema.js';
import type { Cell } from '../core/cell.js';
import type { Flavor, Position } from '../core/types.js';
import { keyLiteral, rangeCondition, type KeyRange } from './key-range.js';
import { isBytesColumn, quoteIdent, rawTypeCast, selectExpression, toCell } from './snapshot-values.js';
import type { SourceText, SourceTextFormat } from '../targets/target.js';
import { pgColumnType, pgCopyLineExpression } from '../targets/postgres/index.js';
import { readLinePackets, trimPacketPool, type LinePackets } from '../mysql/load-data-packets.js';

export interface ChunkRead {
  /** Column names (generated columns left out unless asked for), in the order of each row's cells. */
  columns: string[];
  rows: Cell[][];
  /** Binlog position the chunk's consistent snapshot corresponds to. */
  position: Position;
  /** True when `position` is exactly the snapshot's point (MariaDB), false for a lower bound (MySQL). */
  exact: boolean;
}

/**
 * A chunk as LOAD DATA text printed by the source, in the "quoted" format: fields separated by `,`,
 * strings QUOTE()d (`'…'` with backslash escapes), numbers bare, bytes as bare hex (`as: 'hex'`, to be
 * written with UNHEX), BIT as its bare number (`as: 'bit'`), NULL as the bare word NULL; each row ends with
 * a newline (which may also occur inside a quoted string). Read it with
 * `FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\'' ESCAPED BY '\\' LINES TERMINATED BY '\n'`.
 * Or (format `pg-copy`) in PostgreSQL's COPY text format, for the types the PostgreSQL target maps the columns to
 * (see targets/postgres/copy-select.ts).
 */
export type ChunkText = SourceText & { position: Position; exact: boolean };

const NUMBER_LITERAL_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric']);

/**
 * SQL that makes the source print a column as an exact SQL literal: numbers as digits, bytes as X'…',
 * BIT as its number, FLOAT through DOUBLE (no digits lost), everything else QUOTE()d; NULL as NULL.
 */
export function literalExpression(col: SchemaColumn): string {
  const q = quoteIdent(col.name);
  if (isBytesColumn(col) && col.dataType !== 'bit') return `IF(${q} IS NULL, 'NULL', CONCAT('X''', HEX(${q}), ''''))`;
  if (col.dataType === 'bit') return `IFNULL(CAST(${q} + 0 AS CHAR), 'NULL')`;
  if (NUMBER_LITERAL_TYPES.has(col.dataType)) return `IFNULL(CAST(${q} AS CHAR), 'NULL')`;
  if (col.dataType === 'float') return `QUOTE(CAST(${q} AS DOUBLE))`;
  return `QUOTE(${q})`;
}

/** Types whose text never holds a `,`, quote, backslash or line break: printed bare, without QUOTE() or CAST. */
const BARE_TEXT_TYPES = new Set([...NUMBER_LITERAL_TYPES, 'double', 'date', 'datetime', 'timestamp', 'time', 'year']);

/**
 * SQL that makes the source print a column as a field of ChunkText: literalExpression, but bytes as bare hex,
 * and numbers, BIT (as `+ 0`), FLOAT (as DOUBLE), DOUBLE and temporal values bare (CONCAT_WS prints the same text
 * as CAST or QUOTE would, minus the quotes; ~10% less source CPU than CAST/QUOTE on the bench table). NULL as the
 * bare word NULL (IFNULL, where the column may be NULL: CONCAT_WS would skip a NULL).
 */
export function loadTextExpression(col: SchemaColumn): string {
  const q = quoteIdent(col.name);
  if (isBytesColumn(col) && col.dataType !== 'bit') return `IFNULL(HEX(${q}), 'NULL')`;
  // Numbers rather than CAST(… AS CHAR): a CAST's text has the connection's character set, which would make the whole
  // line utf8mb4 (see nativeTextCharset).
  const bare = col.dataType === 'bit' ? `${q} + 0` : col.dataType === 'float' ? `CAST(${q} AS DOUBLE)`
    : BARE_TEXT_TYPES.has(col.dataType) && !isBytesColumn(col) ? q : null;
  if (bare !== null) return col.nullable ? `IFNULL(${bare}, 'NULL')` : bare;
  return literalExpression(col);
}

/**
 * Character sets in which the quoted LOAD DATA text stays parseable byte by byte: ASCII where ASCII is, and no
 * ASCII byte (quote, backslash, comma, newline) inside a multi-byte character.
 */
const ASCII_COMPATIBLE = new Set(['ascii', 'binary', 'latin1', 'latin2', 'latin5', 'latin7', 'cp1250', 'cp1251', 'cp1256', 'cp1257',
  'utf8', 'utf8mb3', 'utf8mb4']);

/**
 * The one character set of the text columns of `cols` when it is not utf8mb4 and the text can be read in it (see
 * ASCII_COMPATIBLE), else null (the source converts the text to utf8mb4, the connection's character set).
 */
export function nativeTextCharset(cols: readonly SchemaColumn[]): string | null {
  const sets = new Set(cols.filter((c) => c.charset !== null && !isBytesColumn(c)).map((c) => c.charset!.toLowerCase()));
  if (sets.size !== 1) return null;
  const cs = [...sets][0]!;
  return cs !== 'utf8mb4' && ASCII_COMPATIBLE.has(cs) ? cs : null;
}

export class SnapshotReader {
  private readonly pool: mysql.Pool;

  /** `textValueMax`: most bytes of one chunk's COPY text read as one value (tests make it small). */
  constructor(url: string, private readonly flavor: Flavor, parallelism: number, private readonly log?: Logger, textValueMax = AGGREGATED_TEXT_MAX) {
    this.pool = mysql.createPool(mysqlConnectionOptions(url, {
      connectionLimit: Math.max(1, parallelism),
      timezone: 'Z',
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
    }));
    this.pool.on('connection', (c) => {
      // group_concat_max_len: a chunk's COPY text comes as one value (readChunkText), below max_allowed_packet.
      c.query("SET SESSION time_zone = '+00:00', SESSION sql_mode = REPLACE(REPLACE(@@sql_mode, 'ANSI_QUOTES', ''), 'NO_BACKSLASH_ESCAPES', ''), " +
        `SESSION group_concat_max_len = LEAST(@@max_allowed_packet - 1024, ${Math.max(4, Math.floor(textValueMax))})`);
    });
  }

  /** Approximate row count (information_schema statistics). */
  async estimateRows(db: string, table: string): Promise<number> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, table]);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Cut the table's key space into ranges of about `chunkSize` rows: (−∞, k1], (k1, k2], …, (kn, +∞).
   * A table without a primary key is one range (read in one consistent snapshot).
   */
  async planChunks(schema: TableSchema, chunkSize: number): Promise<KeyRange[]> {
    const pk = pkColumns(schema);
    if (pk.length === 0) return [{ lo: null, hi: null }];
    const cols = pk.map((c) => quoteIdent(c.name)).join(', ');
    const from = `${quoteIdent(schema.database)}.${quoteIdent(schema.table)}`;
    const ranges: KeyRange[] = [];
    let lo: string[] | null = null;
    for (;;) {
      const where: string = lo ? `WHERE ${rangeCondition(pk, { lo, hi: null })}` : '';
      const [rows]: [RowDataPacket[], unknown] = await this.pool.query<RowDataPacket[]>({
        sql: `SELECT ${cols} FROM ${from} ${where} ORDER BY ${cols} LIMIT 1 OFFSET ${Math.max(0, chunkSize - 1)}`,
        typeCast: rawTypeCast(pk),
      });
      const r: RowDataPacket | undefined = rows[0];
      if (!r) break;
      const hi: string[] = pk.map((c): string => keyLiteral(c, r[c.name]));
      ranges.push({ lo, hi });
      lo = hi;
    }
    ranges.push({ lo, hi: null });
    return ranges;
  }

  /** Tables one of whose chunks did not fit in one aggregated value (readChunkText reads their chunks row by row). */
  private readonly perRowText = new Set<string>();

  /**
   * Like readChunk, but the source prints each row as a line of LOAD DATA text (see ChunkText): C code on
   * the server instead of parsing every value into a cell and encoding it again here. Returns null when
   * a row is too large to print (over max_allowed_packet; the caller falls back to readChunk).
   *
   * COPY text (`pg-copy`) comes as one value, the chunk's lines joined by GROUP_CONCAT: one result row instead of
   * one per table row, which costs Sluice about half the CPU (mysql2 parses one row, not 10,000) and the source a
   * little less. A line cannot hold a bare newline (COPY text escapes it), so the newlines counted in the value say
   * whether every row is there: a line the source printed as NULL (a value the typed path must refuse) or a value cut
   * at group_concat_max_len has fewer; the chunk is then read row by row as before (and the table's later chunks too,
   * when the value was cut).
   */
  async readChunkText(schema: TableSchema, range: KeyRange, format: SourceTextFormat = 'load-data', withGenerated = false): Promise<ChunkText | null> {
    const cols = copiedColumns(schema, withGenerated);
    const line = format === 'pg-copy' ? pgCopyLineExpression(cols) : `CONCAT(CONCAT_WS(',', ${cols.map(loadTextExpression).join(', ')}), '\\n')`;
    if (line === null) return null; // a column type the format does not handle: typed cells
    const key = `${schema.database}.${schema.table}`;
    if (format === 'pg-copy' && !this.perRowText.has(key)) {
      const pk = pkColumns(schema);
      const whole = await this.inSnapshot(schema, async (conn, { position, exact }) => {
        const [rows] = await conn.query<RowDataPacket[]>({
          sql: `SELECT COUNT(*), GROUP_CONCAT(${line} SEPARATOR '') FROM ${quoteIdent(schema.database)}.${quoteIdent(schema.table)} WHERE ${rangeCondition(pk, range)}`,
          rowsAsArray: true,
          typeCast: (field, next) => field.type === 'LONGLONG' ? next() : field.buffer(),
        });
        const [n, text] = rows[0] as unknown as [number | string, Buffer | null];
        const count = Number(n);
        const data = text ?? Buffer.alloc(0);
        const columns = cols.map((c) => ({ name: c.name, pgType: pgColumnType(c) }));
        // Fewer lines: a value cut at group_concat_max_len, or a line printed as NULL (the row by row read tells which).
        return countLines(data) === count ? { format, columns, data, rows: count, position, exact } : null;
      });
      if (whole !== null) return whole;
      const perRow = await this.readChunkTextPerRow(schema, range, format, cols, line);
      if (perRow !== null) {
        this.perRowText.add(key);
        this.log?.info({ table: key }, 'a snapshot chunk\'s COPY text is larger than group_concat_max_len: this table\'s chunks are read row by row');
      }
      return perRow;
    }
    return this.readChunkTextPerRow(schema, range, format, cols, line);
  }

  /** readChunkText's rows read one by one (LOAD DATA text, and COPY text too large for one value). */
  private async readChunkTextPerRow(schema: TableSchema, range: KeyRange, format: SourceTextFormat, cols: SchemaColumn[], line: string): Promise<ChunkText | null> {
    // Text of one single-byte (or utf8mb3) character set other than utf8mb4 is sent as it is, not converted to utf8mb4
    // (and back by the target): the text's character set is then the one the result says.
    const native = format === 'load-data' ? nativeTextCharset(cols) : null;
    return this.inSnapshot(schema, async (conn, { position, exact }) => {
      const pk = pkColumns(schema);
      const order = pk.length ? ` ORDER BY ${pk.map((c) => quoteIdent(c.name)).join(', ')}` : '';
      // The literals, HEX() and number texts in the column's character set too (character_set_connection): mixed with
      // utf8mb4 ones, the source converted every IFNULL(number, 'NULL') to utf8mb4 and back, row by row (~15 % of its
      // CPU on the bench table). The connection's collation is put back after the read.
      if (native) await conn.query(`SET @sluice_collation = @@session.collation_connection, SESSION character_set_results = NULL, SESSION character_set_connection = ${native}`);
      const sql = `SELECT ${line} AS t FROM ${quoteIdent(schema.database)}.${quoteIdent(schema.table)} WHERE ${rangeCondition(pk, range)}${order}`;
      if (format === 'load-data') {
        // Straight into packets for the target's LOAD DATA LOCAL (see mysql/load-data-packets.ts).
        let read: LinePackets;
        try {
          read = await readLinePackets(conn, sql);
        } finally {
          if (native) await conn.query('SET SESSION character_set_results = utf8mb4, SESSION collation_connection = @sluice_collation');
        }
        const { text, rows, nullRow, fields } = read;
        if (nullRow) { // over max_allowed_packet: CONCAT gave NULL
          text.release();
          return null;
        }
        let charset = 'utf8mb4';
        if (native && rows > 0) {
          const cs = await this.charsetOf(conn, fields[0]?.characterSet);
          if (cs === null || !ASCII_COMPATIBLE.has(cs)) { // not what the columns promised: typed cells
            text.release();
            return null;
          }
          charset = cs;
        }
        const columns = cols.map((c) => ({ name: c.name, as: isBytesColumn(c) ? (c.dataType === 'bit' ? 'bit' as const : 'hex' as const) : 'text' as const }));
        return { columns, data: text, rows, charset, position, exact };
      }
      let rows: RowDataPacket[];
      let fields: Array<{ characterSet?: number }>;
      try {
        [rows, fields] = await conn.query<RowDataPacket[]>({
          sql,
          rowsAsArray: true,
          typeCast: (field) => field.buffer(),
        });
      } finally {
        if (native) await conn.query('SET SESSION character_set_results = utf8mb4, SESSION collation_connection = @sluice_collation');
      }
      let charset = 'utf8mb4';
      if (native && rows.length > 0) {
        const cs = await this.charsetOf(conn, fields[0]?.characterSet);
        if (cs === null || !ASCII_COMPATIBLE.has(cs)) return null; // not what the columns promised: typed cells
        charset = cs;
      }
      const lines: Buffer[] = new Array(rows.length);
      let bytes = 0;
      for (let i = 0; i < rows.length; i++) {
        const t = (rows[i] as unknown as [Buffer | null])[0];
        if (t === null) return null; // over max_allowed_packet (or a value pg-copy leaves to the typed path): CONCAT gave NULL
        lines[i] = t;
        bytes += t.length;
      }
      // With the total given, Buffer.concat copies without measuring first: ~7× less CPU for 10k small lines.
      const data = Buffer.concat(lines, bytes);
      if (format === 'pg-copy') return { format, columns: cols.map((c) => ({ name: c.name, pgType: pgColumnType(c) })), data, rows: rows.length, position, exact };
      const columns = cols.map((c) => ({ name: c.name, as: isBytesColumn(c) ? (c.dataType === 'bit' ? 'bit' as const : 'hex' as const) : 'text' as const }));
      return { columns, data, rows: rows.length, charset, position, exact };
    });
  }

  private readonly charsets = new Map<number, string | null>();

  /** The character set (lower case) of a collation id, from the source's information_schema; null when unknown. */
  private async charsetOf(conn: mysql.PoolConnection, collationId: number | undefined): Promise<string | null> {
    if (collationId === undefined) return null;
    let cs = this.charsets.get(collationId);
    if (cs === undefined) {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT LOWER(CHARACTER_SET_NAME) AS cs FROM information_schema.COLLATIONS WHERE ID = ?', [collationId]);
      cs = rows[0]?.['cs'] == null ? null : String(rows[0]['cs']);
      this.charsets.set(collationId, cs);
    }
    return cs;
  }

  /**
   * Run `body` inside one consistent-snapshot transaction on a pooled connection, then check that the
   * table still has the definition the chunk was read with: the open transaction holds the table's
   * metadata lock, so a DDL either happened before the read (seen here: TABLE_DEFINITION_CHANGED) or
   * waits until after it (the chunk is consistent with `schema`).
   */
  private async inSnapshot<T>(schema: TableSchema, body: (conn: mysql.PoolConnection, at: { position: Position; exact: boolean }) => Promise<T>): Promise<T> {
    const conn = await this.pool.getConnection();
    try {
      const at = await this.beginSnapshot(conn);
      try {
        let out: T;
        try {
          out = await body(conn, at);
        } catch (err) {
          const errno = (err as { errno?: number }).errno;
          // Unknown column / table, or "table definition has changed": a DDL since the table was planned.
          if (errno === 1054 || errno === 1146 || errno === 1412) throw definitionChanged(schema, String((err as Error).message), at.position);
          throw err;
        }
        const [cols] = await conn.query<RowDataPacket[]>(
          'SELECT COLUMN_NAME AS n, COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
          [schema.database, schema.table]);
        const now = cols.map((c) => `${String(c.n)} ${String(c.t)}`).join(', ');
        const planned = columnSignature(schema);
        if (now !== planned) throw definitionChanged(schema, `columns now: ${now || '(table gone)'}`, at.position);
        return out;
      } finally {
        await conn.query('COMMIT').catch(() => undefined);
      }
    } catch (err) {
      throw await wrap(err, schema, conn);
    } finally {
      conn.release();
    }
  }

  /** START TRANSACTION WITH CONSISTENT SNAPSHOT and the binlog position it corresponds to. */
  private async beginSnapshot(conn: mysql.PoolConnection): Promise<{ position: Position; exact: boolean }> {
    if (this.flavor === 'mysql') {
      const position = await masterPosition(conn);
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      return { position, exact: false };
    }
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const [st] = await conn.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const m = new Map(st.map((r) => [String(r.Variable_name), String(r.Value)]));
    const file = m.get('Binlog_snapshot_file');
    const pos = Number(m.get('Binlog_snapshot_position'));
    if (file && Number.isFinite(pos)) return { position: { file, pos }, exact: true };
    return { position: await masterPosition(conn), exact: false };
  }

  /**
   * Read the rows of one range in a consistent snapshot, with the binlog position of that snapshot: each
   * row as its cells in `columns` order. Generated columns are left out (the target computes them) unless
   * `withGenerated` (a target that keeps them as plain columns).
   */
  async readChunk(schema: TableSchema, range: KeyRange, withGenerated = false): Promise<ChunkRead> {
    return this.inSnapshot(schema, async (conn, { position, exact }) => {
      const pk = pkColumns(schema);
      const cols = copiedColumns(schema, withGenerated);
      const order = pk.length ? ` ORDER BY ${pk.map((c) => quoteIdent(c.name)).join(', ')}` : '';
      const [raw] = await conn.query<RowDataPacket[]>({
        sql: `SELECT ${cols.map(selectExpression).join(', ')} FROM ${quoteIdent(schema.database)}.${quoteIdent(schema.table)} WHERE ${rangeCondition(pk, range)}${order}`,
        typeCast: rawTypeCast(cols),
        rowsAsArray: true,
      });
      const rows: Cell[][] = new Array(raw.length);
      const n = cols.length;
      for (let i = 0; i < raw.length; i++) {
        const r = raw[i] as unknown as unknown[];
        const cells: Cell[] = new Array(n);
        for (let j = 0; j < n; j++) cells[j] = toCell(cols[j]!, r[j], this.flavor);
        rows[i] = cells;
      }
      return { columns: cols.map((c) => c.name), rows, position, exact };
    });
  }

  async close(): Promise<void> {
    trimPacketPool();
    await this.pool.end().catch((err: unknown) => this.log?.debug({ err: String(err) }, 'closing snapshot pool'));
  }
}

/** Most bytes of one chunk's COPY text read as one value (GROUP_CONCAT; also kept under max_allowed_packet). */
const AGGREGATED_TEXT_MAX = 64 * 1048576;

/** The number of newline bytes in `data`. */
function countLines(data: Buffer): number {
  let n = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) n++;
  return n;
}

/** The columns a snapshot chunk carries: all, or all but the generated ones. */
function copiedColumns(schema: TableSchema, withGenerated: boolean): SchemaColumn[] {
  return withGenerated ? schema.columns : schema.columns.filter((c) => c.generated === null);
}

export function pkColumns(schema: TableSchema): SchemaColumn[] {
  return schema.primaryKey.map((name) => {
    const c = schema.columns.find((x) => x.name === name);
    if (!c) throw new SluiceError('INTERNAL', `primary key column ${name} of ${schema.database}.${schema.table} not found`, 'report this as a bug');
    return c;
  });
}

/** The source's current binlog end (SHOW MASTER STATUS, or SHOW BINARY LOG STATUS on MySQL 8.4+). */
export async function masterPosition(conn: Pick<mysql.Connection, 'query'>): Promise<Position> {
  let rows: RowDataPacket[];
  try {
    [rows] = await conn.query<RowDataPacket[]>('SHOW MASTER STATUS');
  } catch {
    [rows] = await conn.query<RowDataPacket[]>('SHOW BINARY LOG STATUS');
  }
  const r = rows[0];
  if (!r) throw new SluiceError('BINLOG_DISABLED', 'the source has no binary log', 'enable log_bin (with binlog_format=ROW) on the source and restart it');
  return { file: String(r.File), pos: Number(r.Position) };
}

async function wrap(err: unknown, schema: TableSchema, conn: mysql.PoolConnection): Promise<unknown> {
  if (err instanceof SluiceError) return err;
  const code = (err as { code?: string }).code ?? '';
  const table = `${schema.database}.${schema.table}`;
  if (code === 'ER_TABLEACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
    // The account this connection logged in as, so that the GRANT can be pasted as it is.
    const account = await currentAccount(conn).catch(() => "'<user>'@'<host>'");
    return new SluiceError('MISSING_GRANTS', `cannot read ${table} for the snapshot: ${(err as Error).message}`,
      `grant SELECT on the source tables to the replication user: as an administrator run: GRANT SELECT ON ${quoteIdent(schema.database)}.* TO ${account}`, {}, { cause: err });
  }
  if (code === 'ECONNREFUSED' || code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'ETIMEDOUT') {
    return new SluiceError('CONNECTION_LOST', `lost the source connection while copying ${table}: ${(err as Error).message}`, 'retrying automatically', {}, { cause: err });
  }
  return err;
}

/** The table's definition changed while it was being copied (see inSnapshot). */
export function definitionChanged(schema: TableSchema, what: string, position: Position): SluiceError {
  return new SluiceError('SCHEMA_MISMATCH', `the definition of ${schema.database}.${schema.table} changed during its snapshot (${what.slice(0, 300)})`,
    'nothing to do: the table is copied again once streaming has applied the change', { database: schema.database, table: schema.table, definitionChanged: true, position });
}

/** A table's columns as compared by the snapshot (`name type, …` in ordinal order). */
export function columnSignature(schema: TableSchema): string {
  return schema.columns.map((c) => `${c.name} ${c.sqlType}`).join(', ');
}

export function isDefinitionChanged(err: unknown): boolean {
  return isSluiceError(err) && err.details['definitionChanged'] === true;
}
