// TLS parameters of connection URLs: validation at config load, and the mysql2 options that every
// connection is opened with (no `uri`, ssl built from ssl-mode / ssl-ca / ssl-cert / ssl-key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, parseMysqlUrl, parseTlsOptions } from '../../../src/config/index.js';
import { mysqlConnectionOptions } from '../../../src/mysql/connection.js';
import { SluiceError } from '../../../src/errors.js';
import { endpointInput } from '../../../src/server/routes/endpoint-routes.js';
import { HttpError } from '../../../src/server/http-error.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-unit-'));
const pem = (name: string, kind = 'CERTIFICATE'): string => {
  const p = join(dir, name);
  writeFileSync(p, `-----BEGIN ${kind}-----\nMIIB\n-----END ${kind}-----\n`);
  return p;
};
const CA = pem('ca.pem');
const CERT = pem('client-cert.pem');
const KEY = pem('client-key.pem', 'PRIVATE KEY');
const NOT_PEM = join(dir, 'ca.der');
writeFileSync(NOT_PEM, Buffer.from([0x30, 0x82, 0x01, 0x0a]));

function urlError(url: string): { message: string; fix: string } {
  const r = parseMysqlUrl(url);
  assert.equal(r.ok, false, `${url} should be rejected`);
  return r as { ok: false; message: string; fix: string };
}

test('ssl-mode values and defaults', () => {
  const mode = (q: string): string => {
    const r = parseMysqlUrl(`mysql://u:p@db:3306/${q}`);
    assert.ok(r.ok, JSON.stringify(r));
    const tls = parseTlsOptions(r.value.options);
    assert.ok(tls.ok);
    return tls.value.mode;
  };
  assert.equal(mode(''), 'DISABLED', 'no TLS unless asked (as before)');
  for (const m of ['DISABLED', 'PREFERRED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY']) assert.equal(mode(`?ssl-mode=${m}`), m);
  assert.equal(mode('?ssl-mode=verify_identity'), 'VERIFY_IDENTITY', 'case-insensitive');
  assert.equal(mode('?ssl-mode=verify-ca'), 'VERIFY_CA');
  assert.equal(mode(`?ssl-ca=${CA}`), 'VERIFY_CA', 'ssl-ca alone means VERIFY_CA, as with the mysql client');
  assert.equal(mode(`?ssl-cert=${CERT}&ssl-key=${KEY}`), 'REQUIRED');
});

test('bad TLS parameters are rejected with a fix', () => {
  let e = urlError('mysql://u:p@db/?ssl-mode=ON');
  assert.match(e.message, /ssl-mode 'ON' is not a TLS mode/);
  assert.match(e.fix, /DISABLED\|PREFERRED\|REQUIRED\|VERIFY_CA\|VERIFY_IDENTITY/);
  e = urlError('mysql://u:p@db/?ssl=true');
  assert.match(e.message, /unknown URL parameter 'ssl' \(TLS is set with ssl-mode/);
  e = urlError('mysql://u:p@db/?connectTimeout=5000');
  assert.match(e.message, /unknown URL parameter 'connectTimeout'/);
  assert.match(e.fix, /accepts only ssl-mode, ssl-ca, ssl-cert, ssl-key/);
  e = urlError(`mysql://u:p@db/?ssl-mode=REQUIRED&ssl-cert=${CERT}`);
  assert.match(e.message, /ssl-cert is set without ssl-key/);
  e = urlError(`mysql://u:p@db/?ssl-mode=DISABLED&ssl-ca=${CA}`);
  assert.match(e.message, /would not be encrypted/);
  e = urlError(`mysql://u:p@db/?ssl-mode=REQUIRED&ssl-ca=${CA}`);
  assert.match(e.message, /ssl-ca has no effect with ssl-mode=REQUIRED/);
  assert.match(e.fix, /VERIFY_CA/);
  e = urlError('mysql://u:p@db/?ssl-mode=VERIFY_CA&ssl-ca=');
  assert.match(e.message, /ssl-ca is empty/);
  e = urlError('mysql://u:p@db/?ssl-mode=REQUIRED&ssl-mode=DISABLED');
  assert.match(e.message, /given twice/);
});

test('the config validator rejects bad TLS parameters when the config is loaded', () => {
  const cfg = (url: string): string => JSON.stringify({
    sources: { s: { type: 'mysql', url: 'mysql://u:p@src:3306' } },
    targets: { t: { type: 'mysql', url } },
    pipelines: [{ name: 'p', source: 's', target: 't', tables: ['a.*'] }],
  });
  assert.throws(() => parseConfig(cfg('mysql://u:p@dst:3306/?ssl-mode=VERIFY'), { format: 'json' }), (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'BAD_CONFIG');
    assert.match(err.message, /targets\.t\.url/);
    assert.match(err.message, /ssl-mode 'VERIFY' is not a TLS mode/);
    return true;
  });
  const ok = parseConfig(cfg(`mysql://u:p@dst:3306/?ssl-mode=VERIFY_IDENTITY&ssl-ca=${encodeURIComponent(CA)}`), { format: 'json' });
  assert.deepEqual(ok.targets['t']?.connection.options, { 'ssl-mode': 'VERIFY_IDENTITY', 'ssl-ca': CA });
});

test('mysql2 options: host, port, user, password, database and ssl from the URL; no uri', () => {
  const plain = mysqlConnectionOptions('mysql://us%40er:p%3Aw@db.example:3307/app', { connectTimeout: 5000 });
  assert.deepEqual(plain, { maxPreparedStatements: 16, connectTimeout: 5000, host: 'db.example', port: 3307, user: 'us@er', password: 'p:w', database: 'app' });
  assert.equal('uri' in plain, false);

  const required = mysqlConnectionOptions('mysql://u:p@db/?ssl-mode=REQUIRED');
  assert.deepEqual(required.ssl, { rejectUnauthorized: false });

  const verifyCa = mysqlConnectionOptions(`mysql://u:p@db/?ssl-mode=VERIFY_CA&ssl-ca=${CA}&ssl-cert=${CERT}&ssl-key=${KEY}`);
  assert.equal(typeof verifyCa.ssl, 'object');
  const ssl = verifyCa.ssl as { rejectUnauthorized?: boolean; verifyIdentity?: boolean; ca?: string; cert?: string; key?: string };
  assert.equal(ssl.rejectUnauthorized, true);
  assert.equal(ssl.verifyIdentity, false);
  assert.match(ssl.ca ?? '', /BEGIN CERTIFICATE/, 'files are read into the options');
  assert.match(ssl.key ?? '', /BEGIN PRIVATE KEY/);
  assert.equal(verifyCa.stream, undefined);

  const identity = mysqlConnectionOptions(`mysql://u:p@db.example/?ssl-mode=VERIFY_IDENTITY&ssl-ca=${CA}`);
  assert.equal((identity.ssl as { verifyIdentity?: boolean }).verifyIdentity, true);
  assert.equal(identity.stream, undefined, 'a host name is checked by mysql2 and Node through the servername');
  const identityIp = mysqlConnectionOptions(`mysql://u:p@10.0.0.5/?ssl-mode=VERIFY_IDENTITY&ssl-ca=${CA}`);
  assert.equal(typeof identityIp.stream, 'function', 'an IP host gets a socket that names the IP for the identity check');

  const pool = mysqlConnectionOptions('mysql://u:p@db/', { connectionLimit: 4, dateStrings: true });
  assert.equal(pool.connectionLimit, 4);
});

test('unreadable or non-PEM ssl-* files are BAD_CONFIG naming the parameter', () => {
  assert.throws(() => mysqlConnectionOptions(`mysql://u:p@db/?ssl-mode=VERIFY_CA&ssl-ca=${join(dir, 'missing.pem')}`), (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'BAD_CONFIG');
    assert.match(err.message, /cannot read the ssl-ca file '.*missing\.pem' \(ENOENT\)/);
    assert.match(err.fix, /set ssl-ca in the URL to the path of a PEM file/);
    return true;
  });
  assert.throws(() => mysqlConnectionOptions(`mysql://u:p@db/?ssl-mode=REQUIRED&ssl-cert=${CERT}&ssl-key=${NOT_PEM}`), (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'BAD_CONFIG');
    assert.match(err.message, /the ssl-key file '.*ca\.der' is not a PEM file/);
    return true;
  });
  assert.throws(() => mysqlConnectionOptions({ host: 'db', port: 3306, user: 'u', password: '', options: { 'ssl-mode': 'MAYBE' } }),
    (err: unknown) => err instanceof SluiceError && err.code === 'BAD_CONFIG' && /ssl-mode 'MAYBE'/.test(err.message));
});

test('sluice serve endpoints take the TLS parameters in options (validated) or in the url', () => {
  const e = endpointInput('source', 'src', { host: 'db', user: 'u', options: { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': CA } }, null);
  assert.deepEqual(e.options, { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': CA });
  const fromUrl = endpointInput('target', 'dst', { url: `mysql://u:p@db:3306/?ssl-mode=REQUIRED` }, null);
  assert.deepEqual(fromUrl.options, { 'ssl-mode': 'REQUIRED' });
  assert.throws(() => endpointInput('source', 'src', { host: 'db', user: 'u', options: { 'ssl-mode': 'SOMETIMES' } }, null), (err: unknown) => {
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'BAD_CONFIG');
    assert.match(err.message, /'options': ssl-mode 'SOMETIMES' is not a TLS mode/);
    return true;
  });
  assert.throws(() => endpointInput('source', 'src', { host: 'db', user: 'u', options: { charset: 'utf8' } }, null),
    (err: unknown) => err instanceof HttpError && /unknown URL parameter 'charset'/.test(err.message));
});
