// Alerts of a cluster without the cluster processes: two AlertServices ("nodes" x and y) on one store, a view of
// the cluster the test controls, and a local webhook receiver. Only the holder of the lease `alerts` evaluates:
// a running pipeline without owner → one "no owner" message; after x closes, y takes the role over from the
// store and sends nothing again, then one "recovered" when an owner appears. The node-lost threshold counts
// from the lease's end.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TUNING } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/store.js';
import { PipelineManager } from '../../../src/control/pipeline-manager.js';
import { AlertService, clusterStatus, clusterVerdicts } from '../../../src/alerts/index.js';
import type { PipelineStatus } from '../../../src/control/pipeline-status.js';
import { StoreLeaseBackend, type NodeState } from '../../../src/cluster/index.js';
import type { ClusterView } from '../../../src/control/cluster-view.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const node = (id: string, heartbeatAgeMs: number): NodeState & { live: boolean; pipelines: string[] } => ({
  id, host: 'h', pid: 1, version: '0.1.0', startedAt: 0, heartbeatAt: 0, heartbeatAgeMs, draining: false, live: heartbeatAgeMs <= 1000, pipelines: [],
});

describe('alerts of a cluster', () => {
  let hook: WebhookReceiver;
  let hookUrl = '';
  /** Titles (first lines) of the messages. */
  const texts = (): string[] => hook.texts.map((t) => t.split('\n')[0]!);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-alerts-cluster-'));
  const logger = createLogger('sluice', 'silent');
  let store: Store;

  before(async () => {
    hook = await startWebhookReceiver();
    hookUrl = hook.url;
    store = await Store.open({ dataDir: dir });
    await store.putPipeline({ name: 'p1', source: 'nowhere', target: 'nowhere', tables: ['shop.t'], exclude: [], snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING } }, 'running');
  });

  after(async () => {
    await store.close();
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one evaluator sends one no-owner message and its recovery, across a handover', async () => {
    let owner: string | null = null;
    const view = async (): Promise<ClusterView> => ({
      self: 'x', leaseMs: 1000, alertEvaluator: null, nodes: [node('n1', 100)],
      pipelines: [{ pipeline: 'p1', desiredState: 'running', owner, epoch: 1, leaseRemainingMs: owner ? 900 : 0, acquiredAt: 0, leaseAgeMs: null, renewedAgoMs: null }],
    });
    const leases = new StoreLeaseBackend(store);
    const manager = new PipelineManager({ store, logger, leased: true });
    const service = (nodeId: string): AlertService => new AlertService({
      store, manager, logger, env: {}, fromEnvironment: { webhookUrl: hookUrl, ownerlessSeconds: 0.2 }, intervalMs: 60_000,
      retry: { attempts: 1 }, cluster: { nodeId, leases, leaseMs: 1000, view, statuses: (names) => Promise.all(names.map(async (n) => ({ ...await manager.status(n), owner: null }))) },
    });
    const x = service('x');
    const y = service('y');
    await x.load();
    await y.load();
    const round = async (...nodes: AlertService[]): Promise<void> => {
      for (const n of nodes) {
        await n.engine.evaluate();
        await n.engine.flush();
      }
    };
    await round(x, y);
    await sleep(300);
    for (let i = 0; i < 3; i++) await round(x, y);
    assert.deepEqual(texts().filter((t) => /NO OWNER/.test(t)).length, 1, texts().join('\n'));
    assert.match(texts()[0]!, /NO OWNER: pipeline p1/);
    assert.equal((await leases.list()).find((l) => l.name === 'alerts')?.owner, 'x');
    assert.deepEqual(y.engine.incidents().map((i) => `${i.rule}:${i.pipeline}`), ['no-owner:p1'], 'the other node shows the incident from the store');

    await x.close(); // releases the role
    for (let i = 0; i < 3; i++) await round(y);
    assert.equal((await leases.list()).find((l) => l.name === 'alerts')?.owner, 'y');
    assert.equal(texts().length, 1, `the new evaluator sent nothing again: ${texts().join('\n')}`);

    owner = 'n1';
    await round(y);
    assert.equal(texts().length, 2, texts().join('\n'));
    assert.match(texts()[1]!, /RECOVERED: pipeline p1 - without owner \(owned by n1\)/);
    await y.close();
    await manager.close();
  });

  it('a node is lost once its heartbeat is older than the lease by the threshold', () => {
    const v = (age: number): ClusterView => ({ self: 'x', leaseMs: 1000, alertEvaluator: null, nodes: [node('n1', age)], pipelines: [] });
    const t = { nodeLostSeconds: 2, ownerlessSeconds: 30 };
    assert.equal(clusterVerdicts(v(900), t, new Map(), 0)[0]!.state, 'clear');
    assert.equal(clusterVerdicts(v(2900), t, new Map(), 0)[0]!.state, 'pending');
    const lost = clusterVerdicts(v(3100), t, new Map(), 0)[0]!;
    assert.equal(lost.state, 'holds');
    assert.match(lost.title, /NODE LOST: n1 \(h, pid 1\) has not heartbeated for 3 s/);
  });

  it('the failed/lag/purge rules see another node\'s pipeline through its owner\'s fresh report, and nothing from a stale one', async () => {
    const manager = new PipelineManager({ store, logger, leased: true });
    const base = await manager.status('p1');
    const as = (over: Partial<PipelineStatus>) => (): Promise<PipelineStatus[]> => Promise.resolve([{ ...base, desiredState: 'running', ...over }]);
    const owner = { node: 'y', epoch: 3, self: false, reason: null };
    const fresh = (await clusterStatus(as({ state: 'failed', owner: { ...owner, reportAgeMs: 800 } }))(['p1']))[0];
    assert.equal(fresh?.state, 'failed', 'a fresh report of the owner counts');
    assert.equal((await clusterStatus(as({ state: 'failed', owner: { ...owner, reportAgeMs: 60_000 } }))(['p1']))[0], null, 'a stale report is no evidence');
    assert.equal((await clusterStatus(as({ state: 'unowned', owner: { ...owner, node: null, epoch: null, reportAgeMs: null } }))(['p1']))[0], null, 'no owner: the no-owner rule speaks');
    assert.equal(((await clusterStatus(as({ state: 'streaming', owner: { ...owner, self: true, reportAgeMs: null } }))(['p1']))[0])?.state, 'streaming', 'its own run');
  });
});
