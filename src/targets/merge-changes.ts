/**
 * Net effect of a batch of row changes, per table and primary key, ready to be written with a few
 * multi-row statements. Pure: no I/O.
 *
 * The batch is cut into segments. Within a segment every key appears once with its net operation:
 *   - `upsert`: make the row exactly this full image (written with REPLACE),
 *   - `delete`: remove the key,
 *   - `patch`:  UPDATE only these columns (MINIMAL/NOBLOB images, where the full row is unknown).
 * Applying a segment's operations per table in the order deletes → patches → upserts gives the same
 * result as replaying its changes in order, because each key's operation is its final state and
 * REPLACE removes any row a final image collides with. Segments are applied in order. A new segment
 * starts (a "barrier") where merging would be unsafe:
 *   - an update that changes the primary key with a partial after image and no known full row
 *     (written as `UPDATE … SET … WHERE pk = old`, alone in its segment),
 *   - a row image that lacks a primary-key column (full-row match, alone in its segment),
 *   - two keys that differ but may be equal under a case/accent-insensitive or PAD SPACE collation
 *     ('abc' vs 'ABC '), so that their order is kept.
 * Tables without a primary key keep every change, in order, as full-row-match operations.
 * Tables the target enforces foreign keys on (`inOrder`) get one segment per change, in source order, so
 * that a child row never arrives before its parent; on tables other rows reference (`updateInPlace`) an
 * update is written as `UPDATE … WHERE pk = old` (never delete + insert, which would make the target's
 * engine cascade a delete that the source did not do).
 * Rules for one key: insert+update → insert of the final image; insert+delete → nothing (the key
 * did not exist before the batch); update chains → one; delete+insert → the new image.
 */
import type { Cell, Row } from '../core/cell.js';
import { JsonText, TimestampValue } from '../core/cell.js';
import type { KeyMove, RowChange } from '../core/types.js';

export interface TableShape {
  /** Primary-key columns of the target table, in key order; empty when it has none. */
  primaryKey: readonly string[];
  /** Every column of the target table, in order. */
  columns: readonly string[];
  /** Keep this table's changes in source order, one segment each (the target checks its foreign keys). */
  inOrder?: boolean;
  /** Write updates as UPDATE of the old key (other tables' foreign keys reference this one). */
  updateInPlace?: boolean;
}

export type ShapeLookup = (database: string, table: string) => TableShape;

/** Operations on a table without a usable primary key, kept in source order (full-row match). */
export type OrderedOp =
  | { kind: 'insert'; row: Row }
  | { kind: 'delete'; match: Row }
  | { kind: 'update'; match: Row; set: Row };

/** The net operations on one source table within one segment. Names are the source's. */
export interface TableOps {
  database: string;
  table: string;
  /** Primary-key values of rows to delete. */
  deletes: Row[];
  /** UPDATE `set` WHERE primary key = `key` (partial images). */
  patches: Array<{ key: Row; set: Row }>;
  /** Full rows to write with REPLACE. */
  upserts: Row[];
  /** Full-row-match operations, in order (tables without a primary key). */
  ordered: OrderedOp[];
  /**
   * Primary-key changes while the stream overlaps the snapshot (RowChange.move): the children's foreign keys
   * pointed from the old key to the new one, the old row deleted, the new row inserted unless present — each part
   * where `scope` says so.
   */
  moves?: KeyMoveOp[];
}

/** One key move: the old key, the full images before and after, and which parts apply (see KeyMove). */
export interface KeyMoveOp {
  from: Row;
  before: Row;
  row: Row;
  scope: KeyMove;
  /**
   * Filled by the target before it writes the move (see key-moves.ts): per referencing target table
   * (`database\0table`), the primary keys of its rows that keep the old reference.
   */
  staying?: Map<string, Row[]>;
}

/** Independent per-table operations; segments must be applied in order. */
export type Segment = TableOps[];

export interface MergeOptions {
  /** One segment per change: no merging and no reordering (fallback after a unique-key conflict). */
  strict?: boolean;
  /**
   * Apply RowChange.move as a `move`, alone in its segment (while the target does not check foreign keys; once it
   * does, its engine repeats the cascades of a plain key update).
   */
  keyMoves?: boolean;
}

type EntryState =
  | { op: 'upsert'; row: Row }
  | { op: 'delete' }
  | { op: 'patch'; set: Row };

interface Entry {
  key: Row;
  state: EntryState;
  /** The key did not exist before this segment (its first change here was an insert). */
  born: boolean;
}

interface TableState {
  database: string;
  table: string;
  keyed: Map<string, Entry>;
  ordered: OrderedOp[];
  /** Folded key → exact key, to spot keys a collation may consider equal. */
  folded: Map<string, string>;
}

/** Merge `changes` (in source order) into segments of net per-key operations. */
export function mergeChanges(changes: readonly RowChange[], shapeOf: ShapeLookup, opts: MergeOptions = {}): Segment[] {
  const segments: Segment[] = [];
  let tables = new Map<string, TableState>();

  const flush = (): void => {
    const seg = finishSegment(tables);
    if (seg.length > 0) segments.push(seg);
    tables = new Map();
  };
  const tableState = (c: RowChange): TableState => {
    const id = `${c.database}\0${c.table}`;
    let t = tables.get(id);
    if (!t) {
      t = { database: c.database, table: c.table, keyed: new Map(), ordered: [], folded: new Map() };
      tables.set(id, t);
    }
    return t;
  };
  /** A segment holding one operation on its own. */
  const alone = (c: RowChange, ops: Partial<Pick<TableOps, 'patches' | 'ordered' | 'moves'>>): void => {
    flush();
    const seg: TableOps = { database: c.database, table: c.table, deletes: [], patches: ops.patches ?? [], upserts: [], ordered: ops.ordered ?? [] };
    if (ops.moves) seg.moves = ops.moves;
    segments.push([seg]);
  };

  for (const c of changes) {
    const shape = shapeOf(c.database, c.table);
    const pk = shape.primaryKey;
    if (pk.length === 0) {
      tableState(c).ordered.push(orderedOp(c));
      if (opts.strict) flush();
      continue;
    }
    const before = c.before;
    const after = c.after;
    const kb = before ? pickKey(before, pk) : null;
    const ka = after ? pickKey(after, pk, before ?? undefined) : null;
    if ((c.op !== 'insert' && !kb) || (c.op !== 'delete' && !ka)) {
      alone(c, { ordered: [orderedOp(c)] });
      continue;
    }
    // A key move (set by the pipeline while the stream overlaps the snapshot) is alone in its segment.
    if (opts.keyMoves && c.move && c.op === 'update' && keyString(kb!, pk) !== keyString(ka!, pk) && shape.columns.every((col) => col in after!)) {
      alone(c, { moves: [{ from: kb!, before: { ...before! }, row: { ...after! }, scope: c.move }] });
      continue;
    }
    if (shape.updateInPlace && c.op === 'update') {
      alone(c, { patches: [{ key: kb!, set: { ...after! } }] });
      continue;
    }
    if (shape.inOrder) flush();
    // Keep order between keys that a collation may treat as equal.
    let t = tableState(c);
    const exactKeys = [kb, ka].filter((k): k is Row => k !== null).map((k) => keyString(k, pk));
    if (exactKeys.some((ek) => collides(t, ek))) {
      flush();
      t = tableState(c);
    }

    if (c.op === 'insert') {
      upsertKey(t, ka!, pk, after!, true);
    } else if (c.op === 'delete') {
      deleteKey(t, kb!, pk);
    } else {
      const full = shape.columns.every((col) => col in after!);
      const ekb = keyString(kb!, pk);
      const eka = keyString(ka!, pk);
      const eb = t.keyed.get(ekb);
      if (ekb === eka) {
        if (full) upsertKey(t, kb!, pk, after!, false);
        else if (eb?.state.op === 'upsert') eb.state = { op: 'upsert', row: { ...eb.state.row, ...after! } };
        else if (eb?.state.op === 'patch') eb.state = { op: 'patch', set: { ...eb.state.set, ...after! } };
        else setEntry(t, ekb, { key: kb!, state: { op: 'patch', set: { ...after! } }, born: false });
      } else {
        const fullRow = full ? after! : eb?.state.op === 'upsert' ? { ...eb.state.row, ...after! } : null;
        if (!fullRow) {
          alone(c, { patches: [{ key: kb!, set: { ...after! } }] });
          continue;
        }
        deleteKey(t, kb!, pk);
        upsertKey(t, ka!, pk, fullRow, true);
      }
    }
    if (opts.strict || shape.inOrder) flush();
  }
  flush();
  return segments;
}

function orderedOp(c: RowChange): OrderedOp {
  if (c.op === 'insert') return { kind: 'insert', row: c.after! };
  if (c.op === 'delete') return { kind: 'delete', match: c.before! };
  return { kind: 'update', match: c.before!, set: c.after! };
}

/** The primary-key values of an image (missing columns taken from `fallback`), or null if incomplete. */
function pickKey(image: Row, pk: readonly string[], fallback?: Row): Row | null {
  const key: Row = {};
  for (const col of pk) {
    if (col in image) key[col] = image[col]!;
    else if (fallback && col in fallback) key[col] = fallback[col]!;
    else return null;
  }
  return key;
}

function setEntry(t: TableState, ek: string, e: Entry): void {
  t.keyed.set(ek, e);
  t.folded.set(foldKey(ek), ek);
}

function upsertKey(t: TableState, key: Row, pk: readonly string[], row: Row, isNew: boolean): void {
  const ek = keyString(key, pk);
  const e = t.keyed.get(ek);
  if (e) e.state = { op: 'upsert', row: { ...row } };
  else setEntry(t, ek, { key, state: { op: 'upsert', row: { ...row } }, born: isNew });
}

function deleteKey(t: TableState, key: Row, pk: readonly string[]): void {
  const ek = keyString(key, pk);
  const e = t.keyed.get(ek);
  if (e?.born) {
    t.keyed.delete(ek);
    t.folded.delete(foldKey(ek));
  } else if (e) {
    e.state = { op: 'delete' };
  } else {
    setEntry(t, ek, { key, state: { op: 'delete' }, born: false });
  }
}

function collides(t: TableState, ek: string): boolean {
  const other = t.folded.get(foldKey(ek));
  return other !== undefined && other !== ek;
}

function finishSegment(tables: Map<string, TableState>): Segment {
  const seg: Segment = [];
  for (const t of tables.values()) {
    const ops: TableOps = { database: t.database, table: t.table, deletes: [], patches: [], upserts: [], ordered: t.ordered };
    for (const e of t.keyed.values()) {
      if (e.state.op === 'delete') ops.deletes.push(e.key);
      else if (e.state.op === 'patch') ops.patches.push({ key: e.key, set: e.state.set });
      else ops.upserts.push(e.state.row);
    }
    if (ops.deletes.length + ops.patches.length + ops.upserts.length + ops.ordered.length > 0) seg.push(ops);
  }
  return seg;
}

/** An exact, type-tagged text form of a key's values. */
export function keyString(key: Row, pk: readonly string[]): string {
  return pk.map((col) => cellKey(key[col] ?? null)).join('\u0001');
}

function cellKey(v: Cell): string {
  if (v === null) return 'N';
  if (typeof v === 'number' || typeof v === 'bigint') return `n${String(v)}`;
  if (typeof v === 'string') return `s${v}`;
  if (Buffer.isBuffer(v)) return `b${v.toString('hex')}`;
  if (Array.isArray(v)) return `S${v.join(',')}`;
  if (v instanceof JsonText) return `j${v.text}`;
  if (v instanceof TimestampValue) return `t${v.toSQL()}`;
  return `v${Array.from(v).join(',')}`;
}

/**
 * A coarse form of a key: case, accents, width and trailing spaces removed from strings. Keys that
 * some collation could consider equal have equal folded forms.
 */
function foldKey(ek: string): string {
  return ek
    .split('\u0001')
    .map((part) => (part.startsWith('s')
      ? 's' + part.slice(1).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/ß/g, 'ss').replace(/ +$/, '')
      : part))
    .join('\u0001');
}
