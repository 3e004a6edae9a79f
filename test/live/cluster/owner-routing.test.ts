// Any node of a cluster shows a pipeline's live status and acts on it, whichever node runs it. Two `sluice serve`
// nodes on a store in a throwaway MariaDB: node-b (a child process) owns the pipeline; node-a (in this process) does
// not. On node-a: GET …/status and GET /api/pipelines show node-b's streaming state, position and owner; a
// re-snapshot and a resync asked on node-a are run by node-b, once each (one command row, one audit entry), and the
// target ends equal to the source, the key-less insert-only table with every row exactly once; with node-b gone
// and node-a draining, node-a shows the pipeline `unowned`, with the reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type RunningServe } from '../../../src/cli/serve.js';
import { DEFAULT_TUNING } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/index.js';
import { startMariaDb, startServeNode, type MariaDbServer, type ServeNode } from '../../../src/testkit/index.js';
import { waitFor } from '../../helpers/wait-for.js';

const ENV = { SLUICE_SECRET_KEY: 'owner-routing-key', SLUICE_ADMIN_PASSWORD: 'Owner-Routing-Pw-1' };

/** What this test reads of a status (typed here, loosely, so the test also runs against a server without `owner`). */
interface SeenStatus {
  state: string;
  position: { file: string; pos: number } | null;
  rowsApplied: number;
  resnapshotQueue: string[];
  owner?: { node: string | null; epoch: number | null; self: boolean; reportAgeMs: number | null; reason: string | null } | null;
}

describe('a cluster node that does not own a pipeline shows its owner\'s status and sends actions to it', () => {
  let db: MariaDbServer;
  let storeUrl: string;
  const dirs: string[] = [];
  let a: RunningServe | null = null;
  let b: ServeNode | null = null;
  let token = '';
  const dir = (): string => { const d = mkdtempSync(join(tmpdir(), 'sluice-owner-')); dirs.push(d); return d; };

  before(async () => {
    db = await startMariaDb();
    await db.query('CREATE DATABASE shop');
    await db.query('CREATE DATABASE sluice_store');
    await db.query('CREATE TABLE shop.a (id INT PRIMARY KEY, v VARCHAR(20))');
    await db.query('CREATE TABLE shop.log (seq INT NOT NULL, note VARCHAR(20))'); // key-less, insert-only: the exactly-once witness
    storeUrl = `mysql://root@127.0.0.1:${db.port}/sluice_store`;
    const store = await Store.open({ dataDir: dir(), url: storeUrl, env: ENV });
    const ep = { type: 'mariadb' as const, host: '127.0.0.1', port: db.port, user: 'root', password: '', options: {} };
    await store.putEndpoint({ kind: 'source', name: 'src', ...ep });
    await store.putEndpoint({ kind: 'target', name: 'tgt', ...ep });
    await store.putPipeline({ name: 'pa', source: 'src', target: 'tgt', tables: ['shop.a', 'shop.log'], exclude: [], targetDatabase: 'copy_pa', snapshot: 'initial', ddl: 'apply',
      tuning: { ...DEFAULT_TUNING } }, 'running');
    await store.close();
  });

  after(async () => {
    await b?.kill();
    await a?.close();
    await db?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ code: number; body: T }> => {
    const res = await fetch(`${a!.url}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { code: res.status, body: await res.json() as T };
  };
  const statusOnA = async (): Promise<SeenStatus> => (await api<{ status: SeenStatus }>('GET', '/api/pipelines/pa/status')).body.status;

  let seq = 0;
  const write = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      seq++;
      await db.query('INSERT INTO shop.a VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)', [seq % 40, `v${seq}`]);
      await db.query('INSERT INTO shop.log VALUES (?, ?)', [seq, `row ${seq}`]);
    }
  };
  const rows = async (sql: string): Promise<string> => JSON.stringify(await db.query(sql));
  const sameContent = async (): Promise<boolean> =>
    await rows('SELECT * FROM shop.a ORDER BY id') === await rows('SELECT * FROM copy_pa.a ORDER BY id')
    && await rows('SELECT * FROM shop.log ORDER BY seq, note') === await rows('SELECT * FROM copy_pa.log ORDER BY seq, note');

  it('status, owner, re-snapshot and resync through the non-owner; unowned when nobody can run it', async () => {
    // node-b first, alone: it takes the pipeline; node-a then joins and stays under its share (1 pipeline, 2 nodes).
    b = await startServeNode(storeUrl, 'node-b', ENV);
    const leases = await Store.open({ dataDir: dir(), url: storeUrl, env: ENV });
    try {
      await waitFor('node-b owns pa', async () => (await leases.db.selectFrom('leases').selectAll().where('name', '=', 'pipeline:pa').executeTakeFirst())?.owner === 'node-b', 30_000);
    } finally {
      await leases.close();
    }
    a = await startServe({ dataDir: dir(), store: storeUrl, nodeId: 'node-a', port: 0, host: '127.0.0.1', uiDir: null, env: ENV,
      logger: createLogger('sluice', 'warn'), print: () => undefined, alerts: { flags: {} } });
    token = (await a.store.createToken('admin', 'owner-routing', 'admin')).secret;
    await write(60);
    await waitFor('copy caught up', sameContent, 60_000);
    const epoch = (await a.cluster!.view()).pipelines.find((p) => p.pipeline === 'pa')!.epoch;

    // 1. node-a shows node-b's live status (rows written once it streams: applied by the stream, not the snapshot).
    await waitFor('node-a shows pa streaming', async () => (await statusOnA()).state === 'streaming', 30_000);
    await write(10);
    await waitFor('copy caught up with the streamed rows', sameContent, 60_000);
    const [[master]] = [await db.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS')];
    let last: SeenStatus | null = null;
    const seen = await waitFor('node-a shows node-b\'s streaming status', async () => {
      const s = last = await statusOnA();
      return s.state === 'streaming' && s.position !== null && s.rowsApplied > 0 ? s : null;
    }, 30_000).catch((err: unknown) => { throw new Error(`${String(err)}; last seen on node-a: ${JSON.stringify(last)}`); });
    assert.equal(seen.position!.file, master!.File, 'the owner\'s binlog position');
    assert.ok(seen.position!.pos > 4);
    assert.deepEqual({ node: seen.owner?.node, epoch: seen.owner?.epoch, self: seen.owner?.self }, { node: 'node-b', epoch, self: false });
    assert.ok(seen.owner!.reportAgeMs !== null && seen.owner!.reportAgeMs < 5000, `report age ${seen.owner!.reportAgeMs} ms`);
    const listed = (await api<{ pipelines: Array<{ name: string; state: string; status: SeenStatus }> }>('GET', '/api/pipelines')).body.pipelines.find((p) => p.name === 'pa')!;
    assert.equal(listed.state, 'streaming');
    assert.equal(listed.status.owner?.node, 'node-b');
    assert.equal((await api<{ pipeline: { state: string } }>('GET', '/api/pipelines/pa')).body.pipeline.state, 'streaming');

    // 2. Re-snapshot of a drifted table, asked on node-a, run by node-b.
    await db.query('DELETE FROM copy_pa.a WHERE id < 10');
    await db.query("UPDATE copy_pa.a SET v = 'drifted' WHERE id = 20");
    assert.equal(await sameContent(), false);
    const askedAt = Date.now();
    const resnap = await api<{ status: SeenStatus; command?: { id: number; state: string; claimedBy: string | null } }>('POST', '/api/pipelines/pa/tables/shop.a/resnapshot');
    console.log(`# re-snapshot asked on node-a, run by node-b: answered in ${Date.now() - askedAt} ms`);
    assert.equal(resnap.code, 200, JSON.stringify(resnap.body));
    assert.deepEqual([resnap.body.command?.state, resnap.body.command?.claimedBy], ['done', 'node-b']);
    await write(20);
    await waitFor('target equal to the source after the re-snapshot', sameContent, 60_000);

    // 3. Resync, asked on node-a, run by node-b: every table copied again; the witness still has each row once.
    const resyncAt = Date.now();
    const resync = await api<{ status: SeenStatus; command?: { id: number; state: string; claimedBy: string | null } }>('POST', '/api/pipelines/pa/resync');
    console.log(`# resync asked on node-a, run by node-b: answered in ${Date.now() - resyncAt} ms`);
    assert.equal(resync.code, 200, JSON.stringify(resync.body));
    assert.deepEqual([resync.body.command?.state, resync.body.command?.claimedBy], ['done', 'node-b']);
    await write(20);
    await waitFor('streaming again after the resync, seen from node-a', async () => (await statusOnA()).state === 'streaming', 60_000);
    await waitFor('target equal to the source after the resync', sameContent, 60_000);
    const dup = await db.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM (SELECT seq FROM copy_pa.log GROUP BY seq HAVING COUNT(*) > 1) d');
    assert.equal(Number(dup[0]!.n), 0, 'no row of the key-less table applied twice');

    // Each action ran exactly once, by the owner, and is in the audit log (the request on node-a, the run on node-b).
    const commands = await a.store.db.selectFrom('pipeline_commands').selectAll().orderBy('id').execute();
    assert.deepEqual(commands.map((c) => [c.action, c.state, c.requested_by, c.claimed_by, Number(c.claimed_epoch)]),
      [['resnapshot', 'done', 'node-a', 'node-b', epoch], ['resync', 'done', 'node-a', 'node-b', epoch]]);
    const audit = await a.store.listAudit(50);
    assert.deepEqual(audit.filter((e) => e.action === 'pipeline.command').map((e) => [e.details['action'], e.details['ranBy']]).reverse(),
      [['resnapshot', 'node-b'], ['resync', 'node-b']]);
    assert.deepEqual(audit.filter((e) => e.action === 'pipeline.resnapshot' || e.action === 'pipeline.resync').map((e) => e.details['via']), ['owner', 'owner']);
    assert.equal((await a.cluster!.view()).pipelines.find((p) => p.pipeline === 'pa')!.owner, 'node-b', 'node-b kept the pipeline throughout');

    // 4. node-a drains, node-b dies: nobody can run the pipeline, and node-a says so.
    await a.cluster!.setDraining('node-a', true);
    await b.kill();
    b = null;
    const lost = await waitFor('pa unowned on node-a', async () => { const s = await statusOnA(); return s.state === 'unowned' ? s : null; }, 20_000);
    assert.equal(lost.owner?.node, null);
    assert.match(lost.owner?.reason ?? '', /draining/);
    await a.cluster!.setDraining('node-a', false);
    await waitFor('node-a runs pa', async () => { const s = await statusOnA(); return s.state === 'streaming' && s.owner?.self === true; }, 30_000);
  });
});
