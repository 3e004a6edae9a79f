import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { ReplicationSession, readEventHeader } from '../../../../src/mysql/protocol/index.js';
import { EventType } from '../../../../src/mysql/binlog/event-types.js';
import { SluiceError } from '../../../../src/errors.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Status = Array<{ File: string; Position: number }>;

/** Read events until `until` returns true for one of them, or fail after `ms`. */
async function readUntil(s: ReplicationSession, until: (ev: Buffer) => boolean, ms = 10_000): Promise<Buffer[]> {
  const seen: Buffer[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    assert.ok(left > 0, `condition not met within ${ms} ms after ${seen.length} events`);
    const ev = await Promise.race([s.next(), sleep(left).then(() => 'timeout' as const)]);
    assert.notEqual(ev, 'timeout', `condition not met within ${ms} ms after ${seen.length} events`);
    assert.ok(ev !== null && ev !== 'timeout', 'stream ended');
    seen.push(ev);
    if (until(ev)) return seen;
  }
}

const typeOf = (ev: Buffer): number => readEventHeader(ev)!.type;
const hasText = (events: Buffer[], text: string): boolean => events.some((e) => e.includes(text));
/** The ANNOTATE_ROWS event of a statement containing `marker` (MariaDB sends them with flag 2). */
const annotates = (marker: string) => (ev: Buffer): boolean => typeOf(ev) === EventType.MARIADB_ANNOTATE_ROWS && ev.includes(marker);
const isXid = (ev: Buffer): boolean => typeOf(ev) === EventType.XID;

async function expectCode(p: Promise<unknown>, code: string): Promise<SluiceError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SluiceError, `expected SluiceError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.fix.length > 0, 'error carries a fix');
    return err;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

describe('replication session (MariaDB)', () => {
  let srv: MariaDbServer;
  const sessions: ReplicationSession[] = [];
  let nextId = 100;
  const open = async (o: Partial<Parameters<typeof ReplicationSession.open>[0]> & { start: Parameters<typeof ReplicationSession.open>[0]['start'] }): Promise<ReplicationSession> => {
    const s = await ReplicationSession.open({ url: srv.url, serverId: nextId++, ...o });
    sessions.push(s);
    return s;
  };

  before(async () => {
    srv = await startMariaDb();
    await srv.query('CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, v LONGTEXT)');
  });
  after(async () => {
    for (const s of sessions) s.close();
    await srv?.stop();
  });

  test('from now: streams new transactions, tracks the position', async () => {
    const s = await open({ start: { kind: 'now' } });
    assert.equal(s.flavor, 'mariadb');
    assert.match(s.serverVersion, /MariaDB/);
    assert.equal(s.checksumEnabled, true);
    assert.equal(s.gtidMode, 'ON');
    assert.deepEqual(s.warnings, []);
    const status = await srv.query<Status>('SHOW MASTER STATUS');
    assert.deepEqual({ file: s.startPosition.file, pos: s.startPosition.pos }, { file: status[0]!.File, pos: Number(status[0]!.Position) });
    await srv.query("INSERT INTO d.t VALUES (1, 'from-now-1'), (2, 'x')");
    const events = await readUntil(s, isXid);
    assert.equal(typeOf(events[0]!), EventType.ROTATE, 'a dump starts with a (fake) rotate');
    assert.ok(events.some((e) => typeOf(e) === EventType.TABLE_MAP));
    assert.ok(events.some((e) => typeOf(e) === EventType.WRITE_ROWS_V1));
    assert.ok(hasText(events, 'from-now-1'));
    const after = await srv.query<Status>('SHOW MASTER STATUS');
    assert.deepEqual(s.position, { file: after[0]!.File, pos: Number(after[0]!.Position) }, 'position after the XID equals the end of the log');
    // Each event is complete: header size equals the buffer length.
    for (const e of events) assert.equal(readEventHeader(e)!.size, e.length);
  });

  test('from earliest: sees the format description and the first DDL', async () => {
    const s = await open({ start: { kind: 'earliest' } });
    assert.deepEqual({ file: s.startPosition.file, pos: s.startPosition.pos }, { file: 'bin.000001', pos: 4 });
    const events = await readUntil(s, (e) => typeOf(e) === EventType.QUERY && e.includes('CREATE DATABASE d'));
    assert.ok(events.some((e) => typeOf(e) === EventType.FORMAT_DESCRIPTION));
    assert.ok(events.some((e) => typeOf(e) === EventType.MARIADB_GTID_LIST));
  });

  test('from file:pos: starts exactly there', async () => {
    await srv.query("INSERT INTO d.t VALUES (10, 'before-pos')");
    const [st] = await srv.query<Status>('SHOW MASTER STATUS');
    await srv.query("INSERT INTO d.t VALUES (11, 'after-pos')");
    const s = await open({ start: { kind: 'file', file: st!.File, pos: Number(st!.Position) } });
    const events = await readUntil(s, annotates('after-pos'));
    assert.ok(!hasText(events, 'before-pos'), 'nothing before the position');
    assert.equal(typeOf(events[0]!), EventType.ROTATE);
    assert.equal(typeOf(events[1]!), EventType.FORMAT_DESCRIPTION);
  });

  test('from a MariaDB GTID position: starts after that GTID', async () => {
    await srv.query("INSERT INTO d.t VALUES (20, 'gtid-before')");
    const [g] = await srv.query<Array<{ p: string }>>('SELECT @@gtid_binlog_pos AS p');
    await srv.query("INSERT INTO d.t VALUES (21, 'gtid-after')");
    const s = await open({ start: { kind: 'gtid', gtidSet: g!.p } });
    assert.equal(s.startPosition.gtidSet, g!.p);
    const events = await readUntil(s, annotates('gtid-after'));
    assert.ok(!hasText(events, 'gtid-before'), 'the transaction of the given GTID is not repeated');
    assert.ok(events.some((e) => typeOf(e) === EventType.MARIADB_GTID));
    await readUntil(s, isXid);
    const [st] = await srv.query<Status>('SHOW MASTER STATUS');
    assert.deepEqual(s.position, { file: st!.File, pos: Number(st!.Position) }, 'the fake rotate gives the file; positions follow');
  });

  test('heartbeat arrives on an idle server', async () => {
    const s = await open({ start: { kind: 'now' }, heartbeatSeconds: 1 });
    const t0 = Date.now();
    await readUntil(s, (e) => typeOf(e) === EventType.HEARTBEAT, 5000);
    assert.ok(Date.now() - t0 < 4000);
  });

  test('backpressure: a slow consumer keeps the buffer bounded while 20 MB are written', async () => {
    const limit = 256 * 1024;
    const s = await open({ start: { kind: 'now' }, maxBufferedBytes: limit });
    await srv.query('CREATE TABLE d.big (id INT PRIMARY KEY, v LONGTEXT)');
    const chunk = 'y'.repeat(1000);
    let id = 0;
    // 20 statements of ~1 MB each (1000 rows of 1 KB); MariaDB splits them into ~8 KB row events.
    for (let i = 0; i < 20; i++) {
      const rows: string[] = [];
      for (let r = 0; r < 1000; r++) rows.push(`(${id++}, '${chunk}')`);
      await srv.query(`INSERT INTO d.big VALUES ${rows.join(',')}`);
    }
    await srv.query("INSERT INTO d.t VALUES (30, 'bp-end')");
    // The server now waits to send ~40 MB (row events + ANNOTATE_ROWS with the SQL text).
    const rss0 = process.memoryUsage().rss;
    let bytes = 0, maxEvent = 0, sawPaused = false, peakRss = 0;
    let events = 0, peakQueue = 0;
    for (;;) {
      const ev = await s.next();
      assert.ok(ev);
      events++;
      bytes += ev.length;
      maxEvent = Math.max(maxEvent, ev.length);
      sawPaused ||= s.isPaused;
      peakQueue = Math.max(peakQueue, s.bufferedBytes);
      if (events % 50 === 0) {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        await sleep(1);
      }
      if (typeOf(ev) === EventType.MARIADB_ANNOTATE_ROWS && ev.includes('bp-end')) break;
    }
    assert.ok(bytes > 20e6, `received ${bytes} bytes`);
    assert.ok(sawPaused, 'the socket was paused at some point');
    assert.ok(events > 200, `${events} events`);
    assert.ok(peakQueue <= limit + maxEvent && s.peakBufferedBytes <= limit + maxEvent, `peak ${s.peakBufferedBytes} > ${limit} + ${maxEvent}`);
    assert.ok(peakRss - rss0 < 64 * 1024 * 1024, `RSS grew by ${Math.round((peakRss - rss0) / 1e6)} MB`);
  });

  test('duplicate server id: the older session gets DUPLICATE_SERVER_ID', async () => {
    const s1 = await open({ start: { kind: 'now' }, serverId: 4242, heartbeatSeconds: 1 });
    const first = (async () => { for (;;) { const e = await s1.next(); if (!e) return; } })();
    first.catch(() => { /* checked below */ });
    await open({ start: { kind: 'now' }, serverId: 4242 });
    const err = await expectCode(first, 'DUPLICATE_SERVER_ID');
    assert.match(err.fix, /serverId/);
  });

  test('position purged: a purged file is refused with POSITION_PURGED', async () => {
    // The server keeps files that a connected replica still reads: close the earlier sessions.
    for (const s of sessions.splice(0)) s.close();
    await sleep(200);
    await srv.query('FLUSH BINARY LOGS');
    await srv.query('FLUSH BINARY LOGS');
    const [st] = await srv.query<Status>('SHOW MASTER STATUS');
    // MariaDB keeps files until their binlog checkpoint is durable (a moment later): retry the purge.
    for (let i = 0; ; i++) {
      await srv.query(`PURGE BINARY LOGS TO '${st!.File}'`);
      const logs = await srv.query<Array<{ Log_name: string }>>('SHOW BINARY LOGS');
      if (logs[0]!.Log_name === st!.File) break;
      assert.ok(i < 50, 'binlogs could not be purged');
      await sleep(200);
    }
    const err = await expectCode(open({ start: { kind: 'file', file: 'bin.000001', pos: 4 } }), 'POSITION_PURGED');
    assert.match(err.fix, /re-snapshot/);
    // The server's own refusal (ERR 1236) of a GTID in the purged files maps to GTID_PURGED.
    const gerr = await expectCode(open({ start: { kind: 'gtid', gtidSet: `0-${srv.serverId}-1` } }), 'GTID_PURGED');
    assert.match(gerr.fix, /re-snapshot/);
    // earliest now means the first remaining file
    const s = await open({ start: { kind: 'earliest' } });
    assert.equal(s.startPosition.file, st!.File);
  });

  test('missing grants: MISSING_GRANTS with the GRANT statement', async () => {
    await srv.query("CREATE USER 'nogrant'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON *.* TO 'nogrant'@'%'");
    await srv.query("CREATE USER 'monitor'@'%' IDENTIFIED BY 'pw'; GRANT SELECT, BINLOG MONITOR ON *.* TO 'monitor'@'%'");
    const url = (u: string): string => srv.url.replace('root@', `${u}:pw@`);
    const e1 = await expectCode(ReplicationSession.open({ url: url('nogrant'), serverId: 900, start: { kind: 'now' } }), 'MISSING_GRANTS');
    assert.match(e1.fix, /GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON \*\.\* TO `nogrant`@`%`/);
    // The short status query (sluice tail's and the preflight's first look) names the account too.
    const e0 = await expectCode(ReplicationSession.serverStatus(url('nogrant')), 'MISSING_GRANTS');
    assert.equal(e0.fix, e1.fix);
    // Can read the status but not register/dump: the server's ERR packet maps to MISSING_GRANTS too.
    const e2 = await expectCode(ReplicationSession.open({ url: url('monitor'), serverId: 901, start: { kind: 'now' } }), 'MISSING_GRANTS');
    assert.match(e2.fix, /GRANT REPLICATION SLAVE/);
    await expectCode(ReplicationSession.open({ url: srv.url.replace('root@', 'nogrant:wrong@'), serverId: 902, start: { kind: 'now' } }), 'ACCESS_DENIED');
  });

  test('missing grants: the GRANT of the fix, pasted as it is, lets the account stream (quotes, backslash, backquote in its name)', async () => {
    const name = "o'ne\\x`y";
    await srv.query(`CREATE USER \`${name.replace(/`/g, '``')}\`@'127.0.0.1' IDENTIFIED BY 'pw'`);
    const url = srv.url.replace('root@', `${encodeURIComponent(name)}:pw@`);
    const err = await expectCode(ReplicationSession.serverStatus(url), 'MISSING_GRANTS');
    const stmt = err.fix.replace(/^as an administrator run: /, '');
    assert.equal(stmt, 'GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO `o\'ne\\x``y`@`127.0.0.1`');
    await srv.query(stmt);
    const s = await open({ url, start: { kind: 'now' } });
    assert.equal(s.flavor, 'mariadb');
  });
});

describe('replication session: server-level failures', () => {
  const servers: MariaDbServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  test('binlog off → BINLOG_DISABLED', async () => {
    const srv = await startMariaDb({ binlog: false });
    servers.push(srv);
    const err = await expectCode(ReplicationSession.open({ url: srv.url, serverId: 5, start: { kind: 'now' } }), 'BINLOG_DISABLED');
    assert.match(err.fix, /log.bin/);
    const st = await ReplicationSession.serverStatus(srv.url);
    assert.equal(st.logBin, false);
  });

  test('row image not FULL → a warning, streaming still works', async () => {
    const srv = await startMariaDb({ binlogRowImage: 'MINIMAL' });
    servers.push(srv);
    const s = await ReplicationSession.open({ url: srv.url, serverId: 6, start: { kind: 'now' } });
    try {
      assert.deepEqual(s.warnings.map((w) => w.code), ['BINLOG_ROW_IMAGE_NOT_FULL']);
      await srv.query('CREATE DATABASE x');
      await readUntil(s, (e) => e.includes('CREATE DATABASE x'));
    } finally {
      s.close();
    }
  });

  test('server killed mid-stream → next() rejects with CONNECTION_LOST within seconds', async () => {
    const srv = await startMariaDb();
    servers.push(srv);
    const s = await ReplicationSession.open({ url: srv.url, serverId: 7, start: { kind: 'now' } });
    await srv.query('CREATE DATABASE k');
    await readUntil(s, (e) => e.includes('CREATE DATABASE k'));
    const t0 = Date.now();
    const drained = (async () => { for (;;) { const e = await s.next(); if (!e) return; } })();
    drained.catch(() => { /* checked below */ });
    await srv.kill();
    await expectCode(drained, 'CONNECTION_LOST');
    assert.ok(Date.now() - t0 < 5000);
    await expectCode(s.next(), 'CONNECTION_LOST');
    s.close();
  });
});
