/** Classifying mysql2 errors from a target: connection lost, retryable lock conflicts, the rest. */
import { SluiceError } from '../../errors.js';

interface MysqlErrorLike {
  code?: string;
  errno?: number;
  fatal?: boolean;
  sqlMessage?: string;
  message?: string;
}

function asMysqlError(err: unknown): MysqlErrorLike {
  return err !== null && typeof err === 'object' ? (err as MysqlErrorLike) : {};
}

export function errnoOf(err: unknown): number | undefined {
  const e = asMysqlError(err);
  return typeof e.errno === 'number' ? e.errno : undefined;
}

const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_CON_COUNT_ERROR',
]);
// 1053 server shutdown, 1927 connection killed, 2006 gone away, 2013 lost during query, 4031 disconnected by server
const CONNECTION_ERRNOS = new Set([1053, 1927, 2006, 2013, 4031]);

/** The connection is gone (or unusable): reconnect and retry. */
export function isConnectionError(err: unknown): boolean {
  const e = asMysqlError(err);
  if (e.fatal === true) return true;
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  if (e.errno !== undefined && CONNECTION_ERRNOS.has(e.errno)) return true;
  return /closed state|connection is closed|Connection lost/i.test(e.message ?? '');
}

/** Deadlock (1213) or lock wait timeout (1205): roll back and retry the transaction. */
export function isLockConflict(err: unknown): boolean {
  const n = errnoOf(err);
  return n === 1213 || n === 1205;
}

/** Duplicate entry on a unique key (1062). */
export function isDuplicateKey(err: unknown): boolean {
  return errnoOf(err) === 1062;
}

export function serverMessage(err: unknown): string {
  const e = asMysqlError(err);
  return e.sqlMessage ?? e.message ?? String(err);
}

export function connectionLost(what: string, err: unknown): SluiceError {
  return new SluiceError('CONNECTION_LOST', `lost the connection to the target during ${what}: ${serverMessage(err)}`,
    'this is retried automatically; if it persists, check that the target server is up and reachable',
    { errno: errnoOf(err), code: asMysqlError(err).code }, { cause: err });
}

export function targetWriteFailed(what: string, err: unknown, fix?: string): SluiceError {
  const n = errnoOf(err);
  // 1290 (--read-only), 1836 (read-only mode): a target being failed over or in maintenance — retried.
  if (n === 1290 || n === 1836) {
    return new SluiceError('TARGET_READ_ONLY', `the target is read-only and refused ${what}: ${serverMessage(err)} (error ${n})`,
      'retried automatically from the checkpoint until the target accepts writes again (SET GLOBAL read_only = OFF, or a writable primary behind the target URL)',
      { errno: n }, { cause: err });
  }
  let hint = fix;
  if (!hint) {
    if (n === 1146) hint = 'the target table is missing: let Sluice create it (snapshot), or create it with the source definition';
    else if (n === 1054) hint = 'the target table lacks a column the source has: ALTER the target table to match the source';
    else if (n === 1142 || n === 1044 || n === 1227) hint = 'grant the target user INSERT, UPDATE, DELETE, CREATE, ALTER, DROP on the target databases';
    else if (n === 1153) hint = 'raise max_allowed_packet on the target, or lower tuning.maxStatementBytes';
    else hint = 'fix the cause reported by the target server, then restart the pipeline (it resumes from its checkpoint)';
  }
  return new SluiceError('TARGET_WRITE_FAILED', `target rejected ${what}: ${serverMessage(err)}${n ? ` (error ${n})` : ''}`, hint,
    { errno: n }, { cause: err });
}
