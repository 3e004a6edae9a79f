import type { ColumnDef } from '../values/column-type.js';
import type { JsonText, Row } from '../../core/cell.js';

/** The common header every event carries. */
export interface EventHeader {
  /** Seconds since the epoch when the statement started (commit time for XID/COMMIT). */
  timestamp: number;
  type: number;
  serverId: number;
  /** Total event length as written (header + body + checksum). */
  eventSize: number;
  /** Position of the next event as the server wrote it; 0 inside MariaDB 11.4+ transactions (compute it). */
  nextPosition: number;
  flags: number;
}

export interface FormatDescriptionEvent {
  kind: 'format_description';
  binlogVersion: number;
  serverVersion: string;
  createTimestamp: number;
  headerLength: number;
  /** Post-header length per event type (index = type - 1). */
  postHeaderLengths: Buffer;
  /** 0 = none, 1 = CRC32. */
  checksumAlgorithm: number;
}

export interface RotateEvent {
  kind: 'rotate';
  position: number;
  nextFile: string;
  /** Fake rotate sent by the server at the start of a dump (timestamp 0). */
  fake: boolean;
}

export interface QueryEvent {
  kind: 'query';
  threadId: number;
  executionTime: number;
  errorCode: number;
  database: string;
  sql: string;
  /** Parsed status variables that matter to us (charset, sql_mode, time zone), where present. */
  status: QueryStatus;
}

export interface QueryStatus {
  sqlMode?: bigint;
  charsetClient?: number;
  collationConnection?: number;
  collationServer?: number;
  timeZone?: string;
  /** Default database changed by `USE`; the query's `database` already reflects it. */
  updatedDbNames?: string[];
  // Optional extras (added by the event decoder; all additive):
  flags2?: number;
  catalog?: string;
  autoIncrementIncrement?: number;
  autoIncrementOffset?: number;
  lcTimeNames?: number;
  collationDatabase?: number;
  tableMapForUpdate?: bigint;
  invokerUser?: string;
  invokerHost?: string;
  /** Q_MICROSECONDS / MariaDB Q_HRNOW: sub-second part of the statement start time. */
  microseconds?: number;
  explicitDefaultsForTimestamp?: boolean;
  ddlXid?: bigint;
  defaultCollationForUtf8mb4?: number;
  sqlRequirePrimaryKey?: boolean;
  defaultTableEncryption?: boolean;
  /** MariaDB Q_XID. */
  xid?: bigint;
  /** MariaDB Q_GTID_FLAGS3. */
  gtidFlags3?: number;
  /** First status variable code we did not know (parsing stopped there). */
  unknownStatusCode?: number;
}

export interface XidEvent {
  kind: 'xid';
  xid: bigint;
}

export interface TableMapEvent {
  kind: 'table_map';
  tableId: number;
  database: string;
  table: string;
  /** Column definitions from the event; names are `@1…` unless the optional metadata names them. */
  columns: ColumnDef[];
  /** Column indexes of the primary key, when the optional metadata has it. */
  primaryKey?: number[];
  /** True when the event carried column names (binlog_row_metadata=FULL). */
  hasNames: boolean;
  /** True when the event carried signedness (any optional metadata). */
  hasSignedness: boolean;
}

export type RowsOp = 'insert' | 'update' | 'delete';

/** One JSON diff of a PARTIAL_UPDATE_ROWS after image (MySQL JSON_SET/JSON_REPLACE/JSON_REMOVE semantics). */
export interface JsonDiffText {
  op: 'replace' | 'insert' | 'remove';
  /** JSON path, e.g. `$.a[1]`. */
  path: string;
  /** New value (absent for remove). */
  value?: JsonText;
}

export interface RowsEvent {
  kind: 'rows';
  op: RowsOp;
  tableId: number;
  /** Database and table from the matching TABLE_MAP. */
  database: string;
  table: string;
  flags: number;
  /** For insert: after only; delete: before only; update: both. Columns absent from the image are absent. */
  rows: Array<{
    before: Row | null;
    after: Row | null;
    /**
     * PARTIAL_UPDATE_ROWS whose before image lacks the JSON column (binlog_row_image=MINIMAL): the diffs
     * could not be applied, so the column is absent from `after` and its diffs are given here instead.
     */
    partialJson?: Record<string, JsonDiffText[]>;
  }>;
  /** True for PARTIAL_UPDATE_ROWS (JSON diffs were applied to the before image to build the after image). */
  partial?: boolean;
  /** Set on the last rows event of a statement (STMT_END_F). */
  statementEnd: boolean;
}

/** MySQL GTID / ANONYMOUS_GTID / GTID_TAGGED. */
export interface MysqlGtidEvent {
  kind: 'gtid';
  flavor: 'mysql';
  anonymous: boolean;
  /** "uuid:N" or "uuid:tag:N"; null for anonymous. */
  gtid: string | null;
  sid: string;
  tag?: string;
  gno: bigint;
  lastCommitted?: bigint;
  sequenceNumber?: bigint;
  immediateCommitTimestamp?: bigint;
  originalCommitTimestamp?: bigint;
  transactionLength?: bigint;
}

/** MariaDB GTID event: starts a transaction (or a standalone DDL). */
export interface MariadbGtidEvent {
  kind: 'gtid';
  flavor: 'mariadb';
  /** "domain-server-seq". */
  gtid: string;
  domainId: number;
  serverId: number;
  seqNo: bigint;
  /** FL_STANDALONE: no BEGIN/COMMIT follows; one statement (DDL) is the whole transaction. */
  standalone: boolean;
  /** XA: the transaction is an XA PREPARE/COMMIT group. */
  xa: boolean;
  commitId?: bigint;
  flags2: number;
}

export interface PreviousGtidsEvent {
  kind: 'previous_gtids';
  /** MySQL GTID set text ("uuid:1-5,uuid2:1-3"). */
  gtidSet: string;
}

export interface MariadbGtidListEvent {
  kind: 'gtid_list';
  /** MariaDB GTID list ("0-1-100,1-2-5"). */
  gtidList: string;
}

export interface BinlogCheckpointEvent {
  kind: 'binlog_checkpoint';
  file: string;
}

export interface RowsQueryEvent {
  kind: 'rows_query';
  sql: string;
}

export interface HeartbeatEvent {
  kind: 'heartbeat';
  /** File the server is at (v1: from the body; v2: from the payload). */
  file: string;
  position: number;
}

export interface XaPrepareEvent {
  kind: 'xa_prepare';
  onePhase: boolean;
  formatId: number;
  gtrid: Buffer;
  bqual: Buffer;
}

export interface IntvarEvent { kind: 'intvar'; varType: number; value: bigint }
export interface RandEvent { kind: 'rand'; seed1: bigint; seed2: bigint }
export interface UserVarEvent { kind: 'user_var'; name: string; isNull: boolean; valueType?: number; charset?: number; value?: Buffer; flags?: number }
export interface IncidentEvent { kind: 'incident'; incident: number; message: string }
export interface StopEvent { kind: 'stop' }

/** A TRANSACTION_PAYLOAD (MySQL, zstd): the inner events, decoded. */
export interface TransactionPayloadEvent {
  kind: 'transaction_payload';
  compressionType: number;
  uncompressedSize: number;
  events: BinlogEvent[];
}

/** Anything we read but do not use (unknown vendor events, ignorable events). */
export interface SkippedEvent {
  kind: 'skipped';
  reason: string;
}

export type EventBody =
  | FormatDescriptionEvent
  | RotateEvent
  | QueryEvent
  | XidEvent
  | TableMapEvent
  | RowsEvent
  | MysqlGtidEvent
  | MariadbGtidEvent
  | PreviousGtidsEvent
  | MariadbGtidListEvent
  | BinlogCheckpointEvent
  | RowsQueryEvent
  | HeartbeatEvent
  | XaPrepareEvent
  | IntvarEvent
  | RandEvent
  | UserVarEvent
  | IncidentEvent
  | StopEvent
  | TransactionPayloadEvent
  | SkippedEvent;

export type BinlogEvent = EventBody & { header: EventHeader };
