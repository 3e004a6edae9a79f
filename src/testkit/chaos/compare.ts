/**
 * Ordered, every-column comparison of a source table with its copy: each row as exact text (hex of its
 * value as the server prints it; FLOAT widened so no digit is lost; TIMESTAMP in UTC), compared as
 * multisets, so a key-less table shows every duplicated and every lost row.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';

const GEOMETRY = /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/;

/** Every row of `db`.`table` as one text (columns in `columns` order), sorted. */
export async function rowTexts(conn: Connection, db: string, table: string, columns?: readonly string[]): Promise<string[]> {
  const [cols] = await conn.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS c, DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table]);
  const byName = new Map(cols.map((c) => [String(c.c), String(c.t)]));
  const names = columns ?? cols.map((c) => String(c.c));
  const q = (n: string): string => `\`${n.replace(/`/g, '``')}\``;
  const list = names.map((n) => {
    const t = byName.get(n) ?? 'varchar';
    if (GEOMETRY.test(t)) return `IFNULL(HEX(${q(n)}), 'NULL')`;
    return `IFNULL(HEX(CAST(${t === 'float' ? `CAST(${q(n)} AS DOUBLE)` : q(n)} AS CHAR)), 'NULL')`;
  });
  await conn.query("SET time_zone = '+00:00'");
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT CONCAT_WS('|', ${list.join(', ')}) AS r FROM ${q(db)}.${q(table)}`);
  return rows.map((r) => String(r.r)).sort();
}

export interface TableDiff {
  table: string;
  sourceRows: number;
  targetRows: number;
  /** Rows the target has more often than the source (duplicates, or rows that should be gone). */
  extra: number;
  /** Rows the source has more often than the target. */
  missing: number;
  /** A few of the differing rows, `+` extra on the target, `-` missing there (columns hex-encoded, as compared). */
  samples: string[];
}

/** Compare `db.table` on the source with `targetDb.table` on the target, column by column (the source's columns). */
export async function diffTable(source: Connection, target: Connection, db: string, table: string, targetDb = db): Promise<TableDiff> {
  const [cols] = await source.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table]);
  const names = cols.map((c) => String(c.c));
  const [a, b] = await Promise.all([rowTexts(source, db, table, names), rowTexts(target, targetDb, table, names)]);
  const counts = new Map<string, number>();
  for (const r of a) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const r of b) counts.set(r, (counts.get(r) ?? 0) - 1);
  let extra = 0;
  let missing = 0;
  const samples: string[] = [];
  for (const [row, n] of counts) {
    if (n === 0) continue;
    if (n > 0) missing += n;
    else extra -= n;
    if (samples.length < 5) samples.push(`${n > 0 ? '-' : '+'}${Math.abs(n)} ${row.split('|').map((h) => h === 'NULL' ? h : Buffer.from(h, 'hex').toString('utf8')).join('|')}`);
  }
  return { table, sourceRows: a.length, targetRows: b.length, extra, missing, samples };
}
