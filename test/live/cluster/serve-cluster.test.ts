// Two `sluice serve` nodes on a shared store — in the throwaway MariaDB, then on the local PostgreSQL — one in this
// process, one a child process: they share the two pipelines one each (balanced by count); SIGKILL of the child → this node takes its pipeline over
// (new lease epoch, the target's checkpoint fences the dead owner) and a key-less insert-only table ends with
// every row exactly once; GET /api/cluster shows nodes, owners and epochs; closing hands the pipelines back.
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
import { postgresBackend, type StoreBackend } from '../../helpers/store-backends.js';

const ENV = { SLUICE_SECRET_KEY: 'cluster-test-key', SLUICE_ADMIN_PASSWORD: 'Cluster-Admin-Pw-1' };

for (const storeKind of ['mariadb', 'postgres'] as const) describe(`sluice serve as a cluster on a shared ${storeKind} store`, () => {
  let db: MariaDbServer;
  let storeUrl: string;
  const dirs: string[] = [];
  let a: RunningServe | null = null;
  let child: ServeNode | null = null;
  let pgStore: StoreBackend | null = null;
  const dir = (): string => { const d = mkdtempSync(join(tmpdir(), 'sluice-cluster-')); dirs.push(d); return d; };

  before(async () => {
    db = await startMariaDb();
    await db.query('CREATE DATABASE shop');
    await db.query('CREATE DATABASE sluice_store');
    await db.query('CREATE TABLE shop.a (id INT PRIMARY KEY, v INT)');
    await db.query('CREATE TABLE shop.b (seq INT NOT NULL, note VARCHAR(20))'); // key-less, insert-only
    storeUrl = `mysql://root@127.0.0.1:${db.port}/sluice_store`;
    if (storeKind === 'postgres') {
      pgStore = await postgresBackend();
      if (!pgStore) return;
      storeUrl = (await pgStore.fresh()).url!;
    }
    const store = await Store.open({ dataDir: dir(), url: storeUrl, env: ENV });
    const ep = { type: 'mariadb' as const, host: '127.0.0.1', port: db.port, user: 'root', password: '', options: {} };
    await store.putEndpoint({ kind: 'source', name: 'src', ...ep });
    await store.putEndpoint({ kind: 'target', name: 'tgt', ...ep });
    for (const [name, table] of [['pa', 'shop.a'], ['pb', 'shop.b']] as const) {
      await store.putPipeline({ name, source: 'src', target: 'tgt', tables: [table], exclude: [], targetDatabase: `copy_${name}`, snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING } }, 'running');
    }
    await store.close();
  });

  after(async () => {
    await child?.kill();
    await a?.close();
    await db?.stop();
    await pgStore?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const startChild = async (): Promise<void> => { child = await startServeNode(storeUrl, 'node-b', ENV); };

  it('balances, fails over after SIGKILL with nothing lost or doubled, and hands over on close', async (t) => {
    if (storeKind === 'postgres' && !pgStore) return t.skip('PostgreSQL not reachable');
    a = await startServe({ dataDir: dir(), store: storeUrl, nodeId: 'node-a', port: 0, host: '127.0.0.1', uiDir: null, env: ENV,
      logger: createLogger('sluice', 'warn'), print: () => undefined, alerts: { flags: {} } });
    await startChild();
    const view = async () => a!.cluster!.view();
    const owners = await waitFor('one pipeline on each node', async () => {
      const v = await view();
      const o = Object.fromEntries(v.pipelines.map((p) => [p.pipeline, p.owner]));
      return o['pa'] && o['pb'] && o['pa'] !== o['pb'] ? o : null;
    }, 30_000);
    // Every node's /metrics tells who runs what, and that no running pipeline is without an owner.
    await waitFor('owner metrics on node-a', async () => {
      const text = await (await fetch(`${a!.url}/metrics`)).text();
      return text.includes(`sluice_pipeline_owner{pipeline="pa",node="${owners['pa']}"} 1`)
        && text.includes(`sluice_pipeline_owner{pipeline="pb",node="${owners['pb']}"} 1`)
        && /\nsluice_pipelines_without_owner 0\n/.test(text);
    }, 10_000);
    const onB = owners['pa'] === 'node-b' ? 'pa' : 'pb';
    const epochBefore = (await view()).pipelines.find((p) => p.pipeline === onB)!.epoch;
    let seq = 0;
    const write = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        seq++;
        await db.query('INSERT INTO shop.a VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)', [seq, seq]);
        await db.query('INSERT INTO shop.b VALUES (?, ?)', [seq, `row ${seq}`]);
      }
    };
    await write(50);
    const copied = async (): Promise<boolean> => {
      const [[ca], [cb]] = [await db.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM copy_pa.a'), await db.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM copy_pb.b')];
      return Number(ca!.n) === seq && Number(cb!.n) === seq;
    };
    await waitFor('both copies caught up', copied, 60_000);

    // A steady writer while node-b dies.
    let writing = true;
    const writer = (async () => { while (writing) { await write(1); await new Promise((r) => setTimeout(r, 20)); } })();
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    void child!.kill();
    await waitFor('node-a owns both pipelines', async () => (await view()).pipelines.every((p) => p.owner === 'node-a'), 20_000, 100);
    const takeover = (Date.now() - killedAt) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    writing = false;
    await writer;
    await waitFor('both copies caught up after the takeover', copied, 30_000);
    const dup = await db.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM (SELECT seq FROM copy_pb.b GROUP BY seq HAVING COUNT(*) > 1) d');
    assert.equal(Number(dup[0]!.n), 0, 'no row of the key-less table applied twice');
    const after = (await view()).pipelines.find((p) => p.pipeline === onB)!;
    assert.ok(after.epoch > epochBefore, `the takeover raised the epoch (${epochBefore} → ${after.epoch})`);
    const nodes = (await view()).nodes;
    assert.ok(nodes.find((n) => n.id === 'node-a')!.live);
    assert.ok(takeover < 10, `takeover in ${takeover} s`);
    console.log(`# ${storeKind} store: takeover after SIGKILL: ${takeover.toFixed(1)} s; ${seq} rows, 0 lost, 0 duplicated`);

    // The pipelines' leases (the others are the nodes' reader slots, server-id:<n>).
    const state = await a.store.db.selectFrom('leases').selectAll().where('name', 'like', 'pipeline:%').execute();
    await a.close();
    const released = await (async () => {
      const s = await Store.open({ dataDir: dir(), url: storeUrl, env: ENV });
      try { return await s.db.selectFrom('leases').selectAll().where('name', 'like', 'pipeline:%').execute(); } finally { await s.close(); }
    })();
    assert.equal(state.length, 2);
    assert.ok(released.every((l) => l.owner === null), 'closing released every lease');
    a = null;

    // A target whose checkpoint carries a newer epoch than the lease (written outside the cluster, e.g. by
    // `sluice run`): the node raises the lease's epoch past it and the pipeline runs again.
    await db.query("UPDATE _sluice.checkpoints SET epoch = epoch + 10 WHERE pipeline = 'pa'");
    const [{ epoch: targetEpoch }] = await db.query<Array<{ epoch: number }>>("SELECT epoch FROM _sluice.checkpoints WHERE pipeline = 'pa'") as [{ epoch: number }];
    a = await startServe({ dataDir: dir(), store: storeUrl, nodeId: 'node-c', port: 0, host: '127.0.0.1', uiDir: null, env: ENV,
      logger: createLogger('sluice', 'error'), print: () => undefined, alerts: { flags: {} } });
    await write(20);
    await waitFor('caught up after the epoch raise', copied, 30_000);
    const pa = (await a.cluster!.view()).pipelines.find((p) => p.pipeline === 'pa')!;
    assert.ok(pa.epoch > Number(targetEpoch), `lease epoch ${pa.epoch} > target's ${targetEpoch}`);
  });
});
