/**
 * Typed errors. Every error Sluice raises carries a stable `code`, a message that names the cause,
 * and a `fix` that tells the user what to do about it.
 */
export type SluiceErrorCode =
  | 'BINLOG_DISABLED'
  | 'BINLOG_FORMAT_NOT_ROW'
  | 'BINLOG_ROW_IMAGE_NOT_FULL'
  | 'MISSING_GRANTS'
  | 'DUPLICATE_SERVER_ID'
  | 'POSITION_PURGED'
  | 'GTID_PURGED'
  | 'CHECKSUM_MISMATCH'
  | 'TRUNCATED_EVENT'
  | 'CORRUPT_EVENT'
  | 'ENCRYPTED_BINLOG'
  | 'UNSUPPORTED_COLUMN_TYPE'
  | 'UNKNOWN_TABLE'
  | 'NOT_A_BINLOG_FILE'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_LOST'
  | 'TLS_FAILED'
  | 'ACCESS_DENIED'
  | 'SERVER_ERROR'
  | 'BAD_ARGUMENT'
  | 'BAD_CONFIG'
  | 'FENCED'
  | 'PIPELINE_OWNED'
  | 'TARGET_READ_ONLY'
  | 'STREAM_STALLED'
  | 'TARGET_TABLE_INCOMPATIBLE'
  | 'TARGET_WRITE_FAILED'
  | 'LOAD_DATA_REFUSED'
  | 'DDL_FAILED'
  | 'DDL_REJECTED'
  | 'SNAPSHOT_FAILED'
  | 'TRANSACTION_ABORTED'
  | 'SCHEMA_MISMATCH'
  | 'VERIFY_NOT_READY'
  | 'DDL_UNSUPPORTED'
  | 'STORE_UNAVAILABLE'
  | 'STORE_MIGRATION_FAILED'
  | 'LEASE_LOST'
  | 'INTERNAL';

export class SluiceError extends Error {
  readonly code: SluiceErrorCode;
  readonly fix: string;
  /** Extra structured context (never secrets). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: SluiceErrorCode, message: string, fix: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
    this.fix = fix;
    this.details = details;
  }

  /** One line for humans: cause and fix. */
  describe(): string {
    return `${this.code}: ${this.message}${this.fix ? ` — fix: ${this.fix}` : ''}`;
  }
}

/** Raised by the decoder when bytes end before a structure does. */
export class TruncatedEventError extends SluiceError {
  constructor(what: string, details: Record<string, unknown> = {}) {
    super('TRUNCATED_EVENT', `binlog data ends inside ${what}`,
      'the binlog file or stream is cut short; if reading a file, make sure the server finished writing it; if streaming, this is retried automatically',
      details);
    this.name = 'TruncatedEventError';
  }
}

/** Raised by the decoder when an event's bytes do not make sense. */
export class CorruptEventError extends SluiceError {
  constructor(what: string, details: Record<string, unknown> = {}) {
    super('CORRUPT_EVENT', `corrupt binlog event: ${what}`,
      'the binlog is damaged at this position; restart from a later position or re-snapshot the affected tables',
      details);
    this.name = 'CorruptEventError';
  }
}

export function isSluiceError(err: unknown): err is SluiceError {
  return err instanceof SluiceError;
}
