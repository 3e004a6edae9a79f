/**
 * Row image decoding — the hottest path of the product. Per column list a decoding plan is built once
 * (cached in a WeakMap) so that each cell is one switch on a small integer and direct Buffer reads.
 */
import { SluiceError, TruncatedEventError } from '../../errors.js';
import { columnTypeName, ColumnType as T, type ColumnDef } from './column-type.js';
import { JsonText, type Cell, type Row } from '../../core/cell.js';
import { decimalBinarySize, decodeDecimal } from './decimal.js';
import {
  decodeDate, decodeDatetime2, decodeDatetimeOld, decodeTime2, decodeTimeOld, decodeTimestamp2, decodeTimestampOld, fracBytes,
} from './temporal.js';
import { decodeJsonBinary } from './json-binary.js';
import { bitBytes, decodeBit } from './bit.js';
import { decodeSet, enumName } from './enum-set.js';
import { copyBytes, decodeText, decodingForCharset, decodingForCollation, type TextDecoding } from './strings.js';
import { decodeVector, formatInet4, formatInet6, formatUuid, mariaDbBinaryKind } from './mariadb-types.js';

// Cell kinds (small integers for a dense switch).
const K_INT8 = 0, K_UINT8 = 1, K_INT16 = 2, K_UINT16 = 3, K_INT24 = 4, K_UINT24 = 5, K_INT32 = 6, K_UINT32 = 7;
const K_INT64 = 8, K_UINT64 = 9, K_FLOAT = 10, K_DOUBLE = 11, K_YEAR = 12, K_DECIMAL = 13, K_DATE = 14;
const K_TIME_OLD = 15, K_DATETIME_OLD = 16, K_TIMESTAMP_OLD = 17, K_TIMESTAMP2 = 18, K_DATETIME2 = 19, K_TIME2 = 20;
const K_BIT = 21, K_ENUM = 22, K_SET = 23, K_TEXT = 24, K_BYTES = 25, K_FIXED_BYTES = 26, K_JSON = 27, K_VECTOR = 28;
/** MariaDB JSON: text (LONGTEXT) that is a JSON document. */
const K_JSON_TEXT = 40;
const K_UUID = 29, K_INET4 = 30, K_INET6 = 31, K_NULL = 32;

/** How to decode one column. `size`: fixed byte size, or the length-prefix size for variable-length kinds. */
interface ColumnPlan {
  name: string;
  kind: number;
  size: number;
  /** DECIMAL precision / fsp / BIT bytes / ENUM-SET pack length / fixed binary length. */
  a: number;
  /** DECIMAL scale. */
  b: number;
  decoding: TextDecoding;
  names: readonly string[] | undefined;
}

const plans = new WeakMap<readonly ColumnDef[], ColumnPlan[]>();

function unsupported(col: ColumnDef, why: string): never {
  throw new SluiceError('UNSUPPORTED_COLUMN_TYPE', `column ${col.name}: ${why} (${columnTypeName(col.type)}, type ${col.type})`,
    'this column type cannot be decoded from the binlog; exclude the table, or report the type with the server version', { column: col.name, type: col.type });
}

/** Text decoding for a column: its charset, else its collation, else `fallback` (unknown → null = bytes). */
function columnDecoding(col: ColumnDef, fallback: TextDecoding): TextDecoding {
  if (col.charset !== undefined) return decodingForCharset(col.charset);
  if (col.collation !== null && col.collation !== undefined) return decodingForCollation(col.collation);
  return fallback;
}

/** Build the decoding plan of one column. */
export function planColumn(col: ColumnDef): ColumnPlan {
  const u = col.unsigned;
  const m = col.meta;
  const p: ColumnPlan = { name: col.name, kind: K_NULL, size: 0, a: 0, b: 0, decoding: null, names: col.enumValues };
  switch (col.type) {
    case T.TINY: p.kind = u ? K_UINT8 : K_INT8; p.size = 1; break;
    case T.SHORT: p.kind = u ? K_UINT16 : K_INT16; p.size = 2; break;
    case T.INT24: p.kind = u ? K_UINT24 : K_INT24; p.size = 3; break;
    case T.LONG: p.kind = u ? K_UINT32 : K_INT32; p.size = 4; break;
    case T.LONGLONG: p.kind = u ? K_UINT64 : K_INT64; p.size = 8; break;
    case T.FLOAT: p.kind = K_FLOAT; p.size = 4; break;
    case T.DOUBLE: p.kind = K_DOUBLE; p.size = 8; break;
    case T.YEAR: p.kind = K_YEAR; p.size = 1; break;
    case T.NEWDECIMAL:
      p.kind = K_DECIMAL; p.a = m >> 8; p.b = m & 0xff;
      if (p.a < 1 || p.a > 65 || p.b > 30 || p.b > p.a) unsupported(col, `DECIMAL(${p.a},${p.b}) metadata is out of range`);
      p.size = decimalBinarySize(p.a, p.b);
      break;
    case T.DATE: case T.NEWDATE: p.kind = K_DATE; p.size = 3; break;
    case T.TIME: p.kind = K_TIME_OLD; p.size = 3; break;
    case T.DATETIME: p.kind = K_DATETIME_OLD; p.size = 8; break;
    case T.TIMESTAMP: p.kind = K_TIMESTAMP_OLD; p.size = 4; break;
    case T.TIMESTAMP2: p.kind = K_TIMESTAMP2; p.a = m; p.size = 4 + fracBytes(m); break;
    case T.DATETIME2: p.kind = K_DATETIME2; p.a = m; p.size = 5 + fracBytes(m); break;
    case T.TIME2: p.kind = K_TIME2; p.a = m; p.size = 3 + fracBytes(m); break;
    case T.BIT: p.kind = K_BIT; p.a = bitBytes(m); p.size = p.a; break;
    case T.ENUM: p.kind = K_ENUM; p.a = m; p.size = m; if (m !== 1 && m !== 2) unsupported(col, `ENUM pack length ${m}`); break;
    case T.SET: p.kind = K_SET; p.a = m; p.size = m; if (m < 1 || m > 8) unsupported(col, `SET pack length ${m}`); break;
    case T.VARCHAR: case T.VAR_STRING:
      p.size = m < 256 ? 1 : 2;
      p.decoding = columnDecoding(col, 'utf8');
      p.kind = p.decoding === null ? K_BYTES : K_TEXT;
      break;
    case T.STRING: {
      p.size = m < 256 ? 1 : 2;
      p.a = m;
      // MariaDB UUID/INET4/INET6 are fixed binary strings, whatever charset a schema lookup suggests.
      const mk = mariaDbBinaryKind(col.sqlType);
      const special = mk === 'uuid' && m === 16 ? K_UUID : mk === 'inet6' && m === 16 ? K_INET6 : mk === 'inet4' && m === 4 ? K_INET4 : 0;
      if (special !== 0) { p.kind = special; break; }
      p.decoding = columnDecoding(col, 'utf8');
      if (p.decoding !== null) { p.kind = K_TEXT; break; }
      // BINARY(n): the binlog strips trailing 0x00 bytes; pad back to n.
      p.kind = K_FIXED_BYTES;
      break;
    }
    case T.BLOB: case T.TINY_BLOB: case T.MEDIUM_BLOB: case T.LONG_BLOB:
      p.size = m;
      p.decoding = columnDecoding(col, null);
      p.kind = p.decoding === null ? K_BYTES : col.jsonText ? K_JSON_TEXT : K_TEXT;
      break;
    case T.GEOMETRY: p.kind = K_BYTES; p.size = m; break;
    case T.JSON: p.kind = K_JSON; p.size = m; break;
    case T.VECTOR: p.kind = K_VECTOR; p.size = m; break;
    case T.NULL: p.kind = K_NULL; p.size = 0; break;
    default:
      unsupported(col, 'no binlog decoding for this type');
  }
  if ((p.kind === K_TEXT || p.kind === K_JSON_TEXT || p.kind === K_BYTES || p.kind === K_JSON || p.kind === K_VECTOR) && (p.size < 1 || p.size > 4)) {
    unsupported(col, `length prefix of ${p.size} bytes`);
  }
  return p;
}

function planFor(columns: readonly ColumnDef[]): ColumnPlan[] {
  let plan = plans.get(columns);
  if (plan === undefined) {
    plan = columns.map(planColumn);
    plans.set(columns, plan);
  }
  return plan;
}

function truncated(col: string, offset: number, need: number, end: number): never {
  throw new TruncatedEventError(`the value of column ${col}`, { offset, need, have: end - offset });
}

/** A fixed-size binary value padded with 0x00 to `n` bytes (a fresh Buffer). */
function padded(buf: Buffer, start: number, len: number, n: number): Buffer {
  const out = Buffer.alloc(n > len ? n : len);
  buf.copy(out, 0, start, start + len);
  return out;
}

/**
 * Decode one row image starting at `pos` in `buf` (bounded by `end`).
 * `present` is the columns-present bitmap of the rows event (bit i set = column i is in the image);
 * the image starts with a NULL bitmap covering only the present columns, then the values.
 * Columns not present are not put in the row. Returns the row and the offset after it.
 * Throws TruncatedEventError / CorruptEventError on bad bytes — never reads past `end`.
 */
export function decodeRowImage(buf: Buffer, pos: number, end: number, columns: readonly ColumnDef[], present: Buffer): { row: Row; next: number } {
  const plan = planFor(columns);
  const n = plan.length;
  let count = 0;
  for (let i = 0; i < n; i++) if ((present[i >> 3]! & (1 << (i & 7))) !== 0) count++;
  const nullBytes = (count + 7) >> 3;
  if (pos + nullBytes > end) truncated('NULL bitmap', pos, nullBytes, end);
  const nulls = pos;
  let p = pos + nullBytes;
  const row: Row = {};
  let k = 0;
  for (let i = 0; i < n; i++) {
    if ((present[i >> 3]! & (1 << (i & 7))) === 0) continue;
    const c = plan[i]!;
    const isNull = (buf[nulls + (k >> 3)]! & (1 << (k & 7))) !== 0;
    k++;
    if (isNull) { row[c.name] = null; continue; }
    let v: Cell;
    switch (c.kind) {
      case K_INT8: if (p + 1 > end) truncated(c.name, p, 1, end); v = buf.readInt8(p); p += 1; break;
      case K_UINT8: if (p + 1 > end) truncated(c.name, p, 1, end); v = buf[p]!; p += 1; break;
      case K_INT16: if (p + 2 > end) truncated(c.name, p, 2, end); v = buf.readInt16LE(p); p += 2; break;
      case K_UINT16: if (p + 2 > end) truncated(c.name, p, 2, end); v = buf.readUInt16LE(p); p += 2; break;
      case K_INT24: {
        if (p + 3 > end) truncated(c.name, p, 3, end);
        const x = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16);
        v = (x & 0x800000) !== 0 ? x - 0x1000000 : x;
        p += 3;
        break;
      }
      case K_UINT24: if (p + 3 > end) truncated(c.name, p, 3, end); v = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16); p += 3; break;
      case K_INT32: if (p + 4 > end) truncated(c.name, p, 4, end); v = buf.readInt32LE(p); p += 4; break;
      case K_UINT32: if (p + 4 > end) truncated(c.name, p, 4, end); v = buf.readUInt32LE(p); p += 4; break;
      case K_INT64: {
        if (p + 8 > end) truncated(c.name, p, 8, end);
        const hi = buf.readInt32LE(p + 4);
        if (hi > -0x200000 && hi < 0x200000) v = hi * 0x100000000 + buf.readUInt32LE(p);
        else { const b = buf.readBigInt64LE(p); v = b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b; }
        p += 8;
        break;
      }
      case K_UINT64: {
        if (p + 8 > end) truncated(c.name, p, 8, end);
        const hi = buf.readUInt32LE(p + 4);
        if (hi < 0x200000) v = hi * 0x100000000 + buf.readUInt32LE(p);
        else v = buf.readBigUInt64LE(p);
        p += 8;
        break;
      }
      case K_FLOAT: if (p + 4 > end) truncated(c.name, p, 4, end); v = buf.readFloatLE(p); p += 4; break;
      case K_DOUBLE: if (p + 8 > end) truncated(c.name, p, 8, end); v = buf.readDoubleLE(p); p += 8; break;
      case K_YEAR: { if (p + 1 > end) truncated(c.name, p, 1, end); const y = buf[p]!; v = y === 0 ? 0 : 1900 + y; p += 1; break; }
      case K_DECIMAL: if (p + c.size > end) truncated(c.name, p, c.size, end); v = decodeDecimal(buf, p, c.a, c.b); p += c.size; break;
      case K_DATE: if (p + 3 > end) truncated(c.name, p, 3, end); v = decodeDate(buf, p); p += 3; break;
      case K_TIME_OLD: if (p + 3 > end) truncated(c.name, p, 3, end); v = decodeTimeOld(buf, p); p += 3; break;
      case K_DATETIME_OLD: if (p + 8 > end) truncated(c.name, p, 8, end); v = decodeDatetimeOld(buf, p); p += 8; break;
      case K_TIMESTAMP_OLD: if (p + 4 > end) truncated(c.name, p, 4, end); v = decodeTimestampOld(buf, p); p += 4; break;
      case K_TIMESTAMP2: if (p + c.size > end) truncated(c.name, p, c.size, end); v = decodeTimestamp2(buf, p, c.a); p += c.size; break;
      case K_DATETIME2: if (p + c.size > end) truncated(c.name, p, c.size, end); v = decodeDatetime2(buf, p, c.a); p += c.size; break;
      case K_TIME2: if (p + c.size > end) truncated(c.name, p, c.size, end); v = decodeTime2(buf, p, c.a); p += c.size; break;
      case K_BIT: if (p + c.size > end) truncated(c.name, p, c.size, end); v = decodeBit(buf, p, c.size); p += c.size; break;
      case K_ENUM:
        if (p + c.size > end) truncated(c.name, p, c.size, end);
        v = enumName(c.size === 1 ? buf[p]! : buf.readUInt16LE(p), c.names);
        p += c.size;
        break;
      case K_SET: if (p + c.size > end) truncated(c.name, p, c.size, end); v = decodeSet(buf, p, c.size, c.names); p += c.size; break;
      case K_NULL: v = null; break;
      default: {
        // Variable length: a little-endian length prefix of c.size bytes, then the bytes.
        const s = c.size;
        if (p + s > end) truncated(c.name, p, s, end);
        const len = s === 1 ? buf[p]! : s === 2 ? buf.readUInt16LE(p) : s === 3 ? buf.readUIntLE(p, 3) : buf.readUInt32LE(p);
        p += s;
        if (p + len > end) truncated(c.name, p, len, end);
        switch (c.kind) {
          case K_TEXT: v = decodeText(buf, p, p + len, c.decoding); break;
          case K_JSON_TEXT: { const t = decodeText(buf, p, p + len, c.decoding); v = typeof t === 'string' ? new JsonText(t) : t; break; }
          case K_BYTES: v = copyBytes(buf, p, p + len); break;
          case K_FIXED_BYTES: v = padded(buf, p, len, c.a); break;
          case K_JSON: v = new JsonText(decodeJsonBinary(buf, p, p + len)); break;
          case K_VECTOR: v = decodeVector(buf, p, len); break;
          case K_UUID: v = formatUuid(padded(buf, p, len, 16)); break;
          case K_INET6: v = formatInet6(padded(buf, p, len, 16)); break;
          case K_INET4: v = formatInet4(padded(buf, p, len, 4)); break;
          default: v = copyBytes(buf, p, p + len); break;
        }
        p += len;
        break;
      }
    }
    row[c.name] = v;
  }
  return { row, next: p };
}
