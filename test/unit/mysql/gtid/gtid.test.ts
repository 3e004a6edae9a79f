import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MysqlGtidSet, parseMysqlGtid, MariadbGtidList, parseMariadbGtid } from '../../../../src/mysql/gtid/index.js';
import { SluiceError } from '../../../../src/errors.js';

const U1 = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const U2 = '0a0b0c0d-0000-1111-2222-333344445555';

test('mysql gtid set: parse and normalized format', () => {
  const s = MysqlGtidSet.parse(`${U1.toUpperCase()}:1-5:7, ${U2}:1-3:4`);
  assert.equal(s.toString(), `${U2}:1-4,${U1}:1-5:7`);
  assert.equal(MysqlGtidSet.parse('').toString(), '');
  assert.equal(MysqlGtidSet.parse('').isEmpty, true);
  assert.equal(MysqlGtidSet.parse(`${U1}:5-7:1-3:4`).toString(), `${U1}:1-7`);
  // Multi-line output of @@gtid_executed
  assert.equal(MysqlGtidSet.parse(`${U1}:1-2,\n${U2}:9`).toString(), `${U2}:9,${U1}:1-2`);
});

test('mysql gtid set: add, contains, union, containsSet', () => {
  const s = MysqlGtidSet.parse(`${U1}:1-5`);
  s.add(`${U1}:7`).add(`${U1}:6`).add({ uuid: U2, gno: 10n });
  assert.equal(s.toString(), `${U2}:10,${U1}:1-7`);
  assert.equal(s.contains(`${U1}:3`), true);
  assert.equal(s.contains(`${U1}:8`), false);
  assert.equal(s.contains(`${U2}:9`), false);
  const u = s.union(MysqlGtidSet.parse(`${U1}:9-10,${U2}:11`));
  assert.equal(u.toString(), `${U2}:10-11,${U1}:1-7:9-10`);
  assert.equal(s.toString(), `${U2}:10,${U1}:1-7`, 'union does not modify the receiver');
  assert.equal(u.containsSet(s), true);
  assert.equal(s.containsSet(u), false);
});

test('mysql gtid set: tags', () => {
  const s = MysqlGtidSet.parse(`${U1}:1-3:Alpha:1-2:5,${U1}:beta:4`);
  assert.equal(s.toString(), `${U1}:1-3:alpha:1-2:5:beta:4`);
  assert.equal(s.contains(`${U1}:alpha:5`), true);
  assert.equal(s.contains(`${U1}:alpha:3`), false);
  assert.equal(s.contains(`${U1}:5`), false);
  assert.deepEqual(parseMysqlGtid(`${U1}:tag_1:42`), { uuid: U1, tag: 'tag_1', gno: 42n });
  s.add(`${U1}:alpha:3`).add(`${U1}:alpha:4`);
  assert.equal(s.toString(), `${U1}:1-3:alpha:1-5:beta:4`);
});

test('mysql gtid set: errors are typed', () => {
  for (const bad of ['nope:1', `${U1}:0`, `${U1}:5-3`, `${U1}:1-x`, `${U1}:-1`]) {
    assert.throws(() => MysqlGtidSet.parse(bad), (e: unknown) => e instanceof SluiceError && e.code === 'BAD_ARGUMENT' && e.fix.length > 0, bad);
  }
  assert.throws(() => parseMysqlGtid(`${U1}`), SluiceError);
});

test('mysql gtid set: binary encoding (untagged)', () => {
  const s = MysqlGtidSet.parse(`${U1}:1-5:7`);
  const b = s.encode();
  assert.equal(b.length, 8 + 16 + 8 + 2 * 16);
  assert.equal(b.readBigUInt64LE(0), 1n);
  assert.equal(b.subarray(8, 24).toString('hex'), U1.replace(/-/g, ''));
  assert.equal(b.readBigUInt64LE(24), 2n);
  assert.deepEqual([b.readBigUInt64LE(32), b.readBigUInt64LE(40), b.readBigUInt64LE(48), b.readBigUInt64LE(56)], [1n, 6n, 7n, 8n]);
  assert.equal(new MysqlGtidSet().encode().toString('hex'), '0000000000000000');
});

test('mysql gtid set: binary encoding (tagged)', () => {
  const b = MysqlGtidSet.parse(`${U1}:1:ab:2`).encode();
  assert.equal(b[0], 1);
  assert.equal(b[7], 1);
  assert.equal(b.readUIntLE(1, 6), 2);
  // first entry: untagged (tag length 0)
  assert.equal(b[24], 0);
  assert.equal(b.readBigUInt64LE(25), 1n);
  // second entry: tag "ab"
  const off = 25 + 8 + 16 + 16;
  assert.equal(b[off], 4);
  assert.equal(b.subarray(off + 1, off + 3).toString(), 'ab');
});

test('mariadb gtid list: parse, format, update, contains', () => {
  const l = MariadbGtidList.parse('1-2-5, 0-1-100');
  assert.equal(l.toString(), '0-1-100,1-2-5');
  l.update('0-1-101').update({ domain: 2, serverId: 9, seq: 1n });
  assert.equal(l.toString(), '0-1-101,1-2-5,2-9-1');
  assert.equal(l.contains('0-7-50'), true);
  assert.equal(l.contains('0-1-102'), false);
  assert.equal(l.contains('3-1-1'), false);
  assert.equal(MariadbGtidList.parse('').isEmpty, true);
  assert.deepEqual(parseMariadbGtid('0-1-18446744073709551615'), { domain: 0, serverId: 1, seq: 18446744073709551615n });
  const c = l.clone();
  c.update('1-3-6');
  assert.equal(l.get(1)?.seq, 5n);
  assert.equal(c.toString(), '0-1-101,1-3-6,2-9-1');
});

test('mariadb gtid list: errors are typed', () => {
  for (const bad of ['0-1', 'a-b-c', '0-1-2,0-1-3', '0-4294967296-1']) {
    assert.throws(() => MariadbGtidList.parse(bad), (e: unknown) => e instanceof SluiceError && e.code === 'BAD_ARGUMENT', bad);
  }
});
