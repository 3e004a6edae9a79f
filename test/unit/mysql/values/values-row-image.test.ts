import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRowImage } from '../../../../src/mysql/values/row-image.js';
import { ColumnType as T, type ColumnDef } from '../../../../src/mysql/values/column-type.js';
import { JsonText, TimestampValue } from '../../../../src/core/cell.js';
import { SluiceError, TruncatedEventError } from '../../../../src/errors.js';

function col(name: string, type: number, meta = 0, extra: Partial<ColumnDef> = {}): ColumnDef {
  return { name, type, meta, nullable: true, unsigned: false, collation: null, ...extra };
}

const columns: ColumnDef[] = [
  col('id', T.LONG),
  col('big', T.LONGLONG, 0, { unsigned: true }),
  col('neg', T.LONGLONG),
  col('m', T.INT24),
  col('name', T.VARCHAR, 400, { collation: 45 }),
  col('skipped', T.TINY),
  col('price', T.NEWDECIMAL, (10 << 8) | 2),
  col('nothing', T.VARCHAR, 20, { collation: 45 }),
  col('ts', T.TIMESTAMP2, 3),
  col('bin', T.STRING, 6, { collation: 63 }),
  col('j', T.JSON, 4),
  col('y', T.YEAR),
  col('e', T.ENUM, 1, { enumValues: ['x', 'y'] }),
  col('blob', T.BLOB, 2, { collation: 63 }),
  col('u', T.STRING, 16, { collation: 63, sqlType: 'uuid' }),
  col('l1', T.STRING, 10, { collation: 8 }),
];

/** present = every column but `skipped` (index 5); `nothing` (index 7) is NULL. */
function image(): { buf: Buffer; present: Buffer } {
  const present = Buffer.from([0xdf, 0xff]);
  const parts: Buffer[] = [];
  // 15 present columns → 2 NULL-bitmap bytes; `nothing` is the 7th present column (k = 6).
  parts.push(Buffer.from([0x40, 0x00]));
  const i32 = Buffer.alloc(4); i32.writeInt32LE(-7); parts.push(i32);
  const u64 = Buffer.alloc(8); u64.writeBigUInt64LE(18446744073709551615n); parts.push(u64);
  const s64 = Buffer.alloc(8); s64.writeBigInt64LE(-9007199254740991n); parts.push(s64);
  parts.push(Buffer.from([0xff, 0xff, 0xff])); // INT24 -1
  const name = Buffer.from('héllo😀', 'utf8');
  const nl = Buffer.alloc(2); nl.writeUInt16LE(name.length); parts.push(nl, name); // VARCHAR(400 bytes): 2-byte prefix
  parts.push(Buffer.from([0x7f, 0xff, 0xff, 0xf3, 0xcd])); // DECIMAL(10,2) -12.50
  const ts = Buffer.alloc(6); ts.writeUInt32BE(1700000000); ts.writeUInt16BE(1230, 4); parts.push(ts);
  parts.push(Buffer.from([2, 0x61, 0x62])); // BINARY(6) 'ab' (trailing zeros stripped)
  const jdoc = Buffer.from([0x02, 1, 0, 7, 0, 0x05, 0x2a, 0x00]); // [42]
  const jl = Buffer.alloc(4); jl.writeUInt32LE(jdoc.length); parts.push(jl, jdoc);
  parts.push(Buffer.from([124])); // YEAR 2024
  parts.push(Buffer.from([2])); // ENUM 'y'
  parts.push(Buffer.from([3, 0, 1, 2, 3])); // BLOB
  parts.push(Buffer.from([15, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0x4d, 0xef, 0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd])); // UUID, last 0x00 stripped
  parts.push(Buffer.from([2, 0x80, 0x41])); // latin1 '€A'
  return { buf: Buffer.concat(parts), present };
}

test('row image: every kind of cell, absent and NULL columns', () => {
  const { buf, present } = image();
  const tail = Buffer.concat([buf, Buffer.from([0xaa, 0xbb])]);
  const { row, next } = decodeRowImage(tail, 0, buf.length, columns, present);
  assert.equal(next, buf.length);
  assert.deepEqual(Object.keys(row), columns.filter((c) => c.name !== 'skipped').map((c) => c.name));
  assert.equal(row['id'], -7);
  assert.equal(row['big'], 18446744073709551615n);
  assert.equal(row['neg'], -9007199254740991);
  assert.equal(row['m'], -1);
  assert.equal(row['name'], 'héllo😀');
  assert.equal(row['price'], '-12.50');
  assert.equal(row['nothing'], null);
  assert.ok(row['ts'] instanceof TimestampValue);
  assert.equal((row['ts'] as TimestampValue).toISO(), '2023-11-14T22:13:20.123Z');
  assert.deepEqual(row['bin'], Buffer.from([0x61, 0x62, 0, 0, 0, 0]));
  assert.ok(row['j'] instanceof JsonText);
  assert.equal((row['j'] as JsonText).text, '[42]');
  assert.equal(row['y'], 2024);
  assert.equal(row['e'], 'y');
  assert.deepEqual(row['blob'], Buffer.from([1, 2, 3]));
  assert.equal(row['u'], '01234567-89ab-4def-8123-456789abcd00');
  assert.equal(row['l1'], '€A');
  // Buffers are copies, not views into the event.
  tail.fill(0);
  assert.deepEqual(row['blob'], Buffer.from([1, 2, 3]));
});

test('row image: every cut point raises TruncatedEventError and never reads past end', () => {
  const { buf, present } = image();
  for (let end = 0; end < buf.length; end++) {
    // Bytes after `end` are garbage that must not be read.
    const b = Buffer.concat([buf.subarray(0, end), Buffer.alloc(64, 0xff)]);
    assert.throws(() => decodeRowImage(b, 0, end, columns, present), TruncatedEventError, `end ${end}`);
  }
});

test('row image: integers at their limits', () => {
  const cols = [col('a', T.TINY), col('b', T.TINY, 0, { unsigned: true }), col('c', T.SHORT), col('d', T.SHORT, 0, { unsigned: true }),
    col('e', T.INT24, 0, { unsigned: true }), col('f', T.LONG, 0, { unsigned: true }), col('g', T.LONGLONG), col('h', T.LONGLONG, 0, { unsigned: true }),
    col('i', T.LONGLONG), col('f32', T.FLOAT, 4), col('f64', T.DOUBLE, 8), col('bit', T.BIT, 64)];
  const b = Buffer.alloc(1 + 2 + 1 + 1 + 2 + 2 + 3 + 4 + 8 + 8 + 8 + 4 + 8 + 8);
  let p = 2;
  b.writeInt8(-128, p); p += 1;
  b.writeUInt8(255, p); p += 1;
  b.writeInt16LE(-32768, p); p += 2;
  b.writeUInt16LE(65535, p); p += 2;
  b.writeUIntLE(16777215, p, 3); p += 3;
  b.writeUInt32LE(4294967295, p); p += 4;
  b.writeBigInt64LE(-9223372036854775808n, p); p += 8;
  b.writeBigUInt64LE(9007199254740991n, p); p += 8;
  b.writeBigInt64LE(9007199254740992n, p); p += 8;
  b.writeFloatLE(1.5, p); p += 4;
  b.writeDoubleLE(-0.1, p); p += 8;
  b.fill(0xff, p, p + 8); p += 8;
  const { row, next } = decodeRowImage(b, 0, p, cols, Buffer.from([0xff, 0x0f]));
  assert.equal(next, p);
  assert.deepEqual(row, { a: -128, b: 255, c: -32768, d: 65535, e: 16777215, f: 4294967295, g: -9223372036854775808n, h: 9007199254740991,
    i: 9007199254740992n, f32: 1.5, f64: -0.1, bit: 18446744073709551615n });
});

test('row image: unsupported types give a typed error with a fix', () => {
  assert.throws(() => decodeRowImage(Buffer.alloc(4), 0, 4, [col('old', T.DECIMAL)], Buffer.from([1])),
    (e: unknown) => e instanceof SluiceError && e.code === 'UNSUPPORTED_COLUMN_TYPE' && e.fix.length > 0);
});
