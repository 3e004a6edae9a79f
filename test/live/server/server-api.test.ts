// sluice serve end to end over real HTTP with two throwaway MariaDB servers: first-admin setup, login with
// cookie + CSRF, sources/targets (passwords sealed at rest, never returned), test connection, browsing,
// a pipeline that snapshots and streams, pause/resume, roles, API tokens, login rate limit, /metrics,
// the anonymous sweep over every route of /api/openapi.json, and the audit log.
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { createLogger } from '../../../src/log.js';
import { startServe, type RunningServe } from '../../../src/cli/serve.js';
import { targetTypes } from '../../../src/targets/registry.js';
import { waitFor } from '../../helpers/wait-for.js';

const SOURCE_PW = 'Src-Pa55word-9f3k!x';
const TARGET_PW = 'Tgt-Pa55word-7q2m#z';

interface Res { status: number; body: Record<string, unknown>; text: string; headers: Headers }

/** A tiny HTTP client that keeps the session cookie and sends the CSRF header. */
class Client {
  cookie = '';
  csrf = '';
  bearer = '';
  constructor(private readonly base: string) {}

  async call(method: string, path: string, body?: unknown, opts: { csrf?: boolean } = {}): Promise<Res> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers['cookie'] = this.cookie;
    if (this.bearer) headers['authorization'] = `Bearer ${this.bearer}`;
    if (this.csrf && opts.csrf !== false && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const r = await fetch(this.base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const setCookie = r.headers.get('set-cookie');
    if (setCookie) {
      const m = /sluice_session=([^;]*)/.exec(setCookie);
      if (m) this.cookie = m[1] ? `sluice_session=${m[1]}` : '';
    }
    const text = await r.text();
    let parsed: Record<string, unknown> = {};
    try { parsed = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
    return { status: r.status, body: parsed, text, headers: r.headers };
  }

  async login(username: string, password: string): Promise<Res> {
    const r = await this.call('POST', '/api/login', { username, password });
    if (r.status === 200) this.csrf = String(r.body['csrfToken']);
    return r;
  }
}

const eventually = waitFor;

describe('sluice serve API', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let serve: RunningServe;
  let dataDir: string;
  let admin: Client;
  const stderrLines: string[] = [];

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 11 }), startMariaDb({ serverId: 12 })]);
    await source.query(`CREATE USER 'sync'@'%' IDENTIFIED BY '${SOURCE_PW}'`);
    await source.query("GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR ON *.* TO 'sync'@'%'");
    await target.query(`CREATE USER 'app'@'%' IDENTIFIED BY '${TARGET_PW}'`);
    await target.query("GRANT ALL PRIVILEGES ON *.* TO 'app'@'%'");
    await source.query('CREATE DATABASE shop');
    await source.query('CREATE TABLE shop.product (id INT PRIMARY KEY, name VARCHAR(50), price DECIMAL(10,2))');
    await source.query('CREATE TABLE shop.category (id INT PRIMARY KEY, title VARCHAR(50))');
    const values = Array.from({ length: 500 }, (_, i) => `(${i + 1}, 'p${i + 1}', ${(i % 97) + 0.5})`).join(',');
    await source.query(`INSERT INTO shop.product VALUES ${values}`);
    await source.query("INSERT INTO shop.category VALUES (1, 'tools'), (2, 'toys')");
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-serve-'));
    serve = await startServe({
      dataDir, port: 0, host: '127.0.0.1', uiDir: null, logger: createLogger('sluice', 'warn'), env: {},
      sampleIntervalMs: 500, retry: { baseDelayMs: 200, maxDelayMs: 1000 }, print: (l) => stderrLines.push(l),
    });
    admin = new Client(serve.url);
  });

  after(async () => {
    await serve?.close();
    await Promise.all([source?.stop(), target?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('first start: one-time setup link, no default password; setup creates the admin once', async () => {
    assert.ok(serve.setupToken);
    assert.ok(stderrLines.some((l) => l.includes(`/setup?token=${serve.setupToken}`)));
    assert.equal((await admin.call('GET', '/api/setup')).body['needed'], true);
    assert.equal((await admin.login('admin', 'whatever-password')).status, 401);
    const bad = await admin.call('POST', '/api/setup', { token: 'wrong', username: 'root', password: 'long-enough-pw-1' });
    assert.equal(bad.status, 403);
    const ok = await admin.call('POST', '/api/setup', { token: serve.setupToken, username: 'root', password: 'Admin-Pa55word-long' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((ok.body['user'] as { role: string }).role, 'admin');
    const again = await new Client(serve.url).call('POST', '/api/setup', { token: serve.setupToken, username: 'evil', password: 'long-enough-pw-1' });
    assert.equal(again.status, 403);
    assert.equal((await admin.call('GET', '/api/setup')).body['needed'], false);
  });

  it('login sets an HttpOnly SameSite=Strict cookie; changes need the CSRF header', async () => {
    admin = new Client(serve.url);
    const r = await admin.login('root', 'Admin-Pa55word-long');
    assert.equal(r.status, 200);
    const sc = r.headers.get('set-cookie') ?? '';
    assert.match(sc, /HttpOnly/i);
    assert.match(sc, /SameSite=Strict/i);
    const me = await admin.call('GET', '/api/me');
    assert.equal(me.body['csrfToken'], admin.csrf);
    const noCsrf = await admin.call('POST', '/api/sources', { name: 'x', host: 'h', user: 'u' }, { csrf: false });
    assert.equal(noCsrf.status, 403);
    assert.equal((noCsrf.body['error'] as { code: string }).code, 'CSRF_FAILED');
  });

  it('sources and targets: created, password sealed at rest and never returned; test connection; browse', async () => {
    const s = await admin.call('POST', '/api/sources', { name: 'products', type: 'mariadb', host: '127.0.0.1', port: source.port, user: 'sync', password: SOURCE_PW });
    assert.equal(s.status, 201, s.text);
    const t = await admin.call('POST', '/api/targets', { name: 'orders', url: `mysql://app:${encodeURIComponent(TARGET_PW)}@127.0.0.1:${target.port}` });
    assert.equal(t.status, 201, t.text);
    for (const path of ['/api/sources', '/api/sources/products', '/api/targets', '/api/targets/orders', '/api/pipelines']) {
      const r = await admin.call('GET', path);
      assert.equal(r.status, 200);
      assert.ok(!r.text.includes(SOURCE_PW) && !r.text.includes(TARGET_PW), path);
    }
    const src = (await admin.call('GET', '/api/sources/products')).body['source'] as Record<string, unknown>;
    assert.equal(src['password'], '***');
    assert.equal(src['hasPassword'], true);
    // PUT without password keeps it.
    const put = await admin.call('PUT', '/api/sources/products', { type: 'mariadb', host: '127.0.0.1', port: source.port, user: 'sync', password: '***' });
    assert.equal(put.status, 200, put.text);
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(serve.store.db);
    for (const f of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, f));
      assert.equal(bytes.includes(Buffer.from(SOURCE_PW)), false, f);
      assert.equal(bytes.includes(Buffer.from(TARGET_PW)), false, f);
    }

    const test = await admin.call('POST', '/api/sources/products/test');
    assert.equal(test.status, 200, test.text);
    const results = test.body['results'] as Array<{ check: string; ok: boolean; warn: boolean; message: string; fix: string | null }>;
    assert.equal(test.body['ok'], true, test.text);
    assert.ok(results.some((r) => r.check === 'reachable' && r.ok));
    assert.ok(results.some((r) => r.check === 'binlog_format' && r.ok));
    const tt = await admin.call('POST', '/api/targets/orders/test');
    assert.equal(tt.body['ok'], true, tt.text);
    const wrong = await admin.call('POST', '/api/connections/test', { kind: 'source', host: '127.0.0.1', port: source.port, user: 'sync', password: 'nope-nope' });
    assert.equal(wrong.body['ok'], false);
    assert.ok((wrong.body['results'] as Array<{ fix: string | null }>)[0]!.fix);

    const dbs = await admin.call('GET', '/api/sources/products/databases');
    assert.deepEqual((dbs.body['databases'] as Array<{ name: string; tables: number }>).find((d) => d.name === 'shop'), { name: 'shop', tables: 2 });
    const tables = await admin.call('GET', '/api/sources/products/databases/shop/tables');
    const product = (tables.body['tables'] as Array<{ name: string; rows: number; hasPrimaryKey: boolean }>).find((x) => x.name === 'product');
    assert.equal(product?.rows, 500);
    assert.equal(product?.hasPrimaryKey, true);
    assert.equal((await admin.call('GET', '/api/sources/products/databases/nope/tables')).status, 404);
  });

  it('a pipeline snapshots and streams; status, history and /metrics follow; pause and resume', async () => {
    const bad = await admin.call('POST', '/api/pipelines', { name: 'p1', source: 'products', target: 'orders', tables: ['shop.*'], ddl: 'sometimes' });
    assert.equal(bad.status, 400);
    const c = await admin.call('POST', '/api/pipelines', { name: 'p1', source: 'products', target: 'orders', tables: ['shop.*'], targetDatabase: 'order_service', start: true });
    assert.equal(c.status, 201, c.text);
    await eventually('streaming', async () => {
      const st = (await admin.call('GET', '/api/pipelines/p1/status')).body['status'] as { state: string };
      return st.state === 'streaming';
    });
    const copied = await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM order_service.product');
    assert.equal(Number(copied[0]!.n), 500);
    await source.query("INSERT INTO shop.product VALUES (1001, 'new', 9.99)");
    await eventually('row streamed', async () => (await target.query<unknown[]>('SELECT 1 FROM order_service.product WHERE id = 1001')).length === 1);
    const st = (await admin.call('GET', '/api/pipelines/p1/status')).body['status'] as Record<string, unknown>;
    assert.equal(st['state'], 'streaming');
    assert.ok((st['rowsApplied'] as number) >= 1);
    assert.ok(st['position']);
    assert.equal((st['snapshot'] as { rowsCopied: number }).rowsCopied, 502);
    assert.equal(typeof st['lagSeconds'], 'number');

    const metrics = await fetch(`${serve.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /sluice_pipeline_lag_seconds\{pipeline="p1"\}/);
    assert.match(metrics, /sluice_pipeline_state\{pipeline="p1",state="streaming"\} 1/);
    assert.match(metrics, /sluice_rows_applied_total\{pipeline="p1",table="shop.product",op="insert"\} 1\n/);
    assert.doesNotMatch(metrics, /op="all"/);
    assert.match(metrics, /sluice_snapshot_rows_copied\{pipeline="p1",table="shop.product"\} 500\n/);
    await eventually('history samples', async () => {
      const h = await admin.call('GET', '/api/metrics/history?pipeline=p1&minutes=5');
      return ((h.body['series'] as Record<string, unknown[]>)['p1'] ?? []).length > 0;
    }, 10_000);

    const paused = await admin.call('POST', '/api/pipelines/p1/pause');
    assert.equal((paused.body['status'] as { state: string }).state, 'paused', paused.text);
    await source.query("INSERT INTO shop.product VALUES (1002, 'while paused', 1.00)");
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await target.query<unknown[]>('SELECT 1 FROM order_service.product WHERE id = 1002')).length, 0);
    assert.equal((await admin.call('POST', '/api/pipelines/p1/start', undefined)).status, 200);
    await admin.call('POST', '/api/pipelines/p1/pause');
    const resumed = await admin.call('POST', '/api/pipelines/p1/resume');
    assert.equal(resumed.status, 200, resumed.text);
    await eventually('row after resume', async () => (await target.query<unknown[]>('SELECT 1 FROM order_service.product WHERE id = 1002')).length === 1);
    assert.equal((await admin.call('POST', '/api/pipelines/p1/resume')).status, 409);
    // Re-snapshot one table: drift on the target is repaired by the new copy; the pipeline streams again.
    await target.query("UPDATE order_service.product SET name = 'drift' WHERE id <= 10");
    const rs = await admin.call('POST', '/api/pipelines/p1/tables/shop.product/resnapshot');
    assert.equal(rs.status, 200, rs.text);
    await eventually('re-snapshot done', async () => {
      const s = (await admin.call('GET', '/api/pipelines/p1/status')).body['status'] as { state: string; resnapshotQueue: string[] };
      return s.state === 'streaming' && s.resnapshotQueue.length === 0
        && (await target.query<unknown[]>("SELECT 1 FROM order_service.product WHERE name = 'drift'")).length === 0;
    });
    assert.equal((await admin.call('POST', '/api/pipelines/p1/tables/shop.nope/resnapshot')).status, 409);
    assert.equal((await admin.call('POST', '/api/pipelines/p1/tables/product/resnapshot')).status, 400);
    // Nothing failed, so there is nothing to skip.
    const skip = await admin.call('POST', '/api/pipelines/p1/skip');
    assert.equal(skip.status, 409, skip.text);
    assert.match(skip.text, /skip/);
    assert.ok((await admin.call('GET', '/api/audit')).text.includes('pipeline.resnapshot'));
    assert.equal((await admin.call('DELETE', '/api/sources/products')).status, 409);
  });

  it('roles: operator runs pipelines but cannot manage users or secrets; viewer is read-only', async () => {
    for (const [username, role] of [['olga', 'operator'], ['victor', 'viewer']] as const) {
      const r = await admin.call('POST', '/api/users', { username, password: `${username}-Pa55word!`, role });
      assert.equal(r.status, 201, r.text);
    }
    const op = new Client(serve.url);
    assert.equal((await op.login('olga', 'olga-Pa55word!')).status, 200);
    assert.equal((await op.call('POST', '/api/pipelines/p1/stop')).status, 200);
    assert.equal((await op.call('POST', '/api/pipelines/p1/start')).status, 200);
    assert.equal((await op.call('GET', '/api/users')).status, 403);
    assert.equal((await op.call('POST', '/api/users', { username: 'x', password: 'x-Pa55word!!', role: 'admin' })).status, 403);
    assert.equal((await op.call('POST', '/api/sources', { name: 's2', host: 'h', user: 'u' })).status, 403);
    assert.equal((await op.call('GET', '/api/config/export')).status, 403);

    const viewer = new Client(serve.url);
    assert.equal((await viewer.login('victor', 'victor-Pa55word!')).status, 200);
    assert.equal((await viewer.call('GET', '/api/pipelines')).status, 200);
    assert.equal((await viewer.call('GET', '/api/pipelines/p1/status')).status, 200);
    for (const [m, p] of [['POST', '/api/pipelines/p1/stop'], ['POST', '/api/pipelines/p1/pause'], ['DELETE', '/api/pipelines/p1'],
      ['POST', '/api/sources/products/test'], ['PUT', '/api/targets/orders'], ['GET', '/api/audit'], ['GET', '/api/users'],
      ['POST', '/api/pipelines/p1/skip'], ['POST', '/api/pipelines/p1/resync'], ['POST', '/api/pipelines/p1/tables/shop.product/resnapshot']] as const) {
      const r = await viewer.call(m, p, m === 'GET' ? undefined : {});
      assert.equal(r.status, 403, `${m} ${p}: ${r.text}`);
    }
  });

  it('API tokens work with Bearer (no CSRF), are stored hashed, and can be revoked', async () => {
    const r = await admin.call('POST', '/api/tokens', { name: 'ci', role: 'operator' });
    assert.equal(r.status, 201, r.text);
    const secret = String(r.body['secret']);
    const id = (r.body['token'] as { id: string }).id;
    const bot = new Client(serve.url);
    bot.bearer = secret;
    assert.equal((await bot.call('GET', '/api/pipelines')).status, 200);
    assert.equal((await bot.call('POST', '/api/pipelines/p1/retry')).status, 200);
    assert.equal((await bot.call('GET', '/api/users')).status, 403);
    assert.ok(!JSON.stringify(await serve.store.db.selectFrom('api_tokens').selectAll().execute()).includes(secret));
    assert.ok(!(await admin.call('GET', '/api/tokens')).text.includes(secret));
    assert.equal((await admin.call('DELETE', `/api/tokens/${id}`)).status, 200);
    assert.equal((await bot.call('GET', '/api/pipelines')).status, 401);
  });

  it('login is rate-limited: 5 failures per minute per IP and user → 429', async () => {
    const c = new Client(serve.url);
    for (let i = 0; i < 5; i++) assert.equal((await c.login('victor', 'wrong-password')).status, 401);
    const r = await c.login('victor', 'victor-Pa55word!');
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    assert.equal((r.body['error'] as { code: string }).code, 'RATE_LIMITED');
  });

  it('anonymous sweep: every route of /api/openapi.json refuses anonymous requests except the open ones', async () => {
    const doc = await fetch(`${serve.url}/api/openapi.json`).then((r) => r.json()) as { paths: Record<string, Record<string, unknown>> };
    const open = new Set(['GET /healthz', 'GET /readyz', 'GET /api/openapi.json', 'POST /api/login', 'GET /api/setup', 'POST /api/setup', 'GET /metrics']);
    let checked = 0;
    const anon = new Client(serve.url);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const key = `${method.toUpperCase()} ${path}`;
        const concrete = path.replace(/\{[^}]+\}/g, 'x');
        const r = await anon.call(method.toUpperCase(), concrete, method === 'get' ? undefined : {});
        if (open.has(key)) {
          assert.notEqual(r.status, 401, key);
          if (key === 'POST /api/setup') assert.equal(r.status, 403, 'setup is closed once an admin exists');
        } else {
          assert.equal(r.status, 401, `${key} → ${r.status} ${r.text}`);
          assert.equal((r.body['error'] as { code: string }).code, 'UNAUTHORIZED');
        }
        checked++;
      }
    }
    assert.ok(checked >= 45, `only ${checked} routes in openapi`);
    // Every route registered by the server is in the document.
    for (const def of serve.server.routes) {
      const p = def.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      assert.ok(doc.paths[p]?.[def.method.toLowerCase()], `${def.method} ${def.path} missing from openapi`);
    }
    // Target kinds come from the targets registry: the request body's type (one choice per kind, with the
    // aliases it accepts) and GET /api/target-kinds.
    type TypeDoc = { oneOf?: Array<{ title: string; enum: string[] }> };
    type BodyDoc = { requestBody?: { content: Record<string, { schema: { properties: Record<string, TypeDoc> } }> } };
    const post = (doc.paths['/api/targets'] as Record<string, BodyDoc>)['post']!;
    const typeDoc = post.requestBody!.content['application/json']!.schema.properties['type']!;
    assert.deepEqual(typeDoc.oneOf!.map((k) => [k.title, k.enum]), [['MySQL / MariaDB', ['mysql', 'mariadb']], ['PostgreSQL', ['postgres', 'postgresql']]]);
    assert.deepEqual(typeDoc.oneOf!.flatMap((k) => k.enum), targetTypes());
    const kinds = await admin.call('GET', '/api/target-kinds');
    assert.equal(kinds.status, 200);
    const list = kinds.body['kinds'] as Array<{ types: string[]; defaultPort: number; fields: Array<{ name: string }> }>;
    assert.deepEqual(list.flatMap((k) => k.types), targetTypes());
    assert.equal(list[0]!.defaultPort, 3306);
    assert.ok(list[0]!.fields.some((f) => f.name === 'checkpointDatabase'));
    assert.equal((await fetch(`${serve.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${serve.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${serve.url}/`)).status, 200);
  });

  it('audit log records the changes; config export has no passwords', async () => {
    const r = await admin.call('GET', '/api/audit?limit=500');
    const actions = new Set((r.body['entries'] as Array<{ action: string }>).map((e) => e.action));
    for (const a of ['setup', 'login', 'login.failed', 'source.create', 'source.update', 'target.create', 'source.test', 'pipeline.create',
      'pipeline.start', 'pipeline.pause', 'pipeline.resume', 'pipeline.stop', 'pipeline.retry', 'user.create', 'token.create', 'token.delete']) {
      assert.ok(actions.has(a), `audit has ${a}`);
    }
    assert.ok(!r.text.includes(SOURCE_PW) && !r.text.includes(TARGET_PW));
    const exp = await admin.call('GET', '/api/config/export');
    assert.equal(exp.status, 200);
    assert.ok(!exp.text.includes(SOURCE_PW) && !exp.text.includes(TARGET_PW));
    assert.match(exp.text, /\$\{SLUICE_SOURCE_PRODUCTS_PASSWORD\}/);
    assert.equal((await admin.call('POST', '/api/logout')).status, 200);
    assert.equal((await admin.call('GET', '/api/me')).status, 401);
  });
});
