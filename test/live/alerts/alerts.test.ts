// Alerts of sluice serve end to end: two throwaway MariaDB servers, a local webhook receiver (which fails
// its first request, to prove the retry) and a local SMTP sink (with auth). A pipeline with `ddl: fail`
// fails → exactly one webhook message and one e-mail, then one "recovered" notice each when it is stopped;
// a slowed-down target makes the lag pass the threshold → one lag alert, then recovery when the target is
// fast again; a paused pipeline whose binlog becomes the oldest on the source → one purge alert, recovery
// after it resumes. No message repeats while an incident lasts; no secret appears in any message.
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { createLogger } from '../../../src/log.js';
import { startServe, type RunningServe } from '../../../src/cli/serve.js';
import { waitFor } from '../../helpers/wait-for.js';

const SOURCE_PW = 'Src-Alert-Pa55-q8v!';
const SMTP_USER = 'alerter';
const SMTP_PW = 'Smtp-Secret-Pa55-k3j';
const ADMIN_PW = 'Admin-Pa55word-long';
const HOOK_PATH = '/services/T000/B000/hook-secret-xyz';

interface Mail { subject: string; raw: string }

/** Unfold headers and decode RFC 2047 encoded words. */
function subjectOf(raw: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const m = /^Subject: (.*)$/im.exec(head);
  return (m?.[1] ?? '').replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_all, enc: string, text: string) => enc.toLowerCase() === 'b'
    ? Buffer.from(text, 'base64').toString('utf8')
    : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')).trim();
}

const eventually = waitFor;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('alerts (webhook + e-mail)', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let serve: RunningServe;
  let dataDir: string;
  let hook: Server;
  let smtp: SMTPServer;
  const hookTexts: string[] = [];
  let hookRequests = 0;
  const mails: Mail[] = [];
  let cookie = '';
  let csrf = '';

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string }> => {
    const headers: Record<string, string> = { cookie };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['x-csrf-token'] = csrf;
    const r = await fetch(serve.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    let parsed: Record<string, unknown> = {};
    try { parsed = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
    return { status: r.status, body: parsed, text };
  };
  const state = async (name: string): Promise<string> => ((await api('GET', `/api/pipelines/${name}/status`)).body['status'] as { state: string }).state;
  const hooksFor = (re: RegExp): string[] => hookTexts.filter((t) => re.test(t.split('\n')[0]!));
  const mailsFor = (re: RegExp): Mail[] => mails.filter((m) => re.test(m.subject));

  before(async () => {
    [source, target] = await Promise.all([
      startMariaDb({ serverId: 41, binlogRowMetadata: 'FULL' }),
      startMariaDb({ serverId: 42, binlogRowMetadata: 'FULL' }),
    ]);
    await source.query(`CREATE USER 'sync'@'%' IDENTIFIED BY '${SOURCE_PW}';
      GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR ON *.* TO 'sync'@'%';
      CREATE DATABASE shop;
      CREATE TABLE shop.strict_t (id INT PRIMARY KEY, v INT);
      CREATE TABLE shop.items (id INT PRIMARY KEY, v INT NOT NULL);
      CREATE TABLE shop.archive (id INT PRIMARY KEY, v INT);
      INSERT INTO shop.strict_t VALUES (1, 1), (2, 2);
      INSERT INTO shop.items SELECT seq, 0 FROM shop.seq_1_to_50;
      INSERT INTO shop.archive VALUES (1, 1);`);

    hook = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => { data += c.toString('utf8'); });
      req.on('end', () => {
        hookRequests++;
        if (hookRequests === 1) { res.writeHead(503).end('try later'); return; } // first delivery is retried
        try { hookTexts.push(String((JSON.parse(data) as { text: string }).text)); } catch { hookTexts.push(`<bad json> ${data}`); }
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const hookPort = (hook.address() as { port: number }).port;

    smtp = new SMTPServer({
      authOptional: false, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === SMTP_USER && auth.password === SMTP_PW) cb(null, { user: auth.username });
        else cb(new Error('bad credentials'));
      },
      onData(stream, _session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          mails.push({ subject: subjectOf(raw), raw });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    const smtpPort = (smtp.server.address() as { port: number }).port;

    dataDir = mkdtempSync(join(tmpdir(), 'sluice-alerts-'));
    serve = await startServe({
      dataDir, port: 0, host: '127.0.0.1', uiDir: null, logger: createLogger('sluice', 'warn'),
      env: {
        SLUICE_ADMIN_PASSWORD: ADMIN_PW,
        SLUICE_SMTP_URL: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PW)}@127.0.0.1:${smtpPort}`,
        SLUICE_ALERT_EMAIL_TO: 'ops@example.com, oncall@example.com',
      },
      sampleIntervalMs: 500, retry: { baseDelayMs: 200, maxDelayMs: 1000 },
      alerts: { flags: { webhook: `http://127.0.0.1:${hookPort}${HOOK_PATH}` }, intervalMs: 200, purgeCheckIntervalMs: 200, retry: { baseDelayMs: 100, maxDelayMs: 500 } },
    });
    const login = await fetch(`${serve.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PW }) });
    assert.equal(login.status, 200);
    cookie = /sluice_session=[^;]*/.exec(login.headers.get('set-cookie') ?? '')![0];
    csrf = String(((await login.json()) as { csrfToken: string }).csrfToken);
    assert.equal((await api('POST', '/api/sources', { name: 'shop', url: `mysql://sync:${encodeURIComponent(SOURCE_PW)}@127.0.0.1:${source.port}` })).status, 201);
    assert.equal((await api('POST', '/api/targets', { name: 'replica', url: target.url })).status, 201);
  });

  after(async () => {
    await serve?.close();
    await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    await Promise.all([source?.stop(), target?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('settings: env/flags in force, secrets redacted by the API and sealed at rest; PUT changes thresholds; test message', async () => {
    const g = await api('GET', '/api/alerts');
    assert.equal(g.status, 200, g.text);
    const a = g.body['alerts'] as { webhookUrl: string; smtp: { host: string; password: string; to: string[]; user: string } };
    assert.equal(a.webhookUrl, `http://127.0.0.1:${(hook.address() as { port: number }).port}/…`);
    assert.equal(a.smtp.password, '***');
    assert.equal(a.smtp.user, SMTP_USER);
    assert.deepEqual(a.smtp.to, ['ops@example.com', 'oncall@example.com']);
    assert.deepEqual(g.body['channels'], ['webhook', 'email']);
    assert.ok((g.body['setByEnvironment'] as string[]).includes('webhookUrl'));
    assert.ok(!g.text.includes(SMTP_PW) && !g.text.includes(HOOK_PATH));

    const bad = await api('PUT', '/api/alerts', { lagSeconds: -1 });
    assert.equal(bad.status, 400);
    assert.equal((await api('PUT', '/api/alerts', { nonsense: 1 })).status, 400);
    const put = await api('PUT', '/api/alerts', { lagSeconds: 1.5, lagForSeconds: 1, purgeWarnFiles: 0, smtp: { from: 'sluice@example.com', password: '***' } });
    assert.equal(put.status, 200, put.text);
    const now = put.body['alerts'] as { lagSeconds: number; lagForSeconds: number; purgeWarnFiles: number; smtp: { from: string; password: string } };
    assert.deepEqual([now.lagSeconds, now.lagForSeconds, now.purgeWarnFiles, now.smtp.from, now.smtp.password], [1.5, 1, 0, 'sluice@example.com', '***']);

    const t = await api('POST', '/api/alerts/test');
    assert.equal(t.status, 200, t.text);
    assert.equal(t.body['ok'], true, t.text);
    assert.equal(hooksFor(/Test alert/).length, 1);
    assert.equal(hookRequests, 2, 'the first (503) webhook request was retried');
    assert.equal(mailsFor(/Test alert/).length, 1);
    assert.match(mails[0]!.raw, /^To: ops@example\.com, oncall@example\.com/m);
    assert.match(mails[0]!.raw, /^From: sluice@example\.com/m);

    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(serve.store.db);
    for (const f of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, f));
      assert.equal(bytes.includes(Buffer.from(SOURCE_PW)), false, f);
    }
  });

  it('a failed pipeline: one webhook message and one e-mail, none repeated; one recovered notice when it ends', async () => {
    const c = await api('POST', '/api/pipelines', { name: 'p-strict', source: 'shop', target: 'replica', tables: ['shop.strict_t'], targetDatabase: 'strict_copy', ddl: 'fail', start: true });
    assert.equal(c.status, 201, c.text);
    await eventually('p-strict streaming', async () => (await state('p-strict')) === 'streaming');
    await source.query('ALTER TABLE shop.strict_t ADD COLUMN w INT');
    await eventually('p-strict failed', async () => (await state('p-strict')) === 'failed');
    await eventually('failure webhook', () => hooksFor(/FAILED: pipeline p-strict/).length === 1, 20_000);
    await eventually('failure e-mail', () => mailsFor(/FAILED: pipeline p-strict/).length === 1, 20_000);
    const incidents = (await api('GET', '/api/alerts/incidents')).body['incidents'] as Array<{ rule: string; pipeline: string }>;
    assert.ok(incidents.some((i) => i.rule === 'failed' && i.pipeline === 'p-strict'));
    assert.match(hooksFor(/FAILED: pipeline p-strict/)[0]!, /DDL_REJECTED/);
    await sleep(1500); // ~7 evaluations: still one message
    assert.equal(hooksFor(/FAILED: pipeline p-strict/).length, 1);
    assert.equal(mailsFor(/FAILED: pipeline p-strict/).length, 1);

    assert.equal((await api('POST', '/api/pipelines/p-strict/stop')).status, 200);
    await eventually('recovered webhook', () => hooksFor(/RECOVERED: pipeline p-strict - failed/).length === 1, 20_000);
    await eventually('recovered e-mail', () => mailsFor(/RECOVERED: pipeline p-strict - failed/).length === 1, 20_000);
    await sleep(1000);
    assert.equal(hooksFor(/p-strict/).length, 2);
    assert.equal(mailsFor(/p-strict/).length, 2);
  });

  it('lag above the threshold for the set time: one alert; recovered when the target keeps up again', async () => {
    const c = await api('POST', '/api/pipelines', { name: 'p-lag', source: 'shop', target: 'replica', tables: ['shop.items'], targetDatabase: 'lag_copy', tuning: { batchSize: 4 }, start: true });
    assert.equal(c.status, 201, c.text);
    await eventually('p-lag streaming', async () => (await state('p-lag')) === 'streaming');
    // A slow target: every written row (REPLACE) costs 0.2 s, the writer makes ~8 changes per second.
    await target.query('CREATE TRIGGER lag_copy.slow BEFORE INSERT ON lag_copy.items FOR EACH ROW SET @slept = SLEEP(0.2)');
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        await source.query(`UPDATE shop.items SET v = v + 1 WHERE id = ${1 + (n++ % 50)}`);
        await sleep(120);
      }
    })();
    try {
      await eventually('lag webhook', () => hooksFor(/LAG: pipeline p-lag/).length === 1, 60_000);
      await eventually('lag e-mail', () => mailsFor(/LAG: pipeline p-lag/).length === 1, 20_000);
      await sleep(1500);
      assert.equal(hooksFor(/LAG: pipeline p-lag/).length, 1, 'no repeat while the lag lasts');
      assert.equal(hooksFor(/RECOVERED: pipeline p-lag/).length, 0);
      await target.query('DROP TRIGGER lag_copy.slow');
      await eventually('lag recovered webhook', () => hooksFor(/RECOVERED: pipeline p-lag - lag/).length === 1, 90_000);
      await eventually('lag recovered e-mail', () => mailsFor(/RECOVERED: pipeline p-lag - lag/).length === 1, 20_000);
    } finally {
      writing = false;
      await writer;
    }
    await sleep(1000);
    assert.equal(hooksFor(/p-lag/).length, 2);
    assert.equal(mailsFor(/p-lag/).length, 2);
    // Done with it: the next pipeline of this source joins its shared binlog reader behind it, which restarts the
    // reader, and a lag threshold this low would see that pause as a new incident.
    assert.equal((await api('POST', '/api/pipelines/p-lag/stop')).status, 200);
  });

  it('binlog needed by a paused pipeline becomes the oldest on the source: one purge alert; recovered after it resumes', async () => {
    const c = await api('POST', '/api/pipelines', { name: 'p-archive', source: 'shop', target: 'replica', tables: ['shop.archive'], targetDatabase: 'archive_copy', start: true });
    assert.equal(c.status, 201, c.text);
    await eventually('p-archive streaming', async () => (await state('p-archive')) === 'streaming');
    await source.query('INSERT INTO shop.archive VALUES (2, 2)');
    const pos = await eventually('p-archive position', async () => {
      const st = (await api('GET', '/api/pipelines/p-archive/status')).body['status'] as { rowsApplied: number; position: { file: string } | null };
      return st.rowsApplied >= 1 && st.position ? st.position : null;
    });
    assert.equal((await api('POST', '/api/pipelines/p-archive/pause')).status, 200);
    await source.query('FLUSH BINARY LOGS');
    await source.query('FLUSH BINARY LOGS');
    await source.query(`PURGE BINARY LOGS TO '${pos.file}'`);
    await eventually('purge webhook', () => hooksFor(/BINLOG PURGE RISK: pipeline p-archive/).length === 1, 20_000);
    await eventually('purge e-mail', () => mailsFor(/BINLOG PURGE RISK: pipeline p-archive/).length === 1, 20_000);
    assert.match(hooksFor(/BINLOG PURGE RISK: pipeline p-archive/)[0]!, new RegExp(`needs ${pos.file.replace('.', '\\.')}, the oldest binlog`));
    await sleep(1000);
    assert.equal(hooksFor(/BINLOG PURGE RISK: pipeline p-archive/).length, 1);

    assert.equal((await api('POST', '/api/pipelines/p-archive/resume')).status, 200);
    await source.query('INSERT INTO shop.archive VALUES (3, 3)');
    await eventually('purge recovered', () => hooksFor(/RECOVERED: pipeline p-archive - binlog/).length === 1, 30_000);
    await eventually('purge recovered e-mail', () => mailsFor(/RECOVERED: pipeline p-archive - binlog/).length === 1, 20_000);
  });

  it('no storms and no secrets: each (kind, rule, pipeline) at most once per incident; no password or webhook URL in any message', async () => {
    await serve.alerts.engine.flush();
    const firstLines = hookTexts.map((t) => t.split('\n')[0]!);
    const counts = new Map<string, number>();
    for (const l of firstLines) counts.set(l.replace(/ is [0-9.]+ s behind.*/, ''), (counts.get(l.replace(/ is [0-9.]+ s behind.*/, '')) ?? 0) + 1);
    for (const [k, n] of counts) assert.equal(n, 1, `${k} sent ${n} times`);
    assert.equal(hookTexts.length, mails.length, `webhook: ${firstLines.join(' | ')}; mail: ${mails.map((m) => m.subject).join(' | ')}`);
    for (const text of [...hookTexts, ...mails.map((m) => m.raw)]) {
      for (const secret of [SOURCE_PW, SMTP_PW, HOOK_PATH, encodeURIComponent(SOURCE_PW)]) assert.ok(!text.includes(secret), `secret in: ${text.slice(0, 200)}`);
    }
    const notes = (await api('GET', '/api/alerts/incidents')).body['notifications'] as Array<{ kind: string; deliveries: Array<{ ok: boolean }> }>;
    assert.ok(notes.length >= 7);
    assert.ok(notes.every((x) => x.deliveries.every((d) => d.ok)));
  });
});
