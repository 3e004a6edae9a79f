/**
 * `mysql://user:password@host:port[/database][?option=value]` → connection options. Messages never
 * echo the URL (it may hold a password).
 */
import type { EndpointParts } from '../core/endpoint.js';

/** The parts of a Sluice MySQL URL (`options`: only the TLS parameters are accepted). */
export type MysqlConnectionOptions = EndpointParts;

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
  for (const [k, v] of u.searchParams) {
    if (k in options) return { ok: false, message: `the URL parameter '${k}' is given twice`, fix: 'give each parameter once' };
    options[k] = v;
  }
  const tls = parseTlsOptions(options);
  if (!tls.ok) return tls;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { ok: true, value: { host, port, user, password, ...(path ? { database: path } : {}), options } };
}

/** The MySQL client's `--ssl-mode` values. */
export const SSL_MODES = ['DISABLED', 'PREFERRED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const;
export type SslMode = typeof SSL_MODES[number];

/** The URL query parameters Sluice accepts (all about TLS; names as in the MySQL client). */
export const URL_PARAMETERS = ['ssl-mode', 'ssl-ca', 'ssl-cert', 'ssl-key'] as const;

/** TLS settings of a connection, from its URL parameters (file paths; the files are read at connect time). */
export interface TlsSettings {
  mode: SslMode;
  /** PEM file of the CA certificate(s) that signed the server certificate (VERIFY_CA, VERIFY_IDENTITY). */
  ca?: string;
  /** PEM files of a client certificate and its key (for accounts created `REQUIRE X509`). */
  cert?: string;
  key?: string;
}

export type TlsParseResult = { ok: true; value: TlsSettings } | { ok: false; message: string; fix: string };

const TLS_FIX = `use ssl-mode=${SSL_MODES.join('|')}, and ssl-ca=/path/ca.pem, ssl-cert=/path/client-cert.pem, ssl-key=/path/client-key.pem as needed`;

/**
 * The TLS settings of a URL's query parameters (or an endpoint's `options` map), validated.
 * Default: no TLS (DISABLED), as before; `ssl-ca` without `ssl-mode` means VERIFY_CA and `ssl-cert`/`ssl-key`
 * alone mean REQUIRED, as with the MySQL client.
 */
export function parseTlsOptions(options: Readonly<Record<string, string>>): TlsParseResult {
  for (const k of Object.keys(options)) {
    if (!(URL_PARAMETERS as readonly string[]).includes(k)) {
      const hint = k === 'ssl' || k.startsWith('ssl') || k.startsWith('tls') ? ` (TLS is set with ${URL_PARAMETERS.join(', ')})` : '';
      return { ok: false, message: `unknown URL parameter '${k}'${hint}`,
        fix: `remove it; the URL accepts only ${URL_PARAMETERS.join(', ')} (${TLS_FIX})` };
    }
  }
  for (const k of ['ssl-ca', 'ssl-cert', 'ssl-key'] as const) {
    if (options[k] !== undefined && options[k].trim() === '') {
      return { ok: false, message: `the URL parameter ${k} is empty`, fix: `set ${k} to the path of a PEM file, or remove it` };
    }
  }
  const ca = options['ssl-ca'];
  const cert = options['ssl-cert'];
  const key = options['ssl-key'];
  const modeText = options['ssl-mode'];
  let mode: SslMode;
  if (modeText === undefined) {
    mode = ca !== undefined ? 'VERIFY_CA' : cert !== undefined || key !== undefined ? 'REQUIRED' : 'DISABLED';
  } else {
    const m = modeText.trim().toUpperCase().replace(/-/g, '_');
    if (!(SSL_MODES as readonly string[]).includes(m)) {
      return { ok: false, message: `ssl-mode '${modeText.slice(0, 40)}' is not a TLS mode`, fix: `use ssl-mode=${SSL_MODES.join('|')}` };
    }
    mode = m as SslMode;
  }
  if ((cert === undefined) !== (key === undefined)) {
    return { ok: false, message: `ssl-${cert === undefined ? 'key' : 'cert'} is set without ssl-${cert === undefined ? 'cert' : 'key'}`,
      fix: 'a client certificate needs both: ssl-cert=/path/client-cert.pem and ssl-key=/path/client-key.pem' };
  }
  if (mode === 'DISABLED' && (ca !== undefined || cert !== undefined)) {
    return { ok: false, message: `ssl-mode=DISABLED with ${ca !== undefined ? 'ssl-ca' : 'ssl-cert/ssl-key'}: the connection would not be encrypted`,
      fix: 'use ssl-mode=VERIFY_CA or VERIFY_IDENTITY (or REQUIRED) to encrypt, or remove the ssl-* files' };
  }
  if ((mode === 'REQUIRED' || mode === 'PREFERRED') && ca !== undefined) {
    return { ok: false, message: `ssl-ca has no effect with ssl-mode=${mode}: the server certificate is not verified in that mode`,
      fix: 'use ssl-mode=VERIFY_CA (or VERIFY_IDENTITY) to verify the server against ssl-ca, or remove ssl-ca' };
  }
  return { ok: true, value: { mode, ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) } };
}
