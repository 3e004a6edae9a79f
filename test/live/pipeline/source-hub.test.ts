// The shared binlog reader of a source (SourceHub) while its pipelines come and go at their own positions: a
// joiner behind the reader, one ahead of it, one inside a transaction the reader is handing out in parts, a
// subscriber that stops taking messages (it must not stall the others), concurrent joiners, leaves. Every
// subscriber must get exactly the transactions after its position, in order, once — and the source must see
// one binlog connection at most.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SourceHub } from '../../../src/pipeline/source-hub.js';
import { SchemaHistory } from '../../../src/mysql/schema/schema-history.js';
import { currentPosition } from '../../../src/pipeline/source-access.js';
import { createLogger } from '../../../src/log.js';
import type { Position } from '../../../src/core/types.js';
import { waitFor } from '../../helpers/wait-for.js';
import { hubBed } from './hub-bed.js';
import { Reader } from './subscription-reader.js';

const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'silent');

describe('SourceHub: pipelines join, park, rejoin and leave at their own positions', () => {
  const bed = hubBed(20_000);
  const { hubs, insert, insertOne, dumps, got } = bed;
  const join = async (hub: SourceHub, name: string, start: Position): Promise<Reader> =>
    new Reader(await hub.subscribe({ name, start, filter: (d, t) => d === 'hub' && t === 't', history: new SchemaHistory({ url: bed.db.url }) }));

  it('serves a joiner behind the reader and one inside a transaction the reader is handing out in parts, once each', async () => {
    const hub = new SourceHub(bed.db.url, 5101, log, { maxChangesPerPart: 5 });
    hubs.push(hub);
    const p0 = await currentPosition(bed.db.url);
    const a = await join(hub, 'a', p0);
    const first = await insert(20);
    await got(a, first, 'a gets its 20 rows');
    // Behind the reader: b needs what a already had; a must not get it twice.
    const more = await insert(10);
    const b = await join(hub, 'b', p0);
    await got(b, [...first, ...more], 'b gets everything from p0');
    await got(a, [...first, ...more], 'a gets every row once');
    // Inside a transaction: a stops taking messages while the reader is in the middle of a 2000-row transaction.
    const p1 = await currentPosition(bed.db.url);
    a.pause();
    const big = await insertOne(2000);
    await waitFor('the reader to hold a full queue for a', () => a.sub.queue.length >= hub.queueLimit, 10_000);
    const c = await join(hub, 'c', p1);
    a.resume();
    await got(c, big, 'c gets the whole transaction');
    await got(a, [...first, ...more, ...big], 'a gets the transaction once');
    await got(b, [...first, ...more, ...big], 'b gets the transaction once');
    assert.equal(await dumps(), 1, 'one binlog connection');
    for (const r of [a, b, c]) await r.sub.close();
  });

  it('parks a subscriber that takes nothing: the others (one joining ahead of the reader) go on; it rejoins from its position', async () => {
    const hub = new SourceHub(bed.db.url, 5102, log, { parkAfterMs: 500 });
    hubs.push(hub);
    const p0 = await currentPosition(bed.db.url);
    const slow = await join(hub, 'slow', p0);
    const fast = await join(hub, 'fast', p0);
    slow.pause();
    const rows = await insert(150);
    await got(fast, rows, 'fast goes on while slow takes nothing', 15_000);
    assert.ok(hub.parks >= 1, 'slow was parked');
    // Ahead of where the reader is for slow: a joiner at the current end.
    const p1 = await currentPosition(bed.db.url);
    const ahead = await join(hub, 'ahead', p1);
    const later = await insert(30);
    await got(ahead, later, 'the joiner ahead gets exactly what follows its position');
    await got(fast, [...rows, ...later], 'fast still goes on');
    slow.resume();
    await got(slow, [...rows, ...later], 'slow rejoins and gets everything once, in order');
    const last = await insert(5);
    for (const [r, before] of [[slow, [...rows, ...later]], [fast, [...rows, ...later]], [ahead, later]] as const) await got(r, [...before, ...last], `${r.sub.name} after the rejoin`);
    assert.equal(await dumps(), 1, 'one binlog connection');
    for (const r of [slow, fast, ahead]) await r.sub.close();
  });

  it('gives a subscriber inside a large transaction longer before parking it (parking withdraws its parts)', async () => {
    const hub = new SourceHub(bed.db.url, 5104, log, { parkAfterMs: 300, maxChangesPerPart: 5 });
    hubs.push(hub);
    const p0 = await currentPosition(bed.db.url);
    const inTxn = await join(hub, 'in-txn', p0);
    const other = await join(hub, 'other', p0);
    inTxn.pause();
    const big = await insertOne(1000);
    await waitFor('in-txn holds a full queue', () => inTxn.sub.queue.length >= hub.queueLimit, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(hub.parks, 0, 'not parked after 5 × parkAfterMs inside a transaction');
    await waitFor('parked after 10 × parkAfterMs', () => hub.parks > 0, 10_000);
    await got(other, big, 'the other goes on');
    inTxn.resume();
    await got(inTxn, big, 'in-txn rejoins and gets the transaction once');
    for (const r of [inTxn, other]) await r.sub.close();
  });

  it('opens one connection for concurrent joiners, goes on when one leaves, and stops with the last', async () => {
    let idle = 0;
    const hub = new SourceHub(bed.db.url, 5103, log, { onIdle: () => { idle++; } });
    hubs.push(hub);
    const p0 = await currentPosition(bed.db.url);
    const first = await insert(10);
    const p1 = await currentPosition(bed.db.url);
    const second = await insert(10);
    const p2 = await currentPosition(bed.db.url);
    const readers = await Promise.all([p2, p0, p1, p0, p2].map((p, i) => join(hub, `r${i}`, p)));
    const third = await insert(10);
    const want = (p: number): number[] => [...(p === 0 ? first : []), ...(p <= 1 ? second : []), ...third];
    const from = [2, 0, 1, 0, 2];
    for (const [i, r] of readers.entries()) await got(r, want(from[i]!), `r${i} after concurrent joins`);
    assert.equal(await dumps(), 1, 'one binlog connection for five joiners');
    // A leaves (its pipeline stopped, was fenced, handed over): the others go on.
    await readers[1]!.sub.close();
    const fourth = await insert(10);
    for (const i of [0, 2, 3, 4]) await got(readers[i]!, [...want(from[i]!), ...fourth], `r${i} after r1 left`);
    // It restarts from where it had got to: it joins behind the reader and gets the rest.
    const back = await join(hub, 'r1-again', p2);
    await got(back, [...third, ...fourth], 'r1 again from p2');
    for (const r of [...readers, back]) await r.sub.close();
    await waitFor('no binlog connection once the last left', async () => (await dumps()) === 0, 10_000);
    assert.equal(idle, 1, 'idle once');
  });

  it('hands an idle source\'s heartbeats to a subscriber that has everything (its stream watchdog and lag depend on them)', async () => {
    const hub = new SourceHub(bed.db.url, 5105, log);
    hubs.push(hub);
    const sub = await hub.subscribe({ name: 'idle', start: await currentPosition(bed.db.url), filter: () => true, history: new SchemaHistory({ url: bed.db.url }) });
    try {
      // The source is idle: the reader's heartbeats (one a second) carry the subscriber's own position.
      const beats: number[] = [];
      const t0 = Date.now();
      while (beats.length < 2 && Date.now() - t0 < 6000) {
        const m = await Promise.race([sub.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 6000 - (Date.now() - t0)))]);
        if (m === 'timeout' || m === null) break;
        if (m.kind === 'heartbeat') beats.push(Date.now() - t0);
      }
      assert.ok(beats.length >= 2, `heartbeats within 6 s of an idle source: ${beats.length}`);
    } finally {
      await sub.close();
    }
  });
});
