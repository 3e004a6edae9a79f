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
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/index.js';
import { startMariaDb, startServeNode, type MariaDbServer, type ServeNode } from '../../../src/testkit/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { copiesIdentical, dumpConnections, duplicatedRows, seedShop, writeShop } from '../serve-helpers.js';

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
    await db.query('CREATE DATABASE sluice_store');
    storeUrl = `mysql://root@127.0.0.1:${db.port}/sluice_store`;
    const store = await Store.open({ dataDir: dir, url: storeUrl, env: ENV });
    try { await seedShop(db, store, ['pa', 'pb'], SERVER_ID); } finally { await store.close(); }
  });

  after(async () => {
    await child?.kill();
    await a?.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const replicas = async (): Promise<number[]> =>
    (await db.query<Array<Record<string, unknown>>>('SHOW SLAVE HOSTS')).map((r) => Number(r['Server_id'])).sort((x, y) => x - y);
  const dumps = (): Promise<number> => dumpConnections(db);
  let seq = 0;
  const write = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await writeShop(db, ++seq);
  };
  const identical = (): Promise<boolean> => copiesIdentical(db, ['copy_pa', 'copy_pb']);

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
    assert.equal(await duplicatedRows(db, 'copy_pa') + await duplicatedRows(db, 'copy_pb'), 0, 'no row of the key-less table applied twice');
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
