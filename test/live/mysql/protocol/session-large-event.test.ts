import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { ReplicationSession, readEventHeader } from '../../../../src/mysql/protocol/index.js';
import { EventType } from '../../../../src/mysql/binlog/event-types.js';

let srv: MariaDbServer;
before(async () => {
  srv = await startMariaDb({ extraArgs: ['--max-allowed-packet=128M'] });
  await srv.query('CREATE DATABASE d; CREATE TABLE d.blobs (id INT PRIMARY KEY, v LONGBLOB)');
});
after(async () => { await srv?.stop(); });

test('an event larger than 16 MiB arrives whole (multi-packet framing)', async () => {
  const s = await ReplicationSession.open({ url: srv.url, serverId: 31, start: { kind: 'now' }, maxBufferedBytes: 1024 * 1024 });
  try {
    // 0xffffff is the packet payload limit; make the row event span three packets, and one more after it.
    await srv.query("INSERT INTO d.blobs VALUES (1, REPEAT('z', 40000000))");
    await srv.query("INSERT INTO d.blobs VALUES (2, 'small')");
    const rows: Buffer[] = [];
    for (;;) {
      const ev = await s.next();
      assert.ok(ev);
      const h = readEventHeader(ev)!;
      assert.equal(h.size, ev.length, 'event length matches its header');
      if (h.type === EventType.WRITE_ROWS_V1) rows.push(ev);
      if (rows.length === 2) break;
    }
    assert.ok(rows[0]!.length > 40_000_000, `big row event is ${rows[0]!.length} bytes`);
    const z = rows[0]!.indexOf('zzzz');
    assert.ok(z > 0);
    assert.equal(rows[0]!.subarray(z, z + 40_000_000).every((b) => b === 0x7a), true, 'payload intact across packet boundaries');
    assert.ok(rows[1]!.includes('small'));
    const [st] = await srv.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    for (;;) {
      const ev = await s.next();
      if (ev && readEventHeader(ev)!.type === EventType.XID) break;
    }
    assert.deepEqual(s.position, { file: st!.File, pos: Number(st!.Position) });
  } finally {
    s.close();
  }
});
