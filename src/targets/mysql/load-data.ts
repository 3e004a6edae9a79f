/**
 * Writing a snapshot chunk with `LOAD DATA LOCAL INFILE`, fed from memory (no file anywhere): the
 * chunk's rows are encoded (load-data-encoder.ts) and streamed to the server when it asks for the
 * "file". It runs inside the caller's transaction, so the rows commit together with the chunk's
 * progress row, or not at all.
 *
 * With LOCAL, the server cannot stop the client mid-file, so errors that would stop an INSERT (a value
 * out of range, a duplicate key without REPLACE) become warnings and the row is skipped or adjusted.
 * Exactness first: any warning, skipped row or row count other than the chunk's makes the load
 * `inexact` — the caller rolls back and writes the chunk with INSERT statements, which fail loudly.
 *
 * The target must allow it: server variable `local_infile=ON` (the client flag is on in mysql2).
 * Otherwise the server refuses with an error: `loadDataRefused` explains the fix; the caller falls back
 * to INSERT statements.
 */
import { Readable } from 'node:stream';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../../errors.js';
import type { Cell } from '../../core/cell.js';
import { encodeLoadData, loadDataPlan, loadDataStatement, quotedTextStatement, type LoadDataTable } from './load-data-encoder.js';
import { errnoOf } from './mysql-errors.js';
import { loadDataFromPackets, type LoadDataPackets } from '../../mysql/load-data-packets.js';

/** Bytes per protocol packet of the streamed file (well under the 16 MiB packet limit). */
const SLICE = 1024 * 1024;

export type LoadResult = { loaded: true } | { loaded: false; why: string };

/** Errors meaning the server does not allow LOAD DATA LOCAL (1148 ER_NOT_ALLOWED_COMMAND, 3948/3950 on MySQL 8, 4166 on MariaDB 11). */
const REFUSED = new Set([1148, 3948, 3950, 4166]);

export function isLoadDataRefused(err: unknown): boolean {
  const n = errnoOf(err);
  return n !== undefined && REFUSED.has(n);
}

export function loadDataRefused(host: string, why: string, cause?: unknown): SluiceError {
  return new SluiceError('LOAD_DATA_REFUSED',
    `the target ${host} does not allow LOAD DATA LOCAL INFILE (${why}); the snapshot is written with INSERT statements, which is slower`,
    'to copy faster, allow it on the target: SET GLOBAL local_infile = ON (and local_infile=ON in its my.cnf to keep it after a restart)',
    { host }, cause === undefined ? undefined : { cause });
}

/** Whether the server allows LOAD DATA LOCAL (`@@local_infile`). */
export async function serverAllowsLocalInfile(conn: Connection): Promise<boolean> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT @@local_infile AS v');
  const v = rows[0]?.['v'];
  return v === 1 || v === '1' || v === 'ON';
}

/**
 * Load `rows` (cells in `columns` order) into `table` on `conn`, inside the caller's open transaction.
 * Throws the server's error (see isLoadDataRefused); returns `{ loaded: false }` when the rows cannot be
 * loaded exactly (the caller rolls back the transaction and writes them otherwise).
 */
export async function loadRows(conn: Connection, table: LoadDataTable, columns: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>, replace: boolean): Promise<LoadResult> {
  const plan = loadDataPlan(table, columns);
  const data = encodeLoadData(plan, rows);
  if (data === null) return { loaded: false, why: 'a value that the LOAD DATA text cannot carry exactly' };
  return streamLoad(conn, loadDataStatement(table, plan, replace), data, rows.length);
}

/**
 * Load LOAD DATA text printed by a MySQL/MariaDB source (the "quoted" format, see snapshot-reader.ts
 * ChunkText) into `table`, like loadRows.
 */
export async function loadQuotedText(conn: Connection, table: LoadDataTable, columns: ReadonlyArray<{ name: string; as: 'text' | 'hex' | 'bit' }>,
  data: Buffer | LoadDataPackets, rows: number, replace: boolean, charset = 'utf8mb4'): Promise<LoadResult> {
  const sql = quotedTextStatement(table, columns, replace, charset);
  if (Buffer.isBuffer(data)) return streamLoad(conn, sql, data, rows);
  // Packets ready for the wire (the snapshot reader's): written as they are, no copy.
  return checkLoad(conn, await loadDataFromPackets(conn, sql, data), rows);
}

/**
 * loadQuotedText of packets with `before` (statements that open the chunk's transaction) run in the same round trip;
 * `checkBefore` sees their results before the load's answer is checked (and may throw: the caller rolls back).
 */
export async function loadQuotedPacketsAfter(conn: Connection, table: LoadDataTable, columns: ReadonlyArray<{ name: string; as: 'text' | 'hex' | 'bit' }>,
  data: LoadDataPackets, rows: number, replace: boolean, charset: string, before: string, checkBefore: (results: unknown[]) => void): Promise<LoadResult> {
  const res = await loadDataFromPackets(conn, quotedTextStatement(table, columns, replace, charset), data, before);
  checkBefore(res.before);
  return checkLoad(conn, res.answer, rows);
}

/** Stream `data` as the LOAD DATA LOCAL "file" of `sql`; exact when every one of `rows` was read without a warning. */
async function streamLoad(conn: Connection, sql: string, data: Buffer, rows: number): Promise<LoadResult> {
  const slices = function* (): Generator<Buffer> {
    for (let i = 0; i < data.length; i += SLICE) yield data.subarray(i, Math.min(data.length, i + SLICE));
  };
  const [res] = await conn.query<ResultSetHeader>({ sql, infileStreamFactory: () => Readable.from(slices(), { objectMode: false }) });
  return checkLoad(conn, res, rows);
}

/** Whether a LOAD DATA's answer says all `rows` were read without a warning (else why not, with the first warnings). */
async function checkLoad(conn: Connection, res: { info?: string; warningStatus?: number }, rows: number): Promise<LoadResult> {
  const counts = parseInfo(res.info);
  const warnings = res.warningStatus ?? counts.warnings;
  if (warnings === 0 && counts.skipped === 0 && counts.records === rows) return { loaded: true };
  let detail = '';
  if (warnings > 0) {
    const [w] = await conn.query<RowDataPacket[]>('SHOW WARNINGS LIMIT 3');
    detail = `: ${w.map((x) => `${String(x.Message)} (${String(x.Code)})`).join('; ')}`;
  }
  return { loaded: false, why: `${counts.records} of ${rows} rows read, ${counts.skipped} skipped, ${warnings} warnings${detail}` };
}

/** "Records: 3  Deleted: 0  Skipped: 0  Warnings: 0" → numbers (missing ones are -1: not exact). */
function parseInfo(info: string | undefined): { records: number; skipped: number; warnings: number } {
  const num = (name: string): number => {
    const m = new RegExp(`${name}:\\s*(\\d+)`).exec(info ?? '');
    return m ? Number(m[1]) : -1;
  };
  return { records: num('Records'), skipped: num('Skipped'), warnings: num('Warnings') };
}
