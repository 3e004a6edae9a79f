/**
 * MySQL NEWDECIMAL binary format → exact decimal text.
 *
 * The value is stored big-endian in groups of 9 decimal digits (4 bytes each); a leading/trailing partial
 * group uses 1–4 bytes. The sign bit (top bit of the first byte) is inverted, and negative values have
 * every byte inverted. Text has exactly `scale` fractional digits, like MySQL prints it.
 */

const DIG_PER_GROUP = 9;
/** Bytes used by a partial group of N digits (index N). */
const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4] as const;

/** Number of bytes a DECIMAL(precision, scale) value takes in a row image. */
export function decimalBinarySize(precision: number, scale: number): number {
  const intg = precision - scale;
  return ((intg / DIG_PER_GROUP) | 0) * 4 + DIG2BYTES[intg % DIG_PER_GROUP]! +
    ((scale / DIG_PER_GROUP) | 0) * 4 + DIG2BYTES[scale % DIG_PER_GROUP]!;
}

/** Read `n` (1–4) bytes big-endian at `p`, each XORed with `mask` (0 or 0xff). First byte may be pre-flipped. */
function readGroup(buf: Buffer, p: number, n: number, mask: number, first: number): number {
  let v = first ^ mask;
  for (let i = 1; i < n; i++) v = v * 256 + (buf[p + i]! ^ mask);
  return v;
}

const ZEROS = '000000000';

/**
 * Decode DECIMAL(precision, scale) at `pos`. The caller guarantees `decimalBinarySize` bytes are readable.
 * Negative zero (a negative sign with all digits zero, which MySQL never stores) prints without the sign.
 */
export function decodeDecimal(buf: Buffer, pos: number, precision: number, scale: number): string {
  const intg = precision - scale;
  const intg0 = (intg / DIG_PER_GROUP) | 0;
  const intg0x = intg % DIG_PER_GROUP;
  const frac0 = (scale / DIG_PER_GROUP) | 0;
  const frac0x = scale % DIG_PER_GROUP;
  const b0 = buf[pos]!;
  const negative = (b0 & 0x80) === 0;
  const mask = negative ? 0xff : 0;
  let first = b0 ^ 0x80; // the first byte with its sign bit restored
  let p = pos;

  // Integer part: leading zeros dropped.
  let intText = '';
  if (intg0x > 0) {
    const n = DIG2BYTES[intg0x]!;
    const v = readGroup(buf, p, n, mask, first);
    if (v !== 0) intText = String(v);
    p += n;
    first = buf[p]!;
  }
  for (let i = 0; i < intg0; i++) {
    const v = readGroup(buf, p, 4, mask, first);
    if (intText.length > 0) {
      const s = String(v);
      intText += ZEROS.slice(s.length) + s;
    } else if (v !== 0) {
      intText = String(v);
    }
    p += 4;
    first = buf[p]!;
  }

  // Fraction: every group zero-padded to its digit count.
  let fracText = '';
  for (let i = 0; i < frac0; i++) {
    const s = String(readGroup(buf, p, 4, mask, first));
    fracText += ZEROS.slice(s.length) + s;
    p += 4;
    first = buf[p]!;
  }
  if (frac0x > 0) {
    const s = String(readGroup(buf, p, DIG2BYTES[frac0x]!, mask, first));
    fracText += ZEROS.slice(0, frac0x - s.length) + s;
  }

  if (intText.length === 0) intText = '0';
  const text = scale > 0 ? intText + '.' + fracText : intText;
  if (negative && !isZeroText(intText, fracText)) return '-' + text;
  return text;
}

function isZeroText(intText: string, fracText: string): boolean {
  if (intText !== '0') return false;
  for (let i = 0; i < fracText.length; i++) if (fracText.charCodeAt(i) !== 48) return false;
  return true;
}
