/**
 * Preflight helpers shared by the MySQL/MariaDB source checks (preflight/) and the MySQL target kind's checks
 * (targets/mysql/preflight.ts): privilege probes from SHOW GRANTS and errors turned into findings.
 */
import type mysql from 'mysql2/promise';
import { isSluiceError } from '../errors.js';
import type { CheckResult } from '../core/check-result.js';
import { currentAccount } from './account-name.js';
import { quoteIdent } from './schema/ddl-parser.js';

const NEEDED = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE'] as const;

/**
 * Read-only privilege probe: SHOW GRANTS for the current user, and whether the global (`*.*`) and database
 * grants cover SELECT, INSERT, UPDATE, DELETE and CREATE on each database. Grants through roles cannot be
 * read this way: then a shortfall is only a warning.
 */
export async function checkWritePrivileges(conn: mysql.Connection, databases: string[], label: string): Promise<CheckResult> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW GRANTS');
  const lines = rows.map((r) => String(Object.values(r)[0] ?? ''));
  const grants: Array<{ db: string; privs: Set<string> }> = [];
  let viaRoles = false;
  for (const line of lines) {
    const m = /^GRANT (.+?) ON (?:(\*)|`((?:[^`]|``)+)`)\.(\*) TO /i.exec(line);
    if (!m) {
      if (/^GRANT `[^`]+`(,\s*`[^`]+`)* TO /i.test(line)) viaRoles = true;
      continue;
    }
    const privs = new Set(m[1]!.toUpperCase().split(',').map((s) => s.trim().replace(/\s*\(.*$/, '')));
    grants.push({ db: m[2] ?? m[3]!.replace(/``/g, '`'), privs });
  }
  const missing: string[] = [];
  for (const db of databases) {
    const have = new Set<string>();
    for (const g of grants) {
      if (g.db !== '*' && !likeMatch(db, g.db)) continue;
      if (g.privs.has('ALL PRIVILEGES') || g.privs.has('ALL')) NEEDED.forEach((x) => have.add(x));
      g.privs.forEach((x) => have.add(x));
    }
    const lack = NEEDED.filter((x) => !have.has(x));
    if (lack.length > 0) missing.push(`${lack.join(', ')} on ${db}`);
  }
  if (missing.length === 0) return { ok: true, what: `privileges on ${label}` };
  const fix = `as an administrator run: ${grantFor(databases, await currentAccount(conn))}`;
  if (viaRoles) return { ok: true, warn: true, what: `cannot confirm privileges (${missing.join('; ')} not granted directly; roles may grant them)`, fix };
  return { ok: false, code: 'MISSING_GRANTS', what: `the target user lacks ${missing.join('; ')}`, fix };
}

/**
 * The GRANT statements that give `account` (as CURRENT_USER() names it, quoted: the account grants apply to)
 * what a target needs, ready to paste: one per database.
 */
function grantFor(databases: string[], account: string): string {
  return databases.map((db) => `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX ON ${quoteIdent(db)}.* TO ${account};`).join(' ');
}

/** A database name against a grant's database pattern (`_` and `%` wildcards, `\` escapes). */
function likeMatch(name: string, pattern: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(name);
}

const TRANSIENT_CODES = new Set(['CONNECTION_FAILED', 'CONNECTION_LOST']);
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'EPIPE']);

export function failure(what: string, err: unknown, side: 'source' | 'target' = 'source'): CheckResult {
  if (isSluiceError(err)) return { ok: false, code: err.code, what: `${what}: ${err.message}`, fix: err.fix, transient: TRANSIENT_CODES.has(err.code) };
  const e = err as { code?: string; errno?: number; message?: string };
  if (e.code === 'ER_ACCESS_DENIED_ERROR' || e.errno === 1045) {
    return { ok: false, code: 'ACCESS_DENIED', what: `${what}: ${e.message ?? 'access denied'}`, fix: `check the user and password in the ${side} URL, and that the user may connect from this host` };
  }
  if (e.code === 'ER_DBACCESS_DENIED_ERROR' || e.errno === 1044) {
    return { ok: false, code: 'ACCESS_DENIED', what: `${what}: ${e.message ?? 'access denied'}`, fix: `check the database in the ${side} URL, or grant the user access to it` };
  }
  if (e.code && TRANSIENT_NET.has(e.code)) {
    return { ok: false, code: 'CONNECTION_FAILED', transient: true, what: `${what}: cannot connect (${e.code})`, fix: `check the host and port in the ${side} URL, and that the server is running` };
  }
  return { ok: false, code: 'SERVER_ERROR', what: `${what}: ${e.message ?? String(err)}`, fix: `fix the cause reported by the ${side} server` };
}

/**
 * Whether the server's table caches hold `tables` tables (a pipeline's scope): a table cache, definition cache or
 * InnoDB open-files limit smaller than the tables written makes the server reopen a table on nearly every statement
 * (measured: several times slower per row at 10,000 tables). A warning with the settings to raise; null when they fit.
 */
export async function checkTableCaches(conn: Pick<mysql.Connection, 'query'>, tables: number, side: 'source' | 'target'): Promise<CheckResult | null> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('table_open_cache', 'table_definition_cache', 'innodb_open_files', 'open_files_limit')");
  const v = new Map(rows.map((r) => [String(r['Variable_name']).toLowerCase(), Number(r['Value'])]));
  const small = ['table_open_cache', 'table_definition_cache', 'innodb_open_files']
    .filter((name) => v.has(name) && v.get(name)! > 0 && v.get(name)! < tables);
  if (small.length === 0) return null;
  const want = Math.ceil(tables * 1.1 / 1000) * 1000;
  return {
    ok: true, warn: true, code: 'TABLE_CACHE_TOO_SMALL',
    what: `the ${side} caches fewer tables than the ${tables} in scope (${small.map((n) => `${n}=${v.get(n)}`).join(', ')}): it reopens tables on nearly every statement, `
      + (side === 'target' ? 'which slows the stream several times' : 'which slows the source\'s own writes and the snapshot'),
    fix: `on the ${side}: set ${small.map((n) => `${n}=${want}`).join(', ')} in the server config (innodb_open_files needs a restart), with open_files_limit `
      + `and the service's file limit (e.g. systemd LimitNOFILE) above ${want + 1000}; a server whose open_files_limit (now ${v.get('open_files_limit') ?? '?'}) is too low shrinks table_open_cache at start-up`,
  };
}
