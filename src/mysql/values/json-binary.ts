/**
 * MySQL binary JSON (the JSON column format) → exact JSON text, printed the way MySQL prints it
 * (`{"a": 1, "b": [1, 2]}`: ", " and ": " separators, keys in stored order).
 *
 * Layout: a type byte, then the value. Objects/arrays (small: 2-byte fields, large: 4-byte fields) hold
 * element count, byte size, key entries (offset + 2-byte length), value entries (type + inline value or
 * offset); offsets are relative to the container start. Scalars: literals, int16/32/64, uint16/32/64
 * (uint64 exact beyond 2^53), double, string (variable-length length + utf8mb4), opaque (MySQL field type,
 * variable-length length, bytes). Opaque DECIMAL prints as a number, DATE/TIME/DATETIME/TIMESTAMP as quoted
 * strings with 6 fractional digits (DATE without time), others as "base64:typeNN:<base64>".
 */
import { CorruptEventError } from '../../errors.js';
import { decodeDecimal } from './decimal.js';
import { decodeJsonPackedTemporal } from './temporal.js';

const T_SMALL_OBJECT = 0x00;
const T_LARGE_OBJECT = 0x01;
const T_SMALL_ARRAY = 0x02;
const T_LARGE_ARRAY = 0x03;
const T_LITERAL = 0x04;
const T_INT16 = 0x05;
const T_UINT16 = 0x06;
const T_INT32 = 0x07;
const T_UINT32 = 0x08;
const T_INT64 = 0x09;
const T_UINT64 = 0x0a;
const T_DOUBLE = 0x0b;
const T_STRING = 0x0c;
const T_OPAQUE = 0x0f;

/** A JSON object: keys in document order with their values. */
export class JsonObjectNode {
  constructor(public keys: string[], public values: JsonNode[]) {}
}

/**
 * A decoded JSON value: a scalar as its exact JSON text (`"abc"`, `12`, `1.5`, `true`, `null`),
 * an array, or an object.
 */
export type JsonNode = string | JsonNode[] | JsonObjectNode;

function corrupt(what: string, offset: number): never {
  throw new CorruptEventError(`binary JSON: ${what}`, { offset });
}

/** Parse a binary JSON document in `buf[start, end)`. An empty document is JSON null (as MySQL reads it). */
export function parseJsonBinary(buf: Buffer, start: number, end: number): JsonNode {
  if (end <= start) return 'null';
  return parseValue(buf, buf[start]!, start + 1, end, 0);
}

/** Binary JSON in `buf[start, end)` → exact JSON text. */
export function decodeJsonBinary(buf: Buffer, start: number, end: number): string {
  return jsonNodeToText(parseJsonBinary(buf, start, end));
}

const MAX_DEPTH = 150;

function parseValue(buf: Buffer, type: number, p: number, end: number, depth: number): JsonNode {
  switch (type) {
    case T_SMALL_OBJECT: return parseContainer(buf, p, end, false, true, depth);
    case T_LARGE_OBJECT: return parseContainer(buf, p, end, true, true, depth);
    case T_SMALL_ARRAY: return parseContainer(buf, p, end, false, false, depth);
    case T_LARGE_ARRAY: return parseContainer(buf, p, end, true, false, depth);
    case T_LITERAL: need(p, 1, end); return literal(buf[p]!, p);
    case T_INT16: need(p, 2, end); return String(buf.readInt16LE(p));
    case T_UINT16: need(p, 2, end); return String(buf.readUInt16LE(p));
    case T_INT32: need(p, 4, end); return String(buf.readInt32LE(p));
    case T_UINT32: need(p, 4, end); return String(buf.readUInt32LE(p));
    case T_INT64: need(p, 8, end); return buf.readBigInt64LE(p).toString();
    case T_UINT64: need(p, 8, end); return buf.readBigUInt64LE(p).toString();
    case T_DOUBLE: need(p, 8, end); return formatJsonDouble(buf.readDoubleLE(p));
    case T_STRING: {
      const [len, q] = readVarLength(buf, p, end);
      need(q, len, end);
      return JSON.stringify(buf.toString('utf8', q, q + len));
    }
    case T_OPAQUE: {
      need(p, 1, end);
      const fieldType = buf[p]!;
      const [len, q] = readVarLength(buf, p + 1, end);
      need(q, len, end);
      return opaqueText(buf, fieldType, q, len);
    }
    default:
      return corrupt(`unknown value type ${type}`, p);
  }
}

function literal(v: number, p: number): string {
  if (v === 0) return 'null';
  if (v === 1) return 'true';
  if (v === 2) return 'false';
  return corrupt(`unknown literal ${v}`, p);
}

function need(p: number, n: number, end: number): void {
  if (p + n > end) corrupt('value runs past the end of the document', p);
}

/** MySQL's variable-length length: 7 bits a byte, little-endian, high bit = more bytes follow. */
function readVarLength(buf: Buffer, p: number, end: number): [number, number] {
  let len = 0;
  for (let i = 0; i < 5; i++) {
    if (p >= end) corrupt('length runs past the end of the document', p);
    const b = buf[p++]!;
    len += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [len, p];
  }
  return corrupt('length too long', p);
}

function parseContainer(buf: Buffer, o: number, end: number, large: boolean, isObject: boolean, depth: number): JsonNode {
  if (depth > MAX_DEPTH) corrupt('document nested too deeply', o);
  const w = large ? 4 : 2;
  need(o, 2 * w, end);
  const count = large ? buf.readUInt32LE(o) : buf.readUInt16LE(o);
  const size = large ? buf.readUInt32LE(o + 4) : buf.readUInt16LE(o + 2);
  if (size > end - o) corrupt('container larger than the document', o);
  const cend = o + size;
  const keyEntries = o + 2 * w;
  const valueEntries = isObject ? keyEntries + count * (w + 2) : keyEntries;
  need(valueEntries, count * (1 + w), cend);
  const values: JsonNode[] = new Array<JsonNode>(count);
  for (let i = 0; i < count; i++) {
    const e = valueEntries + i * (1 + w);
    const t = buf[e]!;
    const f = e + 1;
    if (t === T_LITERAL) values[i] = literal(buf[f]!, f);
    else if (t === T_INT16) values[i] = String(buf.readInt16LE(f));
    else if (t === T_UINT16) values[i] = String(buf.readUInt16LE(f));
    else if (large && t === T_INT32) values[i] = String(buf.readInt32LE(f));
    else if (large && t === T_UINT32) values[i] = String(buf.readUInt32LE(f));
    else {
      const off = large ? buf.readUInt32LE(f) : buf.readUInt16LE(f);
      if (off >= size) corrupt('value offset outside its container', f);
      values[i] = parseValue(buf, t, o + off, cend, depth + 1);
    }
  }
  if (!isObject) return values;
  const keys: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const e = keyEntries + i * (w + 2);
    const off = large ? buf.readUInt32LE(e) : buf.readUInt16LE(e);
    const len = buf.readUInt16LE(e + w);
    if (off + len > size) corrupt('key outside its container', e);
    keys[i] = buf.toString('utf8', o + off, o + off + len);
  }
  return new JsonObjectNode(keys, values);
}

function opaqueText(buf: Buffer, fieldType: number, p: number, len: number): string {
  switch (fieldType) {
    case 246: // NEWDECIMAL: precision, scale, binary decimal
      if (len < 2) corrupt('short opaque DECIMAL', p);
      return decodeDecimal(buf, p + 2, buf[p]!, buf[p + 1]!);
    case 7: case 10: case 11: case 12: case 14: // TIMESTAMP, DATE, TIME, DATETIME, NEWDATE: packed int64
      if (len < 8) corrupt('short opaque temporal value', p);
      return '"' + decodeJsonPackedTemporal(buf, p, fieldType) + '"';
    case 15: case 253: // VARCHAR / VAR_STRING: a plain string
      return JSON.stringify(buf.toString('utf8', p, p + len));
    default:
      return JSON.stringify(`base64:type${fieldType}:${mysqlBase64(buf.subarray(p, p + len))}`);
  }
}

/** Base64 as MySQL's base64_encode writes it: a newline after every 76 characters. */
function mysqlBase64(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  if (b64.length <= 76) return b64;
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += (i > 0 ? '\n' : '') + b64.slice(i, i + 76);
  return out;
}

/**
 * A double as MySQL prints it in JSON (my_gcvt with the shortest round-trip digits; ".0" appended when
 * the text has neither a point nor an exponent): 1 → "1.0", 1e15 → "1e15", 0.00001 → "0.00001", 1e-16 → "1e-16".
 */
export function formatJsonDouble(d: number): string {
  if (!Number.isFinite(d)) return '0.0'; // MySQL cannot store NaN/Infinity in JSON
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const neg = d < 0;
  const [mant, expText] = Math.abs(d).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const len = digits.length;
  const decpt = Number(expText) + 1;
  const width = neg ? 33 : 34;
  const fLen = decpt <= 0 ? len - decpt + 2 : decpt < len ? len + 1 : decpt;
  let s: string;
  if (fLen <= width && decpt >= -14 && (decpt <= 15 || len > decpt)) {
    if (decpt <= 0) s = '0.' + '0'.repeat(-decpt) + digits;
    else if (decpt < len) s = digits.slice(0, decpt) + '.' + digits.slice(decpt);
    else s = digits + '0'.repeat(decpt - len) + '.0';
  } else {
    const e = decpt - 1;
    s = digits[0]! + (len > 1 ? '.' + digits.slice(1) : '') + 'e' + (e < 0 ? '-' + -e : String(e));
  }
  return neg ? '-' + s : s;
}

/** JSON text of a node, in MySQL's layout. */
export function jsonNodeToText(node: JsonNode): string {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) {
    let out = '[';
    for (let i = 0; i < node.length; i++) out += (i > 0 ? ', ' : '') + jsonNodeToText(node[i]!);
    return out + ']';
  }
  let out = '{';
  for (let i = 0; i < node.keys.length; i++) {
    out += (i > 0 ? ', ' : '') + JSON.stringify(node.keys[i]!) + ': ' + jsonNodeToText(node.values[i]!);
  }
  return out + '}';
}
