// The command queue of a cluster (actions for a pipeline's owner, through the store) on the SQLite store: a command
// is claimed by exactly one node and run once, its outcome (status or error) is recorded and audited, and a command
// nobody claims before its expiry is never run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandQueue, CommandRunner, type CommandArgs } from '../../../src/control/command-queue.js';
import type { PipelineManager } from '../../../src/control/pipeline-manager.js';
import type { PipelineStatus } from '../../../src/control/pipeline-status.js';
import { SluiceError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/index.js';

function withStore(fn: (store: Store) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-commands-'));
    const store = await Store.open({ dataDir: dir });
    try {
      await fn(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const statusOf = (name: string, state: PipelineStatus['state']): PipelineStatus => ({
  name, state, desiredState: 'running', since: null, startedAt: null, lagSeconds: 0, rowsPerSecond: 0, rowsApplied: 0, transactionsApplied: 0,
  snapshot: { rowsCopied: 0, rowsEstimated: 0, percent: 100, rowsPerSecond: 0, etaSeconds: null, tables: [], lastCopies: [] },
  position: { file: 'bin.000001', pos: 4 }, errorCount: 0, restarts: 0, recentErrors: [], pendingSkip: null, skipped: [], resnapshotQueue: [],
  bytesRead: 0, sourceReconnects: 0, queuedChanges: 0, owner: null,
});

/** The owner's manager as the runner uses it: records each action it is asked to run. */
function recordingManager(calls: Array<{ action: string; pipeline: string; args: unknown }>): PipelineManager {
  const run = (action: string) => (pipeline: string, ...args: unknown[]): Promise<PipelineStatus> => {
    calls.push({ action, pipeline, args });
    if (action === 'resnapshot' && args[1] === 'missing') return Promise.reject(new SluiceError('BAD_ARGUMENT', 'no table missing', 'pick a table of the pipeline'));
    return Promise.resolve(statusOf(pipeline, 'streaming'));
  };
  return { retry: run('retry'), skip: run('skip'), resync: run('resync'), resnapshot: run('resnapshot') } as unknown as PipelineManager;
}

const logger = createLogger('test', 'silent');

test('a command is claimed by one node only and run exactly once; its result and an audit entry are recorded', withStore(async (store) => {
  const asker = new CommandQueue(store, 'node-c');
  const calls: Array<{ action: string; pipeline: string; args: unknown }> = [];
  // Two nodes that both believe they own p1 (one of them a stale owner): only one may run the command.
  const runners = ['node-a', 'node-b'].map((id) => new CommandRunner({ queue: new CommandQueue(store, id), manager: recordingManager(calls), store, nodeId: id, logger }));
  const args: CommandArgs = { skip: { file: 'bin.000002', pos: 1234, kind: 'transaction' } };
  const cmd = await asker.submit('p1', 'skip', args, 'alice');
  assert.equal(cmd.state, 'pending');
  assert.equal(cmd.requestedBy, 'node-c');
  assert.ok(cmd.expiresAt > cmd.createdAt);
  await Promise.all([runners[0]!.pass(new Map([['p1', 7]])), runners[1]!.pass(new Map([['p1', 8]]))]);
  await Promise.all(runners.map((r) => r.idle()));
  await Promise.all([runners[0]!.pass(new Map([['p1', 7]])), runners[1]!.pass(new Map([['p1', 8]]))]); // a later pass runs nothing again
  await Promise.all(runners.map((r) => r.idle()));
  assert.deepEqual(calls, [{ action: 'skip', pipeline: 'p1', args: [args.skip] }], 'run once, with its arguments');
  const done = (await asker.wait(cmd.id, 1000))!;
  assert.equal(done.state, 'done');
  assert.ok(done.claimedBy === 'node-a' || done.claimedBy === 'node-b');
  assert.equal(done.claimedEpoch, done.claimedBy === 'node-a' ? 7 : 8);
  assert.equal(done.result?.state, 'streaming');
  assert.equal(done.error, null);
  assert.ok(done.finishedAt !== null && done.finishedAt >= done.createdAt);
  const audit = (await store.listAudit(10)).filter((e) => e.action === 'pipeline.command');
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.actor, 'alice');
  assert.deepEqual(audit[0]!.details, { command: cmd.id, action: 'skip', args, requestedBy: 'node-c', ranBy: done.claimedBy, epoch: done.claimedEpoch, outcome: 'done' });
}));

test('only the owner of the pipeline takes its commands; a refused action is recorded as failed with its error', withStore(async (store) => {
  const asker = new CommandQueue(store, 'node-c');
  const calls: Array<{ action: string; pipeline: string; args: unknown }> = [];
  const owner = new CommandRunner({ queue: new CommandQueue(store, 'node-a'), manager: recordingManager(calls), store, nodeId: 'node-a', logger });
  const other = await asker.submit('p2', 'resync', {}, null);
  const bad = await asker.submit('p1', 'resnapshot', { table: { database: 'shop', table: 'missing' } }, 'bob');
  const good = await asker.submit('p1', 'resnapshot', { table: { database: 'shop', table: 'orders' } }, 'bob');
  await owner.pass(new Map([['p1', 3]]));
  await owner.idle();
  assert.deepEqual(calls.map((c) => [c.action, c.args]), [['resnapshot', ['shop', 'missing']], ['resnapshot', ['shop', 'orders']]], 'in order, p1 only');
  assert.equal((await asker.get(other.id))!.state, 'pending', 'p2 is not this node\'s');
  const failed = (await asker.get(bad.id))!;
  assert.equal(failed.state, 'failed');
  assert.deepEqual(failed.error, { code: 'BAD_ARGUMENT', message: 'no table missing', fix: 'pick a table of the pipeline' });
  assert.equal((await asker.get(good.id))!.state, 'done');
  assert.deepEqual((await asker.list('p1')).map((c) => c.id), [good.id, bad.id], 'newest first');
}));

test('a command no owner claims before its expiry is marked expired and never runs', withStore(async (store) => {
  const asker = new CommandQueue(store, 'node-c', { ttlMs: 150 });
  const cmd = await asker.submit('p1', 'retry', {}, 'alice');
  const waited = (await asker.wait(cmd.id, 300, 50))!;
  assert.equal(waited.state, 'pending', 'nobody took it: still pending when the wait ends');
  const calls: Array<{ action: string; pipeline: string; args: unknown }> = [];
  const late = new CommandRunner({ queue: new CommandQueue(store, 'node-a'), manager: recordingManager(calls), store, nodeId: 'node-a', logger });
  await late.pass(new Map([['p1', 1]]));
  await late.idle();
  assert.deepEqual(calls, [], 'an expired command is not run by an owner that comes later');
  const expired = (await asker.get(cmd.id))!;
  assert.equal(expired.state, 'expired', 'the sweep marked it');
  assert.equal(expired.error?.code, 'NO_OWNER');
  assert.equal(await new CommandQueue(store, 'node-a').claim(cmd.id, 1), false);
}));

test('a running command whose owner never finished is marked failed by the sweep', withStore(async (store) => {
  const q = new CommandQueue(store, 'node-a', { runningTimeoutMs: 0 });
  const cmd = await q.submit('p1', 'resync', {}, null);
  assert.equal(await q.claim(cmd.id, 4), true);
  assert.equal(await q.claim(cmd.id, 4), false, 'claimed once');
  await q.sweep();
  const c = (await q.get(cmd.id))!;
  assert.equal(c.state, 'failed');
  assert.equal(c.error?.code, 'OWNER_LOST');
  await q.finish(cmd.id, { status: statusOf('p1', 'streaming') });
  assert.equal((await q.get(cmd.id))!.state, 'failed', 'a late finish does not overwrite the sweep\'s verdict');
}));
