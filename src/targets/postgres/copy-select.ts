/**
 * The snapshot's fast path into PostgreSQL: SQL that makes a MySQL/MariaDB source print each row as a line of
 * PostgreSQL COPY text (tab-separated, `\N` for NULL, backslash escapes), so that Sluice only forwards bytes into
 * `COPY … FROM STDIN` instead of decoding every value into a cell and encoding it again.
 *
 * Each column's expression gives exactly the text `pgText` (type-map.ts) gives for the typed cell of the same value,
 * for the PostgreSQL type `pgColumnType` chooses; the round-trip test checks both paths on every type. A date with a
 * zero month or day (which the typed path refuses) makes the expression NULL, and so the whole line (CONCAT): the
 * reader then sends the chunk's typed cells, which refuse it as before. A NUL character in text is printed as the
 * escape `\000`, which PostgreSQL rejects; anything PostgreSQL rejects during the COPY makes the target decline the
 * text, and the typed path refuses the value with its fix (or writes what PostgreSQL took for wrong).
 *
 * The source session must print TIMESTAMP in UTC, with backslash escapes on (snapshot-reader.ts sets both).
 */
import type { SchemaColumn } from '../../mysql/schema/table-schema.js';
import { bitWidth, pgColumnType } from './type-map.js';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year', 'decimal', 'numeric']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum']);
const BYTES_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point', 'linestring', 'polygon',
  'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);
/** Printed by CAST(… AS CHAR) in the input form of their PostgreSQL type. */
const AS_TEXT_TYPES = new Set(['time', 'uuid', 'inet4', 'inet6']);

function ident(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/** COPY text escapes of a string expression: backslash, newline, carriage return, tab. */
function copyEscaped(x: string): string {
  return String.raw`REPLACE(REPLACE(REPLACE(REPLACE(${x}, '\\', '\\\\'), '\n', '\\n'), '\r', '\\r'), '\t', '\\t')`;
}

/**
 * copyEscaped, and a NUL byte printed as the escape `\000`: PostgreSQL rejects that field (a text value cannot hold
 * NUL: "invalid byte sequence for encoding UTF8: 0x00"), so the target declines the chunk's text and the typed path
 * refuses the value with its fix. Three octal digits, so that digits after it stay digits. One more REPLACE (a
 * search that finds nothing) instead of a NUL test that printed the column a second time.
 */
function copyEscapedNul(x: string): string {
  return String.raw`REPLACE(${copyEscaped(x)}, CHAR(0), '\\000')`;
}

/** Character sets whose bytes already are UTF-8 (no conversion needed). */
const UTF8_CHARSETS = new Set(['utf8mb4', 'utf8mb3', 'utf8', 'ascii']);

/**
 * A text column's UTF-8 bytes, as a binary string: the escapes then compare bytes (cheaper on
 * the source than character by character), and the line stays the same bytes (every other field is ASCII or
 * UTF-8 too). Other character sets are converted to utf8mb4 first.
 */
function utf8Bytes(q: string, charset: string | null): string {
  return charset !== null && UTF8_CHARSETS.has(charset.toLowerCase()) ? `CAST(${q} AS BINARY)` : `CAST(CONVERT(${q} USING utf8mb4) AS BINARY)`;
}

/**
 * DATE / DATETIME(n): all zeros → -infinity; a zero month or day → NULL (PostgreSQL has no such date). The common
 * case costs one MONTH and one DAYOFMONTH; the column is then printed as CONCAT prints it (CAST … AS CHAR's text).
 * Should a server answer NULL for MONTH of a zero date, the text is printed as it is and PostgreSQL rejects it:
 * the chunk is then written from typed cells (slower, never wrong).
 */
function dateText(q: string, zero: string): string {
  return `IF(MONTH(${q}) = 0 OR DAYOFMONTH(${q}) = 0, IF(CAST(${q} AS CHAR) = '${zero}', '-infinity', NULL), ${q})`;
}

/** ENUM members that need no COPY escape (then the column is printed as it is). */
const COPY_SPECIAL = /[\\\t\n\r\0]/;

/**
 * The expression that prints `col` as a field of a COPY line for a column of type pgColumnType(col) (`\N` for NULL,
 * NULL for a value only the typed path may refuse), or null when the fast path does not handle the type.
 * Numbers and dates are printed by CONCAT itself (the same text as CAST … AS CHAR); a NOT NULL column has no NULL test.
 */
export function pgCopyExpression(col: SchemaColumn): string | null {
  const q = ident(col.name);
  const t = col.dataType.toLowerCase();
  const orNull = (x: string): string => col.nullable ? String.raw`IF(${q} IS NULL, '\\N', ${x})` : x;
  let pgType: string;
  try {
    pgType = pgColumnType(col);
  } catch {
    return null;
  }
  const text = (): string => copyEscapedNul(utf8Bytes(q, col.charset));
  if (pgType === 'jsonb') return orNull(copyEscaped(`CAST(CONVERT(${q} USING utf8mb4) AS BINARY)`));
  if (pgType === 'bytea') return orNull(String.raw`CONCAT('\\\\x', HEX(${q}))`);
  const fsp = Math.max(0, Math.min(6, col.datetimePrecision ?? 0));
  const zeroTime = `00:00:00${fsp > 0 ? '.' + '0'.repeat(fsp) : ''}`;
  if (INTEGER_TYPES.has(t)) return orNull(q);
  switch (t) {
    case 'float': return orNull(`CAST(CAST(${q} AS DOUBLE) AS CHAR)`);
    case 'double': case 'real': return orNull(q);
    case 'bit': return orNull(`LPAD(BIN(${q} + 0), ${bitWidth(pgType) ?? 1}, '0')`);
    case 'date': return orNull(dateText(q, '0000-00-00'));
    case 'datetime': return orNull(dateText(q, `0000-00-00 ${zeroTime}`));
    // The number of a TIMESTAMP is 0 only for the zero timestamp (any other is YYYYMMDDhhmmss…).
    case 'timestamp': return orNull(`IF(${q} = 0, '-infinity', CONCAT(${q}, '+00'))`);
    case 'set': {
      // text[]: '{"a","b"}' (members hold no comma), '{}' for the empty set; array escapes, then COPY escapes.
      const s = `CONVERT(${q} USING utf8mb4)`;
      const elements = String.raw`REPLACE(REPLACE(${s}, '\\', '\\\\'), '"', '\\"')`;
      return orNull(copyEscapedNul(`IF(CHAR_LENGTH(${s}) = 0, '{}', CONCAT('{"', REPLACE(${elements}, ',', '","'), '"}'))`));
    }
    case 'enum': {
      // Members known to need no escape, in a UTF-8 character set: the value as it is ('' for MySQL's error value).
      const plain = col.enumValues !== undefined && col.enumValues.every((m) => !COPY_SPECIAL.test(m))
        && col.charset !== null && UTF8_CHARSETS.has(col.charset.toLowerCase());
      return orNull(plain ? q : text());
    }
    default:
      if (AS_TEXT_TYPES.has(t)) return orNull(`CAST(${q} AS CHAR)`);
      if (TEXT_TYPES.has(t) && pgType !== 'bytea') return orNull(text());
      if (BYTES_TYPES.has(t)) return orNull(String.raw`CONCAT('\\\\x', HEX(${q}))`);
      return null;
  }
}

/**
 * The expression of a whole COPY line (with its newline) for `cols`, or null when a column's type is not handled.
 * CONCAT (not CONCAT_WS, which skips NULLs): a refused value makes the line NULL.
 */
export function pgCopyLineExpression(cols: readonly SchemaColumn[]): string | null {
  const parts: string[] = [];
  for (const c of cols) {
    const e = pgCopyExpression(c);
    if (e === null) return null;
    parts.push(e);
  }
  return String.raw`CONCAT(${parts.join(String.raw`, '\t', `)}, '\n')`;
}
