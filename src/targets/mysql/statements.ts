/**
 * SQL for one table's net operations (see merge-changes.ts): multi-row REPLACE for full rows,
 * `DELETE … WHERE pk IN (…)`, one UPDATE per partial image, and full-row-match statements for
 * tables without a primary key. Multi-row statements are cut at `maxRows` rows or `maxBytes` of SQL.
 *
 * Why REPLACE and not INSERT … ON DUPLICATE KEY UPDATE: the checkpoint makes re-application
 * unnecessary, but snapshot and stream overlap, and a net upsert must leave exactly the final image
 * even when it collides with an older row on a secondary UNIQUE key (REPLACE removes the colliding
 * row, which the batch's own final images then restore; ODKU would update the wrong row or fail).
 * REPLACE also has one syntax on MySQL and MariaDB (ODKU's VALUES() is deprecated on MySQL 8).
 * InnoDB turns a REPLACE that only hits the primary key into an in-place update.
 */
import type { Cell, Row } from '../../core/cell.js';
import type { KeyMoveOp, TableOps, TableShape } from '../merge-changes.js';
import { followsKeyUpdate, stayingOf } from '../key-moves.js';
import { matchTerm, qualifiedName, quoteId, sqlLiteral } from './sql-literal.js';

/** A target table with what the statements need to know about it. */
export interface TargetTable extends TableShape {
  database: string;
  table: string;
  /** Column → information_schema DATA_TYPE (lower case). */
  types: ReadonlyMap<string, string>;
  /** Generated columns: computed by the target, never written. */
  generated?: ReadonlySet<string>;
  /**
   * Other tables' foreign keys reference this one: full rows are written with INSERT … ON DUPLICATE KEY
   * UPDATE, because REPLACE deletes a present row first and the target's engine would cascade that delete.
   */
  referenced?: boolean;
  /** The foreign keys that reference this table (for `moves`: children follow a changed key). */
  referencedBy?: ReadonlyArray<ReferencingKey>;
}

/** A foreign key of `database`.`table` (`columns`) referencing another table's `refColumns`. */
export interface ReferencingKey {
  database: string;
  table: string;
  columns: readonly string[];
  refColumns: readonly string[];
  /** UPDATE_RULE: CASCADE, SET NULL, RESTRICT, NO ACTION, SET DEFAULT. */
  onUpdate: string;
  /**
   * The referencing table's ON UPDATE CURRENT_TIMESTAMP columns: InnoDB's cascade on the source leaves them as they
   * were, so a move's UPDATE of the children assigns each to itself.
   */
  stamped?: readonly string[];
}

export interface StatementLimits {
  /** Most bytes of SQL per multi-row statement. */
  maxBytes: number;
  /** Most rows per multi-row statement. */
  maxRows: number;
}

/** Called for each column present in a row image but absent from the target table (it is not written). */
export type UnknownColumnHandler = (column: string) => void;

export function buildTableStatements(t: TargetTable, ops: TableOps, limits: StatementLimits, onUnknown?: UnknownColumnHandler): string[] {
  const out: string[] = [];
  const name = qualifiedName(t.database, t.table);
  const known = (row: Row): string[] => {
    const cols: string[] = [];
    for (const c of Object.keys(row)) {
      if (t.types.has(c)) {
        if (t.generated === undefined || !t.generated.has(c)) cols.push(c);
      } else onUnknown?.(c);
    }
    return cols;
  };
  for (const m of ops.moves ?? []) buildMove(t, name, m, known, out);
  if (ops.deletes.length > 0) buildDeletes(t, name, ops.deletes, limits, out);
  for (const p of ops.patches) {
    const cols = known(p.set);
    if (cols.length === 0) continue;
    out.push(`UPDATE ${name} SET ${assignments(t, p.set, cols)} WHERE ${keyMatch(t, p.key)}`);
  }
  if (ops.upserts.length > 0) buildInserts(t.referenced ? 'UPSERT' : 'REPLACE', t, name, ops.upserts, known, limits, out);
  let run: Row[] = [];
  const flushRun = (): void => {
    if (run.length > 0) buildInserts('INSERT', t, name, run, known, limits, out);
    run = [];
  };
  for (const op of ops.ordered) {
    if (op.kind === 'insert') { run.push(op.row); continue; }
    flushRun();
    const where = fullRowMatch(t, op.match, known(op.match));
    if (op.kind === 'delete') out.push(`DELETE FROM ${name} WHERE ${where} LIMIT 1`);
    else {
      const cols = known(op.set);
      if (cols.length > 0) out.push(`UPDATE ${name} SET ${assignments(t, op.set, cols)} WHERE ${where} LIMIT 1`);
    }
  }
  flushRun();
  return out;
}

/**
 * A primary-key change while the stream overlaps the snapshot (see TableOps.moves), run with foreign-key checks
 * off, each part where the move's scope says so (see KeyMove): the children's references moved from the old key to
 * the new one as the source's ON UPDATE rule did (but for the rows that stay: the copy holds them later than the
 * move), the old row removed (no child refers to it any more), then the new row unless present. The old row goes
 * first: it still holds the values of the table's other UNIQUE keys, which the new row usually keeps (a renumbered
 * row), and INSERT IGNORE would drop the new row on that collision.
 */
function buildMove(t: TargetTable, name: string, m: KeyMoveOp, known: (row: Row) => string[], out: string[]): void {
  const cols = known(m.row);
  for (const fk of t.referencedBy ?? []) {
    if (!followsKeyUpdate(fk.onUpdate) || !fk.refColumns.every((rc) => rc in m.before && rc in m.row)) continue;
    const child = qualifiedName(fk.database, fk.table);
    const set = fk.columns.map((c, i) => `${quoteId(c)}=${fk.onUpdate === 'SET NULL' ? 'NULL' : literal(t, fk.refColumns[i]!, m.row[fk.refColumns[i]!])}`);
    for (const c of fk.stamped ?? []) if (!fk.columns.includes(c)) set.push(`${quoteId(c)}=${quoteId(c)}`);
    const where = fk.columns.map((c, i) => `${quoteId(c)}=${literal(t, fk.refColumns[i]!, m.before[fk.refColumns[i]!])}`);
    const stay = stayingOf(m, fk.database, fk.table);
    if (stay.length > 0) where.push(`NOT (${stay.map((k) => `(${Object.keys(k).map((c) => `${quoteId(c)}=${sqlLiteral(k[c]!)}`).join(' AND ')})`).join(' OR ')})`);
    out.push(`UPDATE ${child} SET ${set.join(',')} WHERE ${where.join(' AND ')}`);
  }
  if (m.scope.deleteOld) out.push(`DELETE FROM ${name} WHERE ${keyMatch(t, m.from)}`);
  if (m.scope.insertNew) out.push(`INSERT IGNORE INTO ${name} (${cols.map(quoteId).join(',')}) VALUES (${cols.map((c) => literal(t, c, m.row[c])).join(',')})`);
}

function literal(t: TargetTable, col: string, v: Cell | undefined): string {
  return sqlLiteral(v ?? null, t.types.get(col));
}

function assignments(t: TargetTable, row: Row, cols: readonly string[]): string {
  return cols.map((c) => `${quoteId(c)}=${literal(t, c, row[c])}`).join(',');
}

function keyMatch(t: TargetTable, key: Row): string {
  return t.primaryKey.map((c) => `${quoteId(c)}=${literal(t, c, key[c])}`).join(' AND ');
}

function fullRowMatch(t: TargetTable, row: Row, cols: readonly string[]): string {
  if (cols.length === 0) return '1=1';
  return cols.map((c) => matchTerm(c, row[c] ?? null, t.types.get(c))).join(' AND ');
}

/**
 * Multi-row INSERT/REPLACE (UPSERT: INSERT … ON DUPLICATE KEY UPDATE every written column); rows with
 * different column sets go to different statements.
 */
function buildInserts(verb: 'INSERT' | 'REPLACE' | 'UPSERT', t: TargetTable, name: string, rows: readonly Row[],
  known: (row: Row) => string[], limits: StatementLimits, out: string[]): void {
  let cols: string[] | null = null;
  let sig = '';
  let head = '';
  let tail = '';
  let tuples: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (tuples.length > 0) out.push(head + tuples.join(',') + tail);
    tuples = [];
    bytes = 0;
  };
  for (const row of rows) {
    const rc = known(row);
    const rsig = rc.join('\0');
    if (cols === null || rsig !== sig) {
      flush();
      cols = rc;
      sig = rsig;
      head = `${verb === 'UPSERT' ? 'INSERT' : verb} INTO ${name} (${cols.map(quoteId).join(',')}) VALUES `;
      tail = verb === 'UPSERT' && cols.length > 0 ? ` ON DUPLICATE KEY UPDATE ${cols.map((col) => `${quoteId(col)}=VALUES(${quoteId(col)})`).join(',')}` : '';
    }
    const c = cols;
    const tuple = '(' + c.map((col) => literal(t, col, row[col])).join(',') + ')';
    if (tuples.length > 0 && (tuples.length >= limits.maxRows || head.length + tail.length + bytes + tuple.length + 1 > limits.maxBytes)) flush();
    tuples.push(tuple);
    bytes += tuple.length + 1;
  }
  flush();
}

/** `DELETE … WHERE pk IN (…)`, or OR-ed key matches for composite keys (at most 1000 per statement). */
function buildDeletes(t: TargetTable, name: string, keys: readonly Row[], limits: StatementLimits, out: string[]): void {
  const pk = t.primaryKey;
  const single = pk.length === 1;
  const maxRows = single ? limits.maxRows : Math.min(limits.maxRows, 1000);
  const head = single ? `DELETE FROM ${name} WHERE ${quoteId(pk[0]!)} IN (` : `DELETE FROM ${name} WHERE `;
  const sep = single ? ',' : ' OR ';
  const tail = single ? ')' : '';
  let terms: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (terms.length > 0) out.push(head + terms.join(sep) + tail);
    terms = [];
    bytes = 0;
  };
  for (const key of keys) {
    const term = single ? literal(t, pk[0]!, key[pk[0]!]) : `(${keyMatch(t, key)})`;
    if (terms.length > 0 && (terms.length >= maxRows || head.length + bytes + term.length + sep.length > limits.maxBytes)) flush();
    terms.push(term);
    bytes += term.length + sep.length;
  }
  flush();
}
