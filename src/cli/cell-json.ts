import { JsonText, TimestampValue, type Cell, type Row } from '../core/cell.js';

/**
 * JSON text for one decoded value, as `sluice tail` prints it:
 * integers as numbers within ±2^53 else strings; DECIMAL/temporal/text as strings;
 * TIMESTAMP as UTC ISO-8601; binary as base64; SET as an array; JSON as the document itself.
 */
export function cellToJson(v: Cell): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
    case 'bigint':
      return `"${v.toString()}"`;
    case 'string':
      return JSON.stringify(v);
    default:
      break;
  }
  if (Buffer.isBuffer(v)) return `"${v.toString('base64')}"`;
  if (Array.isArray(v)) return JSON.stringify(v);
  // Raw line breaks in valid JSON text are whitespace (inside strings they are escaped): keep one line per change.
  if (v instanceof JsonText) return /[\r\n]/.test(v.text) ? v.text.replace(/[\r\n]+/g, ' ') : v.text;
  if (v instanceof TimestampValue) return `"${v.toISO()}"`;
  if (v instanceof Float32Array) return `[${Array.from(v, float32ToString).join(',')}]`;
  return JSON.stringify(String(v));
}

/** JSON object text for a row image (keys in column order). */
export function rowToJson(row: Row | null): string {
  if (row === null) return 'null';
  let out = '{';
  let first = true;
  for (const key in row) {
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key) + ':' + cellToJson(row[key] as Cell);
  }
  return out + '}';
}

/** Shortest decimal text that reads back as the same float32 (what MySQL prints for VECTOR). */
export function float32ToString(x: number): string {
  if (!Number.isFinite(x)) return JSON.stringify(String(x));
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}
