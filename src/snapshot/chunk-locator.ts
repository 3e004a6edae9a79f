/**
 * Finds the snapshot chunk of keys that JavaScript cannot compare as the source does (strings under a collation,
 * binary strings, decimals): the source server compares them with the chunks' upper bounds, each side written with
 * the key column's character set and collation, the way the chunk's own `WHERE` compared the rows it copied.
 * A k-ary search: each round trip compares every key with up to PIVOTS bounds (one round trip for a table of up to
 * PIVOTS + 1 chunks). Used for primary-key moves only (rare: while the stream catches up with the copy).
 */
import type { Cell, Row } from '../core/cell.js';
import type { SchemaColumn } from '../mysql/schema/table-schema.js';
import type { KeyLiteral } from './key-range.js';

const PIVOTS = 32;
const NUMERIC = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year', 'decimal', 'numeric']);
const STRING = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

export interface ChunkLocator {
  /**
   * For each key, the index of its chunk among chunks whose upper bounds are `his` (ascending; the last chunk, open
   * above, has none): the number of bounds below the key. Null when a key column's type is not supported.
   */
  chunkIndexes(pk: readonly SchemaColumn[], his: readonly KeyLiteral[], keys: readonly Row[]): Promise<number[] | null>;
}

/** Asks the source server (any connection to it; one query per round of the search). */
export class SourceChunkLocator implements ChunkLocator {
  constructor(private readonly conn: { query(sql: string): Promise<unknown> }) {}

  async chunkIndexes(pk: readonly SchemaColumn[], his: readonly KeyLiteral[], keys: readonly Row[]): Promise<number[] | null> {
    if (!pk.every(supported)) return null;
    const keyLits: string[][] = [];
    for (const k of keys) {
      const lits = pk.map((c) => cellLiteral(c, k[c.name]));
      if (lits.some((l) => l === null)) return null;
      keyLits.push(lits.map((l, i) => typed(pk[i]!, l!)));
    }
    const bounds = his.map((h) => h.map((l, i) => typed(pk[i]!, l)));
    // Per key: the answer lies in [lo, hi] (the number of bounds below the key).
    const lo = keys.map(() => 0);
    const hi = keys.map(() => bounds.length);
    while (lo.some((l, i) => l < hi[i]!)) {
      const asked: Array<{ key: number; pivots: number[] }> = [];
      const terms: string[] = [];
      keys.forEach((_, i) => {
        if (lo[i]! >= hi[i]!) return;
        const span = hi[i]! - lo[i]!;
        const n = Math.min(PIVOTS, span);
        const pivots = Array.from({ length: n }, (_, j) => lo[i]! + Math.floor(((j + 1) * span) / (n + 1)));
        asked.push({ key: i, pivots: [...new Set(pivots)] });
        for (const p of asked[asked.length - 1]!.pivots) terms.push(`(${greater(keyLits[i]!, bounds[p]!)}) AS \`c${terms.length}\``);
      });
      const res = await this.conn.query(`SELECT ${terms.join(', ')}`);
      const row = firstRow(res);
      let t = 0;
      for (const { key, pivots } of asked) {
        // Bounds ascend: the key is above a prefix of the pivots.
        let below = lo[key]!;
        let above = hi[key]!;
        for (const p of pivots) {
          if (Number(row[`c${t++}`]) === 1) below = Math.max(below, p + 1);
          else above = Math.min(above, p);
        }
        lo[key] = below;
        hi[key] = above;
      }
    }
    return lo;
  }
}

function supported(c: SchemaColumn): boolean {
  const named = (n: string | null): boolean => n !== null && /^\w+$/.test(n);
  return NUMERIC.has(c.dataType) || BINARY.has(c.dataType) || (STRING.has(c.dataType) && named(c.charset) && named(c.collation));
}

/** A decoded key cell as a SQL literal of the column's kind (null: not a value this module can write). */
function cellLiteral(c: SchemaColumn, v: Cell | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (NUMERIC.has(c.dataType)) {
    const text = typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' ? String(v) : '';
    return /^-?\d+(\.\d+)?$/.test(text) ? text : null;
  }
  if (Buffer.isBuffer(v)) return `X'${v.toString('hex')}'`;
  if (typeof v === 'string') return BINARY.has(c.dataType) ? `X'${Buffer.from(v, 'latin1').toString('hex')}'` : `_utf8mb4 X'${Buffer.from(v, 'utf8').toString('hex')}'`;
  return null;
}

/** A literal (a bound as the chunk planner wrote it, or a key) in the column's character set and collation. */
function typed(c: SchemaColumn, lit: string): string {
  if (!STRING.has(c.dataType)) return lit;
  const text = lit.startsWith("'") ? `_utf8mb4 ${lit}` : lit;
  return `CONVERT(${text} USING ${c.charset}) COLLATE ${c.collation}`;
}

/** `(k1, k2) > (b1, b2)` written out. */
function greater(key: readonly string[], bound: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < key.length; i++) {
    const eqs = key.slice(0, i).map((k, j) => `${k} = ${bound[j]}`);
    parts.push([...eqs, `${key[i]} > ${bound[i]}`].join(' AND '));
  }
  return parts.map((p) => `(${p})`).join(' OR ');
}

function firstRow(res: unknown): Record<string, unknown> {
  const rows = Array.isArray(res) ? (Array.isArray(res[0]) ? res[0] : res) : [];
  return (rows[0] ?? {}) as Record<string, unknown>;
}
