/**
 * What `sluice verify` reports per table: shared by verify (which produces it), the store (which keeps the
 * latest result per table), the alerts (drift) and the API.
 */

export type KeyKind = 'primary' | 'unique' | 'none';

export type DifferenceKind = 'missing' | 'extra' | 'different';

export interface ColumnDifference {
  column: string;
  source: string;
  target: string;
}

export interface ReportedDifference {
  kind: DifferenceKind;
  /** The key as a SQL literal tuple (tables with a key), or the row's literals (tables without). */
  key: string;
  /** Differing columns with both sides' literals ('different' rows). */
  columns?: ColumnDifference[];
  /** Copies missing or extra (tables without key). */
  count?: number;
}

export interface TableResult {
  pipeline: string;
  /** Source `db.table`. */
  table: string;
  /** Target `db.table`. */
  target: string;
  /** How rows were matched: primary key, unique NOT NULL key, or none (the table compared whole). */
  key: KeyKind;
  rowsChecked: number;
  chunks: number;
  differingChunks: number;
  mismatchedRows: number;
  unsettledRows: number;
  differences: ReportedDifference[];
  repairedRows: number;
  /** After a repair: the differences the re-check found (0 when the table is now equal). */
  recheckMismatchedRows?: number;
  /** A table that could not be compared (e.g. missing on the target). */
  problem?: string;
}

/** A table's result in a run: at most 20 differences (`differencesTotal` has the count). */
export type RunTableResult = TableResult & { differencesTotal: number };

/** The latest result of one table, whichever run checked it last: kept in the store, survives a restart. */
export type LastVerifyResult = RunTableResult & {
  /** The run that checked it was a repair. */
  repair: boolean;
  /** When the table's check finished. */
  checkedAt: string;
};
