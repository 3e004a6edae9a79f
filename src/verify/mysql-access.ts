/**
 * Verify's access to a table copied to a MySQL/MariaDB target: chunk checksums computed by both servers over
 * the same canonical row text (table-sql.ts), rows as the SQL literals the snapshot writes, repairs by REPLACE /
 * DELETE of those literals.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { rangeCondition } from '../snapshot/key-range.js';
import type { RowSet } from './compare.js';
import type { Conn, MysqlTargetSide, SourceSide } from './sides.js';
import { checkAfter, type At, type Digest, type Selection, type TableAccess } from './table-access.js';
import type { TableSql } from './table-sql.js';
import type { VerifyKey } from './verify-key.js';

function cellText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  return String(v);
}

async function readRowSet(conn: Conn, sql: string, keyed: boolean): Promise<RowSet> {
  const [rows] = await conn.query<RowDataPacket[]>({ sql, rowsAsArray: true });
  const out: RowSet = new Map();
  for (const r of rows as unknown as unknown[][]) {
    const vals = r.map(cellText);
    if (keyed) {
      out.set(vals[0]!, vals.slice(1));
    } else {
      const k = vals.join(',');
      out.set(k, [String(Number(out.get(k)?.[0] ?? 0) + 1)]);
    }
  }
  return out;
}

/** Rows of a table without key: row text → its literals and how many copies. */
async function readCopies(conn: Conn, sql: string): Promise<Map<string, { lits: string[]; count: number }>> {
  const [rows] = await conn.query<RowDataPacket[]>({ sql, rowsAsArray: true });
  const out = new Map<string, { lits: string[]; count: number }>();
  for (const r of rows as unknown as unknown[][]) {
    const lits = r.map(cellText);
    const k = lits.join(',');
    const e = out.get(k);
    if (e) e.count++;
    else out.set(k, { lits, count: 1 });
  }
  return out;
}

async function readChecksum(conn: Conn, sql: string): Promise<Digest> {
  const [rows] = await conn.query<RowDataPacket[]>(sql);
  const r = rows[0]!;
  return { rows: Number(r.n), value: `${String(r.n)}:${String(r.a)}:${String(r.b)}` };
}

export class MysqlTableAccess implements TableAccess {
  readonly chunked = true;
  private readonly keyed: boolean;

  constructor(
    private readonly source: SourceSide,
    private readonly target: MysqlTargetSide,
    private readonly key: VerifyKey,
    private readonly sql: { source: TableSql; target: TableSql },
  ) {
    this.keyed = key.kind !== 'none';
  }

  get columnNames(): string[] {
    return this.sql.source.columnNames;
  }

  /** The same condition serves both servers (the key literals are MySQL's). */
  private cond(sel: Selection): string {
    if ('keys' in sel) return this.sql.source.keysCondition(sel.keys);
    return this.keyed ? rangeCondition(this.key.columns, sel.range) : 'TRUE';
  }

  sourceDigest(sel: Selection): Promise<At<Digest>> {
    return this.source.read((c) => readChecksum(c, this.sql.source.checksum(this.cond(sel))));
  }

  targetDigest(sel: Selection): Promise<At<Digest>> {
    return this.target.read((c) => readChecksum(c, this.sql.target.checksum(this.cond(sel))));
  }

  sourceRows(sel: Selection): Promise<At<RowSet>> {
    return this.source.read((c) => readRowSet(c, this.sql.source.rows(this.cond(sel)), this.keyed));
  }

  targetRows(sel: Selection): Promise<At<RowSet>> {
    return this.target.read((c) => readRowSet(c, this.sql.target.rows(this.cond(sel)), this.keyed));
  }

  repairKeys(batch: readonly string[]): Promise<number> {
    return this.target.underCheckpointLock(async (conn, cp) => {
      const s = await this.source.read((c) => readRowSet(c, this.sql.source.rows(this.sql.source.keysCondition(batch)), true));
      checkAfter(s.position, cp);
      const present = batch.filter((k) => s.value.has(k));
      const absent = batch.filter((k) => !s.value.has(k));
      // Deletes first: under a case- or accent-insensitive collation the delete of an extra key ('s1') also matches
      // the row the source has under another spelling ('S1'); written after, that row stays.
      if (absent.length > 0) await conn.query(this.sql.target.deleteKeys(absent));
      if (present.length > 0) await conn.query(this.sql.target.replace(present.map((k) => s.value.get(k)!)));
      return batch.length;
    });
  }

  repairCopies(keys: readonly string[]): Promise<number> {
    return this.target.underCheckpointLock(async (conn, cp) => {
      const s = await this.source.read((c) => readCopies(c, this.sql.source.rows('TRUE')));
      checkAfter(s.position, cp);
      const t = await readCopies(conn, this.sql.target.rows('TRUE'));
      let repaired = 0;
      for (const k of keys) {
        const cs = s.value.get(k), ct = t.get(k);
        const delta = (cs?.count ?? 0) - (ct?.count ?? 0);
        if (delta > 0) for (let i = 0; i < delta; i++) await conn.query(this.sql.target.insert(cs!.lits));
        if (delta < 0) await conn.query(this.sql.target.deleteRow(ct!.lits, -delta));
        repaired += Math.abs(delta);
      }
      return repaired;
    });
  }
}
