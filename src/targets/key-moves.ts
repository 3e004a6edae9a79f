/**
 * What both SQL targets do alike for a key move (see KeyMove, TableOps.moves): find the child rows that keep
 * referencing the old key because the copy holds them in a state later than the move. They are read before the
 * batch's statements run: they are the copy's rows, which the stream does not write before the move.
 */
import type { Row } from '../core/cell.js';
import type { KeyMove } from '../core/types.js';
import type { KeyMoveOp } from './merge-changes.js';

type Route = (database: string, table: string) => { database: string; table: string };

/** The source's ON UPDATE rules a move repeats on the children (the others leave them as they are). */
export function followsKeyUpdate(onUpdate: string): boolean {
  return onUpdate === 'CASCADE' || onUpdate === 'SET NULL';
}

/**
 * Of the rows of the target table `child` that reference the old key (`read`: their primary keys, as the target
 * returns them), those that stay; null when every such row follows (the pipeline did not list the table as partly
 * copied after the move, so `read` is not called). `asCells` turns a row read into the cells the pipeline compares.
 */
export async function stayingRows(scope: KeyMove, child: { database: string; table: string }, route: Route,
  read: () => Promise<Row[]>, asCells: (row: Row) => Row = (r) => r): Promise<Row[] | null> {
  const part = scope.partial.find((p) => {
    const r = route(p.database, p.table);
    return r.database === child.database && r.table === child.table;
  });
  if (!part) return null;
  const rows = await read();
  if (rows.length === 0) return [];
  const follows = await part.follows(rows.map(asCells));
  return rows.filter((_, i) => !follows[i]);
}

/** Note rows of the target table `database`.`table` that keep their reference in move `m` (see KeyMoveOp.staying). */
export function addStaying(m: KeyMoveOp, database: string, table: string, rows: readonly Row[]): void {
  const id = `${database}\0${table}`;
  m.staying ??= new Map();
  m.staying.set(id, [...(m.staying.get(id) ?? []), ...rows]);
}

/** The rows of `database`.`table` that stay in move `m` (none: every referencing row follows). */
export function stayingOf(m: KeyMoveOp, database: string, table: string): readonly Row[] {
  return m.staying?.get(`${database}\0${table}`) ?? [];
}
