import type { Row } from './cell.js';

export type Flavor = 'mysql' | 'mariadb';

/**
 * Where a transaction ends in the source's log. Resuming from a Position starts right after the
 * transaction that ended there.
 */
export interface Position {
  file: string;
  pos: number;
  /** GTID set executed up to here: MySQL "uuid:1-N[,…]", MariaDB "domain-server-seq[,…]". */
  gtidSet?: string;
}

export interface RowChange {
  op: 'insert' | 'update' | 'delete';
  database: string;
  table: string;
  before: Row | null;
  after: Row | null;
  /** Set by the pipeline on a primary-key change while the stream still overlaps the snapshot's copy: apply it as this move. */
  move?: KeyMove;
}

/**
 * A primary-key change at source position P, while the copy may hold rows in a state later than P, qualified by the
 * pipeline: each part changes only target rows whose content reflects the state before P (their chunk was copied
 * before P, or the stream wrote them). The target applies, in order: the children's references to the old key
 * follow it as the source's ON UPDATE CASCADE / SET NULL did (the source's cascade is not in the binlog), then the
 * delete of the old row, then the insert of the new one unless present.
 */
export interface KeyMove {
  /** Delete the row with the old key (false: the target's row there, if any, is a later one: the copy's). */
  deleteOld: boolean;
  /** Insert the new row unless present (false: the copy already holds that key's later state, or its absence). */
  insertNew: boolean;
  /**
   * Tables (source names) some of whose rows the copy holds in a state later than P. A row of one of them that
   * references the old key follows it only where `follows` says so (by the row's primary key, as the target holds
   * it); every referencing row of a table not listed follows.
   */
  partial: readonly PartialTable[];
}

export interface PartialTable {
  database: string;
  table: string;
  /** For each primary key, whether that row reflects the state before the move (its chunk was copied before P). */
  follows(keys: readonly Row[]): Promise<boolean[]>;
}

/**
 * A source transaction (or one part of a large one). Parts of one transaction share `gtid` and
 * `startPosition`; only the last part has `last: true`, and only then is `position` a resume point.
 */
export interface TransactionMessage {
  kind: 'transaction';
  /** Position after the commit (a resume point) — meaningful when `last` is true. */
  position: Position;
  /** Position of the transaction's first event (where a re-read of it would start). */
  startPosition: Position;
  /** This transaction's GTID ("uuid:N" or "domain-server-seq"), when the server uses GTIDs. */
  gtid?: string;
  /** Commit time, epoch milliseconds (from the event header: second precision, or finer where MySQL gives it). */
  commitTime: number;
  changes: RowChange[];
  /** 0-based part number; a transaction that fits in one part has part 0, last true. */
  part: number;
  last: boolean;
  /**
   * Set on an empty last part when the source rolled the transaction back (or it was cut off) after
   * earlier parts had been delivered: the consumer must discard those parts.
   */
  rolledBack?: boolean;
}

/** A DDL statement (its own transaction). */
export interface DdlMessage {
  kind: 'ddl';
  database: string;
  sql: string;
  position: Position;
  gtid?: string;
  commitTime: number;
}

/** The source is alive and at this position (idle source heartbeat, or rotate). */
export interface HeartbeatMessage {
  kind: 'heartbeat';
  position: Position;
  /** Server time of the heartbeat if known (epoch ms), else receive time. */
  time: number;
}

export type SourceMessage = TransactionMessage | DdlMessage | HeartbeatMessage;
