import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeDate, decodeDatetime2, decodeDatetimeOld, decodeJsonPackedTemporal, decodeTime2, decodeTimeOld, decodeTimestamp2, decodeTimestampOld, fracBytes,
} from '../../../../src/mysql/values/temporal.js';

/** Test-only encoders following MySQL's documented packed formats (my_time.cc). */
function datetimePacked(y: number, mo: number, d: number, h: number, mi: number, s: number, us: number): bigint {
  const ymd = BigInt(((y * 13 + mo) << 5) | d);
  const hms = BigInt((h << 12) | (mi << 6) | s);
  return ((((ymd << 17n) | hms) << 24n) + BigInt(us));
}
function timePacked(neg: boolean, h: number, mi: number, s: number, us: number): bigint {
  const v = (BigInt((h << 12) | (mi << 6) | s) << 24n) + BigInt(us);
  return neg ? -v : v;
}
/** my_datetime_packed_to_binary */
function datetime2(packed: bigint, fsp: number): Buffer {
  const intpart = (packed >> 24n) + 0x8000000000n;
  const frac = Number(packed % (1n << 24n));
  const b = Buffer.alloc(5 + fracBytes(fsp));
  b.writeUIntBE(Number(intpart), 0, 5);
  if (fsp === 1 || fsp === 2) b.writeInt8(frac / 10000, 5);
  else if (fsp === 3 || fsp === 4) b.writeInt16BE(frac / 100, 5);
  else if (fsp === 5 || fsp === 6) b.writeIntBE(frac, 5, 3);
  return b;
}
/** my_time_packed_to_binary (C semantics: >> floors, % truncates). */
function time2(packed: bigint, fsp: number): Buffer {
  const b = Buffer.alloc(3 + fracBytes(fsp));
  if (fsp >= 5) { b.writeUIntBE(Number(packed + 0x800000000000n), 0, 6); return b; }
  const intpart = packed >> 24n;
  const frac = Number(packed % (1n << 24n));
  b.writeUIntBE(Number(intpart + 0x800000n), 0, 3);
  if (fsp === 1 || fsp === 2) b.writeInt8(Math.trunc(frac / 10000), 3);
  else if (fsp === 3 || fsp === 4) b.writeInt16BE(Math.trunc(frac / 100), 3);
  return b;
}

test('temporal: DATE and the zero date', () => {
  const enc = (y: number, m: number, d: number): Buffer => { const b = Buffer.alloc(3); b.writeUIntLE((y << 9) | (m << 5) | d, 0, 3); return b; };
  assert.equal(decodeDate(enc(2024, 2, 29), 0), '2024-02-29');
  assert.equal(decodeDate(enc(0, 0, 0), 0), '0000-00-00');
  assert.equal(decodeDate(enc(9999, 12, 31), 0), '9999-12-31');
  assert.equal(decodeDate(enc(1, 1, 1), 0), '0001-01-01');
  assert.equal(decodeDate(enc(2000, 0, 0), 0), '2000-00-00');
});

test('temporal: old TIME, DATETIME, TIMESTAMP', () => {
  const t = Buffer.alloc(3);
  t.writeIntLE(-8385959, 0, 3);
  assert.equal(decodeTimeOld(t, 0), '-838:59:59');
  t.writeIntLE(123456, 0, 3);
  assert.equal(decodeTimeOld(t, 0), '12:34:56');
  const dt = Buffer.alloc(8);
  dt.writeBigUInt64LE(20240229235958n);
  assert.equal(decodeDatetimeOld(dt, 0), '2024-02-29 23:59:58');
  dt.writeBigUInt64LE(0n);
  assert.equal(decodeDatetimeOld(dt, 0), '0000-00-00 00:00:00');
  const ts = Buffer.alloc(4);
  ts.writeUInt32LE(1700000000);
  assert.equal(decodeTimestampOld(ts, 0).toISO(), '2023-11-14T22:13:20Z');
});

test('temporal: TIMESTAMP2 with every fsp, and zero', () => {
  const mk = (sec: number, frac: number, fsp: number): Buffer => {
    const b = Buffer.alloc(4 + fracBytes(fsp));
    b.writeUInt32BE(sec);
    const div = fsp <= 2 ? 10000 : fsp <= 4 ? 100 : 1;
    if (fsp) b.writeUIntBE(frac / div, 4, fracBytes(fsp));
    return b;
  };
  assert.equal(decodeTimestamp2(mk(1700000000, 0, 0), 0, 0).toISO(), '2023-11-14T22:13:20Z');
  assert.equal(decodeTimestamp2(mk(1700000000, 120000, 2), 0, 2).toISO(), '2023-11-14T22:13:20.12Z');
  assert.equal(decodeTimestamp2(mk(1700000000, 100000, 1), 0, 1).toISO(), '2023-11-14T22:13:20.1Z');
  assert.equal(decodeTimestamp2(mk(1700000000, 123000, 3), 0, 3).toISO(), '2023-11-14T22:13:20.123Z');
  assert.equal(decodeTimestamp2(mk(1700000000, 123400, 4), 0, 4).toISO(), '2023-11-14T22:13:20.1234Z');
  assert.equal(decodeTimestamp2(mk(1700000000, 123450, 5), 0, 5).toISO(), '2023-11-14T22:13:20.12345Z');
  const v = decodeTimestamp2(mk(2147483647, 999999, 6), 0, 6);
  assert.equal(v.seconds, 2147483647);
  assert.equal(v.micros, 999999);
  assert.equal(v.toISO(), '2038-01-19T03:14:07.999999Z');
  assert.equal(decodeTimestamp2(mk(0, 0, 3), 0, 3).toISO(), '0000-00-00T00:00:00.000Z');
});

test('temporal: DATETIME2 with every fsp, zero and extremes', () => {
  const cases: Array<[number[], number, string]> = [
    [[2018, 7, 13, 16, 15, 23, 0], 0, '2018-07-13 16:15:23'],
    [[2018, 7, 13, 16, 15, 23, 500000], 1, '2018-07-13 16:15:23.5'],
    [[2018, 7, 13, 16, 15, 23, 120000], 2, '2018-07-13 16:15:23.12'],
    [[2018, 7, 13, 16, 15, 23, 123000], 3, '2018-07-13 16:15:23.123'],
    [[2018, 7, 13, 16, 15, 23, 123400], 4, '2018-07-13 16:15:23.1234'],
    [[2018, 7, 13, 16, 15, 23, 123450], 5, '2018-07-13 16:15:23.12345'],
    [[2018, 7, 13, 16, 15, 23, 123456], 6, '2018-07-13 16:15:23.123456'],
    [[9999, 12, 31, 23, 59, 59, 999999], 6, '9999-12-31 23:59:59.999999'],
    [[1000, 1, 1, 0, 0, 0, 0], 6, '1000-01-01 00:00:00.000000'],
    [[0, 0, 0, 0, 0, 0, 0], 0, '0000-00-00 00:00:00'],
    [[0, 0, 0, 0, 0, 0, 0], 3, '0000-00-00 00:00:00.000'],
    [[2020, 0, 0, 0, 0, 0, 0], 0, '2020-00-00 00:00:00'],
  ];
  for (const [[y, mo, d, h, mi, s, us], fsp, want] of cases) {
    const b = Buffer.concat([Buffer.from([9]), datetime2(datetimePacked(y!, mo!, d!, h!, mi!, s!, us!), fsp)]);
    assert.equal(decodeDatetime2(b, 1, fsp), want);
  }
});

test('temporal: TIME2 incl. negative values with fractions', () => {
  const cases: Array<[boolean, number, number, number, number, number, string]> = [
    [false, 0, 0, 0, 0, 0, '00:00:00'],
    [false, 12, 34, 56, 0, 0, '12:34:56'],
    [true, 12, 34, 56, 0, 0, '-12:34:56'],
    [false, 838, 59, 59, 0, 0, '838:59:59'],
    [true, 838, 59, 59, 0, 0, '-838:59:59'],
    [true, 0, 0, 0, 500000, 1, '-00:00:00.5'],
    [true, 0, 0, 1, 500000, 1, '-00:00:01.5'],
    [true, 1, 2, 3, 10000, 2, '-01:02:03.01'],
    [false, 1, 2, 3, 990000, 2, '01:02:03.99'],
    [true, 0, 0, 0, 1000, 3, '-00:00:00.001'],
    [true, 10, 0, 0, 123400, 4, '-10:00:00.1234'],
    [false, 10, 0, 0, 123400, 4, '10:00:00.1234'],
    [true, 0, 0, 0, 1, 6, '-00:00:00.000001'],
    [true, 838, 59, 58, 999999, 6, '-838:59:58.999999'],
    [false, 838, 59, 58, 999990, 5, '838:59:58.99999'],
    [true, 0, 0, 0, 0, 3, '00:00:00.000'],
  ];
  for (const [neg, h, mi, s, us, fsp, want] of cases) {
    const b = time2(timePacked(neg, h, mi, s, us), fsp);
    assert.equal(decodeTime2(b, 0, fsp), want, want);
  }
});

test('temporal: JSON packed temporal values', () => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(datetimePacked(2015, 1, 15, 23, 24, 25, 123000));
  assert.equal(decodeJsonPackedTemporal(b, 0, 12), '2015-01-15 23:24:25.123000');
  assert.equal(decodeJsonPackedTemporal(b, 0, 7), '2015-01-15 23:24:25.123000');
  b.writeBigInt64LE(datetimePacked(2015, 1, 15, 0, 0, 0, 0));
  assert.equal(decodeJsonPackedTemporal(b, 0, 10), '2015-01-15');
  b.writeBigInt64LE(timePacked(true, 23, 24, 25, 500000));
  assert.equal(decodeJsonPackedTemporal(b, 0, 11), '-23:24:25.500000');
});
