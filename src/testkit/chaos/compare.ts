/**
 * Ordered, every-column comparison of a source table with its copy: each row as exact text (hex of its
 * value as the server prints it, binary strings as their bytes; FLOAT widened so no digit is lost; TIMESTAMP in UTC), compared as
 * multisets, so a key-less table shows every duplicated and every lost row.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';

const BINARY = /^(binary|varbinary|tinyblob|blob|mediumblob|longblob)$/;
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
    // Binary strings and geometry as their bytes (CAST AS CHAR would turn bytes that are no UTF-8 into '?').
    if (GEOMETRY.test(t) || BINARY.test(t)) return `IFNULL(HEX(${q(n)}), 'NULL')`;
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
  return diffRows(table, a, b, (row) => row.split('|').map((h) => h === 'NULL' ? h : Buffer.from(h, 'hex').toString('utf8')).join('|'));
}

/** The multiset difference of two lists of row texts (`show` turns a row text into a readable sample). */
export function diffRows(table: string, a: readonly string[], b: readonly string[], show: (row: string) => string = (r) => r): TableDiff {
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
    if (samples.length < 5) samples.push(`${n > 0 ? '-' : '+'}${Math.abs(n)} ${show(row)}`);
  }
  return { table, sourceRows: a.length, targetRows: b.length, extra, missing, samples };
}

/** A column of a PostgreSQL copy: information_schema's data_type and datetime_precision. */
export interface PgCopyColumn { type: string; precision: number | null }

/** JSON with the keys of every object sorted: jsonb keeps its own key order, MySQL the written one. */
function canonicalJson(text: string): string {
  const sortKeys = (v: unknown): unknown => Array.isArray(v) ? v.map(sortKeys)
    : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x < y ? -1 : x > y ? 1 : 0).map(([k, x]) => [k, sortKeys(x)]))
      : v;
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)));
  } catch {
    return text;
  }
}

/** One value (as text) in the form both sides are compared in, by the PostgreSQL column's type. */
function canonicalValue(col: PgCopyColumn | undefined, text: string | null): string | null {
  if (text === null || col === undefined) return text;
  switch (col.type) {
    case 'json': case 'jsonb': return canonicalJson(text);
    case 'real': return String(Math.fround(Number(text)));
    case 'double precision': return String(Number(text));
    default: return text;
  }
}

/**
 * Source rows of `db`.`table` in the form of `pgRowTexts` for the copy's columns `pg`: each value as MySQL
 * prints it (TIMESTAMP in UTC, DATETIME/TIMESTAMP/DECIMAL with all their digits, binary strings as hex),
 * JSON with sorted keys, floats as the number they are. Sorted.
 */
export async function sourceTextsFor(source: Connection, db: string, table: string, names: readonly string[], pg: ReadonlyMap<string, PgCopyColumn>): Promise<string[]> {
  const rows = await rowTexts(source, db, table, names);
  return rows.map((row) => JSON.stringify(row.split('|').map((h, i) => {
    if (h === 'NULL') return null;
    const col = pg.get(names[i]!);
    return col?.type === 'bytea' ? h.toLowerCase() : canonicalValue(col, Buffer.from(h, 'hex').toString('utf8'));
  }))).sort();
}

/** The PostgreSQL expression printing column `q` like MySQL's CAST(… AS CHAR) of the source column it copies. */
function pgTextExpression(q: string, col: PgCopyColumn): string {
  if (col.type.startsWith('timestamp')) {
    const frac = col.precision ? `.${['', 'FF1', 'FF2', 'MS', 'FF4', 'FF5', 'US'][col.precision]}` : '';
    const zero = `0000-00-00 00:00:00${col.precision ? `.${'0'.repeat(col.precision)}` : ''}`;
    return `CASE WHEN ${q} = '-infinity' THEN '${zero}' ELSE to_char(${q}, 'YYYY-MM-DD HH24:MI:SS${frac}') END`;
  }
  if (col.type === 'date') return `CASE WHEN ${q} = '-infinity' THEN '0000-00-00' ELSE to_char(${q}, 'YYYY-MM-DD') END`;
  if (col.type === 'bytea') return `encode(${q}, 'hex')`;
  return `${q}::text`;
}

/** Rows of the PostgreSQL copy `schema`.`table` (columns `names`, as the source orders them), compared form; sorted. Needs TimeZone UTC. */
export async function pgRowTexts(client: { query<R extends object>(sql: string): Promise<{ rows: R[] }> }, schema: string, table: string, names: readonly string[], pg: ReadonlyMap<string, PgCopyColumn>): Promise<string[]> {
  const q = (n: string): string => `"${n.replace(/"/g, '""')}"`;
  const list = names.map((n, i) => {
    const col = pg.get(n);
    return `${col ? pgTextExpression(q(n), col) : 'NULL::text'} AS c${i}`;
  });
  const r = await client.query<Record<string, string | null>>(`SELECT ${list.join(', ')} FROM ${q(schema)}.${q(table)}`);
  return r.rows.map((row) => JSON.stringify(names.map((n, i) => canonicalValue(pg.get(n), row[`c${i}`] ?? null)))).sort();
}
