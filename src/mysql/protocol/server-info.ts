/**
 * Ordinary queries about a source server's binlog: flavor, version, binlog settings, current and oldest
 * positions, GTID state. Used by the replication session's preflight and by `ReplicationSession.serverStatus`.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Flavor } from '../../core/types.js';
import { SluiceError } from '../../errors.js';
import { currentAccount } from '../account-name.js';
import { mapQueryError, missingGrants } from './replication-errors.js';

export interface ServerInfo {
  flavor: Flavor;
  /** VERSION(), e.g. "10.11.6-MariaDB-log" or "8.0.36". */
  serverVersion: string;
  /** [major, minor, patch] parsed from the version. */
  versionNumbers: [number, number, number];
  serverId: number;
  /** MySQL @@server_uuid; '' on MariaDB (which has none). */
  serverUuid: string;
  logBin: boolean;
  binlogFormat: string;
  binlogRowImage: string;
  /** @@global.binlog_checksum: 'CRC32' or 'NONE'. */
  binlogChecksum: string;
  /** MySQL @@gtid_mode (OFF, ON, …); MariaDB always logs GTIDs: 'ON'. */
  gtidMode: string;
  /** MySQL @@gtid_executed or MariaDB @@gtid_binlog_pos ('' when none). */
  gtidSet: string;
  /** MariaDB @@gtid_strict_mode (false on MySQL). */
  gtidStrictMode: boolean;
}

export interface BinlogStatus {
  /** Current binlog file and position (end of the log). */
  file: string;
  pos: number;
  /** Oldest binlog file still on the server. */
  oldestFile: string;
  /** All binlog files with their sizes, oldest first. */
  files: Array<{ name: string; size: number }>;
}

type Row = Record<string, unknown>;

/** Run a query and return its rows as plain records (errors mapped to typed errors). */
export async function queryRows(conn: Connection, sql: string): Promise<Row[]> {
  try {
    const [rows] = await conn.query<RowDataPacket[]>(sql);
    return rows as Row[];
  } catch (err) {
    throw mapQueryError(err, sql);
  }
}

function str(v: unknown): string {
  if (v == null) return '';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

/** True when version `v` >= [maj, min, patch]. */
export function versionAtLeast(v: [number, number, number], maj: number, min: number, patch: number): boolean {
  if (v[0] !== maj) return v[0] > maj;
  if (v[1] !== min) return v[1] > min;
  return v[2] >= patch;
}

export async function readServerInfo(conn: Connection): Promise<ServerInfo> {
  const [base] = await queryRows(conn,
    'SELECT VERSION() AS v, @@version_comment AS c, @@server_id AS sid, @@log_bin AS lb, @@binlog_format AS bf, ' +
    '@@binlog_row_image AS ri, @@global.binlog_checksum AS cs');
  const b = base ?? {};
  const serverVersion = str(b['v']);
  const flavor: Flavor = /mariadb/i.test(serverVersion) || /mariadb/i.test(str(b['c'])) ? 'mariadb' : 'mysql';
  const info: ServerInfo = {
    flavor,
    serverVersion,
    versionNumbers: parseVersion(serverVersion),
    serverId: Number(b['sid']),
    serverUuid: '',
    logBin: Number(b['lb']) === 1 || str(b['lb']).toUpperCase() === 'ON',
    binlogFormat: str(b['bf']).toUpperCase(),
    binlogRowImage: str(b['ri']).toUpperCase(),
    binlogChecksum: str(b['cs']).toUpperCase() || 'NONE',
    gtidMode: 'OFF',
    gtidSet: '',
    gtidStrictMode: false,
  };
  if (flavor === 'mariadb') {
    const [g] = await queryRows(conn, 'SELECT @@gtid_binlog_pos AS pos, @@gtid_strict_mode AS strict');
    info.gtidMode = 'ON';
    info.gtidSet = str(g?.['pos']);
    info.gtidStrictMode = Number(g?.['strict']) === 1;
  } else {
    const [g] = await queryRows(conn, 'SELECT @@server_uuid AS u, @@gtid_mode AS m, @@global.gtid_executed AS e');
    info.serverUuid = str(g?.['u']);
    info.gtidMode = str(g?.['m']).toUpperCase();
    info.gtidSet = str(g?.['e']).replace(/\s+/g, '');
  }
  return info;
}

/** Current position (end of the log) and the binlog files still present. */
export async function readBinlogStatus(conn: Connection, info: ServerInfo): Promise<BinlogStatus> {
  const modern = info.flavor === 'mysql' ? versionAtLeast(info.versionNumbers, 8, 2, 0) : versionAtLeast(info.versionNumbers, 10, 5, 2);
  let status: Row[];
  if (modern) {
    status = await queryRows(conn, info.flavor === 'mysql' ? 'SHOW BINARY LOG STATUS' : 'SHOW BINLOG STATUS');
  } else {
    status = await queryRows(conn, 'SHOW MASTER STATUS');
  }
  const files = (await queryRows(conn, 'SHOW BINARY LOGS')).map((r) => ({ name: str(r['Log_name']), size: Number(r['File_size']) }));
  const s = status[0] ?? {};
  return { file: str(s['File']), pos: Number(s['Position'] ?? 0), oldestFile: files[0]?.name ?? '', files };
}

/** The account as the server authenticated it, quoted for a GRANT, e.g. `repl`@`%`. */
export async function currentUser(conn: Connection): Promise<string> {
  try {
    return await currentAccount(conn);
  } catch (err) {
    throw mapQueryError(err, 'SELECT CURRENT_USER()');
  }
}

/**
 * The current position and binlog files; a refusal (no REPLICATION CLIENT / BINLOG MONITOR) is a MISSING_GRANTS
 * whose fix is the GRANT for this server's flavor and this account, ready to paste.
 */
export async function readBinlogStatusOrGrantFix(conn: Connection, info: ServerInfo): Promise<BinlogStatus> {
  try {
    return await readBinlogStatus(conn, info);
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'MISSING_GRANTS') {
      throw missingGrants(info.flavor, await currentUser(conn), 'read the binlog status (SHOW BINARY LOGS)', err);
    }
    throw err;
  }
}
