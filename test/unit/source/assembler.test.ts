import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransactionAssembler } from '../../../src/source/transaction-assembler.js';
import type { BinlogEvent, EventBody, EventHeader } from '../../../src/mysql/binlog/events.js';
import type { SourceMessage, TransactionMessage, DdlMessage } from '../../../src/core/types.js';

const UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

/** Builds events laid out back to back in one file, tracking offsets like a real binlog. */
class Stream {
  pos: number;
  ts = 1_700_000_000;
  constructor(readonly asm: TransactionAssembler, start = 4, private readonly zeroNext = false) { this.pos = start; }

  push(body: EventBody, size = 100, opts: { nextZero?: boolean; ts?: number } = {}): SourceMessage[] {
    const at = this.pos;
    const next = at + size;
    const header: EventHeader = { timestamp: opts.ts ?? this.ts, type: 0, serverId: 1, eventSize: size, nextPosition: (opts.nextZero ?? this.zeroNext) ? 0 : next, flags: 0 };
    this.pos = next;
    return this.asm.push({ ...body, header } as BinlogEvent, at);
  }
}

const q = (sql: string, database = 'shop'): EventBody => ({ kind: 'query', threadId: 1, executionTime: 0, errorCode: 0, database, sql, status: {} });
const xid = (): EventBody => ({ kind: 'xid', xid: 1n });
const rows = (table: string, n: number, op: 'insert' | 'update' | 'delete' = 'insert', database = 'shop'): EventBody => ({
  kind: 'rows', op, tableId: 1, database, table, flags: 0, statementEnd: true,
  rows: Array.from({ length: n }, (_, i) => op === 'insert' ? { before: null, after: { id: i } } : op === 'delete' ? { before: { id: i }, after: null } : { before: { id: i }, after: { id: i + 1 } }),
});
const mysqlGtid = (n: number, micros?: bigint): EventBody => ({ kind: 'gtid', flavor: 'mysql', anonymous: false, gtid: `${UUID}:${n}`, sid: UUID, gno: BigInt(n), immediateCommitTimestamp: micros });
const mariaGtid = (seq: number, standalone = false, domain = 0): EventBody => ({ kind: 'gtid', flavor: 'mariadb', gtid: `${domain}-1-${seq}`, domainId: domain, serverId: 1, seqNo: BigInt(seq), standalone, xa: false, flags2: 0 });

const tx = (m: SourceMessage[]): TransactionMessage[] => m.filter((x): x is TransactionMessage => x.kind === 'transaction');

test('MySQL: GTID, BEGIN, rows, XID → one transaction with GTID set and commit time', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'bin.000001', pos: 4, gtidSet: `${UUID}:1-5` } });
  const s = new Stream(a);
  assert.deepEqual(s.push(mysqlGtid(6, 1_700_000_000_123_456n)), []);
  assert.deepEqual(s.push(q('BEGIN')), []);
  assert.deepEqual(s.push({ kind: 'table_map', tableId: 1, database: 'shop', table: 't', columns: [], hasNames: false, hasSignedness: false }), []);
  assert.deepEqual(s.push(rows('t', 2)), []);
  assert.deepEqual(s.push(rows('t', 1, 'update')), []);
  const out = s.push(xid());
  assert.equal(out.length, 1);
  const m = out[0] as TransactionMessage;
  assert.equal(m.kind, 'transaction');
  assert.equal(m.gtid, `${UUID}:6`);
  assert.deepEqual(m.position, { file: 'bin.000001', pos: 604, gtidSet: `${UUID}:1-6` });
  assert.deepEqual(m.startPosition, { file: 'bin.000001', pos: 4, gtidSet: `${UUID}:1-5` });
  assert.equal(m.commitTime, 1_700_000_000_123);
  assert.equal(m.part, 0);
  assert.equal(m.last, true);
  assert.deepEqual(m.changes.map((c) => c.op), ['insert', 'insert', 'update']);
  assert.deepEqual(m.changes[2], { op: 'update', database: 'shop', table: 't', before: { id: 0 }, after: { id: 1 } });
  assert.deepEqual(a.position, m.position);
});

test('MySQL: commit time from the XID header when the GTID has no commit timestamp; QUERY COMMIT ends too', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'bin.000001', pos: 4 } });
  const s = new Stream(a);
  s.push(q('BEGIN'));
  s.push(rows('t', 1));
  const out = s.push(q('COMMIT'), 100, { ts: 1_700_000_042 });
  assert.equal(tx(out)[0]!.commitTime, 1_700_000_042_000);
  assert.equal(tx(out)[0]!.gtid, undefined);
  assert.deepEqual(a.position, { file: 'bin.000001', pos: 304 });
});

test('MySQL: DDL after GTID is a standalone DDL message with implicit commit', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'bin.000001', pos: 4, gtidSet: `${UUID}:1` } });
  const s = new Stream(a);
  s.push(mysqlGtid(2));
  const out = s.push(q('ALTER TABLE t ADD c INT'));
  assert.equal(out.length, 1);
  const d = out[0] as DdlMessage;
  assert.equal(d.kind, 'ddl');
  assert.equal(d.sql, 'ALTER TABLE t ADD c INT');
  assert.equal(d.database, 'shop');
  assert.equal(d.gtid, `${UUID}:2`);
  assert.deepEqual(d.position, { file: 'bin.000001', pos: 204, gtidSet: `${UUID}:1-2` });
  assert.deepEqual(a.position, d.position);
  assert.equal(a.inTransaction, false);
});

test('MariaDB: GTID is the BEGIN; standalone GTID + DDL; domains tracked', () => {
  const a = new TransactionAssembler({ flavor: 'mariadb', startPosition: { file: 'mariadb-bin.000003', pos: 400, gtidSet: '0-1-10,1-2-5' } });
  const s = new Stream(a, 400);
  s.push(mariaGtid(11));
  s.push(rows('t', 1));
  let out = s.push(xid());
  assert.equal(tx(out)[0]!.gtid, '0-1-11');
  assert.equal(tx(out)[0]!.position.gtidSet, '0-1-11,1-2-5');
  s.push(mariaGtid(12, true));
  out = s.push(q('CREATE TABLE n (id int primary key)'));
  assert.equal(out[0]!.kind, 'ddl');
  assert.equal((out[0] as DdlMessage).gtid, '0-1-12');
  assert.deepEqual(out[0]!.position, { file: 'mariadb-bin.000003', pos: 900, gtidSet: '0-1-12,1-2-5' });
  s.push(mariaGtid(6, false, 1));
  s.push(q('BEGIN'));
  s.push(rows('t', 1, 'delete'));
  out = s.push(q('COMMIT'));
  assert.equal(tx(out)[0]!.position.gtidSet, '0-1-12,1-1-6');
  assert.equal(tx(out)[0]!.changes[0]!.op, 'delete');
});

test('MariaDB 11.4: end_log_pos 0 inside transactions → positions computed from event sizes', () => {
  const a = new TransactionAssembler({ flavor: 'mariadb', startPosition: { file: 'b.000001', pos: 256, gtidSet: '0-1-1' } });
  const s = new Stream(a, 256, true);
  s.push(mariaGtid(2), 50);
  s.push(rows('t', 1), 70);
  const out = s.push(xid(), 31);
  assert.deepEqual(tx(out)[0]!.position, { file: 'b.000001', pos: 407, gtidSet: '0-1-2' });
  assert.deepEqual(tx(out)[0]!.startPosition, { file: 'b.000001', pos: 256, gtidSet: '0-1-1' });
});

test('ROLLBACK discards the transaction; position and GTID still advance', () => {
  const a = new TransactionAssembler({ flavor: 'mariadb', startPosition: { file: 'b.1', pos: 4, gtidSet: '0-1-1' } });
  const s = new Stream(a);
  s.push(mariaGtid(2));
  s.push(rows('t', 3));
  const out = s.push(q('ROLLBACK'));
  assert.deepEqual(tx(out), []);
  assert.deepEqual(a.position, { file: 'b.1', pos: 304, gtidSet: '0-1-2' });
});

test('big transactions come in parts; non-last parts carry the start position; ROLLBACK after parts', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4, gtidSet: `${UUID}:1` }, maxChangesPerPart: 4 });
  const s = new Stream(a);
  s.push(mysqlGtid(2));
  s.push(q('BEGIN'));
  let parts = tx(s.push(rows('t', 5)));
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.changes.length, 4);
  assert.equal(parts[0]!.last, false);
  assert.equal(parts[0]!.part, 0);
  assert.deepEqual(parts[0]!.position, { file: 'b.1', pos: 4, gtidSet: `${UUID}:1` });
  parts = tx(s.push(rows('t', 4)));
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.part, 1);
  assert.equal(parts[0]!.changes[0]!.after!['id'], 4);
  parts = tx(s.push(xid()));
  assert.equal(parts.length, 1);
  assert.deepEqual({ part: parts[0]!.part, last: parts[0]!.last, n: parts[0]!.changes.length, gtid: parts[0]!.gtid }, { part: 2, last: true, n: 1, gtid: `${UUID}:2` });
  assert.equal(parts[0]!.position.gtidSet, `${UUID}:1-2`);

  // exactly a multiple: the last part is empty but still delivered
  s.push(mysqlGtid(3));
  s.push(q('BEGIN'));
  assert.equal(tx(s.push(rows('t', 4))).length, 1);
  parts = tx(s.push(xid()));
  assert.deepEqual({ part: parts[0]!.part, last: parts[0]!.last, n: parts[0]!.changes.length }, { part: 1, last: true, n: 0 });

  // rolled back after a part was delivered
  s.push(mysqlGtid(4));
  s.push(q('BEGIN'));
  s.push(rows('t', 6));
  parts = tx(s.push(q('ROLLBACK')));
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.rolledBack, true);
  assert.equal(parts[0]!.last, true);
  assert.deepEqual(parts[0]!.changes, []);
});

test('filter drops changes and DDL of other tables; wholly filtered transactions are not delivered', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4 }, filter: (db, t) => db === 'shop' && (t === 'keep' || t === '*') });
  const s = new Stream(a);
  s.push(q('BEGIN'));
  s.push(rows('keep', 1));
  s.push(rows('drop', 2));
  s.push(rows('keep', 1, 'delete'));
  let out = tx(s.push(xid()));
  assert.deepEqual(out[0]!.changes.map((c) => `${c.table}:${c.op}`), ['keep:insert', 'keep:delete']);
  s.push(q('BEGIN'));
  s.push(rows('drop', 2));
  out = tx(s.push(xid()));
  assert.deepEqual(out, []);
  assert.equal(a.position.pos, 804);
  assert.deepEqual(s.push(q('ALTER TABLE drop ADD x INT')).filter((m) => m.kind === 'ddl'), []);
  assert.equal(s.push(q('RENAME TABLE drop TO keep')).filter((m) => m.kind === 'ddl').length, 1);
  assert.equal(s.push(q('CREATE DATABASE shop', '')).filter((m) => m.kind === 'ddl').length, 1);
  assert.equal(s.push(q('CREATE DATABASE other', '')).filter((m) => m.kind === 'ddl').length, 0);
  assert.equal(s.push(q('ALTER TABLE other.keep ADD x INT')).filter((m) => m.kind === 'ddl').length, 0);
});

test('skipped work produces a throttled heartbeat at the resume point', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4 }, filter: () => false });
  const s = new Stream(a);
  let beats = 0;
  for (let i = 0; i < 2500; i++) {
    s.push(q('BEGIN'), 100, { ts: 1_700_000_000 });
    s.push(rows('t', 1), 100, { ts: 1_700_000_000 });
    const out = s.push(xid(), 100, { ts: 1_700_000_000 });
    for (const m of out) {
      assert.equal(m.kind, 'heartbeat');
      assert.deepEqual(m.position, a.position);
      beats++;
    }
  }
  // first one (time jump), then every 1000 transactions
  assert.equal(beats, 3);
});

test('non-table statements (GRANT) advance position without a message other than heartbeats', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4, gtidSet: `${UUID}:1` } });
  const s = new Stream(a);
  s.push(mysqlGtid(2));
  const out = s.push(q("GRANT SELECT ON *.* TO 'u'@'%'"));
  assert.deepEqual(out.filter((m) => m.kind !== 'heartbeat'), []);
  assert.deepEqual(a.position, { file: 'b.1', pos: 204, gtidSet: `${UUID}:1-2` });
});

test('rotate: fake rotate sets the file silently; real rotate moves the resume point and heartbeats', () => {
  const a = new TransactionAssembler({ flavor: 'mariadb', startPosition: { file: '', pos: 4 } });
  const fake = a.push({ kind: 'rotate', position: 4, nextFile: 'm.000001', fake: true, header: { timestamp: 0, type: 4, serverId: 1, eventSize: 40, nextPosition: 0, flags: 0x20 } }, 4);
  assert.deepEqual(fake, []);
  assert.deepEqual(a.position, { file: 'm.000001', pos: 4 });
  const s = new Stream(a, 4);
  s.push(mariaGtid(1));
  s.push(rows('t', 1));
  const m = tx(s.push(xid()))[0]!;
  assert.deepEqual(m.position, { file: 'm.000001', pos: 304, gtidSet: '0-1-1' });
  const out = s.push({ kind: 'rotate', position: 4, nextFile: 'm.000002', fake: false });
  assert.equal(out.length, 1);
  assert.equal(out[0]!.kind, 'heartbeat');
  assert.deepEqual(out[0]!.position, { file: 'm.000002', pos: 4, gtidSet: '0-1-1' });
  const s2 = new Stream(a, 4);
  s2.push(mariaGtid(2));
  s2.push(rows('t', 1));
  assert.deepEqual(tx(s2.push(xid()))[0]!.position, { file: 'm.000002', pos: 304, gtidSet: '0-1-2' });
});

test('fake rotate at the start position keeps the precise start', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.000007', pos: 1234 } });
  a.push({ kind: 'rotate', position: 1234, nextFile: 'b.000007', fake: true, header: { timestamp: 0, type: 4, serverId: 1, eventSize: 40, nextPosition: 0, flags: 0 } }, 1234);
  assert.deepEqual(a.position, { file: 'b.000007', pos: 1234 });
});

test('heartbeat events → HeartbeatMessage at the server position', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4, gtidSet: `${UUID}:1-3` } });
  const out = a.push({ kind: 'heartbeat', file: 'b.1', position: 999, header: { timestamp: 0, type: 27, serverId: 1, eventSize: 30, nextPosition: 999, flags: 0 } }, 999);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.kind, 'heartbeat');
  assert.deepEqual(out[0]!.position, { file: 'b.1', pos: 999, gtidSet: `${UUID}:1-3` });
});

test('XA (MySQL): delivered at XA_PREPARE; XA COMMIT later advances GTID only', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4, gtidSet: `${UUID}:1` } });
  const s = new Stream(a);
  s.push(mysqlGtid(2));
  s.push(q("XA START X'78',X'',1"));
  s.push(rows('t', 2));
  s.push(q("XA END X'78',X'',1"));
  let out = s.push({ kind: 'xa_prepare', onePhase: false, formatId: 1, gtrid: Buffer.from('x'), bqual: Buffer.alloc(0) });
  assert.equal(tx(out).length, 1);
  assert.equal(tx(out)[0]!.changes.length, 2);
  assert.equal(tx(out)[0]!.gtid, `${UUID}:2`);
  assert.deepEqual(tx(out)[0]!.position, { file: 'b.1', pos: 504, gtidSet: `${UUID}:1-2` });
  s.push(mysqlGtid(3));
  out = s.push(q("XA COMMIT X'78',X'',1"));
  assert.deepEqual(tx(out), []);
  assert.deepEqual(a.position, { file: 'b.1', pos: 704, gtidSet: `${UUID}:1-3` });
});

test('XA (MariaDB): GTID with xa flag, XA START … XA_PREPARE; one-phase XA COMMIT commits', () => {
  const a = new TransactionAssembler({ flavor: 'mariadb', startPosition: { file: 'b.1', pos: 4, gtidSet: '0-1-1' } });
  const s = new Stream(a);
  s.push({ ...mariaGtid(2), xa: true } as EventBody);
  s.push(q("XA START 'x'"));
  s.push(rows('t', 1));
  s.push(q("XA END 'x'"));
  let out = s.push({ kind: 'xa_prepare', onePhase: false, formatId: 1, gtrid: Buffer.from('x'), bqual: Buffer.alloc(0) });
  assert.equal(tx(out)[0]!.gtid, '0-1-2');
  s.push(mariaGtid(3, true));
  out = s.push(q("XA COMMIT 'x'"));
  assert.deepEqual(tx(out), []);
  assert.equal(a.position.gtidSet, '0-1-3');
  // one phase
  s.push(mariaGtid(4));
  s.push(q("XA START 'y'"));
  s.push(rows('t', 1));
  s.push(q("XA END 'y'"));
  out = s.push(q("XA COMMIT 'y' ONE PHASE"));
  assert.equal(tx(out).length, 1);
  assert.equal(tx(out)[0]!.position.gtidSet, '0-1-4');
  // XA ROLLBACK of an unprepared XA transaction discards it
  s.push(mariaGtid(5));
  s.push(q("XA START 'z'"));
  s.push(rows('t', 1));
  s.push(q("XA END 'z'"));
  assert.deepEqual(tx(s.push(q("XA ROLLBACK 'z'"))), []);
  assert.equal(a.position.gtidSet, '0-1-5');
});

test('CREATE TABLE … SELECT inside a transaction: DDL first (at the start position), then the rows', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4, gtidSet: `${UUID}:1` } });
  const s = new Stream(a);
  s.push(mysqlGtid(2));
  s.push(q('BEGIN'));
  const d = s.push(q('CREATE TABLE c2 START TRANSACTION SELECT * FROM c1'));
  assert.equal(d.length, 1);
  assert.equal(d[0]!.kind, 'ddl');
  assert.deepEqual(d[0]!.position, { file: 'b.1', pos: 4, gtidSet: `${UUID}:1` });
  s.push(rows('c2', 2));
  const out = tx(s.push(xid()));
  assert.equal(out[0]!.changes.length, 2);
  assert.equal(out[0]!.position.gtidSet, `${UUID}:1-2`);
});

test('TRANSACTION_PAYLOAD: inner events processed in order at the payload position', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4, gtidSet: `${UUID}:1` } });
  const h = (): EventHeader => ({ timestamp: 1_700_000_001, type: 0, serverId: 1, eventSize: 0, nextPosition: 0, flags: 0 });
  const inner = [q('BEGIN'), rows('t', 2), xid()].map((b) => ({ ...b, header: h() }) as BinlogEvent);
  const s = new Stream(a);
  s.push(mysqlGtid(2));
  const out = s.push({ kind: 'transaction_payload', compressionType: 0, uncompressedSize: 10, events: inner }, 500);
  const m = tx(out)[0]!;
  assert.equal(m.changes.length, 2);
  assert.deepEqual(m.position, { file: 'b.1', pos: 604, gtidSet: `${UUID}:1-2` });
  assert.equal(m.commitTime, 1_700_000_001_000);
});

test('PREVIOUS_GTIDS / GTID_LIST seed an unknown GTID set; a known one is kept', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4 } });
  const s = new Stream(a);
  s.push({ kind: 'previous_gtids', gtidSet: `${UUID}:1-9` });
  s.push(mysqlGtid(10));
  s.push(q('BEGIN'));
  s.push(rows('t', 1));
  assert.equal(tx(s.push(xid()))[0]!.position.gtidSet, `${UUID}:1-10`);
  const b = new TransactionAssembler({ flavor: 'mariadb', startPosition: { file: 'b.1', pos: 4, gtidSet: '0-1-50' } });
  const s2 = new Stream(b);
  s2.push({ kind: 'gtid_list', gtidList: '0-1-40' });
  assert.equal(b.position.gtidSet, '0-1-50');
});

test('anonymous GTIDs (gtid_mode OFF) and rows without BEGIN', () => {
  const a = new TransactionAssembler({ flavor: 'mysql', startPosition: { file: 'b.1', pos: 4 } });
  const s = new Stream(a);
  s.push({ kind: 'gtid', flavor: 'mysql', anonymous: true, gtid: null, sid: '', gno: 0n });
  s.push(rows('t', 1));
  const m = tx(s.push(xid()))[0]!;
  assert.equal(m.gtid, undefined);
  assert.equal(m.position.gtidSet, undefined);
  assert.deepEqual(m.startPosition, { file: 'b.1', pos: 4 });
});

test('a new GTID while a transaction is open abandons the incomplete one', () => {
  const a = new TransactionAssembler({ flavor: 'mariadb', startPosition: { file: 'b.1', pos: 4, gtidSet: '0-1-1' }, maxChangesPerPart: 2 });
  const s = new Stream(a);
  s.push(mariaGtid(2));
  assert.equal(tx(s.push(rows('t', 3))).length, 1);
  const out = tx(s.push(mariaGtid(3)));
  assert.equal(out.length, 1);
  assert.equal(out[0]!.rolledBack, true);
  s.push(rows('t', 1));
  const m = tx(s.push(xid()))[0]!;
  assert.equal(m.gtid, '0-1-3');
  assert.equal(m.changes.length, 1);
});
