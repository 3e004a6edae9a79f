/**
 * Temporal values of row images → text (DATE, TIME, DATETIME) or TimestampValue (TIMESTAMP).
 *
 * Formats: DATE/NEWDATE 3 bytes LE (day 5 bits, month 4, year 15); old TIME 3 bytes LE signed HHMMSS;
 * old DATETIME 8 bytes LE YYYYMMDDHHMMSS; old TIMESTAMP 4 bytes LE seconds; the MySQL 5.6 "2" formats are
 * big-endian with a fractional part of ceil(fsp/2) bytes. Zero dates print as MySQL prints them
 * ('0000-00-00', '0000-00-00 00:00:00'); the zero TIMESTAMP is TimestampValue(0, 0, fsp).
 */
import { TimestampValue } from '../../core/cell.js';

/** Bytes of the fractional part for fsp 0–6. */
export function fracBytes(fsp: number): number {
  return (fsp + 1) >> 1;
}

const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);

function pad2(n: number): string {
  return n < 100 ? TWO_DIGITS[n]! : String(n);
}

function pad4(n: number): string {
  return n >= 1000 ? String(n) : n >= 100 ? '0' + n : n >= 10 ? '00' + n : '000' + n;
}

const ZEROS6 = '000000';

/** ".ffffff" cut to fsp digits, or "" when fsp is 0. */
export function fracText(micros: number, fsp: number): string {
  if (fsp <= 0) return '';
  const s = String(micros);
  return '.' + (ZEROS6.slice(s.length) + s).slice(0, fsp);
}

function dateText(year: number, month: number, day: number): string {
  return pad4(year) + '-' + pad2(month) + '-' + pad2(day);
}

/** DATE / NEWDATE (3 bytes). */
export function decodeDate(buf: Buffer, pos: number): string {
  const v = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16);
  return dateText(v >>> 9, (v >>> 5) & 15, v & 31);
}

/** Old TIME (3 bytes, signed HHMMSS as an integer). */
export function decodeTimeOld(buf: Buffer, pos: number): string {
  let v = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16);
  if (v & 0x800000) v -= 0x1000000;
  const sign = v < 0 ? '-' : '';
  if (v < 0) v = -v;
  const h = Math.floor(v / 10000);
  return sign + pad2(h) + ':' + pad2(Math.floor(v / 100) % 100) + ':' + pad2(v % 100);
}

/** Old DATETIME (8 bytes, YYYYMMDDHHMMSS as an integer). */
export function decodeDatetimeOld(buf: Buffer, pos: number): string {
  const v = buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * 0x100000000;
  const d = Math.floor(v / 1000000);
  const t = v % 1000000;
  return dateText(Math.floor(d / 10000), Math.floor(d / 100) % 100, d % 100) + ' ' +
    pad2(Math.floor(t / 10000)) + ':' + pad2(Math.floor(t / 100) % 100) + ':' + pad2(t % 100);
}

/** Old TIMESTAMP (4 bytes LE seconds). */
export function decodeTimestampOld(buf: Buffer, pos: number): TimestampValue {
  return new TimestampValue(buf.readUInt32LE(pos), 0, 0);
}

/** Fractional part of a "2" format (unsigned, big-endian) as microseconds. */
function readFracMicros(buf: Buffer, p: number, fsp: number): number {
  switch (fsp) {
    case 1: case 2: return buf[p]! * 10000;
    case 3: case 4: return ((buf[p]! << 8) | buf[p + 1]!) * 100;
    case 5: case 6: return (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
    default: return 0;
  }
}

/** TIMESTAMP2 (4 bytes BE seconds + fraction). */
export function decodeTimestamp2(buf: Buffer, pos: number, fsp: number): TimestampValue {
  return new TimestampValue(buf.readUInt32BE(pos), readFracMicros(buf, pos + 4, fsp), fsp);
}

/** DATETIME2 (5 bytes BE, offset 0x8000000000, + fraction). */
export function decodeDatetime2(buf: Buffer, pos: number, fsp: number): string {
  const hi = buf[pos]!;
  const lo = buf.readUInt32BE(pos + 1);
  // intpart = value - 2^39; the sign bit is the top bit of `hi` (always set for valid DATETIMEs).
  const intpart = (hi - 0x80) * 0x100000000 + lo;
  const ymdhms = intpart < 0 ? -intpart : intpart;
  const ymd = Math.floor(ymdhms / 0x20000); // >> 17
  const hms = ymdhms % 0x20000;
  const ym = ymd >>> 5;
  return dateText(Math.floor(ym / 13), ym % 13, ymd & 31) + ' ' +
    pad2(hms >>> 12) + ':' + pad2((hms >>> 6) & 63) + ':' + pad2(hms & 63) +
    fracText(readFracMicros(buf, pos + 5, fsp), fsp);
}

/** TIME2 (3 bytes BE, offset 0x800000, + signed fraction); negative times with fractions handled. */
export function decodeTime2(buf: Buffer, pos: number, fsp: number): string {
  let intpart = ((buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!) - 0x800000;
  let frac = 0;
  switch (fsp) {
    case 1: case 2:
      frac = buf[pos + 3]!;
      if (intpart < 0 && frac !== 0) { intpart++; frac -= 0x100; }
      frac *= 10000;
      break;
    case 3: case 4:
      frac = (buf[pos + 3]! << 8) | buf[pos + 4]!;
      if (intpart < 0 && frac !== 0) { intpart++; frac -= 0x10000; }
      frac *= 100;
      break;
    case 5: case 6: {
      // The whole 6 bytes are one number with offset 2^47.
      const packed = (buf[pos]! * 0x10000 + ((buf[pos + 1]! << 8) | buf[pos + 2]!)) * 0x1000000 +
        ((buf[pos + 3]! << 16) | (buf[pos + 4]! << 8) | buf[pos + 5]!) - 0x800000000000;
      return timeFromPacked(packed, fsp);
    }
    default:
      break;
  }
  return timeFromPacked(intpart * 0x1000000 + frac, fsp);
}

/** MySQL's packed TIME (intpart << 24 | micros, signed) → "[-]HH:MM:SS[.ffffff]". */
function timeFromPacked(packed: number, fsp: number): string {
  const sign = packed < 0 ? '-' : '';
  const a = packed < 0 ? -packed : packed;
  const hms = Math.floor(a / 0x1000000);
  const micros = a % 0x1000000;
  return sign + pad2((hms >>> 12) % 1024) + ':' + pad2((hms >>> 6) & 63) + ':' + pad2(hms & 63) + fracText(micros, fsp);
}

/**
 * A packed DATETIME/DATE/TIME/TIMESTAMP as stored in JSON opaque values (8 bytes LE, signed), printed the
 * way MySQL prints JSON temporal values: DATE 'YYYY-MM-DD', TIME 'HH:MM:SS.ffffff', the others
 * 'YYYY-MM-DD HH:MM:SS.ffffff' (always 6 fractional digits).
 */
export function decodeJsonPackedTemporal(buf: Buffer, pos: number, fieldType: number): string {
  const packed = buf.readBigInt64LE(pos); // up to 2^63: needs BigInt
  const neg = packed < 0n;
  const a = neg ? -packed : packed;
  const intpart = Number(a >> 24n);
  const micros = Number(a & 0xffffffn);
  if (fieldType === 11) { // TIME
    return (neg ? '-' : '') + pad2((intpart >>> 12) % 1024) + ':' + pad2((intpart >>> 6) & 63) + ':' + pad2(intpart & 63) + fracText(micros, 6);
  }
  const ymd = Math.floor(intpart / 0x20000);
  const hms = intpart % 0x20000;
  const ym = ymd >>> 5;
  const date = dateText(Math.floor(ym / 13), ym % 13, ymd & 31);
  if (fieldType === 10 || fieldType === 14) return date; // DATE / NEWDATE
  return date + ' ' + pad2(hms >>> 12) + ':' + pad2((hms >>> 6) & 63) + ':' + pad2(hms & 63) + fracText(micros, 6);
}
