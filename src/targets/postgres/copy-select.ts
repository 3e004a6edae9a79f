/**
 * The snapshot's fast path into PostgreSQL: SQL that makes a MySQL/MariaDB source print each row as a line of
 * PostgreSQL COPY text (tab-separated, `\N` for NULL, backslash escapes), so that Sluice only forwards bytes into
 * `COPY … FROM STDIN` instead of decoding every value into a cell and encoding it again.
 *
 * Each column's expression gives exactly the text `pgText` (type-map.ts) gives for the typed cell of the same value,
 * for the PostgreSQL type `pgColumnType` chooses; the round-trip test checks both paths on every type. A value the
 * typed path refuses (a NUL character in text, a date with a zero month or day) makes the expression NULL, and so
 * the whole line (CONCAT): the reader then sends the chunk's typed cells, which refuse it as before. Anything else
 * PostgreSQL rejects during the COPY makes the target decline the text (the typed path reports it exactly).
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

/** `x` as text, or NULL (the line is refused) when it holds a NUL character. */
function withoutNul(q: string, x: string): string {
  return `IF(INSTR(${q}, CHAR(0)) > 0, NULL, ${x})`;
}

/** DATE / DATETIME(n): all zeros → -infinity; a zero month or day → NULL (PostgreSQL has no such date). */
function dateText(q: string, zero: string): string {
  const s = `CAST(${q} AS CHAR)`;
  return `IF(${s} = '${zero}', '-infinity', IF(SUBSTRING(${s}, 6, 2) = '00' OR SUBSTRING(${s}, 9, 2) = '00', NULL, ${s}))`;
}

/**
 * The expression that prints `col` as a field of a COPY line for a column of type pgColumnType(col) (`\N` for NULL,
 * NULL for a value only the typed path may refuse), or null when the fast path does not handle the type.
 */
export function pgCopyExpression(col: SchemaColumn): string | null {
  const q = ident(col.name);
  const t = col.dataType.toLowerCase();
  const orNull = (x: string): string => String.raw`IF(${q} IS NULL, '\\N', ${x})`;
  let pgType: string;
  try {
    pgType = pgColumnType(col);
  } catch {
    return null;
  }
  if (pgType === 'jsonb') return orNull(copyEscaped(`CONVERT(${q} USING utf8mb4)`));
  if (pgType === 'bytea') return orNull(String.raw`CONCAT('\\\\x', HEX(${q}))`);
  const fsp = Math.max(0, Math.min(6, col.datetimePrecision ?? 0));
  const zeroTime = `00:00:00${fsp > 0 ? '.' + '0'.repeat(fsp) : ''}`;
  if (INTEGER_TYPES.has(t)) return orNull(`CAST(${q} AS CHAR)`);
  switch (t) {
    case 'float': return orNull(`CAST(CAST(${q} AS DOUBLE) AS CHAR)`);
    case 'double': case 'real': return orNull(`CAST(${q} AS CHAR)`);
    case 'bit': return orNull(`LPAD(BIN(${q} + 0), ${bitWidth(pgType) ?? 1}, '0')`);
    case 'date': return orNull(dateText(q, '0000-00-00'));
    case 'datetime': return orNull(dateText(q, `0000-00-00 ${zeroTime}`));
    case 'timestamp': {
      const s = `CAST(${q} AS CHAR)`;
      return orNull(`IF(${s} = '0000-00-00 ${zeroTime}', '-infinity', CONCAT(${s}, '+00'))`);
    }
    case 'set': {
      // text[]: '{"a","b"}' (members hold no comma), '{}' for the empty set; array escapes, then COPY escapes.
      const s = `CONVERT(${q} USING utf8mb4)`;
      const elements = String.raw`REPLACE(REPLACE(${s}, '\\', '\\\\'), '"', '\\"')`;
      return orNull(withoutNul(q, copyEscaped(`IF(CHAR_LENGTH(${s}) = 0, '{}', CONCAT('{"', REPLACE(${elements}, ',', '","'), '"}'))`)));
    }
    default:
      if (AS_TEXT_TYPES.has(t)) return orNull(`CAST(${q} AS CHAR)`);
      if (TEXT_TYPES.has(t) && pgType !== 'bytea') return orNull(withoutNul(q, copyEscaped(`CONVERT(${q} USING utf8mb4)`)));
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
