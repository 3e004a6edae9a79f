// Alerts of a cluster: three `sluice serve` child processes on a store in a throwaway MariaDB, and a local webhook
// receiver. One node evaluates the alerts (it holds the lease `alerts`): SIGKILL another node → exactly one
// "node lost" message (not one per node), and one "recovered" when it comes back with its id; SIGKILL the
// evaluator → another node takes the role over and sends exactly one "node lost" for it, and one "recovered"
// when it is forgotten. Every node draining → exactly one "no owner" for the running pipeline, one "recovered"
// when a node is undrained.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TUNING } from '../../../src/config/index.js';
import { Store } from '../../../src/store/index.js';
import { NodeRegistry, StoreLeaseBackend } from '../../../src/cluster/index.js';
import { startMariaDb, startServeNode, type MariaDbServer, type ServeNode } from '../../../src/testkit/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';

const ENV = { SLUICE_SECRET_KEY: 'cluster-alerts-key', SLUICE_ADMIN_PASSWORD: 'Cluster-Admin-Pw-1', SLUICE_ALERT_NODE_LOST_SECONDS: '1', SLUICE_ALERT_OWNERLESS_SECONDS: '2' };
/** Longer than an alert period (5 s) on every node: a second message would have come by then. */
const QUIET_MS = 12_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('alerts of a cluster: one evaluator', () => {
  let db: MariaDbServer;
  let storeUrl = '';
  let hook: WebhookReceiver;
  let env: Record<string, string> = {};
  let texts: string[] = [];
  /** What came, with times (printed when a check fails). */
  const log: string[] = [];
  const nodes = new Map<string, ServeNode>();
  let store: Store;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cluster-alerts-'));

  before(async () => {
    hook = await startWebhookReceiver('/hook', (text) => log.push(`${new Date().toISOString()} ${text.split('\n')[0]}`));
    texts = hook.texts;
    env = { ...ENV, SLUICE_ALERT_WEBHOOK: hook.url };
    db = await startMariaDb();
    await db.query('CREATE DATABASE shop');
    await db.query('CREATE DATABASE sluice_store');
    await db.query('CREATE TABLE shop.a (id INT PRIMARY KEY, v INT)');
    storeUrl = `mysql://root@127.0.0.1:${db.port}/sluice_store`;
    store = await Store.open({ dataDir: dir, url: storeUrl, env: ENV });
    const ep = { type: 'mariadb' as const, host: '127.0.0.1', port: db.port, user: 'root', password: '', options: {} };
    await store.putEndpoint({ kind: 'source', name: 'src', ...ep });
    await store.putEndpoint({ kind: 'target', name: 'tgt', ...ep });
    await store.putPipeline({ name: 'pa', source: 'src', target: 'tgt', tables: ['shop.a'], exclude: [], targetDatabase: 'copy_pa', snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING } }, 'running');
  });

  after(async () => {
    for (const n of nodes.values()) await n.kill();
    await store?.close();
    await db?.stop();
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (id: string): Promise<void> => { nodes.set(id, await startServeNode(storeUrl, id, env)); log.push(`${new Date().toISOString()} (${id} started)`); };
  const kill = async (id: string): Promise<void> => { await nodes.get(id)!.kill(); nodes.delete(id); log.push(`${new Date().toISOString()} (${id} killed)`); };
  const evaluator = async (): Promise<string | null> => {
    const l = (await new StoreLeaseBackend(store).list()).find((x) => x.name === 'alerts');
    return l && l.owner !== null && l.remainingMs > 0 ? l.owner : null;
  };
  /** Messages whose first line (the title) matches. */
  const matching = (re: RegExp): string[] => texts.filter((t) => re.test(t.split('\n')[0]!));
  /** Wait for a first message matching `re`, then long enough for any duplicate; exactly one must have come. */
  const exactlyOne = async (re: RegExp, what: string, timeoutMs = 40_000): Promise<string> => {
    await waitFor(what, () => matching(re).length > 0, timeoutMs, 100);
    await sleep(QUIET_MS);
    const got = matching(re);
    assert.equal(got.length, 1, `exactly one ${what}, got ${got.length}:\n${log.join('\n')}`);
    return got[0]!;
  };

  it('sends one node-lost alert per lost node, and its recovery, whichever node evaluates', async () => {
    for (const id of ['n1', 'n2', 'n3']) await start(id);
    const first = await waitFor('an alert evaluator', evaluator, 20_000);
    const victim = ['n1', 'n2', 'n3'].find((id) => id !== first)!;

    const killedAt = Date.now();
    await kill(victim);
    const lost = await exactlyOne(new RegExp(`NODE LOST: ${victim}\\b`), `node-lost alert for ${victim}`);
    console.log(`# node-lost alert for ${victim} after ${((Date.now() - killedAt - QUIET_MS) / 1000).toFixed(1)} s (or less): ${lost.split('\n')[0]}`);

    await start(victim); // back with the same id
    await exactlyOne(new RegExp(`RECOVERED: node ${victim} - lost`), `recovery of ${victim}`);

    // The evaluator dies: another node takes the role over and goes on from the state in the store.
    await kill(first);
    const second = await waitFor('a new alert evaluator', async () => { const e = await evaluator(); return e !== null && e !== first ? e : null; }, 20_000);
    await exactlyOne(new RegExp(`NODE LOST: ${first}\\b`), `node-lost alert for the old evaluator ${first} (sent by ${second})`);
    assert.equal(matching(new RegExp(`NODE LOST: ${victim}\\b`)).length, 1, `the new evaluator did not send the ended incident again:\n${log.join('\n')}`);
    await new NodeRegistry(store).remove(first); // an operator forgets it (DELETE /api/cluster/nodes/{id})
    await exactlyOne(new RegExp(`RECOVERED: node ${first} - lost \\(removed from the cluster\\)`), `recovery of ${first} once forgotten`);
  });

  it('sends one no-owner alert when no node runs a running pipeline, and its recovery', async () => {
    const registry = new NodeRegistry(store);
    const live = [...nodes.keys()];
    for (const id of live) await registry.setDraining(id, true);
    await exactlyOne(/NO OWNER: pipeline pa\b/, 'no-owner alert for pa');
    await registry.setDraining(live[0]!, false);
    await exactlyOne(/RECOVERED: pipeline pa - without owner/, 'recovery of pa');
  });
});
