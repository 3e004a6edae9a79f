// Alerts from the --config file and across restarts of sluice serve, end to end: one throwaway MariaDB (source
// and target), a local webhook receiver, and a config file whose `alerts:` takes the webhook URL from ${ENV}.
// The config's fields are in force and read-only in the API (409 MANAGED_BY_CONFIG), the config export has
// the alerts section without the webhook URL. A pipeline with `ddl: fail` fails → one message; sluice serve
// restarts while it is failed (it is relaunched and fails again on the same DDL) → no second message; it
// restarts with `ddl: apply` in the file (the pipeline recovers) → one "recovered" message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { createLogger } from '../../../src/log.js';
import { startServe, type RunningServe } from '../../../src/cli/serve.js';
import { waitFor } from '../../helpers/wait-for.js';

const ADMIN_PW = 'Admin-Pa55word-long';
const HOOK_PATH = '/services/T000/B000/config-hook-secret';
const SETTLE_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const eventually = waitFor;

describe('alerts from the config file, across restarts', () => {
  let db: MariaDbServer;
  let hook: Server;
  let hookUrl = '';
  let dataDir: string;
  let configFile: string;
  let serve: RunningServe | null = null;
  const texts: string[] = [];
  let cookie = '';
  let csrf = '';

  const writeConfig = (ddl: 'fail' | 'apply'): void => writeFileSync(configFile, `
sources:
  shop: { type: mariadb, url: "\${SRC_URL}" }
targets:
  replica: { type: mariadb, url: "\${SRC_URL}" }
pipelines:
  - { name: p-cfg, source: shop, target: replica, tables: [shop.strict_t], targetDatabase: strict_copy, ddl: ${ddl} }
alerts:
  webhook: \${HOOK_URL}
  lagSeconds: 300
`);

  const start = async (): Promise<void> => {
    serve = await startServe({
      dataDir, configFile, port: 0, host: '127.0.0.1', uiDir: null, logger: createLogger('sluice', 'warn'),
      env: { SLUICE_ADMIN_PASSWORD: ADMIN_PW, SRC_URL: db.url, HOOK_URL: hookUrl, SLUICE_ALERT_PURGE_WARN_FILES: '0' },
      sampleIntervalMs: 500, retry: { baseDelayMs: 200, maxDelayMs: 1000 },
      alerts: { intervalMs: 200, purgeCheckIntervalMs: 200, retry: { baseDelayMs: 100, maxDelayMs: 500 }, restoredSettleMs: SETTLE_MS },
    });
    const login = await fetch(`${serve.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PW }) });
    assert.equal(login.status, 200);
    cookie = /sluice_session=[^;]*/.exec(login.headers.get('set-cookie') ?? '')![0];
    csrf = String(((await login.json()) as { csrfToken: string }).csrfToken);
  };
  const restart = async (): Promise<void> => {
    await serve?.close();
    serve = null;
    await start();
  };

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string }> => {
    const headers: Record<string, string> = { cookie };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['x-csrf-token'] = csrf;
    const r = await fetch(serve!.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    let parsed: Record<string, unknown> = {};
    try { parsed = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
    return { status: r.status, body: parsed, text };
  };
  const state = async (): Promise<string> => ((await api('GET', '/api/pipelines/p-cfg/status')).body['status'] as { state: string }).state;
  const count = (re: RegExp): number => texts.filter((t) => re.test(t.split('\n')[0]!)).length;

  before(async () => {
    db = await startMariaDb({ serverId: 51, binlogRowMetadata: 'FULL' });
    await db.query(`CREATE DATABASE shop;
      CREATE TABLE shop.strict_t (id INT PRIMARY KEY, v INT);
      INSERT INTO shop.strict_t VALUES (1, 1), (2, 2);`);
    hook = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => { data += c.toString('utf8'); });
      req.on('end', () => {
        try { texts.push(String((JSON.parse(data) as { text: string }).text)); } catch { texts.push(`<bad json> ${data}`); }
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}${HOOK_PATH}`;
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-alerts-config-'));
    configFile = join(dataDir, 'sluice.yaml');
    writeConfig('fail');
    await start();
  });

  after(async () => {
    await serve?.close();
    await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
    await db?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the config file\'s alerts are in force and read-only in the API; the export has them without the webhook URL', async () => {
    const g = await api('GET', '/api/alerts');
    assert.equal(g.status, 200, g.text);
    const a = g.body['alerts'] as { webhookUrl: string; lagSeconds: number; purgeWarnFiles: number };
    assert.equal(a.webhookUrl, `http://127.0.0.1:${(hook.address() as { port: number }).port}/…`);
    assert.deepEqual([a.lagSeconds, a.purgeWarnFiles], [300, 0]);
    assert.deepEqual(g.body['setByConfig'], ['webhookUrl', 'lagSeconds']);
    assert.deepEqual(g.body['setByEnvironment'], ['purgeWarnFiles']);
    assert.deepEqual(g.body['channels'], ['webhook']);
    assert.ok(!g.text.includes(HOOK_PATH));

    const fromFile = await api('PUT', '/api/alerts', { lagSeconds: 10 });
    assert.equal(fromFile.status, 409, fromFile.text);
    assert.equal((fromFile.body['error'] as { code: string }).code, 'MANAGED_BY_CONFIG');
    const hookChange = await api('PUT', '/api/alerts', { webhookUrl: 'https://example.com/other' });
    assert.equal(hookChange.status, 409, hookChange.text);
    const fromEnv = await api('PUT', '/api/alerts', { purgeWarnFiles: 3 });
    assert.equal(fromEnv.status, 409, fromEnv.text);
    assert.match((fromEnv.body['error'] as { message: string }).message, /environment/);
    const ok = await api('PUT', '/api/alerts', { webhookUrl: a.webhookUrl, lagSeconds: 300, lagForSeconds: 5 });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((ok.body['alerts'] as { lagForSeconds: number }).lagForSeconds, 5);

    const ex = await api('GET', '/api/config/export');
    assert.equal(ex.status, 200);
    assert.match(ex.text, /alerts:\n {2}webhook: \$\{SLUICE_ALERT_WEBHOOK\}\n {2}lagSeconds: 300\n {2}lagForSeconds: 5\n {2}purgeWarnFiles: 0\n/);
    assert.ok(!ex.text.includes(HOOK_PATH));
  });

  it('a failed pipeline: one message; a restart while it still fails sends none; a restart after the fix sends one "recovered"', async () => {
    await eventually('p-cfg streaming', async () => (await state()) === 'streaming');
    await db.query('ALTER TABLE shop.strict_t ADD COLUMN w INT');
    await eventually('p-cfg failed', async () => (await state()) === 'failed');
    await eventually('failure webhook', () => count(/FAILED: pipeline p-cfg/) === 1, 20_000);

    await restart(); // the pipeline is relaunched from its checkpoint and fails again on the same DDL
    const incidents = (await api('GET', '/api/alerts/incidents')).body as { incidents: Array<{ rule: string; pipeline: string }>; notifications: Array<{ kind: string; pipeline: string }> };
    assert.deepEqual(incidents.incidents.map((i) => `${i.rule}:${i.pipeline}`), ['failed:p-cfg'], 'restored from the store');
    assert.ok(incidents.notifications.some((n) => n.kind === 'firing' && n.pipeline === 'p-cfg'), 'the notifications from before the restart are listed');
    await eventually('p-cfg failed again', async () => (await state()) === 'failed');
    await sleep(SETTLE_MS + 1500);
    await serve!.alerts.engine.flush();
    assert.equal(count(/FAILED: pipeline p-cfg/), 1, texts.join(' | '));
    assert.equal(count(/RECOVERED/), 0, texts.join(' | '));

    writeConfig('apply');
    await restart(); // now the DDL is applied: the pipeline streams again
    await eventually('p-cfg streaming after the fix', async () => (await state()) === 'streaming');
    await eventually('recovered webhook', () => count(/RECOVERED: pipeline p-cfg - failed/) === 1, 20_000);
    await sleep(1000);
    await serve!.alerts.engine.flush();
    assert.equal(count(/FAILED: pipeline p-cfg/), 1);
    assert.equal(count(/RECOVERED: pipeline p-cfg/), 1);
    assert.equal(texts.length, 2, texts.join(' | '));
    assert.deepEqual((await api('GET', '/api/alerts/incidents')).body['incidents'], []);
    for (const t of texts) assert.ok(!t.includes(HOOK_PATH));
  });
});
