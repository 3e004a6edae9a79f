// Published pipeline status on the SQLite store: the owner's report is what another node shows (with owner, epoch
// and age); an older epoch never overwrites a newer owner's report; a pipeline nobody holds is `unowned` with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeaseState, NodeState } from '../../../src/cluster/index.js';
import { DEFAULT_TUNING } from '../../../src/config/index.js';
import type { PipelineManager } from '../../../src/control/pipeline-manager.js';
import type { PipelineStatus } from '../../../src/control/pipeline-status.js';
import { OwnerStatusView, StatusPublisher, readPublished } from '../../../src/control/status-publisher.js';
import { Store } from '../../../src/store/index.js';

const statusOf = (name: string, state: PipelineStatus['state'], pos: number): PipelineStatus => ({
  name, state, desiredState: 'running', since: null, startedAt: null, lagSeconds: 0.5, rowsPerSecond: 10, rowsApplied: pos, transactionsApplied: 0,
  snapshot: { rowsCopied: 0, rowsEstimated: 0, percent: 100, rowsPerSecond: 0, etaSeconds: null, tables: [], lastCopies: [] },
  position: { file: 'bin.000001', pos }, errorCount: 0, restarts: 0, recentErrors: [], pendingSkip: null, skipped: [], resnapshotQueue: [],
  bytesRead: 0, sourceReconnects: 0, queuedChanges: 3, owner: null,
});

/** A node's manager: `live` is the status of its own run of each pipeline. */
const managerWith = (live: Map<string, PipelineStatus>): PipelineManager =>
  ({ status: (name: string) => Promise.resolve(live.get(name) ?? statusOf(name, 'stopped', 0)) }) as unknown as PipelineManager;

const node = (id: string, heartbeatAgeMs: number, draining = false): NodeState =>
  ({ id, host: 'h', pid: 1, version: 'v', startedAt: 0, heartbeatAt: 0, heartbeatAgeMs, draining });
const lease = (pipeline: string, owner: string | null, epoch: number, remainingMs: number): LeaseState =>
  ({ name: `pipeline:${pipeline}`, owner, epoch, remainingMs, acquiredAt: 0, renewedAt: 0, nowMs: 0 });

test('another node shows the owner\'s published status; a stale owner cannot overwrite it; nobody holding it is unowned', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-status-'));
  const store = await Store.open({ dataDir: dir });
  try {
    await store.putPipeline({ name: 'p1', source: 's', target: 't', tables: ['shop.*'], exclude: [], snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING } }, 'running');
    const ownerLive = new Map([['p1', statusOf('p1', 'streaming', 1000)]]);
    const a = new StatusPublisher({ store, manager: managerWith(ownerLive), nodeId: 'node-a' });
    await a.publish(new Map([['p1', 5]]));
    let leases = [lease('p1', 'node-a', 5, 4000)];
    let nodes = [node('node-a', 100), node('node-b', 100)];
    const view = new OwnerStatusView({ store, manager: managerWith(new Map()), nodeId: 'node-b', leaseMs: 5000,
      leaseName: (p) => `pipeline:${p}`, leases: () => Promise.resolve(leases), nodes: () => Promise.resolve(nodes) });
    const [seen] = await view.statuses(['p1']);
    assert.equal(seen!.state, 'streaming');
    assert.deepEqual(seen!.position, { file: 'bin.000001', pos: 1000 });
    assert.equal(seen!.owner?.node, 'node-a');
    assert.equal(seen!.owner?.epoch, 5);
    assert.equal(seen!.owner?.self, false);
    assert.ok(seen!.owner!.reportAgeMs !== null && seen!.owner!.reportAgeMs < 5000);

    // Unchanged within a second: not written again; changed in substance: written at once.
    ownerLive.set('p1', statusOf('p1', 'streaming', 2000));
    await a.publish(new Map([['p1', 5]]));
    assert.equal((await readPublished(store, ['p1'])).get('p1')!.status.position?.pos, 1000, 'a moving position alone waits for the periodic report');
    ownerLive.set('p1', statusOf('p1', 'retrying', 2000));
    await a.publish(new Map([['p1', 5]]));
    assert.equal((await readPublished(store, ['p1'])).get('p1')!.status.state, 'retrying');

    // node-b takes over with epoch 6; node-a, which lost the lease, publishes its last report: refused.
    const b = new StatusPublisher({ store, manager: managerWith(new Map([['p1', statusOf('p1', 'snapshotting', 3000)]])), nodeId: 'node-b' });
    await b.publish(new Map([['p1', 6]]));
    await a.publish(new Map());
    const row = (await readPublished(store, ['p1'])).get('p1')!;
    assert.deepEqual([row.node, row.epoch, row.status.state], ['node-b', 6, 'snapshotting'], 'the stale owner\'s report did not overwrite the new owner\'s');

    // A holder with no report under its epoch yet: starting.
    leases = [lease('p1', 'node-c', 7, 4000)];
    assert.equal((await view.statuses(['p1']))[0]!.state, 'starting');

    // Nobody holds it: unowned, with the reason; nothing in flight.
    leases = [lease('p1', 'node-c', 7, -2500)];
    const [gone] = await view.statuses(['p1']);
    assert.equal(gone!.state, 'unowned');
    assert.equal(gone!.owner?.node, null);
    assert.match(gone!.owner!.reason!, /lease of node node-c ran out 2\.5 s ago/);
    assert.equal(gone!.lagSeconds, null);
    assert.equal(gone!.queuedChanges, 0);
    nodes = [node('node-a', 100, true)];
    assert.match((await view.statuses(['p1']))[0]!.owner!.reason!, /every live node is draining/);
    nodes = [node('node-c', 4000)]; // its heartbeat looks recent, but it did not renew its lease: not a candidate
    assert.match((await view.statuses(['p1']))[0]!.owner!.reason!, /ran out .*; no other live node/);
    nodes = [];
    leases = [];
    assert.match((await view.statuses(['p1']))[0]!.owner!.reason!, /^no live node/);
    await store.setDesiredState('p1', 'paused');
    const paused = (await view.statuses(['p1']))[0]!;
    assert.deepEqual([paused.state, paused.desiredState, paused.owner?.reason], ['paused', 'paused', null]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
