/**
 * Typed cells (see mysql/values/cell.ts) → the text `LOAD DATA` reads, for one target table, exactly.
 *
 * The format is LOAD DATA's default one: fields separated by TAB, rows by LF, backslash escapes
 * (`\\`, `\t`, `\n`, `\r`, `\0`), NULL as `\N`; the file's character set is utf8mb4 (the server
 * converts to each column's own). What text cannot carry exactly goes through a user variable and a
 * SET expression:
 * - bytes (BINARY, VARBINARY, BLOBs, geometry, VECTOR) as hex, written with `UNHEX(@v)`: the file is
 *   utf8mb4 text, and arbitrary bytes are not;
 * - BIT as its number, written with `CAST(@v AS UNSIGNED)` (LOAD DATA would store the digits' bytes).
 * Two more traps of text input: YEAR 0 must be written '0000' ('0' means 2000), and a DOUBLE -0 keeps its
 * sign. TIMESTAMPs are UTC text: the session must use time_zone '+00:00'. Generated columns are not
 * written (the target computes them), nor columns the target table lacks.
 *
 * A cell whose JS type does not fit its target column (e.g. a Buffer for a text column) cannot be encoded:
 * `encodeLoadData` returns null and the caller writes the chunk with INSERT statements instead.
 */
import { JsonText, TimestampValue, timestampText, type Cell } from '../../core/cell.js';

export { timestampText };
import { quoteId } from './sql-literal.js';

/** How a column's values travel in the file. */
type ColumnMode = 'text' | 'hex' | 'bit' | 'year';

const HEX_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point', 'linestring',
  'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'vector']);

/** The target table as the encoder needs it: column → DATA_TYPE (lower case), and its generated columns. */
export interface LoadDataTable {
  database: string;
  table: string;
  types: ReadonlyMap<string, string>;
  generated?: ReadonlySet<string>;
  /** Column → CHARACTER_SET_NAME (lower case; null for a non-string column), where known. */
  charsets?: ReadonlyMap<string, string | null>;
}

/** The columns of a chunk as they are written: which cell of a row goes where, and how. */
export interface LoadDataPlan {
  /** Index into each row of every written column, in file order. */
  readonly cells: readonly number[];
  readonly modes: readonly ColumnMode[];
  /** `(col, @v1, …) SET col2 = UNHEX(@v1)`: the column list and SET clause of the statement. */
  readonly target: string;
}

/** Column list and SET clause: `(a, @v1) SET b = UNHEX(@v1)`; a column the target lacks is read into `@skip`. */
function targetClause(table: LoadDataTable, columns: ReadonlyArray<{ name: string; mode: ColumnMode; index: number }>): string {
  const list: string[] = [];
  const sets: string[] = [];
  for (const { name, mode, index } of columns) {
    if (!table.types.has(name) || table.generated?.has(name)) {
      list.push('@skip');
    } else if (mode === 'hex' || mode === 'bit') {
      const v = `@v${index}`;
      list.push(v);
      sets.push(`${quoteId(name)} = ${mode === 'hex' ? `UNHEX(${v})` : `CAST(${v} AS UNSIGNED)`}`);
    } else {
      list.push(quoteId(name));
    }
  }
  return `(${list.join(', ')})${sets.length > 0 ? ` SET ${sets.join(', ')}` : ''}`;
}

/**
 * The statement for text printed by a MySQL/MariaDB source (snapshot-reader.ts ChunkText): fields separated
 * by commas, strings QUOTE()d, bytes as bare hex, BIT as a bare number, NULL as the bare word NULL; the text is in
 * `charset` (ASCII-compatible).
 */
export function quotedTextStatement(table: LoadDataTable, columns: ReadonlyArray<{ name: string; as: 'text' | 'hex' | 'bit' }>, replace: boolean,
  charset = 'utf8mb4'): string {
  return `LOAD DATA LOCAL INFILE 'sluice-snapshot-chunk' ${replace ? 'REPLACE ' : ''}INTO TABLE ${quoteId(table.database)}.${quoteId(table.table)} ` +
    `CHARACTER SET ${storedAsIs(table, columns, charset) ? 'binary' : charset} ` + "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\\'' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' STARTING BY '' " +
    targetClause(table, columns.map((c, index) => ({ name: c.name, mode: c.as, index })));
}

/**
 * Whether text in `charset` (what a source prints, see quotedTextStatement) can be read as `CHARACTER SET binary`
 * exactly: every column that takes text is a string in `charset` (or a binary string) or no string at all, and
 * none is MySQL's JSON type (which refuses binary strings). Then the server stores the bytes as they are (still
 * checking that they are valid in the column's character set) instead of reading the text as `charset` and
 * converting it: ~15% less target CPU for utf8mb4 (bench/sync, 1M rows). Hex and BIT columns go through variables
 * and UNHEX/CAST, the same in either character set.
 */
export function storedAsIs(table: LoadDataTable, columns: ReadonlyArray<{ name: string; as: 'text' | 'hex' | 'bit' }>, charset: string): boolean {
  const charsets = table.charsets;
  if (!charsets) return false;
  for (const c of columns) {
    if (c.as !== 'text' || !table.types.has(c.name) || table.generated?.has(c.name)) continue;
    if (table.types.get(c.name) === 'json') return false;
    const cs = charsets.get(c.name);
    if (cs === undefined) return false;
    if (cs !== null && charsetName(cs) !== charsetName(charset) && cs !== 'binary') return false;
  }
  return true;
}

/** `utf8` is `utf8mb3` (MySQL before 8.0.30 and MariaDB before 10.6 name it so). */
const charsetName = (cs: string): string => (cs.toLowerCase() === 'utf8' ? 'utf8mb3' : cs.toLowerCase());

function modeOf(dataType: string): ColumnMode {
  if (HEX_TYPES.has(dataType)) return 'hex';
  if (dataType === 'bit') return 'bit';
  if (dataType === 'year') return 'year';
  return 'text';
}

/** Plan how to write `columns` (the chunk's cell order) into `table`. */
export function loadDataPlan(table: LoadDataTable, columns: readonly string[]): LoadDataPlan {
  const written = columns.map((name, index) => ({ name, index, mode: modeOf(table.types.get(name) ?? '') }))
    .filter((c) => table.types.has(c.name) && !table.generated?.has(c.name));
  return { cells: written.map((c) => c.index), modes: written.map((c) => c.mode), target: targetClause(table, written) };
}

/**
 * The LOAD DATA statement for a plan. `replace`: rows replace those with the same primary or unique key
 * (the snapshot's idempotent write); without it, a duplicate is an error (or, with LOCAL, a warning).
 */
export function loadDataStatement(table: LoadDataTable, plan: LoadDataPlan, replace: boolean): string {
  return `LOAD DATA LOCAL INFILE 'sluice-snapshot-chunk' ${replace ? 'REPLACE ' : ''}INTO TABLE ${quoteId(table.database)}.${quoteId(table.table)} ` +
    "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' STARTING BY '' " + plan.target;
}

const SPECIAL = /[\\\t\n\r\0]/;
const SPECIAL_ALL = /[\\\t\n\r\0]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const escapeChar = (c: string): string => ESCAPES[c]!;

/** A string as a field: LOAD DATA's escapes for backslash, TAB, LF, CR and NUL. */
export function escapeField(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, escapeChar) : s;
}

/** Thrown inside encoding when a cell does not fit its column's mode. */
class Unencodable extends Error {}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new Unencodable(`non-finite number ${n}`);
  return Object.is(n, -0) ? '-0' : String(n);
}


function bytesOf(v: Cell): Buffer {
  if (Buffer.isBuffer(v)) return v;
  // VECTOR: MariaDB stores little-endian float32s.
  if (v instanceof Float32Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new Unencodable(`a ${typeof v} for a bytes column`);
}

function textOf(v: Cell): string {
  if (typeof v === 'string') return escapeField(v);
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof TimestampValue) return timestampText(v);
  if (v instanceof JsonText) return escapeField(v.text);
  if (Array.isArray(v)) return escapeField(v.join(','));
  throw new Unencodable(`a ${Buffer.isBuffer(v) ? 'Buffer' : typeof v} for a text column`);
}

function fieldOf(v: Cell, mode: ColumnMode): string {
  if (v === null) return '\\N';
  switch (mode) {
    case 'text':
      return textOf(v);
    case 'hex':
      return bytesOf(v).toString('hex');
    case 'bit':
      if (typeof v === 'number' || typeof v === 'bigint') return v.toString();
      if (Buffer.isBuffer(v)) return v.length === 0 ? '0' : BigInt(`0x${v.toString('hex')}`).toString();
      throw new Unencodable(`a ${typeof v} for a BIT column`);
    case 'year':
      if (v === 0 || v === '0' || v === 0n) return '0000';
      return textOf(v);
  }
}

/** The rows as LOAD DATA text (UTF-8), or null when a cell cannot be encoded exactly (see above). */
export function encodeLoadData(plan: LoadDataPlan, rows: ReadonlyArray<readonly Cell[]>): Buffer | null {
  const { cells, modes } = plan;
  const n = cells.length;
  if (n === 0) return null;
  const lines: string[] = new Array(rows.length + 1);
  try {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      let line = fieldOf(row[cells[0]!] ?? null, modes[0]!);
      for (let j = 1; j < n; j++) line += '\t' + fieldOf(row[cells[j]!] ?? null, modes[j]!);
      lines[r] = line;
    }
  } catch (err) {
    if (err instanceof Unencodable) return null;
    throw err;
  }
  lines[rows.length] = '';
  return Buffer.from(lines.join('\n'), 'utf8');
}
