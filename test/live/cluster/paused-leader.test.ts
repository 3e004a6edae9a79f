// The paused leader, on each target kind (MySQL, PostgreSQL): three `sluice serve` nodes on a shared store
// (ClusterBed); the node that owns the pipeline is stopped (SIGSTOP) for longer than its lease while a writer goes
// on; another node takes the pipeline over with a higher epoch; the old node is woken (SIGCONT) with work in hand.
// 1. Stopped inside a large source transaction applied in parts (its target transaction open, holding the
//    checkpoint row): the new owner gets past it, the old node lets go when it wakes. SIGTERM hands over at once.
// 2. Stopped with a batch in flight: its request is held on the way to the target (the bed's target proxy) and
//    arrives after the new owner has written. The target itself must refuse it (the epoch and position fence of
//    the checkpoint row) — nothing of it may commit, seen on the target while the old node is still stopped.
// 3. The same, but the held batch arrives while the new owner's claim is under way (made slow on the target): the
//    position is still the one the old node wrote, only the epoch tells the stale writer apart.
// Each time the key-less insert-only table must end equal to the source, every column (each row exactly once), and
// the checkpoint witness must show no write of an older epoch after a newer one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHAOS_TARGET_KINDS } from '../../../src/testkit/chaos/index.js';
import { ClusterBed, until, type LeaseOwner, type ServeNode } from '../../../src/testkit/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Rows of the large source transaction. */
const BULK = 300_000;
const LET_GO = /FENCED|lease not renewed|lost the lease|reader slot lost/;

for (const kind of CHAOS_TARGET_KINDS) describe(`cluster: a paused leader is fenced (${kind} target)`, () => {
  let bed: ClusterBed;

  before(async () => {
    bed = await ClusterBed.start({ target: kind });
    bed.startWriter(5);
    await until('the pipeline to stream', async () => (await bed.copied()) > 0, 120_000);
    await bed.installWitness();
    await bed.stopWriter();
  });

  after(async () => {
    await bed?.close();
  });

  const owner = (): Promise<LeaseOwner> => until('an owner', () => bed.owner(), 30_000);
  const otherOwner = (than: LeaseOwner): Promise<LeaseOwner> =>
    until('another node to own the pipeline', async () => { const o = await bed.owner(); return o && o.owner !== than.owner ? o : null; }, 30_000, 50);
  /** The old node says it let go of the pipeline (its lease, its reader slot, or the target's fence). */
  const letGo = async (id: string, mark: number): Promise<void> => {
    const node = bed.nodes.get(id)!;
    await until(`${id} to let go of the pipeline`, async () => LET_GO.test(node.logsSince(mark)), 30_000)
      .catch((err: unknown) => { throw new Error(`${String(err)}\n${node.logsSince(mark).slice(-4000)}`); });
  };
  /** Node log marks now, for `diagnosis`. */
  const marks = (): Map<string, number> => new Map([...bed.nodes.values()].map((n) => [n.id, n.logMark()]));
  /** What to show when a scenario failed: the last checkpoint writes, what each node said since `since`. */
  const diagnosis = async (since: Map<string, number>): Promise<string> => {
    const writes = (await bed.checkpointWrites('watched').catch(() => [])).slice(-8).map((w) => `#${w.id} epoch ${w.epoch} ${w.owner?.slice(0, 60) ?? ''} at ${w.at}`);
    const logs = [...bed.nodes.values()].map((n) => `--- ${n.id}:\n${n.logsSince(since.get(n.id) ?? 0).split('\n').slice(-25).map((l) => l.slice(0, 400)).join('\n')}`);
    return `checkpoint writes:\n${writes.join('\n')}\n${logs.join('\n')}`;
  };
  /** Runs `scenario`; a failure carries the diagnosis. */
  const explained = async (scenario: () => Promise<void>): Promise<void> => {
    const since = marks();
    try {
      await scenario();
    } catch (err) {
      if (err instanceof Error) err.message += `\n${await diagnosis(since)}`;
      throw err;
    }
  };
  /**
   * Stop the owner (SIGSTOP) with its next batch in flight: held at the target proxy. Only an owner that is still the
   * owner after it applied a row, and whose request is seen held, is stopped; otherwise its connections are let go and
   * it is tried again (ownership can move between two scenarios).
   */
  const stopOwnerWithBatchInFlight = (): Promise<{ first: LeaseOwner; old: ServeNode; mark: number; conns: number; held: number }> =>
    until('an applying owner stopped with its next batch in flight', async () => {
      const first = await bed.owner();
      if (!first) return null;
      const before = bed.seq;
      await until('the owner to apply', async () => (await bed.copied()) > before, 30_000);
      const now = await bed.owner();
      if (!now || now.owner !== first.owner || now.epoch !== first.epoch) return null;
      const old = bed.nodes.get(first.owner)!;
      const mark = old.logMark();
      // What the owner sends to the target from now on stays in the proxy: its next batch is in flight.
      const conns = bed.holdTargetRequestsOf(first.owner);
      const inFlight = conns > 0 && await until('a batch of the owner in flight', async () => bed.targetProxy.heldToServer > 0, 5000, 5).catch(() => false);
      if (!inFlight) {
        bed.targetProxy.heal();
        return null;
      }
      old.child.kill('SIGSTOP');
      return { first, old, mark, conns, held: bed.targetProxy.heldToServer };
    }, 60_000, 100);
  /** Every source row exactly once on the target, every column; no stale epoch wrote after a newer one. */
  const assertExactlyOnce = async (): Promise<void> => {
    const d = await bed.compare('audit', 'shop', 'copy', 90_000);
    assert.equal(d.duplicated, 0, `no row applied twice: ${d.samples.join(' ; ')}`);
    assert.equal(d.lost, 0, `no row lost: ${d.samples.join(' ; ')}`);
    assert.equal(d.rows, bed.seq, 'the source has every row the writer wrote');
    assert.deepEqual(ClusterBed.fencingProblems(await bed.checkpointWrites('watched')), []);
  };

  it('takes over from an owner stopped inside a large transaction, which lets go when it wakes; SIGTERM hands over at once', () => explained(async () => {
    bed.startWriter(5);
    try {
      const first = await owner();
      const old = bed.nodes.get(first.owner)!;
      const mark = old.logMark();
      // Stopped while it applies a large source transaction in parts: its target transaction stays open and holds
      // the checkpoint row, which the new owner must get past (it used to wait forever).
      await bed.largeTransaction(BULK);
      await sleep(800);
      old.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      const next = await otherOwner(first);
      assert.ok(next.epoch > first.epoch, `the epoch rose (${first.epoch} → ${next.epoch})`);
      const atTakeover = bed.seq;
      await until('the new owner to apply', async () => (await bed.copied()) > atTakeover, 60_000);
      await sleep(Math.max(0, 8000 - (Date.now() - stoppedAt)));
      old.child.kill('SIGCONT');
      await letGo(first.owner, mark);
      await sleep(2000);

      // A clean stop of the owner hands the pipeline over quickly.
      const cur = await owner();
      const termAt = Date.now();
      await bed.terminate(cur.owner);
      await otherOwner(cur);
      const handover = (Date.now() - termAt) / 1000;
      console.log(`# paused leader (${kind}): taken over after ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s of pause; SIGTERM handover ${handover.toFixed(2)} s`);
      assert.ok(handover < 3, `SIGTERM handover took ${handover} s`);
      await bed.startNode(cur.owner);
    } finally {
      await bed.stopWriter();
    }
    await assertExactlyOnce();
  }));

  it('refuses the batch a paused owner had in flight when it reaches the target after the new owner wrote', () => explained(async () => {
    bed.startWriter(5);
    let old: ServeNode | undefined;
    try {
      const { first, old: stopped, mark, conns, held } = await stopOwnerWithBatchInFlight();
      old = stopped;
      const next = await otherOwner(first);
      assert.ok(next.epoch > first.epoch, `the epoch rose (${first.epoch} → ${next.epoch})`);
      const atTakeover = bed.seq;
      await until('the new owner to apply rows written after the takeover', async () => (await bed.copied()) > atTakeover, 60_000);
      // The batch sent before the pause reaches the target now, with the old epoch and the old position.
      bed.targetProxy.heal();
      await until('the held batch delivered', async () => bed.targetProxy.heldToServer === 0, 5000, 10);
      await sleep(1000);
      // The target's own answer, while the old node is still stopped: nothing of that batch committed.
      const now = await bed.compare('audit', 'shop', 'copy', 0);
      assert.equal(now.duplicated, 0, `the target committed the stale batch (${held} bytes held): ${now.samples.join(' ; ')}`);
      old.child.kill('SIGCONT');
      await letGo(first.owner, mark);
      console.log(`# paused leader (${kind}): a ${held}-byte batch of epoch ${first.epoch} reached the target after epoch ${next.epoch} wrote (${conns} connections held); `
        + `the old node said: ${(old.logsSince(mark).match(LET_GO) ?? ['?'])[0]}`);
    } finally {
      old?.child.kill('SIGCONT');
      await bed.stopWriter();
    }
    await assertExactlyOnce();
  }));

  it('refuses the batch a paused owner had in flight when it reaches the target during the new owner\'s claim', () => explained(async () => {
    bed.startWriter(5);
    let old: ServeNode | undefined;
    const slow = await bed.target.slowClaims(4);
    try {
      const { first, old: stopped, mark, conns, held } = await stopOwnerWithBatchInFlight();
      old = stopped;
      // Another node claims the pipeline on the target; its claim sleeps holding the row: the stale batch arrives now.
      await until('a claim under way on the target', () => slow.underway(), 30_000, 20);
      bed.targetProxy.heal();
      const next = await otherOwner(first);
      assert.ok(next.epoch > first.epoch, `the epoch rose (${first.epoch} → ${next.epoch})`);
      const atClaim = bed.seq;
      await until('the new owner to apply rows written after its claim', async () => (await bed.copied()) > atClaim, 60_000);
      await sleep(1000);
      const now = await bed.compare('audit', 'shop', 'copy', 0);
      assert.equal(now.duplicated, 0, `the target committed the stale batch (${held} bytes held): ${now.samples.join(' ; ')}`);
      old.child.kill('SIGCONT');
      await letGo(first.owner, mark);
      console.log(`# paused leader (${kind}): a ${held}-byte batch of epoch ${first.epoch} reached the target during the claim of epoch ${next.epoch} (${conns} connections held); `
        + `the old node said: ${(old.logsSince(mark).match(LET_GO) ?? ['?'])[0]}`);
    } finally {
      old?.child.kill('SIGCONT');
      await slow.remove();
      await bed.stopWriter();
    }
    await assertExactlyOnce();
  }));
});
