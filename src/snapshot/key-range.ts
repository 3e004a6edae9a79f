/**
 * Primary-key ranges for snapshot chunks. A chunk covers the keys in (lo, hi]; a null bound is open.
 * Bounds are stored as SQL literals (JSON-safe, exact for BIGINT UNSIGNED and DECIMAL, usable in WHERE).
 */
import mysql from 'mysql2';
import type { SchemaColumn } from '../mysql/schema/table-schema.js';
import type { Cell } from '../core/cell.js';
import { quoteIdent } from './snapshot-values.js';

export type KeyLiteral = string[];

export interface KeyRange {
  lo: KeyLiteral | null;
  hi: KeyLiteral | null;
}

const NUMERIC = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year', 'decimal', 'numeric']);
/** Key columns whose range bounds are bare numbers (keyLiteral), valid and ordered alike in other SQL engines. */
export function hasNumericBounds(cols: readonly SchemaColumn[]): boolean {
  return cols.length > 0 && cols.every((c) => NUMERIC.has(c.dataType));
}

const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);

/** SQL literal of a raw key value (from rawTypeCast): numbers unquoted (exact), bytes as X'…', text quoted. */
export function keyLiteral(col: SchemaColumn, raw: unknown): string {
  if (raw === null || raw === undefined) return 'NULL';
  if (Buffer.isBuffer(raw)) return `X'${raw.toString('hex')}'`;
  const text = String(raw);
  if (NUMERIC.has(col.dataType)) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`not a number: ${text}`);
    return text;
  }
  return mysql.escape(text);
}

/** `(a, b) > (x, y)` written out so that indexes are used on every server: `a > x OR (a = x AND b > y)`. */
function compare(cols: readonly SchemaColumn[], lits: KeyLiteral, strictOp: '>' | '<', lastOp: '>' | '<=', quote: (name: string) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < cols.length; i++) {
    const eqs = cols.slice(0, i).map((c, j) => `${quote(c.name)} = ${lits[j]}`);
    const op = i === cols.length - 1 ? lastOp : strictOp;
    parts.push([...eqs, `${quote(cols[i]!.name)} ${op} ${lits[i]}`].join(' AND '));
  }
  return parts.map((p) => `(${p})`).join(' OR ');
}

/**
 * WHERE condition for (lo, hi] on the key columns; 'TRUE' when both ends are open. `quote` quotes a column name
 * (another engine's quoting, for bounds that are valid literals there too: numbers).
 */
export function rangeCondition(cols: readonly SchemaColumn[], range: KeyRange, quote: (name: string) => string = quoteIdent): string {
  const conds: string[] = [];
  if (range.lo) conds.push(`(${compare(cols, range.lo, '>', '>', quote)})`);
  if (range.hi) conds.push(`(${compare(cols, range.hi, '<', '<=', quote)})`);
  return conds.length === 0 ? 'TRUE' : conds.join(' AND ');
}

/** True when keys of these columns compare in JS exactly as on the server (integers only). */
export function isComparableKey(cols: readonly SchemaColumn[]): boolean {
  return cols.length > 0 && cols.every((c) => INTEGER.has(c.dataType));
}

/** A decoded integer key (from a row image, or as a target read it) as bigints, or null when a part is missing. */
export function keyOfRow(cols: readonly SchemaColumn[], row: Record<string, Cell>): bigint[] | null {
  const out: bigint[] = [];
  for (const c of cols) {
    const v = row[c.name];
    if (typeof v === 'number') out.push(BigInt(v));
    else if (typeof v === 'bigint') out.push(v);
    else if (typeof v === 'string' && /^-?\d+$/.test(v)) out.push(BigInt(v)); // as a target may return it
    else return null;
  }
  return out;
}

/** Integer key literal → bigints. */
export function literalToBigints(lit: KeyLiteral): bigint[] {
  return lit.map((x) => BigInt(x));
}

export function compareKeys(a: readonly bigint[], b: readonly bigint[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}
