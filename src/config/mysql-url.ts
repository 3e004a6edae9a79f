/**
 * `mysql://user:password@host:port[/database][?option=value]` → connection options. Messages never
 * echo the URL (it may hold a password).
 */
export interface MysqlConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Default database from the URL path, if any. */
  database?: string;
  /** Query-string options, e.g. `ssl=true`, `connectTimeout=5000` (kept as text). */
  options: Record<string, string>;
}

export type UrlParseResult =
  | { ok: true; value: MysqlConnectionOptions }
  | { ok: false; message: string; fix: string };

const FORMAT_HINT = 'write it as mysql://USER:PASSWORD@HOST:PORT (percent-encode special characters in the password, or use ${ENV_VAR})';

export function parseMysqlUrl(url: string): UrlParseResult {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, message: 'not a valid URL', fix: FORMAT_HINT };
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    return { ok: false, message: `unsupported URL scheme '${u.protocol.replace(/:$/, '')}' (expected mysql or mariadb)`, fix: FORMAT_HINT };
  }
  if (!u.hostname) return { ok: false, message: 'the URL has no host', fix: FORMAT_HINT };
  const port = u.port ? Number(u.port) : 3306;
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(u.username);
    password = decodeURIComponent(u.password);
  } catch {
    return { ok: false, message: 'the URL user or password has a malformed %-escape', fix: FORMAT_HINT };
  }
  if (!user) return { ok: false, message: 'the URL has no user name', fix: FORMAT_HINT };
  const path = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (path.includes('/')) return { ok: false, message: 'the URL path must be empty or a single database name', fix: FORMAT_HINT };
  const options: Record<string, string> = {};
  for (const [k, v] of u.searchParams) options[k] = v;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { ok: true, value: { host, port, user, password, ...(path ? { database: path } : {}), options } };
}
