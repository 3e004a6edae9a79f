// Start positions of a BinlogSource: `now`, `earliest`, `file:pos` and a MariaDB GTID set each deliver
// exactly the expected transactions; the position of every last part is a resume point (a new source
// started there delivers exactly the transactions after it), and position.gtidSet advances.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { BinlogSource, type StartSpec } from '../../../src/source/binlog-source.js';
import type { TransactionMessage } from '../../../src/core/types.js';
import { MariadbGtidList } from '../../../src/mysql/gtid/index.js';

const MARKER = 999;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads until the transaction inserting id `marker`; returns the whole transactions (ids per transaction) before and including it. */
async function readUntil(source: BinlogSource, marker: number, timeoutMs = 20_000): Promise<TransactionMessage[]> {
  const out: TransactionMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const m = await Promise.race([
      source.next(),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(out.map(ids))}`)), Math.max(1, deadline - Date.now())); }),
    ]).finally(() => clearTimeout(timer));
    if (m === null) throw new Error('source closed early');
    if (m.kind !== 'transaction') continue;
    assert.ok(m.last && m.part === 0, 'small transactions come whole');
    out.push(m);
    if (m.changes.some((c) => c.after?.['id'] === marker)) return out;
  }
}

const ids = (m: TransactionMessage): number[] => m.changes.map((c) => Number((c.after ?? c.before)!['id']));

describe('BinlogSource start positions and resume points', () => {
  let server: MariaDbServer;
  const sources: BinlogSource[] = [];
  const open = (start: StartSpec): BinlogSource => {
    const s = new BinlogSource({ url: server.url, start, filter: (db) => db === 'sp' });
    sources.push(s);
    return s;
  };
  let mid: { file: string; pos: number; gtid: string };
  // Transactions as lists of ids, in commit order.
  const batchA = [[1], [2, 3], [4]];
  const batchB = [[5], [6, 7, 8], [9], [MARKER]];
  const insert = async (txn: number[]): Promise<void> => {
    await server.query(`INSERT INTO sp.t VALUES ${txn.map((id) => `(${id}, ${id * 10})`).join(', ')}`);
  };

  before(async () => {
    server = await startMariaDb();
    await server.query('CREATE DATABASE sp');
    await server.query('CREATE TABLE sp.t (id INT PRIMARY KEY, v INT)');
    for (const t of batchA) await insert(t);
    await server.query('UPDATE sp.t SET v = v + 1 WHERE id IN (2, 3)');
    await server.query('DELETE FROM sp.t WHERE id = 1');
    const [st] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    const [g] = await server.query<Array<{ g: string }>>('SELECT @@gtid_binlog_pos AS g');
    mid = { file: st!.File, pos: Number(st!.Position), gtid: g!.g };
    // A transaction on another database in between: filtered out, but it moves positions.
    await server.query('CREATE DATABASE other');
    await server.query('CREATE TABLE other.x (id INT PRIMARY KEY)');
    await server.query('INSERT INTO other.x VALUES (1)');
    for (const t of batchB) await insert(t);
  });
  after(async () => {
    for (const s of sources) await s.close();
    await server?.stop();
  });

  const all = [...batchA, [2, 3], [1], ...batchB];

  it('earliest delivers every transaction', async () => {
    const got = await readUntil(open({ kind: 'earliest' }), MARKER);
    assert.deepEqual(got.map(ids), all);
    assert.deepEqual(got.map((m) => m.changes.map((c) => c.op)), [['insert'], ['insert', 'insert'], ['insert'], ['update', 'update'], ['delete'],
      ['insert'], ['insert', 'insert', 'insert'], ['insert'], ['insert']]);
  });

  it('file:pos from SHOW MASTER STATUS delivers exactly the transactions after it', async () => {
    const got = await readUntil(open({ kind: 'file', file: mid.file, pos: mid.pos }), MARKER);
    assert.deepEqual(got.map(ids), batchB);
  });

  it('a MariaDB GTID set (@@gtid_binlog_pos) delivers exactly the transactions after it', async () => {
    const got = await readUntil(open({ kind: 'gtid', gtidSet: mid.gtid }), MARKER);
    assert.deepEqual(got.map(ids), batchB);
    const seq = MariadbGtidList.parse(mid.gtid);
    assert.ok(got.every((m) => m.gtid !== undefined && Number(m.gtid.split('-')[2]) > Number(mid.gtid.split('-')[2])), `gtids after ${seq.toString()}`);
  });

  it('every transaction position is a resume point, and gtidSet advances', async () => {
    const got = await readUntil(open({ kind: 'earliest' }), MARKER);
    assert.equal(got.length, all.length);
    let prevSeq = -1;
    for (const m of got) {
      const gs = m.position.gtidSet;
      assert.ok(gs !== undefined, 'position carries the GTID set');
      assert.equal(gs, m.gtid, 'single domain and server: the GTID set is this transaction\'s GTID');
      const seq = Number(gs.split('-')[2]);
      assert.ok(seq > prevSeq, `gtidSet advances: ${gs}`);
      prevSeq = seq;
      assert.ok(m.startPosition.pos < m.position.pos || m.startPosition.file !== m.position.file, 'ends after it starts');
    }
    // Resume from each transaction's position (and from the start position of the first one).
    for (let k = 0; k < got.length - 1; k++) {
      const resumed = await readUntil(open({ kind: 'position', position: got[k]!.position }), MARKER);
      assert.deepEqual(resumed.map(ids), all.slice(k + 1), `resume after transaction ${k}`);
      assert.deepEqual(resumed.map((m) => m.position), got.slice(k + 1).map((m) => m.position), `same positions after resuming at ${k}`);
    }
    const again = await readUntil(open({ kind: 'position', position: got[0]!.startPosition }), MARKER);
    assert.deepEqual(again.map(ids)[0], all[0], 'startPosition re-reads the transaction');
  });

  it('now delivers exactly the transactions committed after the stream opened', async () => {
    const dumps = async (): Promise<number> =>
      (await server.query<Array<{ Command: string }>>('SHOW PROCESSLIST')).filter((r) => r.Command === 'Binlog Dump').length;
    const before = await dumps();
    const source = open({ kind: 'now' });
    const reading = readUntil(source, MARKER + 1);
    // Wait until this source's dump is running, i.e. `now` has been resolved.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if ((await dumps()) > before) break;
      if (Date.now() > deadline) throw new Error('dump thread did not start');
      await sleep(20);
    }
    await insert([20]);
    await insert([21, 22]);
    await insert([MARKER + 1]);
    const got = await reading;
    assert.deepEqual(got.map(ids), [[20], [21, 22], [MARKER + 1]]);
  });
});
