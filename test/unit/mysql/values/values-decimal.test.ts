import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalBinarySize, decodeDecimal } from '../../../../src/mysql/values/decimal.js';

const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/** Test-only encoder of the documented NEWDECIMAL format (groups of 9 digits, big-endian, sign flip). */
function encode(text: string, precision: number, scale: number): Buffer {
  const neg = text.startsWith('-');
  const [ip = '', fp = ''] = (neg ? text.slice(1) : text).split('.');
  const intg = precision - scale;
  const intDigits = ip.padStart(intg, '0');
  const fracDigits = fp.padEnd(scale, '0');
  const out: number[] = [];
  const put = (digits: string): void => {
    const n = DIG2BYTES[digits.length]!;
    let v = Number(digits);
    const bytes: number[] = [];
    for (let i = 0; i < n; i++) { bytes.unshift(v % 256); v = Math.floor(v / 256); }
    out.push(...bytes);
  };
  const lead = intg % 9;
  if (lead) put(intDigits.slice(0, lead));
  for (let i = lead; i < intg; i += 9) put(intDigits.slice(i, i + 9));
  for (let i = 0; i + 9 <= scale; i += 9) put(fracDigits.slice(i, i + 9));
  if (scale % 9) put(fracDigits.slice(scale - (scale % 9)));
  const buf = Buffer.from(out);
  buf[0] = buf[0]! ^ 0x80;
  if (neg) for (let i = 0; i < buf.length; i++) buf[i] = buf[i]! ^ 0xff;
  return buf;
}

test('decimal: the documented example 1234567890.1234 as DECIMAL(14,4)', () => {
  const pos = Buffer.from([0x81, 0x0d, 0xfb, 0x38, 0xd2, 0x04, 0xd2]);
  assert.equal(decimalBinarySize(14, 4), 7);
  assert.equal(decodeDecimal(pos, 0, 14, 4), '1234567890.1234');
  const neg = Buffer.from([0x7e, 0xf2, 0x04, 0xc7, 0x2d, 0xfb, 0x2d]);
  assert.equal(decodeDecimal(neg, 0, 14, 4), '-1234567890.1234');
});

test('decimal: sizes', () => {
  assert.equal(decimalBinarySize(10, 2), 5);
  assert.equal(decimalBinarySize(65, 30), 30);
  assert.equal(decimalBinarySize(5, 0), 3);
  assert.equal(decimalBinarySize(9, 9), 4);
  assert.equal(decimalBinarySize(1, 0), 1);
});

test('decimal: edge values keep the declared scale', () => {
  const cases: Array<[string, number, number, string]> = [
    ['0', 10, 2, '0.00'],
    ['-0.50', 10, 2, '-0.50'],
    ['0.01', 10, 2, '0.01'],
    ['-12.5', 10, 2, '-12.50'],
    ['99999999.99', 10, 2, '99999999.99'],
    ['-99999999.99', 10, 2, '-99999999.99'],
    ['12345', 5, 0, '12345'],
    ['-1', 5, 0, '-1'],
    ['0.000000001', 9, 9, '0.000000001'],
    ['-0.123456789', 9, 9, '-0.123456789'],
    ['1', 1, 0, '1'],
    ['99999999999999999999999999999999999.999999999999999999999999999999', 65, 30,
      '99999999999999999999999999999999999.999999999999999999999999999999'],
    ['-99999999999999999999999999999999999.999999999999999999999999999999', 65, 30,
      '-99999999999999999999999999999999999.999999999999999999999999999999'],
    ['1000000000.000000001', 20, 9, '1000000000.000000001'],
    ['0.000000000000000000000000000001', 65, 30, '0.000000000000000000000000000001'],
    ['123456789012345678', 18, 0, '123456789012345678'],
  ];
  for (const [text, p, s, want] of cases) {
    const b = encode(text, p, s);
    assert.equal(b.length, decimalBinarySize(p, s), `size of ${text}`);
    assert.equal(decodeDecimal(b, 0, p, s), want, `${text} as DECIMAL(${p},${s})`);
  }
});

test('decimal: negative zero prints as MySQL prints zero (no sign)', () => {
  const b = encode('0', 10, 2);
  for (let i = 0; i < b.length; i++) b[i] = b[i]! ^ 0xff; // sign negative, digits zero
  assert.equal(decodeDecimal(b, 0, 10, 2), '0.00');
});

test('decimal: random round trips at an offset', () => {
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let k = 0; k < 2000; k++) {
    const p = 1 + rnd(65);
    const s = rnd(Math.min(p, 30) + 1);
    let ip = '';
    for (let i = 0; i < p - s; i++) ip += String(rnd(10));
    let fp = '';
    for (let i = 0; i < s; i++) fp += String(rnd(10));
    ip = ip.replace(/^0+/, '') || '0';
    const neg = rnd(2) === 1 && /[1-9]/.test(ip + fp);
    const text = (neg ? '-' : '') + ip + (s ? '.' + fp : '');
    const b = Buffer.concat([Buffer.from([1, 2, 3]), encode(text, p, s)]);
    assert.equal(decodeDecimal(b, 3, p, s), text, `${text} (${p},${s})`);
  }
});
