/**
 * PostgreSQL errors (SQLSTATE codes and node-postgres client errors) → what they mean for Sluice.
 */
import { SluiceError } from '../../errors.js';

/** The SQLSTATE (or Node error code) of an error, if any. */
export function sqlState(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export function pgMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The connection is gone (network, server shut down, session terminated): nothing more runs on it. */
export function isConnectionError(err: unknown): boolean {
  const code = sqlState(err);
  if (code !== undefined && (NET_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return true;
  const msg = pgMessage(err);
  return /Connection terminated|not queryable|Client was closed|connection error|socket hang up|ended by the other party/i.test(msg);
}

/** A lock conflict the transaction may be retried after (deadlock, serialization failure, lock timeout). */
export function isLockConflict(err: unknown): boolean {
  const c = sqlState(err);
  return c === '40P01' || c === '40001' || c === '55P03';
}

export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

export function connectionLost(what: string, err: unknown): SluiceError {
  return new SluiceError('CONNECTION_LOST', `the PostgreSQL target connection was lost (${what}): ${pgMessage(err)}`,
    'nothing to do: the pipeline reconnects and resumes from the checkpoint stored in the target', { sqlState: sqlState(err) }, { cause: err });
}

export function targetWriteFailed(what: string, err: unknown): SluiceError {
  const code = sqlState(err);
  if (code === '25006') {
    return new SluiceError('TARGET_READ_ONLY', `the PostgreSQL target is read-only (${what}): ${pgMessage(err)}`,
      'point the target URL at the primary (not a hot standby), or turn off default_transaction_read_only', { sqlState: code }, { cause: err });
  }
  if (code === '42501') {
    return new SluiceError('MISSING_GRANTS', `the PostgreSQL target user lacks a privilege (${what}): ${pgMessage(err)}`,
      'grant the target user CREATE on the database and ownership of (or INSERT/UPDATE/DELETE/TRUNCATE on) the copied tables; `sluice check` lists what is needed',
      { sqlState: code }, { cause: err });
  }
  return new SluiceError('TARGET_WRITE_FAILED', `the PostgreSQL target refused ${what}: ${pgMessage(err)}`,
    'fix the cause on the target (the message names it), then restart; the pipeline resumes from its checkpoint', { sqlState: code }, { cause: err });
}

/** A connection attempt that failed: wrong password, missing database, server down. */
export function connectFailed(host: string, port: number, database: string, user: string, err: unknown): SluiceError {
  const code = sqlState(err);
  const details = { host, port, database, user, sqlState: code };
  if (code === '28P01' || code === '28000') {
    return new SluiceError('ACCESS_DENIED', `PostgreSQL ${host}:${port} refused user '${user}': ${pgMessage(err)}`,
      'check the user and password in the target URL (postgres://user:pass@host:5432/db), and that pg_hba.conf allows this client', details, { cause: err });
  }
  if (code === '3D000') {
    return new SluiceError('BAD_CONFIG', `database '${database}' does not exist on PostgreSQL ${host}:${port}`,
      `create it (CREATE DATABASE "${database.replace(/"/g, '""')}") or fix the database name in the target URL`, details, { cause: err });
  }
  return new SluiceError('CONNECTION_FAILED', `cannot connect to PostgreSQL ${host}:${port}: ${pgMessage(err)}`,
    'check that the PostgreSQL server is up and reachable at the host and port of the target URL', details, { cause: err });
}
