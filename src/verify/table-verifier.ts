/**
 * Verifies (and repairs) one table of a pipeline: chunk checksums first, a differing chunk narrowed to its
 * rows by confirming rounds (see compare.ts), repairs under the target's checkpoint lock.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../errors.js';
import { comparePositions } from '../mysql/schema/schema-history.js';
import type { TableSchema } from '../mysql/schema/table-schema.js';
import { rangeCondition, type KeyRange } from '../snapshot/key-range.js';
import type { SnapshotReader } from '../snapshot/snapshot-reader.js';
import { classifyRound, describeDifference, type RowDifference, type RowSet } from './compare.js';
import type { Conn, SourceSide, TargetSide } from './sides.js';
import type { TableSql } from './table-sql.js';
import type { KeyKind, VerifyKey } from './verify-key.js';
import type { ReportedDifference } from '../core/verify-result.js';

export type { ReportedDifference };

export interface VerifyTuning {
  /** Rows per chunk. */
  chunkSize: number;
  /** Chunks checked at once (connections per server). */
  parallelism: number;
  /** Rounds in which a row must differ before it is reported. */
  confirmRounds: number;
  /** Most rounds for a differing chunk; rows still changing after them are reported as unsettled. */
  maxRounds: number;
  /** How long to wait for the pipeline to reach a source position, in ms. */
  waitMs: number;
}

export const DEFAULT_VERIFY_TUNING: Readonly<VerifyTuning> = Object.freeze({ chunkSize: 5000, parallelism: 2, confirmRounds: 2, maxRounds: 8, waitMs: 60_000 });

export interface TableCheck {
  rowsChecked: number;
  chunks: number;
  differingChunks: number;
  differences: ReportedDifference[];
  mismatchedRows: number;
  /** Rows that kept changing on the source through every round (not reported as differences). */
  unsettledRows: number;
  confirmed: Map<string, RowDifference>;
}

export interface TableProgress {
  chunksDone: number;
  chunks: number;
  rowsChecked: number;
  mismatchedRows: number;
}

interface Checksum { n: string; a: string; b: string }

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

async function readChecksum(conn: Conn, sql: string): Promise<Checksum> {
  const [rows] = await conn.query<RowDataPacket[]>(sql);
  const r = rows[0]!;
  return { n: String(r.n), a: String(r.a), b: String(r.b) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class TableVerifier {
  private readonly keyed: boolean;

  constructor(
    private readonly source: SourceSide,
    private readonly target: TargetSide,
    private readonly schema: TableSchema,
    private readonly key: VerifyKey,
    private readonly sql: { source: TableSql; target: TableSql },
    private readonly tuning: VerifyTuning,
    private readonly onProgress?: (p: TableProgress) => void,
    private readonly signal?: AbortSignal,
  ) {
    this.keyed = key.kind !== 'none';
  }

  get keyKind(): KeyKind {
    return this.key.kind;
  }

  /** Compare the whole table; differences are reported only once confirmed (see compare.ts). */
  async check(planner: SnapshotReader): Promise<TableCheck> {
    const ranges: KeyRange[] = this.keyed
      ? await planner.planChunks({ ...this.schema, primaryKey: this.key.columns.map((c) => c.name) }, this.tuning.chunkSize)
      : [{ lo: null, hi: null }];
    const out: TableCheck = { rowsChecked: 0, chunks: ranges.length, differingChunks: 0, differences: [], mismatchedRows: 0, unsettledRows: 0, confirmed: new Map() };
    let next = 0, done = 0;
    const worker = async (): Promise<void> => {
      while (next < ranges.length) {
        if (this.signal?.aborted) throw new SluiceError('VERIFY_NOT_READY', 'verify was stopped', 'nothing to do');
        const range = ranges[next++]!;
        const cond = this.keyed ? rangeCondition(this.key.columns, range) : 'TRUE';
        const c = await this.chunkEqual(cond);
        out.rowsChecked += c.rows;
        if (!c.equal) {
          out.differingChunks++;
          const n = await this.narrow(cond);
          out.unsettledRows += n.unsettled;
          for (const [k, d] of n.confirmed) {
            out.confirmed.set(k, d);
            out.differences.push(this.report(k, d));
          }
        }
        done++;
        out.mismatchedRows = out.differences.reduce((s, d) => s + (d.count ?? 1), 0);
        this.onProgress?.({ chunksDone: done, chunks: ranges.length, rowsChecked: out.rowsChecked, mismatchedRows: out.mismatchedRows });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.tuning.parallelism, ranges.length) }, worker));
    return out;
  }

  private report(key: string, d: RowDifference): ReportedDifference {
    if (!this.keyed) {
      const cs = Number(d.source?.[0] ?? 0), ct = Number(d.target?.[0] ?? 0);
      return { kind: cs > ct ? 'missing' : 'extra', key, count: Math.abs(cs - ct) };
    }
    const columns = describeDifference(this.sql.source.columnNames, d).columns;
    return { kind: d.kind, key, ...(d.kind === 'different' ? { columns } : {}) };
  }

  /** Checksums of one chunk on both sides, the target read once its checkpoint passed the source read; retried twice. */
  private async chunkEqual(cond: string): Promise<{ equal: boolean; rows: number }> {
    let rows = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await sleep(50 * attempt);
      const s = await this.source.read((c) => readChecksum(c, this.sql.source.checksum(cond)));
      await this.target.waitFor(s.position, this.tuning.waitMs, this.signal);
      const t = await this.target.read((c) => readChecksum(c, this.sql.target.checksum(cond)));
      rows = Number(s.value.n);
      if (s.value.n === t.value.n && s.value.a === t.value.a && s.value.b === t.value.b) return { equal: true, rows };
    }
    return { equal: false, rows };
  }

  /** One round: source, target at a checkpoint ≥ that source read, source again. */
  private async round(cond: string): Promise<[RowSet, RowSet, RowSet]> {
    const s1 = await this.source.read((c) => readRowSet(c, this.sql.source.rows(cond), this.keyed));
    await this.target.waitFor(s1.position, this.tuning.waitMs, this.signal);
    const t = await this.target.read((c) => readRowSet(c, this.sql.target.rows(cond), this.keyed));
    const s2 = await this.source.read((c) => readRowSet(c, this.sql.source.rows(cond), this.keyed));
    if (comparePositions(t.position, s1.position) < 0) throw new SluiceError('INTERNAL', 'target checkpoint went backwards during verify', 'report this as a bug');
    return [s1.value, t.value, s2.value];
  }

  /** Narrow a differing chunk to the rows that differ in `confirmRounds` rounds. */
  private async narrow(cond: string): Promise<{ confirmed: Map<string, RowDifference>; unsettled: number }> {
    const counts = new Map<string, number>();
    const confirmed = new Map<string, RowDifference>();
    let pending: Set<string> | null = null;
    for (let round = 1; round <= this.tuning.maxRounds; round++) {
      const where = pending === null || !this.keyed ? cond : this.sql.source.keysCondition([...pending]);
      const [s1, t, s2] = await this.round(where);
      const r = classifyRound(s1, t, s2, pending ?? undefined);
      const next = new Set<string>();
      for (const [k, d] of r.confirmed) {
        const n = (counts.get(k) ?? 0) + 1;
        counts.set(k, n);
        if (n >= this.tuning.confirmRounds) confirmed.set(k, d);
        else next.add(k);
      }
      for (const k of r.unsettled) next.add(k);
      pending = next;
      if (pending.size === 0) break;
      await sleep(100 * round);
    }
    return { confirmed, unsettled: pending?.size ?? 0 };
  }

  /**
   * Rewrite the confirmed rows on the target from the source, each batch in one target transaction holding
   * the pipeline's checkpoint row locked: the source rows are read after the lock was taken, so at a
   * position ≥ the checkpoint, and every later change the stream applies is a full row image on top of them.
   * Returns the number of target rows written or deleted.
   */
  async repair(confirmed: ReadonlyMap<string, RowDifference>): Promise<number> {
    const keys = [...confirmed.keys()];
    let repaired = 0;
    if (!this.keyed) {
      if (keys.length === 0) return 0;
      return this.target.underCheckpointLock(async (conn, cp) => {
        const s = await this.source.read((c) => readCopies(c, this.sql.source.rows('TRUE')));
        this.checkAfter(s.position, cp);
        const t = await readCopies(conn, this.sql.target.rows('TRUE'));
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
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      repaired += await this.target.underCheckpointLock(async (conn, cp) => {
        const s = await this.source.read((c) => readRowSet(c, this.sql.source.rows(this.sql.source.keysCondition(batch)), true));
        this.checkAfter(s.position, cp);
        const present = batch.filter((k) => s.value.has(k));
        const absent = batch.filter((k) => !s.value.has(k));
        if (present.length > 0) await conn.query(this.sql.target.replace(present.map((k) => s.value.get(k)!)));
        if (absent.length > 0) await conn.query(this.sql.target.deleteKeys(absent));
        return batch.length;
      });
    }
    return repaired;
  }

  private checkAfter(read: { file: string; pos: number }, cp: { file: string; pos: number }): void {
    if (comparePositions(read, cp) < 0) {
      throw new SluiceError('INTERNAL', `source read at ${read.file}:${read.pos} is before the target checkpoint ${cp.file}:${cp.pos}; repair not written`,
        'report this as a bug; nothing was changed on the target');
    }
  }
}
