// Verify over the REST API of `sluice serve`: POST /api/pipelines/NAME/verify starts a background run (202), GET
// returns the latest one (state, per-table results with differing keys and both sides' values), /metrics shows
// sluice_verify_rows_checked_total and sluice_verify_mismatched_rows; the last result per table is kept in the
// store and shown by GET after a restart of `sluice serve`; repair through the API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { createLogger } from '../../../src/log.js';
import { startServe, type RunningServe } from '../../../src/cli/serve.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('verify over the API', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let serve: RunningServe;
  let dataDir: string;
  let cookie = '';
  let csrf = '';
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string }> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (cookie) headers['cookie'] = cookie;
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    const r = await fetch(serve.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const m = /sluice_session=([^;]*)/.exec(r.headers.get('set-cookie') ?? '');
    if (m?.[1]) cookie = `sluice_session=${m[1]}`;
    const text = await r.text();
    let parsed: Record<string, unknown> = {};
    try { parsed = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
    return { status: r.status, body: parsed, text };
  };

  let configFile = '';
  const startServer = async (): Promise<void> => {
    serve = await startServe({ dataDir, configFile, port: 0, host: '127.0.0.1', uiDir: null, logger: createLogger('sluice', 'error'), env: {}, sampleIntervalMs: 500, print: () => undefined });
  };

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 81 }), startMariaDb({ serverId: 82 })]);
    await source.query("CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO shop.t SELECT seq, CONCAT('v', seq) FROM shop.seq_1_to_30;");
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-verify-api-'));
    configFile = join(dataDir, 'sluice.yaml');
    writeFileSync(configFile, `sources:\n  src:\n    type: mysql\n    url: ${source.url}\ntargets:\n  dst:\n    type: mysql\n    url: ${target.url}\n`
      + 'pipelines:\n  - name: p1\n    source: src\n    target: dst\n    tables: ["shop.*"]\n    targetDatabase: copy\n');
    await startServer();
    assert.equal((await call('POST', '/api/setup', { token: serve.setupToken, username: 'root', password: 'Admin-Pa55word-long' })).status, 200);
    const login = await call('POST', '/api/login', { username: 'root', password: 'Admin-Pa55word-long' });
    csrf = String(login.body['csrfToken']);
    await waitFor('streaming', async () => ((await call('GET', '/api/pipelines/p1/status')).body['status'] as { state?: string }).state === 'streaming');
  });
  after(async () => {
    await serve?.close();
    await Promise.all([source?.stop(), target?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('POST starts a background run, GET shows the differing row, /metrics counts it; repair over the API', async () => {
    assert.deepEqual((await call('GET', '/api/pipelines/p1/verify')).body, { verify: null, tables: [] });
    assert.equal((await call('POST', '/api/pipelines/p1/verify', { repair: 'yes' })).status, 400);
    assert.equal((await call('POST', '/api/pipelines/nope/verify', {})).status, 404);
    await target.query("UPDATE copy.t SET v = 'DRIFTED' WHERE id = 3");
    const started = await call('POST', '/api/pipelines/p1/verify', {});
    assert.equal(started.status, 202, started.text);
    const finished = async (): Promise<Record<string, unknown> | null> => {
      const v = (await call('GET', '/api/pipelines/p1/verify')).body['verify'] as Record<string, unknown>;
      return v['state'] === 'running' ? null : v;
    };
    let run = await waitFor('verify done', finished);
    assert.equal(run['state'], 'done', JSON.stringify(run['error']));
    const results = run['results'] as Array<{ table: string; rowsChecked: number; differences: unknown[] }>;
    assert.equal(results[0]!.table, 'shop.t');
    assert.equal(results[0]!.rowsChecked, 30);
    assert.deepEqual(results[0]!.differences, [{ kind: 'different', key: '3', columns: [{ column: 'v', source: "'v3'", target: "'DRIFTED'" }] }]);
    let metrics = await fetch(`${serve.url}/metrics`, { headers: { cookie } }).then((r) => r.text());
    assert.match(metrics, /sluice_verify_mismatched_rows\{pipeline="p1",table="shop.t"\} 1/);
    assert.match(metrics, /sluice_verify_rows_checked_total\{pipeline="p1",table="shop.t"\} 30/);

    // The last result per table survives a restart of sluice serve (the run itself is forgotten).
    const kept = (await call('GET', '/api/pipelines/p1/verify')).body['tables'] as Array<Record<string, unknown>>;
    assert.equal(kept.length, 1);
    assert.equal(kept[0]!['table'], 'shop.t');
    assert.equal(kept[0]!['repair'], false);
    await serve.close();
    await startServer();
    const afterRestart = (await call('GET', '/api/pipelines/p1/verify')).body;
    assert.equal(afterRestart['verify'], null);
    const tables = afterRestart['tables'] as Array<{ table: string; rowsChecked: number; mismatchedRows: number; differencesTotal: number; differences: unknown[]; repair: boolean; checkedAt: string }>;
    assert.deepEqual(tables, kept, 'GET shows the same last result per table after the restart');
    assert.equal(tables[0]!.rowsChecked, 30);
    assert.equal(tables[0]!.mismatchedRows, 1);
    assert.equal(tables[0]!.differencesTotal, 1);
    assert.deepEqual(tables[0]!.differences, [{ kind: 'different', key: '3', columns: [{ column: 'v', source: "'v3'", target: "'DRIFTED'" }] }]);
    assert.match(tables[0]!.checkedAt, /^\d{4}-\d\d-\d\dT/);
    assert.match(await fetch(`${serve.url}/metrics`, { headers: { cookie } }).then((r) => r.text()), /sluice_verify_mismatched_rows\{pipeline="p1",table="shop.t"\} 1/,
      'the gauge comes from the stored results: it survives the restart');
    await waitFor('streaming again', async () => ((await call('GET', '/api/pipelines/p1/status')).body['status'] as { state?: string }).state === 'streaming');

    assert.equal((await call('POST', '/api/pipelines/p1/verify', { repair: true, tables: 'shop.t' })).status, 202);
    run = await waitFor('repair done', finished);
    assert.equal((run['summary'] as { repaired_rows: number }).repaired_rows, 1);
    assert.equal((await target.query<Array<{ v: string }>>('SELECT v FROM copy.t WHERE id = 3'))[0]!.v, 'v3');
    metrics = await fetch(`${serve.url}/metrics`, { headers: { cookie } }).then((r) => r.text());
    assert.match(metrics, /sluice_verify_mismatched_rows\{pipeline="p1",table="shop.t"\} 0/);
    const repaired = (await call('GET', '/api/pipelines/p1/verify')).body['tables'] as Array<{ repair: boolean; repairedRows: number; recheckMismatchedRows: number }>;
    assert.equal(repaired[0]!.repair, true);
    assert.equal(repaired[0]!.repairedRows, 1);
    assert.equal(repaired[0]!.recheckMismatchedRows, 0);
  });
});
