// Two `sluice serve` nodes on a shared store, each owning one pipeline of the same source whose endpoint sets
// `serverId`: every node reads with its own server id (the configured one plus its reader slot), so the source
// keeps two binlog dump connections with distinct server ids — with one id, each would knock the other off — and
// both copies (a key-less insert-only table among them) end identical to the source. A node's reader slot is a
// `server-id:<n>` lease, released when the node stops.
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
import { tableRows } from '../sync-helpers.js';

const ENV = { SLUICE_SECRET_KEY: 'cluster-ids-test-key', SLUICE_ADMIN_PASSWORD: 'Cluster-Ids-Pw-1' };
const SERVER_ID = 7700;

describe('a cluster reads one source with a distinct server id per node', () => {
  let db: MariaDbServer;
  let storeUrl: string;
  let a: RunningServe | null = null;
  let child: ServeNode | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cluster-ids-'));

  before(async () => {
    db = await startMariaDb();
    await db.query('CREATE DATABASE shop');
    await db.query('CREATE DATABASE sluice_store');
    await db.query('CREATE TABLE shop.a (id INT PRIMARY KEY, v INT)');
    await db.query('CREATE TABLE shop.b (seq INT NOT NULL, note VARCHAR(20))'); // key-less, insert-only
    storeUrl = `mysql://root@127.0.0.1:${db.port}/sluice_store`;
    const store = await Store.open({ dataDir: dir, url: storeUrl, env: ENV });
    const ep = { type: 'mariadb' as const, host: '127.0.0.1', port: db.port, user: 'root', password: '', options: {} };
    await store.putEndpoint({ kind: 'source', name: 'src', ...ep, serverId: SERVER_ID });
    await store.putEndpoint({ kind: 'target', name: 'tgt', ...ep });
    for (const name of ['pa', 'pb']) {
      await store.putPipeline({ name, source: 'src', target: 'tgt', tables: ['shop.a', 'shop.b'], exclude: [], targetDatabase: `copy_${name}`, snapshot: 'initial', ddl: 'apply',
        tuning: { ...DEFAULT_TUNING, maxBatchDelayMs: 20 } }, 'running');
    }
    await store.close();
  });

  after(async () => {
    await child?.kill();
    await a?.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const replicas = async (): Promise<number[]> =>
    (await db.query<Array<Record<string, unknown>>>('SHOW SLAVE HOSTS')).map((r) => Number(r['Server_id'])).sort((x, y) => x - y);
  const dumps = async (): Promise<number> =>
    Number((await db.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'"))[0]!.n);
  let seq = 0;
  const write = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      seq++;
      await db.query('INSERT INTO shop.a VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)', [seq % 25, seq]);
      await db.query('INSERT INTO shop.b VALUES (?, ?)', [seq, `row ${seq}`]);
    }
  };
  const identical = async (): Promise<boolean> => {
    for (const copy of ['copy_pa', 'copy_pb']) {
      for (const t of ['a', 'b']) {
        const [x, y] = await Promise.all([tableRows(db, 'shop', t), tableRows(db, copy, t).catch(() => [] as string[])]);
        if (x.length !== y.length || x.some((r, i) => r !== y[i])) return false;
      }
    }
    return true;
  };

  it('keeps one dump connection per node, with distinct server ids, and both copies identical', async () => {
    await write(20);
    a = await startServe({ dataDir: dir, store: storeUrl, nodeId: 'node-a', port: 0, host: '127.0.0.1', uiDir: null, env: ENV,
      logger: createLogger('sluice', process.env.SLUICE_LOG_LEVEL ?? 'warn'), print: () => undefined, alerts: { flags: {} } });
    child = await startServeNode(storeUrl, 'node-b', ENV);
    await waitFor('one pipeline on each node', async () => {
      const o = Object.fromEntries((await a!.cluster!.view()).pipelines.map((p) => [p.pipeline, p.owner]));
      return o['pa'] && o['pb'] && o['pa'] !== o['pb'];
    }, 30_000);
    // A steady writer: two readers with one server id would drop each other's connection again and again.
    let writing = true;
    const writer = (async () => { while (writing) { await write(1); await new Promise((r) => setTimeout(r, 20)); } })();
    const stable = await waitFor('two dump connections with distinct server ids for 3 s', async () => {
      const first = await replicas();
      if (first.length !== 2 || (await dumps()) !== 2) return null;
      await new Promise((r) => setTimeout(r, 3000));
      const again = await replicas();
      return again.length === 2 && (await dumps()) === 2 && again.join() === first.join() ? again : null;
    }, 40_000, 500);
    writing = false;
    await writer;
    assert.deepEqual(stable, [SERVER_ID, SERVER_ID + 1], 'the configured serverId and the next one (reader slots 0 and 1)');
    await waitFor('both copies identical to the source', identical, 30_000);
    const dup = await db.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM (SELECT seq FROM copy_pb.b GROUP BY seq HAVING COUNT(*) > 1) d');
    assert.equal(Number(dup[0]!.n), 0, 'no row of the key-less table applied twice');
    const slots = await a.store.db.selectFrom('leases').select(['name', 'owner']).where('name', 'like', 'server-id:%').orderBy('name').execute();
    assert.deepEqual(slots.map((s) => s.name), ['server-id:0', 'server-id:1']);
    assert.deepEqual(slots.map((s) => s.owner).sort(), ['node-a', 'node-b']);
    console.log(`# server ids ${stable.join(', ')}; ${seq} transactions, both copies identical`);

    // node-a stops: its slot is released (node-b takes both pipelines and keeps its own id).
    await a.close();
    a = null;
    const s = await Store.open({ dataDir: dir, url: storeUrl, env: ENV });
    try {
      const released = await s.db.selectFrom('leases').select(['name', 'owner']).where('name', 'like', 'server-id:%').where('owner', '=', 'node-a').execute();
      assert.equal(released.length, 0, 'node-a released its reader slot');
    } finally {
      await s.close();
    }
  });
});
