/**
 * The one place where a Sluice URL becomes mysql2 connection options: host, port, user, password, database
 * and TLS (from the URL's ssl-mode / ssl-ca / ssl-cert / ssl-key parameters), plus the caller's own options.
 * Every connection Sluice opens (replication stream, schema reads, snapshot pool, target, checks, browsing)
 * goes through `mysqlConnectionOptions` or `connectMysql`; mysql2's `uri` option is never used, since it would
 * read our query parameters as its own options.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { createConnection, type Connection, type ConnectionOptions, type SslOptions } from 'mysql2/promise';
import { parseMysqlUrl, parseTlsOptions, type MysqlConnectionOptions, type TlsSettings } from './mysql-url.js';
import { SluiceError } from '../errors.js';

/** A Sluice URL (`mysql://user:pw@host:port/db?ssl-mode=…`) or its parsed form. */
export type MysqlTarget = string | MysqlConnectionOptions;

/** Servers (host:port) that did not offer TLS to an ssl-mode=PREFERRED connection: later connections (pools) go plaintext. */
const withoutTls = new Set<string>();

function serverKey(c: MysqlConnectionOptions): string {
  return `${c.host}:${c.port}`;
}

/** The parsed URL; a bad URL is BAD_CONFIG (the config validator normally rejected it already). */
export function resolveTarget(target: MysqlTarget): MysqlConnectionOptions {
  if (typeof target !== 'string') return target;
  const parsed = parseMysqlUrl(target);
  if (!parsed.ok) throw new SluiceError('BAD_CONFIG', `connection URL: ${parsed.message}`, parsed.fix);
  return parsed.value;
}

/** The TLS settings of a connection; bad ssl-* parameters are BAD_CONFIG. */
export function tlsSettingsOf(c: MysqlConnectionOptions): TlsSettings {
  const tls = parseTlsOptions(c.options);
  if (!tls.ok) throw new SluiceError('BAD_CONFIG', `connection URL of ${serverKey(c)}: ${tls.message}`, tls.fix);
  return tls.value;
}

function readPem(param: 'ssl-ca' | 'ssl-cert' | 'ssl-key', path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    throw new SluiceError('BAD_CONFIG', `cannot read the ${param} file '${path}' (${code})`,
      `set ${param} in the URL to the path of a PEM file that the user running Sluice can read (paths are read on the Sluice host, when connecting)`,
      { param, path }, { cause: err });
  }
  if (!text.includes('-----BEGIN ')) {
    throw new SluiceError('BAD_CONFIG', `the ${param} file '${path}' is not a PEM file (no -----BEGIN line)`,
      `point ${param} at a PEM file (convert DER with: openssl x509 -inform der -in FILE -out FILE.pem)`, { param, path });
  }
  return text;
}

/** mysql2's `ssl` option for these settings (files are read now); undefined = no TLS. */
export function sslOptions(tls: TlsSettings, server?: MysqlConnectionOptions): SslOptions | undefined {
  if (tls.mode === 'DISABLED') return undefined;
  if (tls.mode === 'PREFERRED' && server && withoutTls.has(serverKey(server))) return undefined;
  const client = tls.cert !== undefined && tls.key !== undefined ? { cert: readPem('ssl-cert', tls.cert), key: readPem('ssl-key', tls.key) } : {};
  if (tls.mode === 'PREFERRED' || tls.mode === 'REQUIRED') return { rejectUnauthorized: false, ...client };
  // VERIFY_CA: the chain must lead to ssl-ca (or, without it, to a CA Node.js trusts); mysql2 checks the host name only with verifyIdentity.
  return {
    rejectUnauthorized: true, verifyIdentity: tls.mode === 'VERIFY_IDENTITY',
    ...(tls.ca !== undefined ? { ca: readPem('ssl-ca', tls.ca) } : {}), ...client,
  };
}

/** Prepared statements mysql2 keeps per connection (its LRU preallocates this many slots). */
const PREPARED_STATEMENT_CACHE = 16;

/**
 * mysql2 options for a Sluice URL: the caller's extras (timeouts, charset, pool size, …) plus host, port, user,
 * password, database and ssl from the URL. Reads the ssl-* files; a bad parameter or file is BAD_CONFIG.
 */
export function mysqlConnectionOptions<E extends ConnectionOptions = ConnectionOptions>(target: MysqlTarget, extras?: E): E {
  const c = resolveTarget(target);
  const tls = tlsSettingsOf(c);
  const ssl = sslOptions(tls, c);
  return {
    // Sluice prepares no statements; mysql2's default cache of 16,000 preallocates ~0.5 MB per connection.
    maxPreparedStatements: PREPARED_STATEMENT_CACHE,
    ...(extras ?? ({} as E)),
    host: c.host, port: c.port, user: c.user, password: c.password,
    ...(c.database ? { database: c.database } : {}),
    ...(ssl ? { ssl } : {}),
    ...(ssl && tls.mode === 'VERIFY_IDENTITY' && isIP(c.host) ? { stream: () => socketNamingIp(c.host, c.port) } : {}),
  };
}

/**
 * A TCP socket to an IP address that Node's TLS identity check will compare with the certificate. For an IP
 * host mysql2 sends no servername, and Node then checks the certificate against the socket's `_host`, which
 * net leaves empty for IP addresses, so the check would fall back to the name 'localhost': a certificate for
 * "localhost" would pass VERIFY_IDENTITY to any IP. Naming the IP makes Node require it in the certificate's
 * subjectAltName, before any credentials are sent.
 */
function socketNamingIp(host: string, port: number): Socket {
  const socket = netConnect(port, host);
  socket.setNoDelay(true);
  (socket as Socket & { _host?: string | null })._host = host;
  return socket;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A connection error, with TLS made explicit: handshake failures and servers without TLS become TLS_FAILED
 * (not retried: a certificate problem does not cure itself); a login refused over plaintext says that the
 * account may require TLS. Other errors are returned as they are, for the caller to map.
 */
export function tlsConnectError(err: unknown, target: MysqlTarget): unknown {
  const c = resolveTarget(target);
  const tls = tlsSettingsOf(c);
  const code = codeOf(err);
  const msg = err instanceof Error ? err.message : String(err);
  const where = `${c.host}:${c.port}`;
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return new SluiceError('TLS_FAILED', `${where} does not support TLS (ssl-mode=${tls.mode})`,
      'enable TLS on the server (ssl_cert and ssl_key), or connect without encryption (ssl-mode=PREFERRED or no ssl-mode)',
      { host: c.host, port: c.port, sslMode: tls.mode }, { cause: err });
  }
  if (code === 'HANDSHAKE_SSL_ERROR') {
    let fix = 'check the TLS setup of the server and the ssl-* parameters of the URL (ssl-mode=REQUIRED encrypts without verifying the server)';
    if (/altname|does not match|hostname/i.test(msg)) {
      fix = `the server certificate does not name '${c.host}': connect with a host name or IP listed in the certificate's subjectAltName, or use ssl-mode=VERIFY_CA to verify the CA only`;
    } else if (/expired|not yet valid/i.test(msg)) {
      fix = 'the server certificate is outside its validity period: renew it on the server (and check the clocks)';
    } else if (/self[- ]signed|unable to (verify|get)|issuer|certificate chain|signature/i.test(msg)) {
      fix = tls.ca !== undefined
        ? `the server certificate is not signed by the CA in ssl-ca (${tls.ca}): set ssl-ca to the CA certificate that signed the server certificate (for RDS / Cloud SQL / Azure: the provider's CA bundle)`
        : 'the server certificate is not signed by a CA that Node.js trusts: set ssl-ca=/path/ca.pem to the CA that signed it (for RDS / Cloud SQL / Azure: the provider\'s CA bundle)';
    } else if (/wrong version|unsupported protocol|no protocols|handshake failure/i.test(msg)) {
      fix = 'client and server share no TLS version or cipher (Node.js needs TLS 1.2 or newer): upgrade the server\'s TLS settings';
    }
    return new SluiceError('TLS_FAILED', `TLS handshake with ${where} failed (ssl-mode=${tls.mode}): ${msg}`, fix,
      { host: c.host, port: c.port, sslMode: tls.mode }, { cause: err });
  }
  const e = err as { errno?: unknown; message?: string; sqlMessage?: string };
  if (tls.mode === 'DISABLED' && e.errno === 1045 && typeof e.message === 'string' && !e.message.includes('ssl-mode')) {
    const hint = '; the connection was not encrypted: if the account requires TLS (REQUIRE SSL / X509), add ssl-mode=REQUIRED or VERIFY_CA to the URL';
    e.message += hint;
    if (typeof e.sqlMessage === 'string') e.sqlMessage += hint;
  }
  return err;
}

/**
 * Open one connection (see `mysqlConnectionOptions`). ssl-mode=PREFERRED falls back to plaintext when the
 * server offers no TLS. TLS failures are TLS_FAILED; other errors are mysql2's, for the caller to map.
 */
export async function connectMysql(target: MysqlTarget, extras?: ConnectionOptions): Promise<Connection> {
  const c = resolveTarget(target);
  const tls = tlsSettingsOf(c);
  const opts = mysqlConnectionOptions(c, extras);
  try {
    return await createConnection(opts);
  } catch (err) {
    if (tls.mode !== 'PREFERRED' || codeOf(err) !== 'HANDSHAKE_NO_SSL_SUPPORT') throw tlsConnectError(err, c);
  }
  withoutTls.add(serverKey(c));
  const plain: ConnectionOptions = { ...opts };
  delete plain.ssl;
  try {
    return await createConnection(plain);
  } catch (err) {
    throw tlsConnectError(err, c);
  }
}

/** Whether an open connection is encrypted, with what, and how far the server certificate was checked. */
export interface TlsStatus {
  encrypted: boolean;
  /** e.g. TLSv1.3 */
  protocol?: string;
  cipher?: string;
  /** 'identity' = CA and host name, 'ca' = CA only, 'none' = not verified (ssl-mode=REQUIRED / PREFERRED). */
  verified?: 'identity' | 'ca' | 'none';
  /** One line for humans: "TLS: TLSv1.3 (TLS_AES_256_GCM_SHA384), server certificate verified (CA and host name)". */
  text: string;
}

export function tlsStatus(conn: Connection): TlsStatus {
  const base = (conn as unknown as { connection?: { stream?: unknown; config?: { ssl?: SslOptions | false } } }).connection;
  const stream = base?.stream;
  if (!(stream instanceof TLSSocket)) return { encrypted: false, text: 'TLS: not encrypted' };
  const ssl = base?.config?.ssl || {};
  const verified = ssl.rejectUnauthorized === false ? 'none' : ssl.verifyIdentity ? 'identity' : 'ca';
  const protocol = stream.getProtocol() ?? 'TLS';
  const cipher = stream.getCipher()?.name;
  const how = verified === 'identity' ? 'server certificate verified (CA and host name)'
    : verified === 'ca' ? 'server certificate verified (CA only, host name not checked)'
      : 'server certificate not verified';
  return { encrypted: true, protocol, ...(cipher ? { cipher } : {}), verified, text: `TLS: ${protocol}${cipher ? ` (${cipher})` : ''}, ${how}` };
}

/**
 * Cut a connection at once: its socket is destroyed with an error, so every query waiting on it fails
 * (mysql2's own `destroy()` only half-closes the socket politely, and a query in flight on a connection
 * that hangs would never settle).
 */
export function abortConnection(conn: Connection): void {
  const stream = (conn as unknown as { connection?: { stream?: { destroy(err?: Error): void; destroyed?: boolean } } }).connection?.stream;
  if (stream && !stream.destroyed) {
    stream.destroy(Object.assign(new Error('connection cut by Sluice: it did not answer in time'), { code: 'ECONNRESET' }));
  } else {
    conn.destroy();
  }
}

/** End a connection politely, or cut it when that takes longer than `ms` (a connection that hangs). */
export async function endWithin(conn: Connection, ms: number): Promise<void> {
  const ended = await Promise.race([conn.end().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  if (!ended) abortConnection(conn);
}
