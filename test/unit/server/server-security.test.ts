// The control plane's HTTP surface under attack, in process (no database servers): password changes rate-limited,
// audited and closed to tokens; the login limit not bypassed by X-Forwarded-For; security headers; connection tests
// that cannot probe local files; the password rule; host names; absolute session lifetime; the secret key from a file
// outside the data directory; one error body shape for 4xx raised by fastify and Node.js.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type RunningServe } from '../../../src/cli/serve.js';
import { createLogger } from '../../../src/log.js';
import { passwordProblem } from '../../../src/server/password-policy.js';
import { Store, SESSION_MAX_MS } from '../../../src/store/store.js';

const ADMIN_PW = 'Admin-Security-Pa55phrase';

interface Res { status: number; body: Record<string, unknown>; text: string; headers: Headers }

class Client {
  cookie = '';
  csrf = '';
  bearer = '';
  constructor(private readonly base: string, private readonly extra: Record<string, string> = {}) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
    const h: Record<string, string> = { ...this.extra, ...headers };
    if (body !== undefined) h['content-type'] ??= 'application/json';
    if (this.cookie) h['cookie'] = this.cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    if (this.bearer) h['authorization'] = `Bearer ${this.bearer}`;
    const r = await fetch(this.base + path, { method, headers: h, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const m = /sluice_session=([^;]*)/.exec(r.headers.get('set-cookie') ?? '');
    if (m?.[1]) this.cookie = `sluice_session=${m[1]}`;
    const text = await r.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed, text, headers: r.headers };
  }

  async login(username: string, password: string): Promise<Res> {
    const r = await this.call('POST', '/api/login', { username, password });
    if (r.status === 200) this.csrf = String(r.body['csrfToken']);
    return r;
  }
}

const code = (r: Res): string | undefined => (r.body['error'] as { code?: string } | undefined)?.code;

/** The one error shape: { error: { code, message, fix } } and nothing else. */
function assertErrorShape(r: Res, status: number, errorCode: string): void {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(Object.keys(r.body), ['error'], r.text);
  const e = r.body['error'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(e).sort(), ['code', 'fix', 'message'], r.text);
  assert.equal(e['code'], errorCode, r.text);
  assert.equal(typeof e['message'], 'string');
}

describe('control plane security', { timeout: 120_000 }, () => {
  let dir: string;
  let serve: RunningServe;
  let admin: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-security-'));
    serve = await startServe({
      dataDir: join(dir, 'data'), port: 0, host: '127.0.0.1', uiDir: null, trustProxy: '127.0.0.1',
      logger: createLogger('sluice', 'silent'), env: { SLUICE_ADMIN_PASSWORD: ADMIN_PW, SLUICE_SECRET_KEY_FILE: join(dir, 'keys', 'sluice.key') },
      print: () => undefined,
    });
    admin = new Client(serve.url, { 'x-forwarded-for': '198.51.100.1' });
    assert.equal((await admin.login('admin', ADMIN_PW)).status, 200);
    assert.equal((await admin.call('POST', '/api/users', { username: 'olga', password: 'olga-Security-Pa55', role: 'operator' })).status, 201);
  });

  after(async () => {
    await serve?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('PUT /api/me/password: a token cannot change its owner\'s password; wrong guesses are audited and rate-limited', async () => {
    const t = await admin.call('POST', '/api/tokens', { name: 'read-only' });
    assert.equal(t.status, 201, t.text);
    const token = new Client(serve.url);
    token.bearer = String(t.body['secret']);
    const byToken = await token.call('PUT', '/api/me/password', { currentPassword: ADMIN_PW, newPassword: 'another-Long-pa55phrase' });
    assert.equal(byToken.status, 403, byToken.text);
    assert.equal(code(byToken), 'FORBIDDEN');

    const olga = new Client(serve.url, { 'x-forwarded-for': '203.0.113.7' });
    assert.equal((await olga.login('olga', 'olga-Security-Pa55')).status, 200);
    for (let i = 0; i < 5; i++) {
      const r = await olga.call('PUT', '/api/me/password', { currentPassword: `guess-number-${i}`, newPassword: 'another-Long-pa55phrase' });
      assert.equal(r.status, 403, r.text);
    }
    const limited = await olga.call('PUT', '/api/me/password', { currentPassword: 'olga-Security-Pa55', newPassword: 'another-Long-pa55phrase' });
    assert.equal(limited.status, 429, limited.text);
    assert.equal(code(limited), 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    const audit = await admin.call('GET', '/api/audit?limit=50');
    const failed = (audit.body['entries'] as Array<{ action: string; actor: string; ip: string }>).filter((e) => e.action === 'password.change.failed');
    assert.ok(failed.length >= 5, `failed password changes audited: ${audit.text}`);
    assert.equal(failed[0]!.actor, 'olga');
    assert.equal(failed[0]!.ip, '203.0.113.7');
  });

  it('login limit: a changing X-Forwarded-For neither bypasses it nor fakes the audited address; per account too', async () => {
    // The proxy (127.0.0.1, trusted) appends the real client; a client-sent first hop is not believed.
    for (let i = 0; i < 5; i++) {
      const c = new Client(serve.url, { 'x-forwarded-for': `10.9.9.${i}, 192.0.2.50` });
      assert.equal((await c.login('victim', 'wrong-password')).status, 401);
    }
    const again = await new Client(serve.url, { 'x-forwarded-for': '10.9.9.99, 192.0.2.50' }).login('victim', 'wrong-password');
    assert.equal(again.status, 429, 'the right-most untrusted hop is the client: still limited');
    const audit = await admin.call('GET', '/api/audit?limit=20');
    const ips = (audit.body['entries'] as Array<{ action: string; target: string; ip: string }>).filter((e) => e.target === 'victim').map((e) => e.ip);
    assert.ok(ips.length > 0 && ips.every((ip) => ip === '192.0.2.50'), `audited address is the proxy-appended one: ${ips.join(', ')}`);
    // From ever-new addresses, one account still locks after 20 failures (bounded, with retry-after) …
    let status = 0;
    for (let i = 0; i < 21 && status !== 429; i++) {
      status = (await new Client(serve.url, { 'x-forwarded-for': `192.0.2.${100 + i}` }).login('mallory-target', 'wrong-password')).status;
    }
    assert.equal(status, 429, 'per-account limit');
    // … while other users behind the same address still sign in.
    assert.equal((await new Client(serve.url, { 'x-forwarded-for': '192.0.2.50' }).login('admin', ADMIN_PW)).status, 200);
  });

  it('sends security headers: CSP, frame-ancestors / X-Frame-Options, nosniff, Referrer-Policy', async () => {
    for (const path of ['/', '/api/setup']) {
      const r = await fetch(serve.url + path);
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, `${path}: no inline or eval scripts`);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /object-src 'none'/, path);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', path);
    }
  });

  it('connection tests: admin only; ssl-* paths outside the TLS directory are refused alike whether the file exists or not', async () => {
    const olga = new Client(serve.url);
    assert.equal((await olga.login('olga', 'olga-Security-Pa55')).status, 200);
    const scan = await olga.call('POST', '/api/connections/test', { kind: 'source', host: '127.0.0.1', port: 22, user: 'x' });
    assert.equal(scan.status, 403, 'operators cannot point the server at arbitrary ports');
    const probe = async (path: string): Promise<Res> => admin.call('POST', '/api/connections/test',
      { kind: 'source', host: '127.0.0.1', port: 9, user: 'x', options: { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': path } });
    const exists = await probe('/etc/passwd');
    const missing = await probe('/etc/no-such-file-here');
    assertErrorShape(exists, 400, 'BAD_CONFIG');
    assert.equal(exists.text, missing.text, 'the same answer whether the file exists or not');
    assert.doesNotMatch(exists.text, /ENOENT|EACCES|not a PEM/);
    // A symbolic link inside the TLS directory that points outside is refused too.
    const tlsDir = join(dir, 'data', 'tls');
    mkdirSync(tlsDir, { recursive: true });
    symlinkSync('/etc/passwd', join(tlsDir, 'link.pem'));
    assert.equal((await probe(join(tlsDir, 'link.pem'))).text, exists.text);
    const saved = await admin.call('POST', '/api/sources', { name: 'probe', host: 'db.example', user: 'x', options: { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': '/etc/passwd' } });
    assertErrorShape(saved, 400, 'BAD_CONFIG');
    // An uploaded PEM is kept in the TLS directory and named there.
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const up = await admin.call('POST', '/api/sources', { name: 'uploaded', host: 'db.example', user: 'x', options: { 'ssl-mode': 'VERIFY_CA' }, tlsFiles: { 'ssl-ca': pem } });
    assert.equal(up.status, 201, up.text);
    const caPath = ((up.body['source'] as { options: Record<string, string> }).options)['ssl-ca']!;
    assert.ok(caPath.startsWith(tlsDir), caPath);
    assert.equal(readFileSync(caPath, 'utf8'), pem);
  });

  it('refuses common, repetitive and keyboard-row passwords', async () => {
    for (const pw of ['aaaaaaaaaa', 'Password123!', 'qwertyuiop', '1234567890', 'abababababab', 'letmein2024', 'iloveyou!!']) {
      assert.ok(passwordProblem(pw), `${pw} refused`);
      const r = await admin.call('POST', '/api/users', { username: `u${Math.random().toString(36).slice(2, 8)}`, password: pw, role: 'viewer' });
      assertErrorShape(r, 400, 'BAD_REQUEST');
    }
    for (const pw of ['correct-horse-battery', 'olga-Pa55word!', 'Tgt-Pa55word-7q2m#z']) assert.equal(passwordProblem(pw), null, pw);
  });

  it('host fields accept host names and IP addresses only', async () => {
    for (const host of ['<script>alert(1)</script>', 'db example', 'db/../x', 'a'.repeat(300), '-db']) {
      const r = await admin.call('POST', '/api/targets', { name: 'bad-host', host, user: 'x' });
      assertErrorShape(r, 400, 'BAD_REQUEST');
    }
    for (const [i, host] of ['db.example.com', '10.0.0.6', '::1', '[fe80::1]', 'mysql_primary'].entries()) {
      const r = await admin.call('POST', '/api/targets', { name: `ok-host-${i}`, host, user: 'x' });
      assert.equal(r.status, 201, `${host}: ${r.text}`);
    }
  });

  it('a session ends after its absolute lifetime even while in use; expired tokens are refused', async () => {
    const c = new Client(serve.url);
    assert.equal((await c.login('olga', 'olga-Security-Pa55')).status, 200);
    assert.equal((await c.call('GET', '/api/me')).status, 200);
    await serve.store.db.updateTable('sessions').set({ created_at: Date.now() - SESSION_MAX_MS - 1000, last_seen: Date.now() }).where('username', '=', 'olga').execute();
    assert.equal((await c.call('GET', '/api/me')).status, 401);
    const t = await admin.call('POST', '/api/tokens', { name: 'short', expiresInDays: 1 });
    assert.equal(t.status, 201, t.text);
    const tok = t.body['token'] as { id: string; role: string; expiresAt: string };
    assert.equal(tok.role, 'viewer', 'tokens default to the least role');
    assert.ok(Date.parse(tok.expiresAt) > Date.now());
    const bot = new Client(serve.url);
    bot.bearer = String(t.body['secret']);
    assert.equal((await bot.call('GET', '/api/pipelines')).status, 200);
    await serve.store.db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', tok.id).execute();
    assert.equal((await bot.call('GET', '/api/pipelines')).status, 401);
  });

  it('the secret key can live outside the data directory (SLUICE_SECRET_KEY_FILE)', async () => {
    assert.ok(existsSync(join(dir, 'keys', 'sluice.key')), 'key file created where the variable points');
    assert.ok(!existsSync(join(dir, 'data', 'secret.key')), 'no key next to the database');
    // The store opened with the same key reads the sealed passwords; another data dir with that key too.
    const other = join(dir, 'copy');
    mkdirSync(other);
    const keyFile = join(dir, 'keys', 'copy.key');
    writeFileSync(keyFile, readFileSync(join(dir, 'keys', 'sluice.key')));
    const store = await Store.open({ dataDir: other, env: { SLUICE_SECRET_KEY_FILE: keyFile } });
    await store.putEndpoint({ kind: 'source', name: 's', type: 'mysql', host: 'h', port: 3306, user: 'u', password: 'pw-1', options: {} });
    assert.equal((await store.getEndpoint('source', 's'))?.password, 'pw-1');
    await store.close();
    assert.ok(!existsSync(join(other, 'secret.key')));
  });

  it('every error has one body shape: 404, 413, 415, bad JSON, bad URL, 431', async () => {
    assertErrorShape(await admin.call('GET', '/api/nope'), 404, 'NOT_FOUND');
    assertErrorShape(await admin.call('POST', '/api/users', JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) })), 413, 'PAYLOAD_TOO_LARGE');
    assertErrorShape(await admin.call('POST', '/api/users', 'username=x', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertErrorShape(await admin.call('POST', '/api/users', '{"username":', { 'content-type': 'application/json' }), 400, 'BAD_REQUEST');
    assertErrorShape(await admin.call('GET', '/api/sources/%E0%A4%A'), 400, 'BAD_REQUEST');
    // Headers beyond Node's limit: answered by Node.js before fastify routes anything.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(serve.port, '127.0.0.1', () => {
        sock.write(`GET /api/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
      });
      let out = '';
      sock.on('data', (d) => { out += d.toString(); });
      sock.on('close', () => resolve(out));
      sock.on('error', (e) => (out ? resolve(out) : reject(e)));
    });
    assert.match(raw, /^HTTP\/1\.1 431 /);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    assertErrorShape({ status: 431, body, text: JSON.stringify(body), headers: new Headers() }, 431, 'HEADERS_TOO_LARGE');
  });
});
