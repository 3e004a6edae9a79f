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
