// A subscriber joining a SourceHub behind its reader, while another one streams, catches up on a private reader
// (its own server id) and is handed over to the shared reader: the shared reader is never restarted (the streaming
// subscriber never waits), every subscriber gets exactly the transactions after its position, in order, once —
// behind by many transactions, inside a large transaction the shared reader is handing out in parts, several at
// once, after being parked, and across DDL (the rows named by the schema of their time, the hub's history holding
// the DDL's version). Once every catch-up is over, the source sees one binlog connection again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SourceHub, type SourceHubOptions } from '../../../src/pipeline/source-hub.js';
import { localCatchUpIds } from '../../../src/pipeline/build.js';
import { SchemaHistory } from '../../../src/mysql/schema/schema-history.js';
import { currentPosition } from '../../../src/pipeline/source-access.js';
import { createLogger } from '../../../src/log.js';
import type { Position } from '../../../src/core/types.js';
import { waitFor } from '../../helpers/wait-for.js';
import { hubBed } from './hub-bed.js';
import { Reader } from './subscription-reader.js';

const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'silent');

describe('SourceHub: a joiner behind the shared reader catches up on a private reader', () => {
  const bed = hubBed(30_000);
  const { hubs, insert, insertOne, dumps, got } = bed;

  const hubOf = (serverId: number, opts: SourceHubOptions = {}): SourceHub => {
    const ids = localCatchUpIds(() => serverId);
    const hub = new SourceHub(bed.db.url, serverId, log, { ...opts, catchUpIds: (onLost) => ids('src', { url: bed.db.url } as never, onLost) });
    hubs.push(hub);
    return hub;
  };
  /** Subscribe from `start` with a history seeded now (`start` must be the current position when DDL follows). */
  const join = async (hub: SourceHub, name: string, start: Position, table = 't'): Promise<Reader> => {
    const filter = (d: string, t: string): boolean => d === 'hub' && t === table;
    const history = new SchemaHistory({ url: bed.db.url });
    await history.seed(start, filter);
    return new Reader(await hub.subscribe({ name, start, filter, history }));
  };
  const oneConnection = (): Promise<void> => waitFor('one binlog connection once the catch-ups are over', async () => (await dumps()) === 1, 10_000).then(() => undefined);

  it('a joiner far behind reads on its own while the other streams; the shared reader is never restarted', async () => {
    const hub = hubOf(5301);
    const p0 = await currentPosition(bed.db.url);
    const a = await join(hub, 'a', p0);
    const first = await insert(300);
    await got(a, first, 'a gets its rows');
    // b joins at p0 while a writer goes on: b catches up, then reads through the shared reader.
    let writing = true;
    const written: number[] = [];
    const writer = (async () => { while (writing) written.push(...await insert(1)); })();
    await new Promise((r) => setTimeout(r, 200));
    const b = await join(hub, 'b', p0);
    await waitFor('b handed over', () => hub.handOvers === 1, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    writing = false;
    await writer;
    await got(b, [...first, ...written], 'b: every row once, in order');
    await got(a, [...first, ...written], 'a: every row once, in order');
    assert.equal(hub.starts, 1, 'the shared reader was started once (never restarted for b)');
    assert.equal(hub.catchUps, 1, 'one catch-up reader');
    await oneConnection();
    assert.equal(hub.catchUpReaders, 0, 'the catch-up reader is closed');
    for (const r of [a, b]) await r.sub.close();
  });

  it('a joiner inside a transaction the shared reader hands out in parts, and several joiners at once', async () => {
    const hub = hubOf(5302, { maxChangesPerPart: 5 });
    const p0 = await currentPosition(bed.db.url);
    const a = await join(hub, 'a', p0);
    const first = await insert(10);
    const p1 = await currentPosition(bed.db.url);
    const second = await insert(10);
    await got(a, [...first, ...second], 'a gets its rows');
    const p2 = await currentPosition(bed.db.url);
    a.pause();
    const big = await insertOne(2000);
    await waitFor('the reader to hold a full queue for a (in the middle of the transaction)', () => a.sub.queue.length >= hub.queueLimit, 10_000);
    const joiners = await Promise.all([p2, p0, p1, p0].map((p, i) => join(hub, `j${i}`, p)));
    a.resume();
    const later = await insert(5);
    const want = [[...big, ...later], [...first, ...second, ...big, ...later], [...second, ...big, ...later], [...first, ...second, ...big, ...later]];
    for (const [i, r] of joiners.entries()) await got(r, want[i]!, `j${i} gets every row after its position once`);
    await got(a, [...first, ...second, ...big, ...later], 'a gets the transaction once');
    assert.equal(hub.starts, 1, 'never restarted');
    assert.equal(hub.catchUps, 4, 'a catch-up reader per joiner');
    await oneConnection();
    for (const r of [a, ...joiners]) await r.sub.close();
  });

  it('a parked subscriber rejoins through a catch-up reader', async () => {
    const hub = hubOf(5303, { parkAfterMs: 300 });
    const p0 = await currentPosition(bed.db.url);
    const slow = await join(hub, 'slow', p0);
    const fast = await join(hub, 'fast', p0);
    slow.pause();
    const rows = await insert(150);
    await got(fast, rows, 'fast goes on while slow takes nothing');
    assert.ok(hub.parks >= 1, 'slow was parked');
    slow.resume();
    await got(slow, rows, 'slow catches up, every row once');
    const more = await insert(5);
    await got(slow, [...rows, ...more], 'slow after the hand-over');
    await got(fast, [...rows, ...more], 'fast');
    assert.equal(hub.starts, 1, 'never restarted');
    await oneConnection();
    for (const r of [slow, fast]) await r.sub.close();
  });

  it('catches up across DDL: rows named by the schema of their time, the DDL in the hub\'s history', async () => {
    await bed.db.query('CREATE TABLE hub.d (id INT PRIMARY KEY, v INT)');
    const hub = hubOf(5304);
    const p0 = await currentPosition(bed.db.url);
    const a = await join(hub, 'a', p0, 'd');
    const before = await insert(20, 'd');
    await bed.db.query("ALTER TABLE hub.d ADD COLUMN w VARCHAR(10) NOT NULL DEFAULT 'x' AFTER id");
    const afterAdd = await insert(20, 'd');
    await bed.db.query('ALTER TABLE hub.d DROP COLUMN v');
    const afterDrop = await insert(0, 'd');
    for (let i = 0; i < 20; i++) { const id = bed.nextId(); await bed.db.query('INSERT INTO hub.d (id) VALUES (?)', [id]); afterDrop.push(id); }
    await got(a, [...before, ...afterAdd, ...afterDrop], 'a gets every row');
    const b = await join(hub, 'b', p0, 'd');
    await got(b, [...before, ...afterAdd, ...afterDrop], 'b gets every row once');
    await waitFor('b handed over', () => hub.handOvers === 1, 30_000);
    const cols = (r: Record<string, unknown>): string => Object.keys(r).join(',');
    for (const r of [a, b]) {
      assert.deepEqual(r.rows.slice(0, 20).map(cols), Array(20).fill('id,v'), `${r.sub.name}: rows before the ADD`);
      assert.deepEqual(r.rows.slice(20, 40).map(cols), Array(20).fill('id,w,v'), `${r.sub.name}: rows between ADD and DROP`);
      assert.deepEqual(r.rows.slice(40).map(cols), Array(20).fill('id,w'), `${r.sub.name}: rows after the DROP`);
    }
    const tail = await insert(0, 'd');
    for (let i = 0; i < 5; i++) { const id = bed.nextId(); await bed.db.query('INSERT INTO hub.d (id) VALUES (?)', [id]); tail.push(id); }
    await got(b, [...before, ...afterAdd, ...afterDrop, ...tail], 'b after the hand-over');
    assert.equal(hub.history.versions('hub', 'd').length >= 3, true, 'the hub\'s history has a version per DDL');
    assert.equal(hub.starts, 1, 'never restarted');
    await oneConnection();
    for (const r of [a, b]) await r.sub.close();
  });
});
