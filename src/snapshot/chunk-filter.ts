/**
 * Decides, for each streamed change, whether the snapshot already contains it.
 *
 * Each chunk of a table was copied in a consistent snapshot whose binlog position Pc is known. A source
 * transaction that starts before Pc is inside that snapshot, so its changes to keys of that chunk are
 * skipped; later ones are applied. For integer keys the chunk of a key is found exactly; for other keys
 * a change is skipped only when it precedes every chunk of the table (otherwise applied — with full
 * row images the upsert converges to the same row).
 *
 * Primary-key changes are not filtered but qualified (`qualifyMove`): which parts of the move the target applies,
 * by where each key's chunk lies — for other keys than integers the source server finds it (ChunkLocator).
 */
import { comparePositions } from '../mysql/schema/schema-history.js';
import type { Row } from '../core/cell.js';
import type { SchemaColumn } from '../mysql/schema/table-schema.js';
import type { KeyMove, PartialTable, Position, RowChange } from '../core/types.js';
import { compareKeys, isComparableKey, keyOfRow, literalToBigints, type KeyLiteral, type KeyRange } from './key-range.js';
import type { ChunkLocator } from './chunk-locator.js';

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
  pkNames: string[];
  comparable: boolean;
  chunks: Array<ChunkMark & { hiKey: bigint[] | null }>;
  minPos: Position;
  maxPos: Position;
  definedAt: Position | null;
}

export class ChunkFilter {
  private readonly tables = new Map<string, Prepared>();
  private readonly coverage = new Map<string, TableCoverage>();
  /** The latest chunk position of every table (null: none), so that passedBy costs one comparison per transaction. */
  private lastPos: Position | null = null;

  /** `locator` finds the chunk of keys other than integers (without one, such a key's chunk counts as copied before). */
  constructor(private readonly locator: ChunkLocator | null = null) {}

  /** Register a table's copied chunks (any order). */
  add(cov: TableCoverage, pk: SchemaColumn[]): void {
    if (cov.chunks.length === 0) return;
    const comparable = isComparableKey(pk);
    // In key order (the planner's order, kept for keys compared by the source).
    const chunks = cov.chunks
      .map((c) => ({ ...c, hiKey: comparable && c.range.hi ? literalToBigints(c.range.hi) : null }))
      .sort((a, b) => (!comparable ? 0 : a.hiKey === null ? 1 : b.hiKey === null ? -1 : compareKeys(a.hiKey, b.hiKey)));
    const positions = cov.chunks.map((c) => c.position).sort(comparePositions);
    const key = `${cov.database}.${cov.table}`;
    const replaced = this.tables.has(key);
    const maxPos = positions[positions.length - 1]!;
    this.tables.set(key, { pk, pkNames: pk.map((c) => c.name), comparable, chunks, minPos: positions[0]!, maxPos, definedAt: cov.definedAt ?? null });
    if (replaced) this.findLast();
    else if (this.lastPos === null || comparePositions(maxPos, this.lastPos) > 0) this.lastPos = maxPos;
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
   * True for an update that changes the primary key, with full images on both sides. The key of a table not covered
   * (its copy is passed, or it was not copied) is `keyOf`'s.
   */
  movesKey(change: RowChange, keyOf: (database: string, table: string) => readonly string[] | undefined): boolean {
    const before = change.before;
    const after = change.after;
    if (change.op !== 'update' || before === null || after === null) return false;
    const pk = this.tables.get(`${change.database}.${change.table}`)?.pkNames ?? keyOf(change.database, change.table) ?? [];
    const cols = Object.keys(before);
    if (pk.length === 0 || cols.length !== Object.keys(after).length || cols.length <= pk.length || !cols.every((c) => c in after)) return false;
    return pk.some((c) => c in before && c in after && cellText(before[c]!) !== cellText(after[c]!));
  }

  /**
   * A key change (see movesKey) as a key move (see KeyMove). Each part is kept only where the target's rows reflect
   * the state before the change: the old row's delete where the old key's chunk was copied before `txnStart`, the new row's insert where the new
   * key's chunk was, and the children's follow-up only for child rows whose chunk was (asked of the tables still
   * covered past `txnStart`, by the target, with the child rows it holds).
   */
  async qualifyMove(change: RowChange, txnStart: Position): Promise<RowChange> {
    const [deleteOld, insertNew] = await this.readBefore(change.database, change.table, [change.before!, change.after!], txnStart);
    const partial: PartialTable[] = [];
    for (const [id, t] of this.tables) {
      if (comparePositions(txnStart, t.maxPos) >= 0) continue;
      const cov = this.coverage.get(id)!;
      // The table's chunks as they are now: the target asks when it applies the batch, after the checkpoint of the
      // batch may have pruned the table from this filter.
      partial.push({ database: cov.database, table: cov.table, follows: (keys) => this.readBeforeIn(t, keys, txnStart) });
    }
    const move: KeyMove = { deleteOld: deleteOld!, insertNew: insertNew!, partial };
    return { ...change, move };
  }

  /**
   * For each row image (its primary-key columns), whether the target's row with that key reflects the state before a
   * transaction starting at `txnStart`: its chunk was copied at or before it (or the table is not covered).
   */
  readBefore(database: string, table: string, rows: readonly Row[], txnStart: Position): Promise<boolean[]> {
    return this.readBeforeIn(this.tables.get(`${database}.${table}`), rows, txnStart);
  }

  private async readBeforeIn(t: Prepared | undefined, rows: readonly Row[], txnStart: Position): Promise<boolean[]> {
    if (!t || comparePositions(txnStart, t.maxPos) >= 0) return rows.map(() => true);
    if (comparePositions(txnStart, t.minPos) < 0) return rows.map(() => false);
    if (t.comparable) return rows.map((r) => !this.covered(t, r, txnStart));
    const his = t.chunks.slice(0, -1).map((c) => c.range.hi).filter((h): h is KeyLiteral => h !== null);
    const found = this.locator && rows.every((r) => t.pk.every((c) => r[c.name] !== undefined && r[c.name] !== null))
      ? await this.locator.chunkIndexes(t.pk, his, rows)
      : null;
    // A key the source cannot place: counted as copied before (the move then applies whole, as it did before moves were qualified).
    if (!found) return rows.map(() => true);
    return found.map((i) => comparePositions(txnStart, t.chunks[i]!.position) >= 0);
  }

  /** True when a transaction starting at `txnStart` lies after every chunk of every table (nothing of it is filtered). */
  passedBy(txnStart: Position): boolean {
    return this.lastPos === null || comparePositions(txnStart, this.lastPos) >= 0;
  }

  /** Forget tables whose every chunk position lies before `pos` (nothing left to filter). */
  prune(pos: Position): void {
    let pruned = false;
    for (const [k, t] of this.tables) {
      if (comparePositions(t.maxPos, pos) <= 0) {
        this.tables.delete(k);
        this.coverage.delete(k);
        pruned = true;
      }
    }
    if (pruned) this.findLast();
  }

  private findLast(): void {
    this.lastPos = null;
    for (const t of this.tables.values()) if (this.lastPos === null || comparePositions(t.maxPos, this.lastPos) > 0) this.lastPos = t.maxPos;
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
