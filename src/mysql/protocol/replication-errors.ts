/**
 * Turning server errors (mysql2 query errors and ERR packets on the replication stream) into typed
 * SluiceErrors that name the cause and the fix.
 */
import { SluiceError } from '../../errors.js';
import type { Flavor } from '../../core/types.js';

/** What mysql2 puts on its errors (only the fields we read). */
interface Mysql2ErrorLike {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  message?: string;
}

function asMysql2Error(err: unknown): Mysql2ErrorLike {
  return typeof err === 'object' && err !== null ? (err as Mysql2ErrorLike) : { message: String(err) };
}

/** The statement that gives a user what a CDC reader needs. */
export function grantStatement(flavor: Flavor | undefined, user = "'<user>'@'<host>'"): string {
  return flavor === 'mariadb'
    ? `GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO ${user}`
    : `GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO ${user}`;
}

export function missingGrants(flavor: Flavor | undefined, user: string | undefined, what: string, cause?: unknown): SluiceError {
  const stmt = grantStatement(flavor, user);
  return new SluiceError('MISSING_GRANTS', `the replication user lacks privileges needed to ${what}`,
    `as an administrator run: ${stmt}`, { grant: stmt, user }, { cause });
}

export function connectionLost(reason: string, cause?: unknown): SluiceError {
  return new SluiceError('CONNECTION_LOST', `replication connection lost: ${reason}`,
    'reconnect and resume from the last delivered position (the reconnecting source does this automatically); if it keeps happening check the server and the network',
    {}, { cause });
}

export interface ErrorContext {
  flavor?: Flavor;
  user?: string;
  /** What we asked for, for messages: "file bin.000001:4" or "GTID 0-1-5". */
  requested?: string;
  /** Already authenticated: an "access denied" now means a missing privilege, not a bad password. */
  authenticated?: boolean;
}

/** Map an error code + message from the server (ERR packet or mysql2 error) to a typed error. */
export function mapServerError(errno: number, message: string, ctx: ErrorContext = {}, cause?: unknown): SluiceError {
  const details = { errno, serverMessage: message, requested: ctx.requested };
  const m = message.toLowerCase();
  if (errno === 1045 && ctx.authenticated) {
    return missingGrants(ctx.flavor, ctx.user, `register as a replica and dump the binlog (${message})`, cause);
  }
  if (errno === 1045) {
    return new SluiceError('ACCESS_DENIED', `access denied: ${message}`,
      'check the user name and password in the source URL, and that the user may connect from this host', details, { cause });
  }
  if (errno === 1227 || errno === 1142 || errno === 1044) {
    return missingGrants(ctx.flavor, ctx.user, `read the binlog (${message})`, cause);
  }
  // MariaDB 10.x sends 4052 (ER_SLAVE_SAME_ID) to the older of two replicas with one server id; MySQL 1236 with this text.
  if (errno === 4052 || m.includes('same server_uuid') || m.includes('same server_id') || m.includes('same server id')) {
    return new SluiceError('DUPLICATE_SERVER_ID', `another replica connected with the same server id, so the source dropped this one: ${message}`,
      'set a different serverId for Sluice (unique among all replicas of this source, including other Sluice pipelines)', details, { cause });
  }
  if (errno === 1236 || errno === 1593) {
    if (m.includes('purged') || m.includes('could not find gtid state') || m.includes('not in the master\'s binlog') ||
        m.includes('is not in the') || m.includes('gtid')) {
      return new SluiceError('GTID_PURGED', `the requested GTID position ${ctx.requested ?? ''} is not available on the source: ${message}`.replace('  ', ' '),
        're-snapshot or start from an available position (the binlogs holding it were purged, or it was never written on this server)', details, { cause });
    }
    if (m.includes('could not find first log file') || m.includes('binlog truncated') || m.includes('could not open log file') || m.includes('log file')) {
      return new SluiceError('POSITION_PURGED', `the requested binlog position ${ctx.requested ?? ''} is not available on the source: ${message}`.replace('  ', ' '),
        're-snapshot or start from an available position (see SHOW BINARY LOGS; the file was purged or never existed)', details, { cause });
    }
    if (m.includes('impossible position') || m.includes('bogus data') || m.includes('event header')) {
      return new SluiceError('BAD_ARGUMENT', `the requested binlog position ${ctx.requested ?? ''} is not an event boundary: ${message}`.replace('  ', ' '),
        'start from a position printed by Sluice or SHOW BINARY LOG STATUS / SHOW MASTER STATUS, or from the start of a file (pos 4)', details, { cause });
    }
  }
  return new SluiceError('SERVER_ERROR', `the source server returned error ${errno}: ${message}`,
    'see the server error above; if it is transient, reconnect', details, { cause });
}

/** Map an error thrown by mysql2 during connect or a query. */
export function mapQueryError(err: unknown, what: string, ctx: ErrorContext = {}): SluiceError {
  if (err instanceof SluiceError) return err;
  const e = asMysql2Error(err);
  if (typeof e.errno === 'number' && e.sqlMessage !== undefined) {
    return mapServerError(e.errno, e.sqlMessage, ctx, err);
  }
  const net = e.code ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'EPIPE'].includes(net)) {
    return new SluiceError('CONNECTION_FAILED', `cannot talk to the source server (${net}) during ${what}: ${e.message ?? ''}`,
      'check that the server is running and reachable at the host and port of the source URL', { code: net }, { cause: err });
  }
  return new SluiceError('SERVER_ERROR', `${what} failed: ${e.message ?? String(err)}`,
    'see the error above', { code: net }, { cause: err });
}
