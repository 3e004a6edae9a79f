/**
 * Decides, for each streamed change, whether the snapshot already contains it.
 *
 * Each chunk of a table was copied in a consistent snapshot whose binlog position Pc is known. A source
 * transaction that starts before Pc is inside that snapshot, so its changes to keys of that chunk are
 * skipped; later ones are applied. For integer keys the chunk of a key is found exactly; for other keys
 * a change is skipped only when it precedes every chunk of the table (otherwise applied — with full
 * row images the upsert converges to the same row).
 */
import { comparePositions } from '../mysql/schema/schema-history.js';
import type { Row } from '../core/cell.js';
import type { SchemaColumn } from '../mysql/schema/table-schema.js';
import type { Position, RowChange } from '../core/types.js';
import { compareKeys, isComparableKey, keyOfRow, literalToBigints, type KeyRange } from './key-range.js';

/** A copied chunk: its key range and the binlog position of its snapshot. */
export interface ChunkMark {
  range: KeyRange;
  position: Position;
}

/** What the checkpoint keeps about a table's snapshot until the stream has passed it. */
export interface TableCoverage {
  database: string;
  table: string;
  chunks: ChunkMark[];
  /**
   * Set for a table copied again while streaming (re-snapshot): the copy's table definition already has
   * every DDL that ended at or before this position, so the stream must not apply those again.
   */
  definedAt?: Position;
}

interface Prepared {
  pk: SchemaColumn[];
  comparable: boolean;
  chunks: Array<ChunkMark & { hiKey: bigint[] | null }>;
  minPos: Position;
  maxPos: Position;
  definedAt: Position | null;
}

export class ChunkFilter {
  private readonly tables = new Map<string, Prepared>();
  private readonly coverage = new Map<string, TableCoverage>();

  /** Register a table's copied chunks (any order). */
  add(cov: TableCoverage, pk: SchemaColumn[]): void {
    if (cov.chunks.length === 0) return;
    const comparable = isComparableKey(pk);
    const chunks = cov.chunks
      .map((c) => ({ ...c, hiKey: comparable && c.range.hi ? literalToBigints(c.range.hi) : null }))
      .sort((a, b) => (a.hiKey === null ? 1 : b.hiKey === null ? -1 : compareKeys(a.hiKey, b.hiKey)));
    const positions = cov.chunks.map((c) => c.position).sort(comparePositions);
    const key = `${cov.database}.${cov.table}`;
    this.tables.set(key, { pk, comparable, chunks, minPos: positions[0]!, maxPos: positions[positions.length - 1]!, definedAt: cov.definedAt ?? null });
    this.coverage.set(key, cov);
  }

  /** The coverage still needed (to store in the checkpoint). */
  remaining(): TableCoverage[] {
    return [...this.coverage.values()];
  }

  get size(): number {
    return this.tables.size;
  }

  /** True when a DDL on the table ending at `position` is already in the definition of its re-made copy. */
  definitionHas(database: string, table: string, position: Position): boolean {
    const t = this.tables.get(`${database}.${table}`);
    return !!t?.definedAt && comparePositions(position, t.definedAt) <= 0;
  }

  /**
   * True for an update that changes the primary key of a table still covered, with full images on both sides
   * (the sink then applies it as a key move, correct whatever the copy holds; see TableOps.moves).
   */
  movesKey(change: RowChange): boolean {
    const t = this.tables.get(`${change.database}.${change.table}`);
    const before = change.before;
    const after = change.after;
    if (!t || change.op !== 'update' || before === null || after === null) return false;
    const cols = Object.keys(before);
    if (cols.length !== Object.keys(after).length || cols.length <= t.pk.length || !cols.every((c) => c in after)) return false;
    return t.pk.some((c) => c.name in before && c.name in after && cellText(before[c.name]!) !== cellText(after[c.name]!));
  }

  /** True when a transaction starting at `txnStart` lies after every chunk of every table (nothing of it is filtered). */
  passedBy(txnStart: Position): boolean {
    for (const t of this.tables.values()) if (comparePositions(txnStart, t.maxPos) < 0) return false;
    return true;
  }

  /** Forget tables whose every chunk position lies before `pos` (nothing left to filter). */
  prune(pos: Position): void {
    for (const [k, t] of this.tables) {
      if (comparePositions(t.maxPos, pos) <= 0) {
        this.tables.delete(k);
        this.coverage.delete(k);
      }
    }
  }

  /**
   * The part of `change` that the snapshot does not already contain (null when none).
   * `txnStart` is where the change's source transaction starts.
   */
  filter(change: RowChange, txnStart: Position): RowChange | null {
    const t = this.tables.get(`${change.database}.${change.table}`);
    if (!t) return change;
    if (comparePositions(txnStart, t.minPos) < 0) return null; // every chunk's snapshot already has it
    if (comparePositions(txnStart, t.maxPos) >= 0) return change; // after every chunk
    const beforeCovered = change.before !== null && this.covered(t, change.before, txnStart);
    const afterCovered = change.after !== null && this.covered(t, change.after, txnStart);
    switch (change.op) {
      case 'insert':
        return afterCovered ? null : change;
      case 'delete':
        return beforeCovered ? null : change;
      case 'update':
        if (beforeCovered && afterCovered) return null;
        if (!beforeCovered && !afterCovered) return change;
        // The key moved between a chunk that has the change and one that does not.
        if (beforeCovered) return { ...change, op: 'insert', before: null };
        return { ...change, op: 'delete', after: null };
    }
  }

  private covered(t: Prepared, row: Row, txnStart: Position): boolean {
    if (!t.comparable) return false;
    const key = keyOfRow(t.pk, row);
    if (key === null) return false;
    // First chunk whose upper bound is >= key (the last chunk is open-ended).
    let lo = 0, hi = t.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const hk = t.chunks[mid]!.hiKey;
      if (hk !== null && compareKeys(hk, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return comparePositions(txnStart, t.chunks[lo]!.position) < 0;
  }
}

function cellText(v: Row[string]): string {
  if (Buffer.isBuffer(v)) return `b${v.toString('hex')}`;
  return `${typeof v}:${String(v)}`;
}
