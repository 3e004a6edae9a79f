import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitBytes, decodeBit } from '../../../../src/mysql/values/bit.js';
import { decodeSet, enumName } from '../../../../src/mysql/values/enum-set.js';
import { charsetOfCollation, decodeText, decodingForCharset, decodingForCollation } from '../../../../src/mysql/values/strings.js';
import { formatInet4, formatInet6, formatUuid, mariaDbBinaryKind } from '../../../../src/mysql/values/mariadb-types.js';
import { parseColumnMeta } from '../../../../src/mysql/values/column-meta.js';
import { ColumnType as T } from '../../../../src/mysql/values/column-type.js';
import { TruncatedEventError } from '../../../../src/errors.js';

test('bit: big-endian, number up to 2^53, bigint beyond', () => {
  assert.equal(bitBytes(1), 1);
  assert.equal(bitBytes(10), 2);
  assert.equal(bitBytes(64), 8);
  assert.equal(decodeBit(Buffer.from([0x01]), 0, 1), 1);
  assert.equal(decodeBit(Buffer.from([0x02, 0xff]), 0, 2), 767);
  assert.equal(decodeBit(Buffer.from([0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0, 8), 9007199254740991);
  assert.equal(decodeBit(Buffer.from([0, 0x20, 0, 0, 0, 0, 0, 0]), 0, 8), 9007199254740992n);
  assert.equal(decodeBit(Buffer.alloc(8, 0xff), 0, 8), 18446744073709551615n);
});

test('enum/set: names, error value, unknown members', () => {
  const names = ['a', 'b', 'c'];
  assert.equal(enumName(0, names), '');
  assert.equal(enumName(2, names), 'b');
  assert.equal(enumName(4, names), '#4');
  assert.equal(enumName(3, undefined), '#3');
  assert.deepEqual(decodeSet(Buffer.from([0b101]), 0, 1, names), ['a', 'c']);
  assert.deepEqual(decodeSet(Buffer.from([0]), 0, 1, names), []);
  assert.deepEqual(decodeSet(Buffer.from([0b1001, 0x80]), 0, 2, names), ['a', '#4', '#16']);
  const many = Array.from({ length: 64 }, (_, i) => 'm' + i);
  assert.deepEqual(decodeSet(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]), 0, 8, many), ['m63']);
});

test('strings: collations and character sets', () => {
  assert.equal(charsetOfCollation(45), 'utf8mb4');
  assert.equal(charsetOfCollation(255), 'utf8mb4');
  assert.equal(charsetOfCollation(8), 'latin1');
  assert.equal(charsetOfCollation(63), 'binary');
  assert.equal(charsetOfCollation(9999), undefined);
  assert.equal(decodingForCollation(33), 'utf8');
  assert.equal(decodingForCollation(63), null);
  assert.equal(decodingForCollation(9999), null);
  // MySQL latin1 is cp1252: 0x80 is the euro sign, 0x81 stays U+0081.
  assert.equal(decodeText(Buffer.from([0x80, 0xe9, 0x81]), 0, 3, decodingForCollation(8)), '\u20ac\u00e9\u0081');
  assert.equal(decodeText(Buffer.from('f09f9880', 'hex'), 0, 4, decodingForCollation(45)), '😀');
  assert.equal(decodeText(Buffer.from([0, 0x41, 0xd8, 0x3d, 0xde, 0x00]), 0, 6, decodingForCharset('utf16')), 'A😀');
  assert.equal(decodeText(Buffer.from([0x41, 0]), 0, 2, decodingForCharset('utf16le')), 'A');
  assert.equal(decodeText(Buffer.from([0, 0, 0, 0x41, 0, 1, 0xf6, 0]), 0, 8, decodingForCharset('utf32')), 'A😀');
  assert.equal(decodeText(Buffer.from([0xc4, 0xe3]), 0, 2, decodingForCharset('gbk')), '你');
  assert.equal(decodeText(Buffer.from([0x82, 0xa0]), 0, 2, decodingForCharset('sjis')), 'あ');
  const bytes = decodeText(Buffer.from([1, 2, 3]), 0, 3, decodingForCharset('binary'));
  assert.ok(Buffer.isBuffer(bytes));
  assert.ok(Buffer.isBuffer(decodeText(Buffer.from([1]), 0, 1, decodingForCharset('keybcs2'))));
});

test('MariaDB UUID / INET4 / INET6 text forms (as MariaDB 10.11 prints them)', () => {
  assert.equal(mariaDbBinaryKind('uuid'), 'uuid');
  assert.equal(mariaDbBinaryKind('INET6'), 'inet6');
  assert.equal(mariaDbBinaryKind('inet4'), 'inet4');
  assert.equal(mariaDbBinaryKind('binary(16)'), null);
  assert.equal(formatUuid(Buffer.from('0123456789ab1def8123456789abcdef', 'hex')), '01234567-89ab-1def-8123-456789abcdef');
  assert.equal(formatInet4(Buffer.from([1, 2, 3, 4])), '1.2.3.4');
  const six: Array<[string, string]> = [
    ['20010db8000000000000ff0000428329', '2001:db8::ff00:42:8329'],
    ['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
    ['00000000000000000000000001020304', '::1.2.3.4'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000100', '::100'],
    ['00010000000000010000000000000001', '1:0:0:1::1'],
    ['00010000000000010001000000000001', '1::1:1:0:0:1'],
    ['00010000000100010001000100010001', '1::1:1:1:1:1:1'],
    ['00000000000000000000ffff00000001', '::ffff:0.0.0.1'],
    ['00000000000000000000fffe01020304', '::fffe:102:304'],
    ['abcd0000000000000000000000000000', 'abcd::'],
  ];
  for (const [hex, want] of six) assert.equal(formatInet6(Buffer.from(hex, 'hex')), want, hex);
});

test('column meta: sizes per type, CHAR > 255, ENUM/SET real types', () => {
  const types = Buffer.from([T.LONG, T.VARCHAR, T.NEWDECIMAL, T.BIT, T.DATETIME2, T.STRING, T.STRING, T.STRING, T.STRING, T.BLOB, T.DOUBLE, T.JSON, T.DATE, T.GEOMETRY]);
  const meta = Buffer.from([
    0x2c, 0x01, // VARCHAR(300)
    10, 2, // DECIMAL(10,2)
    2, 1, // BIT(10): 2 bits + 1 byte
    6, // DATETIME(6)
    0xfe, 40, // CHAR(40)
    0xee, 0x90, // CHAR(400 bytes): 0xfe ^ 0x10, 0x90
    0xf7, 1, // ENUM, 1 byte
    0xf8, 8, // SET, 8 bytes
    2, // BLOB
    8, // DOUBLE
    4, // JSON
    4, // GEOMETRY
  ]);
  const r = parseColumnMeta(types, meta);
  assert.deepEqual(r.types, [T.LONG, T.VARCHAR, T.NEWDECIMAL, T.BIT, T.DATETIME2, T.STRING, T.STRING, T.ENUM, T.SET, T.BLOB, T.DOUBLE, T.JSON, T.DATE, T.GEOMETRY]);
  assert.deepEqual(r.metas, [0, 300, (10 << 8) | 2, 10, 6, 40, 400, 1, 8, 2, 8, 4, 0, 4]);
  assert.throws(() => parseColumnMeta(types, meta.subarray(0, meta.length - 1)), TruncatedEventError);
  // CHAR(255) utf8mb4 = 1020 bytes: both high bits.
  const big = parseColumnMeta(Buffer.from([T.STRING]), Buffer.from([0xfe ^ 0x30, 0xfc]));
  assert.deepEqual(big, { types: [T.STRING], metas: [1020] });
});
