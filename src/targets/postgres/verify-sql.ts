/**
 * What `sluice verify` needs of a PostgreSQL copy, in this target's own SQL conventions: the checkpoint row as
 * one snapshot sees it (or locked for a repair), a table's columns as the catalog types them, rows read as the
 * server's text, repairs written with the same value encoding as the target (`pgText`), and the comparison form
 * of a value: the text both engines' values are compared in (see `pgCompareText`).
 */
import type { Cell } from '../../core/cell.js';
import { PgCheckpointTable } from './checkpoint-table.js';
import { qualified } from './table-sql.js';
import { pgIdent, pgKind, pgLiteral, pgTargetName, pgText, type PgColumn } from './type-map.js';

/** The checkpoint row's position (and phase) of `pipeline`; `lock`: FOR UPDATE (the pipeline's batches wait). */
export function pgCheckpointSql(checkpointSchema: string, pipeline: string, lock = false): string {
  const t = new PgCheckpointTable(checkpointSchema);
  return `SELECT file, pos::text AS pos, CASE WHEN state IS NULL OR state = '' THEN NULL ELSE state::jsonb ->> 'phase' END AS phase FROM ${t.name}`
    + ` WHERE pipeline = ${pgLiteral(pipeline)}${lock ? ' FOR UPDATE' : ''}`;
}

/** The columns of `schema.table` (MySQL names) in table order (`name` as PostgreSQL's, `type` as format_type prints it); no rows when it does not exist. */
export function pgColumnsSql(schema: string, table: string): string {
  return `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ${pgLiteral(pgTargetName(schema))} AND c.relname = ${pgLiteral(pgTargetName(table))} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;
}

/** A catalog row of pgColumnsSql as the column the encoders take. */
export function pgColumnOf(name: string, type: string): PgColumn {
  return { name, type, kind: pgKind(type) };
}

/** A PG input text (from pgText, or as the server printed it) as a literal. */
function lit(text: string | null): string {
  return text === null ? 'NULL' : pgLiteral(text);
}

/** Rows of `schema.table` (columns `cols`, each as the server's text) matching `where`. */
export function pgSelectSql(schema: string, table: string, cols: readonly PgColumn[], where: string): string {
  return `SELECT ${cols.map((c) => pgIdent(c.name)).join(', ')} FROM ${qualified(schema, table)} WHERE ${where}`;
}

/**
 * Up to `limit` keys of `schema.table` (columns `keyCols`, as the server's text) after the key `after` (its texts;
 * null: from the first), in the table's own key order: keyset pagination on the primary key's index.
 */
export function pgKeyPageSql(schema: string, table: string, keyCols: readonly PgColumn[], after: ReadonlyArray<string | null> | null, limit: number): string {
  const cols = keyCols.map((c) => pgIdent(c.name)).join(', ');
  const where = after === null ? 'true' : `(${cols}) > (${pgKeyTuple(after)})`;
  return `SELECT ${cols} FROM ${qualified(schema, table)} WHERE ${where} ORDER BY ${cols} LIMIT ${Math.max(1, Math.floor(limit))}`;
}

/** A key's PG input texts as a literal tuple (`'a', 2`), for an IN list. */
export function pgKeyTuple(texts: ReadonlyArray<string | null>): string {
  return texts.map(lit).join(', ');
}

/** Insert `rows` (PG input texts in `cols` order); with `conflictKey`, a row whose key exists overwrites it. */
export function pgUpsertSql(schema: string, table: string, cols: readonly PgColumn[], rows: ReadonlyArray<ReadonlyArray<string | null>>, conflictKey?: readonly PgColumn[]): string {
  const names = cols.map((c) => pgIdent(c.name));
  const keyNames = new Set((conflictKey ?? []).map((c) => c.name));
  const set = cols.filter((c) => !keyNames.has(c.name)).map((c) => `${pgIdent(c.name)} = EXCLUDED.${pgIdent(c.name)}`);
  const onConflict = conflictKey === undefined ? ''
    : ` ON CONFLICT (${conflictKey.map((c) => pgIdent(c.name)).join(', ')}) DO ${set.length > 0 ? `UPDATE SET ${set.join(', ')}` : 'NOTHING'}`;
  return `INSERT INTO ${qualified(schema, table)} (${names.join(', ')}) VALUES ${rows.map((r) => `(${r.map(lit).join(', ')})`).join(', ')}${onConflict}`;
}

export function pgDeleteSql(schema: string, table: string, where: string): string {
  return `DELETE FROM ${qualified(schema, table)} WHERE ${where}`;
}

/** Delete `n` of the rows equal to `row` (PG texts in `cols` order) from a table without key (by ctid). */
export function pgDeleteCopiesSql(schema: string, table: string, cols: readonly PgColumn[], row: ReadonlyArray<string | null>, n: number): string {
  const t = qualified(schema, table);
  const match = cols.map((c, i) => `${pgIdent(c.name)} IS NOT DISTINCT FROM ${lit(row[i] ?? null)}`).join(' AND ');
  return `DELETE FROM ${t} WHERE ctid IN (SELECT ctid FROM ${t} WHERE ${match || 'true'} LIMIT ${Math.max(0, Math.floor(n))})`;
}

/**
 * A value in the form verify compares: the PostgreSQL input text this target writes for it (`pgText`), JSON in
 * canonical form (jsonb orders keys and drops white space and duplicate keys, and prints numbers as numeric), a
 * value PostgreSQL cannot hold as a marked text (it can then only differ). Source cells and cells read back from
 * the copy (`cellFromPgText`) of equal values give the same text.
 */
export function pgCompareText(col: PgColumn, v: Cell): string | null {
  let t: string | null;
  try {
    t = pgText(col, v);
  } catch (err) {
    return `\u0000unrepresentable: ${(err as Error).message}`;
  }
  return t !== null && col.kind === 'json' ? canonicalJson(t) : t;
}

const NUMBER = /-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;

/** A JSON number's text as its value: `[-]digits e exponent` without leading or trailing zeros (1.50, 15e-1, 1.5 → 15e-1). */
function canonicalNumber(text: string): string {
  NUMBER.lastIndex = 0;
  const m = NUMBER.exec(text)!;
  let digits = (m[1]! + (m[2] ?? '')).replace(/^0+/, '');
  let exp = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  if (digits === '') return '0';
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  return `${text.startsWith('-') ? '-' : ''}${digits}e${exp}`;
}

/**
 * JSON text in a canonical form: no white space, object keys sorted (a duplicate key: the last one, as jsonb keeps),
 * strings re-escaped, numbers by value with every digit (canonicalNumber). Text that is no JSON is returned as it is.
 */
export function canonicalJson(text: string): string {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`not JSON at ${i}`);
  };
  const str = (): string => {
    STRING.lastIndex = i;
    const m = STRING.exec(text) ?? fail();
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const value = (): string => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const members = new Map<string, string>();
      ws();
      if (text[i] === '}') {
        i++;
        return '{}';
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i++] !== ':') fail();
        members.set(k, value());
        ws();
        const sep = text[i++];
        if (sep === '}') break;
        if (sep !== ',') fail();
      }
      const sorted = [...members.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${sorted.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    }
    if (c === '[') {
      i++;
      const items: string[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return '[]';
      }
      for (;;) {
        items.push(value());
        ws();
        const sep = text[i++];
        if (sep === ']') break;
        if (sep !== ',') fail();
      }
      return `[${items.join(',')}]`;
    }
    if (c === '"') return JSON.stringify(str());
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return word;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text) ?? fail();
    i += m[0].length;
    return canonicalNumber(m[0]);
  };
  try {
    const out = value();
    ws();
    return i === text.length ? out : text;
  } catch {
    return text;
  }
}
