/**
 * MySQL/MariaDB column → PostgreSQL column type, and Cell ↔ PostgreSQL text, without losing a value.
 * The table of choices and their reasons is in docs/postgres-target.md; in short:
 *
 *   integers          the smallest PG integer that holds the whole range (unsigned INT → bigint,
 *                     unsigned BIGINT → numeric(20,0))
 *   DECIMAL(p,s)      numeric(p,s)                 FLOAT / DOUBLE   real / double precision
 *   BIT(n)            bit(n)                       YEAR             smallint (0 for 0000)
 *   DATE / DATETIME   date / timestamp(n)          zero date '0000-00-00' ↔ '-infinity'
 *   TIMESTAMP(n)      timestamptz(n) (UTC)         zero timestamp ↔ '-infinity'
 *   TIME(n)           interval(n) (±838 h)         CHAR/VARCHAR(n)  varchar(n); TEXT types text
 *   BINARY/BLOB       bytea                        spatial          bytea (MySQL's SRID + WKB bytes)
 *   ENUM              text + CHECK (members or '') SET              text[] + CHECK (subset of members)
 *   JSON              jsonb                        UUID / INET4 / INET6 (MariaDB)  uuid / inet
 *   VECTOR            real[]
 *
 * The encoder works from the *target* column's PG type (read from the catalog), so that a table created
 * by hand with other (compatible) types is written correctly too.
 */
import { SluiceError } from '../../errors.js';
import type { SchemaColumn } from '../../mysql/schema/table-schema.js';
import { JsonText, TimestampValue, integerCell, timestampText, type Cell } from '../../core/cell.js';
import { formatInet4, formatInet6, formatUuid } from '../../mysql/values/mariadb-types.js';
import { fnv1a32 } from '../../fnv-hash.js';

const TEXT_TYPES = new Set(['tinytext', 'text', 'mediumtext', 'longtext']);
const BYTES_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const SPATIAL_TYPES = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon',
  'geometrycollection', 'geomcollection']);

const MAX_IDENT_BYTES = 63;

/**
 * The PostgreSQL name of a MySQL name: itself when it fits PostgreSQL's 63 bytes (MySQL allows 64 characters, up
 * to 256 bytes), else its first bytes (whole characters) + `_` + 8 hex digits of its hash — where PostgreSQL would
 * cut it silently, making two long names that share their first 63 bytes one. Idempotent: a name read back from
 * PostgreSQL's catalog maps to itself, so lookups may use either form.
 */
export function pgTargetName(name: string): string {
  // Most names: 21 UTF-16 units are at most 63 bytes, so the byte count (on every identifier written) is not needed.
  if (name.length <= MAX_IDENT_BYTES / 3 || Buffer.byteLength(name) <= MAX_IDENT_BYTES) return name;
  const hash = fnv1a32(name).toString(16).padStart(8, '0');
  let cut = name;
  while (Buffer.byteLength(cut) > MAX_IDENT_BYTES - 9) cut = cut.slice(0, -1);
  // Never end on half a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}_${hash}`;
}

/** Quote a PostgreSQL identifier (a MySQL name, as its PostgreSQL name: pgTargetName). */
export function pgIdent(name: string): string {
  return '"' + pgTargetName(name).replace(/"/g, '""') + '"';
}

/** A PostgreSQL string literal (standard_conforming_strings on: only the quote is doubled). */
export function pgLiteral(text: string): string {
  return "'" + text.replace(/'/g, "''") + "'";
}

function fsp(col: SchemaColumn): number {
  return Math.max(0, Math.min(6, col.datetimePrecision ?? 0));
}

/** The PostgreSQL type of a source column (without NOT NULL or constraints). */
export function pgColumnType(col: SchemaColumn): string {
  const t = col.dataType.toLowerCase();
  const u = col.unsigned;
  if (col.json || t === 'json') return 'jsonb';
  switch (t) {
    case 'tinyint': return 'smallint';
    case 'smallint': return u ? 'integer' : 'smallint';
    case 'mediumint': return 'integer';
    case 'int': case 'integer': return u ? 'bigint' : 'integer';
    case 'bigint': return u ? 'numeric(20,0)' : 'bigint';
    case 'decimal': case 'numeric': return `numeric(${col.numericPrecision ?? 10},${col.numericScale ?? 0})`;
    case 'float': return 'real';
    case 'double': case 'real': return 'double precision';
    case 'bit': return `bit(${Math.max(1, col.numericPrecision ?? 1)})`;
    case 'year': return 'smallint';
    case 'date': return 'date';
    case 'datetime': return `timestamp(${fsp(col)}) without time zone`;
    case 'timestamp': return `timestamp(${fsp(col)}) with time zone`;
    case 'time': return `interval(${fsp(col)})`;
    case 'char': case 'varchar': {
      if (col.charset === 'binary' || col.collationId === 63) return 'bytea';
      const chars = charLength(col);
      return chars === null ? 'text' : `varchar(${chars})`;
    }
    case 'enum': return 'text';
    case 'set': return 'text[]';
    case 'uuid': return 'uuid';
    case 'inet4': case 'inet6': return 'inet';
    case 'vector': return 'real[]';
    default:
      if (TEXT_TYPES.has(t)) return col.charset === 'binary' ? 'bytea' : 'text';
      if (BYTES_TYPES.has(t) || SPATIAL_TYPES.has(t)) return 'bytea';
      throw new SluiceError('UNSUPPORTED_COLUMN_TYPE', `column ${col.name} has type ${col.sqlType}, which the PostgreSQL target does not map`,
        'exclude the table from the pipeline, or change the column type on the source; see docs/postgres-target.md for the mapped types',
        { column: col.name, type: col.sqlType });
  }
}

/** CHAR/VARCHAR length in characters, from the declared type (`varchar(300)`), or null when unknown. */
function charLength(col: SchemaColumn): number | null {
  const m = /^\s*(?:var)?char\s*\(\s*(\d+)\s*\)/i.exec(col.sqlType);
  if (m) return Math.max(1, Number(m[1]));
  return null;
}

/** A CHECK that keeps ENUM and SET columns to their members (ENUM's error value '' included), or null. */
export function pgColumnCheck(col: SchemaColumn): string | null {
  const t = col.dataType.toLowerCase();
  if ((t !== 'enum' && t !== 'set') || !col.enumValues) return null;
  const members = [...col.enumValues];
  if (t === 'enum') {
    if (!members.includes('')) members.push('');
    return `${pgIdent(col.name)} IN (${members.map(pgLiteral).join(', ')})`;
  }
  return `${pgIdent(col.name)} <@ ARRAY[${members.map(pgLiteral).join(', ')}]::text[]`;
}

/** How a value is written into a PG column, by the column's type as the catalog prints it (format_type). */
export type PgKind =
  | 'int' | 'numeric' | 'float' | 'bit' | 'date' | 'timestamp' | 'timestamptz' | 'interval'
  | 'text' | 'bytea' | 'textarray' | 'floatarray' | 'json' | 'uuid' | 'inet' | 'bool' | 'other';

/** The kind of a PG type name as format_type() prints it ('timestamp(6) without time zone', 'bit(13)', 'text[]'…). */
export function pgKind(formatted: string): PgKind {
  const t = formatted.toLowerCase();
  if (t.endsWith('[]')) return t.startsWith('real') || t.startsWith('double') || t.startsWith('numeric') ? 'floatarray' : 'textarray';
  if (t === 'smallint' || t === 'integer' || t === 'bigint') return 'int';
  if (t.startsWith('numeric')) return 'numeric';
  if (t === 'real' || t === 'double precision') return 'float';
  if (t.startsWith('bit')) return 'bit';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return t.includes('with time zone') ? 'timestamptz' : 'timestamp';
  if (t.startsWith('interval')) return 'interval';
  if (t === 'text' || t.startsWith('character') || t.startsWith('varchar')) return 'text';
  if (t === 'bytea') return 'bytea';
  if (t === 'json' || t === 'jsonb') return 'json';
  if (t === 'uuid') return 'uuid';
  if (t === 'inet' || t === 'cidr') return 'inet';
  if (t === 'boolean') return 'bool';
  return 'other';
}

/** The width n of a `bit(n)` / `bit varying(n)` type, or null. */
export function bitWidth(formatted: string): number | null {
  const m = /\((\d+)\)/.exec(formatted);
  return m ? Number(m[1]) : null;
}

/** A target column: its name, PG type as formatted by the catalog, and the derived kind. */
export interface PgColumn {
  name: string;
  type: string;
  kind: PgKind;
}

const ZERO_DATE = /^0000-00-00/;

function valueError(col: PgColumn, what: string, fix: string): SluiceError {
  return new SluiceError('TARGET_WRITE_FAILED', `column ${col.name} (${col.type}): ${what}`, fix, { column: col.name, type: col.type });
}

/** "YYYY-MM-DD…" with a zero month or day (MySQL allows it; PostgreSQL has no such date). */
function hasZeroPart(text: string): boolean {
  return (text.charCodeAt(5) === 48 && text.charCodeAt(6) === 48) || (text.charCodeAt(8) === 48 && text.charCodeAt(9) === 48);
}

function arrayElement(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

function bitsOf(v: number | bigint, width: number): string {
  const b = BigInt(v);
  return (b < 0n ? BigInt.asUintN(64, b) : b).toString(2).padStart(width, '0').slice(-width);
}

function bytesText(col: PgColumn, v: Buffer): string {
  switch (col.kind) {
    case 'bytea': return '\\x' + v.toString('hex');
    case 'uuid': return formatUuid(Buffer.concat([v, Buffer.alloc(Math.max(0, 16 - v.length))]));
    case 'inet': return v.length <= 4 ? formatInet4(Buffer.concat([v, Buffer.alloc(4 - v.length)])) : formatInet6(Buffer.concat([v, Buffer.alloc(Math.max(0, 16 - v.length))]));
    case 'bit': return [...v].map((b) => b.toString(2).padStart(8, '0')).join('').slice(-(bitWidth(col.type) ?? v.length * 8)).padStart(bitWidth(col.type) ?? 0, '0');
    default: {
      const s = v.toString('utf8');
      if (col.kind === 'text' && s.includes('\0')) throw nulError(col);
      return s;
    }
  }
}

function nulError(col: PgColumn): SluiceError {
  return valueError(col, 'the value holds a NUL character (U+0000), which PostgreSQL text cannot store',
    'change the target column to bytea (ALTER TABLE … ALTER COLUMN … TYPE bytea USING convert_to(col, \'UTF8\')) and restart, or exclude the table');
}

/**
 * The PostgreSQL text form of a cell for a column of `col`'s type (the input form of that type), or null
 * for NULL. Throws TARGET_WRITE_FAILED for a value PostgreSQL cannot hold exactly (a date with a zero
 * month or day, a NUL character in text).
 */
export function pgText(col: PgColumn, v: Cell): string | null {
  if (v === null) return null;
  if (typeof v === 'number') {
    if (col.kind === 'bit') return bitsOf(v, bitWidth(col.type) ?? 64);
    if (col.kind === 'bool') return v === 0 ? 'f' : 't';
    return Object.is(v, -0) ? '-0' : String(v);
  }
  if (typeof v === 'bigint') return col.kind === 'bit' ? bitsOf(v, bitWidth(col.type) ?? 64) : v.toString();
  if (typeof v === 'string') {
    switch (col.kind) {
      case 'date':
      case 'timestamp':
        if (v.charCodeAt(0) === 48 && ZERO_DATE.test(v) && /^[0:\- .]*$/.test(v)) return '-infinity';
        if (hasZeroPart(v)) {
          throw valueError(col, `'${v}' has a zero month or day, which PostgreSQL cannot store`,
            'change the target column to text (ALTER TABLE … ALTER COLUMN … TYPE text) and restart, or fix the value on the source');
        }
        return v;
      case 'text':
        if (v.includes('\0')) throw nulError(col);
        return v;
      case 'json':
        return v;
      case 'bytea':
        // A text column made bytea on PostgreSQL (to hold NUL characters): its UTF-8 bytes.
        return '\\x' + Buffer.from(v, 'utf8').toString('hex');
      default:
        return v;
    }
  }
  if (Buffer.isBuffer(v)) return bytesText(col, v);
  if (Array.isArray(v)) return col.kind === 'text' ? v.join(',') : '{' + v.map(arrayElement).join(',') + '}';
  if (v instanceof JsonText) {
    if (col.kind === 'json' && v.text.includes('\\u0000')) {
      throw valueError(col, 'the JSON document holds \\u0000, which PostgreSQL jsonb cannot store',
        'change the target column to json or text and restart');
    }
    return v.text;
  }
  if (v instanceof TimestampValue) {
    if (v.seconds === 0 && v.micros === 0) return col.kind === 'text' ? v.toSQL() : '-infinity';
    return col.kind === 'text' ? v.toSQL() : timestampText(v) + '+00';
  }
  // Float32Array (VECTOR)
  return '{' + Array.from(v, (x) => String(x)).join(',') + '}';
}

/** A value as a SQL literal (NULL, or a quoted string PostgreSQL casts to the column's type). */
export function pgSqlLiteral(col: PgColumn, v: Cell): string {
  const t = pgText(col, v);
  return t === null ? 'NULL' : pgLiteral(t);
}

// ── reading back (verification and tests): PG text → the Cell the source decoder gives ─────────────

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function padFraction(text: string, digits: number): string {
  const dot = text.indexOf('.');
  const whole = dot < 0 ? text : text.slice(0, dot);
  const frac = dot < 0 ? '' : text.slice(dot + 1);
  return digits === 0 ? whole : `${whole}.${(frac + '000000').slice(0, digits)}`;
}

/** Parse a one-dimensional PG array literal ('{a,"b c",NULL}') into strings. */
export function parsePgArray(text: string): Array<string | null> {
  const out: Array<string | null> = [];
  if (text === '{}') return out;
  let i = 1;
  while (i < text.length - 1) {
    if (text[i] === '"') {
      let s = '';
      i++;
      while (text[i] !== '"') {
        if (text[i] === '\\') i++;
        s += text[i];
        i++;
      }
      i++;
      out.push(s);
    } else {
      let j = i;
      while (j < text.length - 1 && text[j] !== ',') j++;
      const s = text.slice(i, j);
      out.push(s === 'NULL' ? null : s);
      i = j;
    }
    if (text[i] === ',') i++;
  }
  return out;
}

/**
 * The Cell a source column's value has, from the PG text of the column written by this target (the
 * inverse of pgText for the types pgColumnType chooses). JSON comes back normalized by jsonb.
 */
export function cellFromPgText(col: SchemaColumn, text: string | null): Cell {
  if (text === null) return null;
  const t = col.dataType.toLowerCase();
  if (col.json || t === 'json') return new JsonText(text);
  switch (t) {
    case 'tinyint': case 'smallint': case 'mediumint': case 'int': case 'integer': case 'bigint': case 'year':
      return integerCell(text);
    case 'float': return Math.fround(Number(text));
    case 'double': case 'real': return Number(text);
    case 'bit': {
      const b = BigInt('0b' + text);
      return b > MAX_SAFE ? b : Number(b);
    }
    case 'date': return text === '-infinity' ? '0000-00-00' : text;
    case 'datetime': return text === '-infinity' ? padFraction('0000-00-00 00:00:00', fsp(col)) : padFraction(text, fsp(col));
    case 'timestamp': {
      if (text === '-infinity') return new TimestampValue(0, 0, fsp(col));
      const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?\+00$/.exec(text);
      if (!m) throw new Error(`unexpected timestamptz text '${text}' (session TimeZone must be UTC)`);
      const micros = m[3] ? Number((m[3] + '000000').slice(0, 6)) : 0;
      return new TimestampValue(Math.floor(Date.parse(`${m[1]}T${m[2]}Z`) / 1000), micros, fsp(col));
    }
    case 'time': {
      const neg = text.startsWith('-');
      const body = padFraction(neg ? text.slice(1) : text, fsp(col));
      return (neg ? '-' : '') + body;
    }
    case 'set': return parsePgArray(text).filter((s): s is string => s !== null);
    case 'vector': return Float32Array.from(parsePgArray(text).map((s) => Number(s)));
    default:
      if (text.startsWith('\\x') && (BYTES_TYPES.has(t) || SPATIAL_TYPES.has(t) || col.charset === 'binary' || col.collationId === 63)) {
        return Buffer.from(text.slice(2), 'hex');
      }
      return text;
  }
}
