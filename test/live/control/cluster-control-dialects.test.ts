// The cluster's command queue and published statuses on each shared store dialect (a throwaway MariaDB, the local
// PostgreSQL): a submitted command gets its id back, is claimed once, finished and read back with its outcome;
// a report is replaced under the same or a newer epoch only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandQueue } from '../../../src/control/command-queue.js';
import type { PipelineManager } from '../../../src/control/pipeline-manager.js';
import type { PipelineStatus } from '../../../src/control/pipeline-status.js';
import { StatusPublisher, readPublished } from '../../../src/control/status-publisher.js';
import { Store } from '../../../src/store/index.js';
import { mariadbBackend, postgresBackend, type StoreBackend } from '../../helpers/store-backends.js';

const KEY = { SLUICE_SECRET_KEY: 'cluster-control-dialects' };

const statusOf = (name: string, state: PipelineStatus['state']): PipelineStatus => ({
  name, state, desiredState: 'running', since: null, startedAt: null, lagSeconds: 0, rowsPerSecond: 0, rowsApplied: 0, transactionsApplied: 0,
  snapshot: { rowsCopied: 0, rowsEstimated: 0, percent: 100, rowsPerSecond: 0, etaSeconds: null, tables: [], lastCopies: [] },
  position: { file: 'bin.000001', pos: 4 }, errorCount: 0, restarts: 0, recentErrors: [], pendingSkip: null, skipped: [], resnapshotQueue: [],
  bytesRead: 0, sourceReconnects: 0, queuedChanges: 0, owner: null,
});
const managerWith = (state: PipelineStatus['state']): PipelineManager => ({ status: (n: string) => Promise.resolve(statusOf(n, state)) }) as unknown as PipelineManager;

for (const { name, make } of [{ name: 'mariadb', make: mariadbBackend }, { name: 'postgres', make: postgresBackend }]) {
  describe(`cluster commands and statuses on a ${name} store`, () => {
    let backend: StoreBackend | null = null;
    before(async () => { backend = await make(); });
    after(async () => { await backend?.close(); });

    it('commands are claimed once and keep their outcome; reports follow the newest epoch', async (t) => {
      if (!backend) return t.skip('PostgreSQL not reachable');
      const loc = await backend.fresh();
      const store = await Store.open({ dataDir: loc.dataDir, url: loc.url, env: KEY });
      try {
        const asker = new CommandQueue(store, 'node-c');
        const first = await asker.submit('p1', 'resnapshot', { table: { database: 'shop', table: 'a' } }, 'alice');
        const second = await asker.submit('p1', 'retry', {}, null);
        assert.ok(first.id > 0 && second.id > first.id, `ids ${first.id}, ${second.id}`);
        assert.deepEqual(first.args, { table: { database: 'shop', table: 'a' } });
        const [a, b] = [new CommandQueue(store, 'node-a'), new CommandQueue(store, 'node-b')];
        const claims = await Promise.all([a.claim(first.id, 3), b.claim(first.id, 4)]);
        assert.equal(claims.filter(Boolean).length, 1, 'one claimer');
        const winner = claims[0] ? a : b;
        await winner.finish(first.id, { status: statusOf('p1', 'snapshotting') });
        const done = (await asker.wait(first.id, 1000))!;
        assert.deepEqual([done.state, done.result?.state, done.claimedBy], ['done', 'snapshotting', claims[0] ? 'node-a' : 'node-b']);
        assert.deepEqual((await a.pending(['p1'])).map((c) => c.id), [second.id]);

        await new StatusPublisher({ store, manager: managerWith('streaming'), nodeId: 'node-a' }).publish(new Map([['p1', 5]]));
        await new StatusPublisher({ store, manager: managerWith('retrying'), nodeId: 'node-b' }).publish(new Map([['p1', 6]]));
        const stale = new StatusPublisher({ store, manager: managerWith('failed'), nodeId: 'node-a' });
        await stale.publish(new Map([['p1', 5]]));
        const r = (await readPublished(store, ['p1'])).get('p1')!;
        assert.deepEqual([r.node, r.epoch, r.status.state], ['node-b', 6, 'retrying']);
        assert.ok(r.ageMs >= 0 && r.ageMs < 5000, `age ${r.ageMs}`);
      } finally {
        await store.close();
      }
    });
  });
}
