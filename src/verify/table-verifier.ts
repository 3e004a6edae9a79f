/**
 * Verifies (and repairs) one table of a pipeline: chunk checksums first, a differing chunk narrowed to its
 * rows by confirming rounds (see compare.ts), repairs under the target's checkpoint lock.
 *
 * A keyed table whose key ranges the target cannot select alike (`chunked` false: a PostgreSQL copy of a string,
 * date… key, which the engines' collations order differently) is compared by keys, every read bounded by the chunk
 * size: pass 1 reads each source key range (planned in the source's order) and the copy's rows of exactly those keys
 * (missing and different rows); pass 2 pages through the copy's keys in its own order and looks them up on the
 * source (extra rows). Both passes' candidates go through the same confirming rounds.
 */
import { SluiceError } from '../errors.js';
import { comparePositions } from '../mysql/schema/schema-history.js';
import type { TableSchema } from '../mysql/schema/table-schema.js';
import type { KeyRange } from '../snapshot/key-range.js';
import type { SnapshotReader } from '../snapshot/snapshot-reader.js';
import { classifyRound, describeDifference, type RowDifference, type RowSet } from './compare.js';
import type { KeyCursor, Selection, TableAccess, VerifyTarget } from './table-access.js';
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

function same(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class TableVerifier {
  private readonly keyed: boolean;

  constructor(
    private readonly access: TableAccess,
    private readonly target: VerifyTarget,
    private readonly schema: TableSchema,
    private readonly key: VerifyKey,
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
    const byKeys = this.byKeys;
    const ranges: KeyRange[] = this.keyed && (this.access.chunked || byKeys)
      ? await planner.planChunks({ ...this.schema, primaryKey: this.key.columns.map((c) => c.name) }, this.tuning.chunkSize)
      : [{ lo: null, hi: null }];
    const out: TableCheck = { rowsChecked: 0, chunks: ranges.length, differingChunks: 0, differences: [], mismatchedRows: 0, unsettledRows: 0, confirmed: new Map() };
    let next = 0, done = 0;
    const worker = async (): Promise<void> => {
      while (next < ranges.length) {
        if (this.signal?.aborted) throw new SluiceError('VERIFY_NOT_READY', 'verify was stopped', 'nothing to do');
        const range = ranges[next++]!;
        const cond: Selection = { range };
        const c = byKeys ? await this.chunkEqualByKeys(range) : await this.chunkEqual(cond);
        out.rowsChecked += c.rows;
        if (!c.equal) {
          out.differingChunks++;
          const n = await this.narrow(c.differing ? { keys: c.differing } : cond);
          this.addConfirmed(out, n);
          this.forgetEqual(n.seen, out);
        }
        if (c.seen) this.forgetEqual(c.seen, out);
        done++;
        out.mismatchedRows = out.differences.reduce((s, d) => s + (d.count ?? 1), 0);
        this.onProgress?.({ chunksDone: done, chunks: ranges.length, rowsChecked: out.rowsChecked, mismatchedRows: out.mismatchedRows });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.tuning.parallelism, ranges.length) }, worker));
    if (byKeys) await this.extraByKeys(out);
    return out;
  }

  /** Whether the table is compared by keys (see the file's comment). */
  private get byKeys(): boolean {
    return this.keyed && !this.access.chunked && this.access.targetKeys !== undefined && this.access.sourceKeys !== undefined;
  }

  /** Let the access forget the keys read that are not (confirmed) differences: what it remembers stays bounded. */
  private forgetEqual(keys: Iterable<string>, out: TableCheck): void {
    if (this.access.forget) this.access.forget([...keys].filter((k) => !out.confirmed.has(k)));
  }

  private addConfirmed(out: TableCheck, n: { confirmed: Map<string, RowDifference>; unsettled: number }): void {
    out.unsettledRows += n.unsettled;
    for (const [k, d] of n.confirmed) {
      if (out.confirmed.has(k)) continue;
      out.confirmed.set(k, d);
      out.differences.push(this.report(k, d));
    }
  }

  /**
   * Pass 1 of a table compared by keys: one source key range against the copy's rows of exactly the keys read on
   * the source (the copy read once its checkpoint passed the source read); retried twice. The differing keys, and
   * every key read (to forget once the chunk is done).
   */
  private async chunkEqualByKeys(range: KeyRange): Promise<{ equal: boolean; rows: number; differing?: string[]; seen: Set<string> }> {
    const seen = new Set<string>();
    let rows = 0, differing: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await sleep(50 * attempt);
      const s = await this.access.sourceRows({ range });
      await this.target.waitFor(s.position, this.tuning.waitMs, this.signal);
      const keys = [...s.value.keys()];
      for (const k of keys) seen.add(k);
      const t = await this.access.targetRows({ keys });
      rows = s.value.size;
      differing = keys.filter((k) => !same(s.value.get(k), t.value.get(k)));
      if (differing.length === 0) return { equal: true, rows, seen };
    }
    return { equal: false, rows, differing, seen };
  }

  /**
   * Pass 2 of a table compared by keys: the copy's keys, a chunk at a time in the target's own order, looked up on
   * the source by exact key text; those the source lacks go through the confirming rounds (extra rows).
   */
  private async extraByKeys(out: TableCheck): Promise<void> {
    let after: KeyCursor | null = null;
    do {
      if (this.signal?.aborted) throw new SluiceError('VERIFY_NOT_READY', 'verify was stopped', 'nothing to do');
      const page: { keys: string[]; last: KeyCursor | null } = await this.access.targetKeys!(after, this.tuning.chunkSize);
      const present = await this.access.sourceKeys!(page.keys);
      const candidates = page.keys.filter((k) => !present.has(k) && !out.confirmed.has(k));
      this.forgetEqual(page.keys.filter((k) => present.has(k)), out);
      if (candidates.length > 0) {
        out.differingChunks++;
        const n = await this.narrow({ keys: candidates });
        this.addConfirmed(out, n);
        this.forgetEqual(n.seen, out);
        out.mismatchedRows = out.differences.reduce((s, d) => s + (d.count ?? 1), 0);
      }
      after = page.last;
    } while (after !== null);
  }

  private report(key: string, d: RowDifference): ReportedDifference {
    if (!this.keyed) {
      const cs = Number(d.source?.[0] ?? 0), ct = Number(d.target?.[0] ?? 0);
      return { kind: cs > ct ? 'missing' : 'extra', key, count: Math.abs(cs - ct) };
    }
    const columns = describeDifference(this.access.columnNames, d).columns;
    return { kind: d.kind, key, ...(d.kind === 'different' ? { columns } : {}) };
  }

  /** Checksums of one chunk on both sides, the target read once its checkpoint passed the source read; retried twice. */
  private async chunkEqual(cond: Selection): Promise<{ equal: boolean; rows: number; differing?: undefined; seen?: undefined }> {
    let rows = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await sleep(50 * attempt);
      const s = await this.access.sourceDigest(cond);
      await this.target.waitFor(s.position, this.tuning.waitMs, this.signal);
      const t = await this.access.targetDigest(cond);
      rows = s.value.rows;
      if (s.value.value === t.value.value) return { equal: true, rows };
    }
    return { equal: false, rows };
  }

  /** One round: source, target at a checkpoint ≥ that source read, source again. */
  private async round(cond: Selection): Promise<[RowSet, RowSet, RowSet]> {
    const s1 = await this.access.sourceRows(cond);
    await this.target.waitFor(s1.position, this.tuning.waitMs, this.signal);
    const t = await this.access.targetRows(cond);
    const s2 = await this.access.sourceRows(cond);
    if (comparePositions(t.position, s1.position) < 0) throw new SluiceError('INTERNAL', 'target checkpoint went backwards during verify', 'report this as a bug');
    return [s1.value, t.value, s2.value];
  }

  /** Narrow a differing chunk to the rows that differ in `confirmRounds` rounds. */
  private async narrow(cond: Selection): Promise<{ confirmed: Map<string, RowDifference>; unsettled: number; seen: Set<string> }> {
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    const confirmed = new Map<string, RowDifference>();
    let pending: Set<string> | null = null;
    for (let round = 1; round <= this.tuning.maxRounds; round++) {
      const where: Selection = pending === null || !this.keyed ? cond : { keys: [...pending] };
      const [s1, t, s2] = await this.round(where);
      if (this.keyed) for (const set of [s1, t, s2]) for (const k of set.keys()) seen.add(k);
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
    return { confirmed, unsettled: pending?.size ?? 0, seen };
  }

  /**
   * Rewrite the confirmed rows on the target from the source, each batch in one target transaction holding
   * the pipeline's checkpoint row locked: the source rows are read after the lock was taken, so at a
   * position ≥ the checkpoint, and every later change the stream applies is a full row image on top of them.
   * Returns the number of target rows written or deleted.
   */
  async repair(confirmed: ReadonlyMap<string, RowDifference>): Promise<number> {
    const keys = [...confirmed.keys()];
    if (!this.keyed) return keys.length === 0 ? 0 : this.access.repairCopies(keys);
    let repaired = 0;
    for (let i = 0; i < keys.length; i += 500) repaired += await this.access.repairKeys(keys.slice(i, i + 500));
    return repaired;
  }
}
