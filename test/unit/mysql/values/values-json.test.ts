import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonBinary, formatJsonDouble } from '../../../../src/mysql/values/json-binary.js';
import { applyJsonDiffToBinary, applyJsonDiffToText, parseJsonPath } from '../../../../src/mysql/values/json-diff.js';
import { CorruptEventError } from '../../../../src/errors.js';

/** Test-only encoder of MySQL's documented binary JSON format. */
type V = null | boolean | string | V[] | { [k: string]: V } | { int16: number } | { uint16: number } | { int32: number } | { uint32: number }
  | { int64: bigint } | { uint64: bigint } | { double: number } | { opaque: number; data: Buffer };

function varLen(n: number): Buffer {
  const out: number[] = [];
  do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n);
  return Buffer.from(out);
}

function scalar(v: V): [number, Buffer] {
  if (v === null) return [4, Buffer.from([0])];
  if (v === true) return [4, Buffer.from([1])];
  if (v === false) return [4, Buffer.from([2])];
  if (typeof v === 'string') { const s = Buffer.from(v, 'utf8'); return [0x0c, Buffer.concat([varLen(s.length), s])]; }
  const o = v as Record<string, unknown>;
  const b = Buffer.alloc(8);
  if ('int16' in o) { b.writeInt16LE(o['int16'] as number); return [5, b.subarray(0, 2)]; }
  if ('uint16' in o) { b.writeUInt16LE(o['uint16'] as number); return [6, b.subarray(0, 2)]; }
  if ('int32' in o) { b.writeInt32LE(o['int32'] as number); return [7, b.subarray(0, 4)]; }
  if ('uint32' in o) { b.writeUInt32LE(o['uint32'] as number); return [8, b.subarray(0, 4)]; }
  if ('int64' in o) { b.writeBigInt64LE(o['int64'] as bigint); return [9, b]; }
  if ('uint64' in o) { b.writeBigUInt64LE(o['uint64'] as bigint); return [0x0a, b]; }
  if ('double' in o) { b.writeDoubleLE(o['double'] as number); return [0x0b, b]; }
  if ('opaque' in o) { const d = o['data'] as Buffer; return [0x0f, Buffer.concat([Buffer.from([o['opaque'] as number]), varLen(d.length), d])]; }
  throw new Error('bad test value');
}

function isContainer(v: V): boolean {
  if (Array.isArray(v)) return true;
  return v !== null && typeof v === 'object' && !['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'double', 'opaque'].some((k) => k in v);
}

function container(v: V, large: boolean): [number, Buffer] {
  const w = large ? 4 : 2;
  const isArr = Array.isArray(v);
  const entries: Array<[string, V]> = isArr ? (v as V[]).map((x) => ['', x]) : Object.entries(v as Record<string, V>);
  const n = entries.length;
  const headerLen = 2 * w + (isArr ? 0 : n * (w + 2)) + n * (1 + w);
  const keys = entries.map(([k]) => Buffer.from(k, 'utf8'));
  let off = headerLen;
  const keyOffs: number[] = [];
  if (!isArr) for (const k of keys) { keyOffs.push(off); off += k.length; }
  const valueEntries: Buffer[] = [];
  const data: Buffer[] = isArr ? [] : [...keys];
  for (const [, x] of entries) {
    const e = Buffer.alloc(1 + w);
    const inline = (t: number): boolean => t === 4 || t === 5 || t === 6 || (large && (t === 7 || t === 8));
    const [t, bytes] = isContainer(x) ? container(x, large) : scalar(x);
    e[0] = t;
    if (inline(t)) bytes.copy(e, 1);
    else { if (large) e.writeUInt32LE(off, 1); else e.writeUInt16LE(off, 1); data.push(bytes); off += bytes.length; }
    valueEntries.push(e);
  }
  const head = Buffer.alloc(2 * w);
  if (large) { head.writeUInt32LE(n, 0); head.writeUInt32LE(off, 4); } else { head.writeUInt16LE(n, 0); head.writeUInt16LE(off, 2); }
  const keyEntries = isArr ? [] : keys.map((k, i) => { const e = Buffer.alloc(w + 2); if (large) e.writeUInt32LE(keyOffs[i]!, 0); else e.writeUInt16LE(keyOffs[i]!, 0); e.writeUInt16LE(k.length, w); return e; });
  return [isArr ? (large ? 3 : 2) : (large ? 1 : 0), Buffer.concat([head, ...keyEntries, ...valueEntries, ...data])];
}

function doc(v: V, large = false): Buffer {
  const [t, b] = isContainer(v) ? container(v, large) : scalar(v);
  return Buffer.concat([Buffer.from([t]), b]);
}

function dec(b: Buffer): string {
  return decodeJsonBinary(b, 0, b.length);
}

test('json: scalars, literals and numbers exactly', () => {
  assert.equal(dec(doc(null)), 'null');
  assert.equal(dec(doc(true)), 'true');
  assert.equal(dec(doc(false)), 'false');
  assert.equal(dec(doc('a"b\\c\n\u00e9😀')), JSON.stringify('a"b\\c\n\u00e9😀'));
  assert.equal(dec(doc({ int16: -32768 })), '-32768');
  assert.equal(dec(doc({ uint16: 65535 })), '65535');
  assert.equal(dec(doc({ int32: -2147483648 })), '-2147483648');
  assert.equal(dec(doc({ uint32: 4294967295 })), '4294967295');
  assert.equal(dec(doc({ int64: -9223372036854775808n })), '-9223372036854775808');
  assert.equal(dec(doc({ uint64: 18446744073709551615n })), '18446744073709551615');
  assert.equal(dec(doc({ uint64: 9007199254740993n })), '9007199254740993');
  assert.equal(dec(doc({ double: 1.5 })), '1.5');
  assert.equal(dec(doc({ double: 3 })), '3.0');
  assert.equal(dec(Buffer.alloc(0)), 'null');
});

test('json: doubles as MySQL prints them', () => {
  assert.equal(formatJsonDouble(0.1), '0.1');
  assert.equal(formatJsonDouble(-2.5), '-2.5');
  assert.equal(formatJsonDouble(1e15), '1e15');
  assert.equal(formatJsonDouble(1e14), '100000000000000.0');
  assert.equal(formatJsonDouble(123456789012345680000), '1.2345678901234568e20');
  assert.equal(formatJsonDouble(0.00001), '0.00001');
  assert.equal(formatJsonDouble(1e-15), '0.000000000000001');
  assert.equal(formatJsonDouble(1e-16), '1e-16');
  assert.equal(formatJsonDouble(1.7976931348623157e308), '1.7976931348623157e308');
  assert.equal(formatJsonDouble(5e-324), '5e-324');
  assert.equal(formatJsonDouble(-0), '-0.0');
  assert.equal(formatJsonDouble(0.1 + 0.2), '0.30000000000000004');
});

test('json: small and large objects and arrays, MySQL layout', () => {
  const v: V = { a: { int16: 1 }, b: [true, null, 'x', { double: 2.25 }], cc: { d: [] , e: {} } };
  assert.equal(dec(doc(v)), '{"a": 1, "b": [true, null, "x", 2.25], "cc": {"d": [], "e": {}}}');
  assert.equal(dec(doc(v, true)), '{"a": 1, "b": [true, null, "x", 2.25], "cc": {"d": [], "e": {}}}');
  assert.equal(dec(doc([{ int32: 70000 }, { uint32: 4000000000 }, { int64: 5n }], true)), '[70000, 4000000000, 5]');
  assert.equal(dec(doc([{ int32: 70000 }, { uint32: 4000000000 }], false)), '[70000, 4000000000]');
  assert.equal(dec(doc([])), '[]');
  assert.equal(dec(doc({})), '{}');
  // A big array (offsets over 64 KiB need the large format).
  const big: V = Array.from({ length: 5000 }, (_, i) => 'item-' + i + '-'.repeat(20));
  const text = dec(doc(big, true));
  assert.deepEqual(JSON.parse(text), big);
});

test('json: opaque values', () => {
  // DECIMAL(5,2) 123.45 → precision, scale, binary decimal (0x80|0x00 0x7b, 0x2d).
  assert.equal(dec(doc({ opaque: 246, data: Buffer.from([5, 2, 0x80, 0x7b, 0x2d]) })), '123.45');
  assert.equal(dec(doc([{ opaque: 246, data: Buffer.from([5, 2, 0x7f, 0x84, 0xd2]) }])), '[-123.45]');
  const packed = (y: number, mo: number, d: number, h: number, mi: number, s: number, us: number): Buffer => {
    const b = Buffer.alloc(8);
    const ymd = BigInt(((y * 13 + mo) << 5) | d);
    b.writeBigInt64LE((((ymd << 17n) | BigInt((h << 12) | (mi << 6) | s)) << 24n) + BigInt(us));
    return b;
  };
  assert.equal(dec(doc({ opaque: 12, data: packed(2015, 1, 15, 23, 24, 25, 0) })), '"2015-01-15 23:24:25.000000"');
  assert.equal(dec(doc({ opaque: 7, data: packed(2015, 1, 15, 23, 24, 25, 5) })), '"2015-01-15 23:24:25.000005"');
  assert.equal(dec(doc({ opaque: 10, data: packed(2015, 1, 15, 0, 0, 0, 0) })), '"2015-01-15"');
  const t = Buffer.alloc(8);
  t.writeBigInt64LE(-((BigInt((1 << 12) | (2 << 6) | 3) << 24n) + 500000n));
  assert.equal(dec(doc({ opaque: 11, data: t })), '"-01:02:03.500000"');
  assert.equal(dec(doc({ opaque: 252, data: Buffer.from('hello') })), '"base64:type252:aGVsbG8="');
  const long = dec(doc({ opaque: 254, data: Buffer.alloc(60, 1) }));
  assert.equal(long, JSON.stringify('base64:type254:' + Buffer.alloc(57, 1).toString('base64') + '\n' + Buffer.alloc(3, 1).toString('base64')));
});

test('json: corrupt documents raise CorruptEventError, never crash', () => {
  const good = doc({ a: [{ int32: 1 }, { double: 2 }, 'three'], b: { c: 'd' } } as V);
  for (let cut = 1; cut < good.length; cut++) {
    try { dec(good.subarray(0, cut)); } catch (e) { assert.ok(e instanceof CorruptEventError, `cut ${cut}: ${String(e)}`); }
  }
  assert.throws(() => dec(Buffer.from([0x42, 0])), CorruptEventError);
});

/** Diff bytes: op, packed path length, path, [packed value length, value]. */
function diff(...ops: Array<[number, string, V?]>): Buffer {
  const parts: Buffer[] = [];
  for (const [op, path, value] of ops) {
    const p = Buffer.from(path, 'utf8');
    parts.push(Buffer.from([op, p.length]), p);
    if (op !== 2) { const v = doc(value as V); parts.push(Buffer.from([v.length]), v); }
  }
  return Buffer.concat(parts);
}

test('json diff: paths', () => {
  assert.deepEqual(parseJsonPath('$.a[1].b'), [{ member: 'a' }, { index: 1, fromEnd: false }, { member: 'b' }]);
  assert.deepEqual(parseJsonPath('$."a b"[last]'), [{ member: 'a b' }, { index: 0, fromEnd: true }]);
  assert.deepEqual(parseJsonPath('$[last-2]'), [{ index: 2, fromEnd: true }]);
  assert.throws(() => parseJsonPath('a.b'), CorruptEventError);
});

test('json diff: REPLACE, INSERT, REMOVE on binary and text before images', () => {
  const before = doc({ a: [1, 2, 3].map((x) => ({ int16: x })), b: 'x', dd: { e: true } } as V);
  const d = diff(
    [0, '$.a[1]', { uint64: 18446744073709551615n }], // replace
    [1, '$.c', 'new'], // insert member (sorted position: after "b")
    [1, '$.a[0]', null], // insert into array
    [2, '$.dd.e'], // remove member
    [2, '$.a[last]'], // remove last cell
    [0, '$.b', { double: 2 }],
    [1, '$.a[99]', false], // insert beyond the end appends
  );
  const want = '{"a": [null, 1, 18446744073709551615, false], "b": 2.0, "c": "new", "dd": {}}';
  assert.equal(applyJsonDiffToBinary(before, d), want);
  const beforeText = decodeJsonBinary(before, 0, before.length);
  assert.equal(applyJsonDiffToText(beforeText, d), want);
  // Exact numbers survive the text path.
  assert.equal(applyJsonDiffToText('{"n": 18446744073709551615, "x": 1}', diff([2, '$.x'])), '{"n": 18446744073709551615}');
});

test('json diff: diffs MySQL would reject raise CorruptEventError', () => {
  const before = doc({ a: [{ int16: 1 }] } as V);
  assert.throws(() => applyJsonDiffToBinary(before, diff([0, '$.zz', { int16: 1 }])), CorruptEventError);
  assert.throws(() => applyJsonDiffToBinary(before, diff([1, '$.a', null])), CorruptEventError);
  assert.throws(() => applyJsonDiffToBinary(before, diff([2, '$.a[5]'])), CorruptEventError);
  assert.throws(() => applyJsonDiffToBinary(before, Buffer.from([7, 1, 0x24])), CorruptEventError);
  assert.throws(() => applyJsonDiffToBinary(before, Buffer.from([0, 9, 0x24])), CorruptEventError);
});
