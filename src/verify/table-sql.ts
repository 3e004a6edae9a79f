/**
 * The SQL verify runs on both servers for one table. Two canonical forms of a row, both computed by the
 * server and byte-exact (NULL ≠ '' ≠ 'a ' ≠ 'a', DECIMAL with its scale, FLOAT widened to DOUBLE, TIMESTAMP
 * in UTC — the sessions use time_zone '+00:00' —, JSON as stored, bytes as bytes, BIT as its number, ENUM/SET
 * as labels):
 * - for chunk checksums, a cheap one: each column as `length:bytes` (strings, bytes, JSON, ENUM/SET) or as its
 *   text (numbers, temporals), 'N' for NULL, joined by ','; per chunk COUNT(*) and two independent sums of
 *   32-bit row hashes (CRC32 and CRC32C, or an MD5 slice where CRC32C is missing);
 * - for rows, each column as the exact SQL literal the snapshot copy writes (`literalExpression`), which also
 *   serves to rewrite a row (repair) and to name the differing columns.
 * Generated columns are left out (the target computes them).
 */
import { escape } from 'mysql2/promise';
import type { SchemaColumn, TableSchema } from '../mysql/schema/table-schema.js';
import { literalExpression } from '../snapshot/snapshot-reader.js';
import { quoteIdent } from '../snapshot/snapshot-values.js';
import { keysCondition } from './table-access.js';

const AS_TEXT = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'double', 'real',
  'year', 'date', 'datetime', 'timestamp', 'time']);

/** The columns verify compares, in table order. */
export function comparedColumns(schema: TableSchema): SchemaColumn[] {
  return schema.columns.filter((c) => c.generated === null);
}

/** One column in the checksum's canonical form (see above). */
export function checksumColumnExpr(col: SchemaColumn): string {
  const q = quoteIdent(col.name);
  if (col.dataType === 'float') return `IFNULL(CAST(CAST(${q} AS DOUBLE) AS BINARY), 'N')`;
  if (col.dataType === 'bit') return `IFNULL(CAST(${q} + 0 AS BINARY), 'N')`;
  if (AS_TEXT.has(col.dataType)) return `IFNULL(CAST(${q} AS BINARY), 'N')`;
  const e = col.dataType === 'json' ? `CAST(${q} AS CHAR)` : q; // MySQL's binary JSON: its normalized text
  return `IF(${q} IS NULL, 'N', CONCAT(LENGTH(${e}), ':', CAST(${e} AS BINARY)))`;
}

export class TableSql {
  readonly columns: SchemaColumn[];
  private readonly from: string;

  constructor(schema: TableSchema, database: string, table: string, readonly key: readonly SchemaColumn[], private readonly crc32c: boolean) {
    this.columns = comparedColumns(schema);
    this.from = `${quoteIdent(database)}.${quoteIdent(table)}`;
  }

  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** COUNT(*) and two row-hash sums of the rows matching `cond`. */
  checksum(cond: string): string {
    const t = `CONCAT_WS(',', ${this.columns.map(checksumColumnExpr).join(', ')})`;
    const second = this.crc32c ? 'CRC32C(t)' : 'CAST(CONV(LEFT(MD5(t), 15), 16, 10) AS UNSIGNED)';
    return `SELECT COUNT(*) AS n, IFNULL(SUM(CRC32(t)), 0) AS a, IFNULL(SUM(${second}), 0) AS b FROM (SELECT ${t} AS t FROM ${this.from} WHERE ${cond}) x`;
  }

  /**
   * The rows matching `cond`, as arrays: with a key, [key literal tuple, column literals…]; without, the
   * column literals only.
   */
  rows(cond: string): string {
    const lits = this.columns.map(literalExpression).join(', ');
    const k = this.key.length > 0 ? `CONCAT_WS(',', ${this.key.map(literalExpression).join(', ')}) AS k, ` : '';
    return `SELECT ${k}${lits} FROM ${this.from} WHERE ${cond}`;
  }

  /** WHERE condition selecting the rows whose key literal tuples are `keys`. */
  keysCondition(keys: readonly string[]): string {
    return keysCondition(this.key.map((c) => quoteIdent(c.name)), keys);
  }

  /** Writes rows given as column literals (REPLACE: a row with the same key is overwritten). */
  replace(rows: ReadonlyArray<readonly string[]>): string {
    return `REPLACE INTO ${this.from} (${this.columns.map((c) => quoteIdent(c.name)).join(', ')}) VALUES ${rows.map((r) => `(${r.join(', ')})`).join(', ')}`;
  }

  insert(row: readonly string[]): string {
    return `INSERT INTO ${this.from} (${this.columns.map((c) => quoteIdent(c.name)).join(', ')}) VALUES (${row.join(', ')})`;
  }

  deleteKeys(keys: readonly string[]): string {
    return `DELETE FROM ${this.from} WHERE ${this.keysCondition(keys)}`;
  }

  /** Deletes up to `n` rows equal to `row` (column literals) from a table without key. */
  deleteRow(row: readonly string[], n: number): string {
    return `DELETE FROM ${this.from} WHERE CONCAT_WS(',', ${this.columns.map(literalExpression).join(', ')}) = ${escape(row.join(','))} LIMIT ${n}`;
  }
}
