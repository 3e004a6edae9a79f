// One 300k-row transaction (~200-byte rows, ~70 MB of row images) read by a deliberately slow consumer:
// the reader's memory stays bounded (the socket is paused, the transaction is streamed in parts), every
// change arrives once and in order, parts are at most maxChangesPerPart and exactly one is last.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { BinlogSource } from '../../../src/source/binlog-source.js';
import type { SourceMessage } from '../../../src/core/types.js';

const ROWS = 300_000;
const PART = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a 300k-row transaction with a slow consumer', () => {
  let server: MariaDbServer;
  let source: BinlogSource | null = null;
  before(async () => {
    server = await startMariaDb({ extraArgs: ['--innodb-buffer-pool-size=128M'] });
    await server.query('CREATE DATABASE bt');
    await server.query('CREATE TABLE bt.t (id INT PRIMARY KEY, n BIGINT NOT NULL, a VARCHAR(100) NOT NULL, b VARCHAR(100) NOT NULL)');
  });
  after(async () => {
    await source?.close();
    await server?.stop();
  });

  it('streams all changes in order in bounded memory', async (t) => {
    const [status] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    const t0 = Date.now();
    await server.query(`INSERT INTO bt.t SELECT seq, seq * 1000003, CONCAT('a-', seq, '-', REPEAT('x', 88)), CONCAT('b-', REPEAT('y', 90), '-', seq) FROM bt.seq_1_to_${ROWS}`);
    const [size] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    const binlogBytes = Number(size!.Position) - Number(status!.Position);
    t.diagnostic(`insert took ${Date.now() - t0} ms; transaction is ${(binlogBytes / 1e6).toFixed(1)} MB of binlog`);
    assert.ok(binlogBytes > 55e6, `the transaction should be large (${binlogBytes} bytes)`);

    source = new BinlogSource({
      url: server.url, start: { kind: 'file', file: status!.File, pos: Number(status!.Position) },
      filter: (db) => db === 'bt', maxChangesPerPart: PART,
    });
    // Baseline after the connection is up (first message pulled below is the first part).
    const first = await source.next();
    assert.ok(first && first.kind === 'transaction', 'first message is a part of the transaction');
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);

    let expected = 1;
    let parts = 0;
    let lastParts = 0;
    let lastPartNo = -1;
    let oversize = 0;
    let badOrder = '';
    let m: SourceMessage | null = first;
    const t1 = Date.now();
    try {
      for (;;) {
        assert.ok(m && m.kind === 'transaction', `unexpected message ${m?.kind}`);
        if (m.part !== lastPartNo + 1) badOrder ||= `part ${m.part} after ${lastPartNo}`;
        lastPartNo = m.part;
        parts++;
        if (m.changes.length > PART) oversize++;
        for (const c of m.changes) {
          if (c.op !== 'insert' || c.after?.['id'] !== expected || c.after['n'] !== expected * 1000003) badOrder ||= `change ${JSON.stringify(c.after?.['id'])} where ${expected} was expected`;
          expected++;
        }
        if (m.last) {
          lastParts++;
          break;
        }
        // The slow consumer: a pause every part.
        await sleep(4);
        peak = Math.max(peak, process.memoryUsage().rss);
        m = await source.next();
      }
    } finally {
      clearInterval(sampler);
    }
    const growthMb = (peak - baseline) / 1e6;
    t.diagnostic(`read ${expected - 1} changes in ${parts} parts in ${Date.now() - t1} ms; RSS baseline ${(baseline / 1e6).toFixed(0)} MB, peak ${(peak / 1e6).toFixed(0)} MB, growth ${growthMb.toFixed(1)} MB`);
    assert.equal(badOrder, '');
    assert.equal(expected - 1, ROWS);
    assert.equal(oversize, 0, 'parts over maxChangesPerPart');
    assert.equal(lastParts, 1);
    assert.ok(parts >= ROWS / PART, `${parts} parts`);
    assert.ok(growthMb < 150, `RSS grew by ${growthMb.toFixed(1)} MB for a ${(binlogBytes / 1e6).toFixed(0)} MB transaction`);
  });
});
