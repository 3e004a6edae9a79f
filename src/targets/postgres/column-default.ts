/**
 * Column defaults on the PostgreSQL target, from the source model's column definitions (`ColumnAst.defaultValue`):
 *   - literals (numbers, strings, b'…', x'…', TRUE/FALSE) → the same value as a PostgreSQL literal, through the type map
 *     (a zero date default becomes '-infinity', as the values do),
 *   - CURRENT_TIMESTAMP / NOW() / LOCALTIMESTAMP [(n)] → CURRENT_TIMESTAMP on TIMESTAMP columns (timestamptz),
 *     LOCALTIMESTAMP on DATETIME columns (timestamp, the session's time zone),
 *   - NULL or no DEFAULT → none,
 *   - anything else (MySQL 8 expression defaults like `(uuid())`, functions) → left out (`refused`, the caller logs it).
 * Rows written by Sluice always carry every column, so defaults only matter for rows others write on PostgreSQL.
 */
import { SluiceError } from '../../errors.js';
import type { ColumnAst } from '../../mysql/schema/ddl-ast.js';
import type { SchemaColumn } from '../../mysql/schema/table-schema.js';
import { JsonText, type Cell } from '../../core/cell.js';
import { pgColumnType, pgKind, pgLiteral, pgText, type PgColumn } from './type-map.js';

/** MySQL string literal text ('it''s', 'a\nb') → its value; null when `text` is not a plain string literal. */
function mysqlStringValue(text: string): string | null {
  const m = /^(?:_\w+\s*)?'([\s\S]*)'$/.exec(text.trim());
  if (!m) return null;
  const body = m[1]!;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === "'" && body[i + 1] === "'") { out += "'"; i++; continue; }
    if (ch === '\\' && i + 1 < body.length) {
      const n = body[++i]!;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n === 'Z' ? '\x1a' : n;
      continue;
    }
    out += ch;
  }
  return out;
}


const NOW = /^(current_timestamp|now|localtime|localtimestamp)\b\s*(\(\s*\d*\s*\))?$/i;

/** A literal default's value as a cell for `col`, or null when `d` is not a literal. */
function literalCell(col: SchemaColumn, pgCol: PgColumn, d: string): Cell | null {
  const t = col.dataType.toLowerCase();
  if (/^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(d)) return pgCol.kind === 'bit' ? BigInt(d.split('.')[0]!) : d;
  if (/^(true|false)$/i.test(d)) return /^true$/i.test(d) ? '1' : '0';
  if (/^b'[01]*'$/i.test(d)) return BigInt('0b0' + d.slice(2, -1));
  if (/^x'[0-9a-f]*'$/i.test(d)) return Buffer.from(d.slice(2, -1), 'hex');
  const s = mysqlStringValue(d);
  if (s === null) return null;
  return t === 'set' ? (s === '' ? [] : s.split(',')) : pgCol.kind === 'bytea' ? Buffer.from(s, 'utf8') : pgCol.kind === 'json' ? new JsonText(s) : s;
}

function pgColumnOf(col: SchemaColumn): PgColumn {
  const type = pgColumnType(col);
  return { name: col.name, type, kind: pgKind(type) };
}

export type PgDefault = { sql: string } | { refused: string } | null;

/** The DEFAULT clause's expression for `col` on PostgreSQL (null: none), or why it is left out. */
export function pgDefaultOf(col: SchemaColumn, ast: ColumnAst | undefined): PgDefault {
  const d = ast?.defaultValue?.trim() ?? null;
  if (!ast || ast.generated !== null || d === null || /^null$/i.test(d)) return null;
  const pgCol = pgColumnOf(col);
  if (NOW.test(d)) {
    if (pgCol.kind === 'timestamptz') return { sql: 'CURRENT_TIMESTAMP' };
    if (pgCol.kind === 'timestamp') return { sql: 'LOCALTIMESTAMP' };
    return { refused: d };
  }
  let cell: Cell | null;
  try {
    cell = literalCell(col, pgCol, d);
  } catch {
    cell = null;
  }
  if (cell === null) return { refused: d };
  const text = pgText(pgCol, cell);
  return text === null ? null : { sql: pgLiteral(text) };
}

/**
 * The value MySQL gives the existing rows of a column added by ALTER TABLE … ADD COLUMN (its DEFAULT, else
 * the implicit default of a NOT NULL column), as a PG literal; null when they get NULL. Throws when the
 * default is an expression Sluice does not evaluate.
 */
export function fillValue(col: SchemaColumn, ast: ColumnAst): string | null {
  const pgCol = pgColumnOf(col);
  const kind = pgCol.kind;
  const d = ast.defaultValue?.trim() ?? null;
  const t = col.dataType.toLowerCase();
  let cell: Cell;
  if (ast.generated !== null) return null;
  if (d === null || /^null$/i.test(d)) {
    if (col.nullable) return null;
    // Implicit defaults of NOT NULL columns.
    if (t === 'enum') cell = col.enumValues?.[0] ?? '';
    else if (t === 'set') cell = [];
    else if (kind === 'int' || kind === 'numeric' || kind === 'float' || kind === 'bit') cell = 0;
    else if (kind === 'date') cell = '0000-00-00';
    else if (kind === 'timestamp' || kind === 'timestamptz') return "'-infinity'";
    else if (kind === 'interval') cell = '00:00:00';
    else if (kind === 'bytea') cell = Buffer.alloc(0);
    else if (kind === 'json') cell = new JsonText('null');
    else if (kind === 'uuid') cell = '00000000-0000-0000-0000-000000000000';
    else if (kind === 'inet') cell = t === 'inet4' ? '0.0.0.0' : '::';
    else cell = '';
  } else if (NOW.test(d)) {
    return 'clock_timestamp()';
  } else {
    const c = literalCell(col, pgCol, d);
    if (c === null) {
      throw new SluiceError('DDL_UNSUPPORTED', `column ${col.name} is added with the default expression ${d}, which the PostgreSQL target does not evaluate`,
        'add the column on PostgreSQL by hand with the values the source gave the existing rows, then set `ddl: ignore` or re-snapshot the table');
    }
    cell = c;
  }
  const text = pgText(pgCol, cell);
  return text === null ? null : pgLiteral(text);
}
