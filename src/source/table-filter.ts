import { SluiceError } from '../errors.js';

/** Decides whether changes to `db.table` are captured. */
export type TableFilter = (db: string, table: string) => boolean;

/**
 * Compile include/exclude patterns like `db.t`, `db.*`, `shop.b*`, `*.t`, `` `my.db`.`t` `` into a
 * filter. `*` matches any run of characters, `?` exactly one; matching is case-sensitive (the MySQL
 * default on Linux). A name is captured when it matches some include pattern and no exclude pattern.
 * A pattern without a dot (`db`) means `db.*`. An empty include list captures everything.
 */
export function compileTableFilter(include: readonly string[], exclude: readonly string[] = []): TableFilter {
  const inc = include.map(parseTablePattern);
  const exc = exclude.map(parseTablePattern);
  return (db, table) => {
    if (inc.length > 0 && !inc.some((p) => p.db.test(db) && p.table.test(table))) return false;
    return !exc.some((p) => p.db.test(db) && p.table.test(table));
  };
}

interface CompiledPattern { db: RegExp; table: RegExp }

/** Split `db.table` into two parts, honouring backquotes (with `` `` `` as an escaped backquote). */
export function splitTablePattern(pattern: string): { db: string; table: string } {
  const parts: string[] = [];
  let cur = '';
  let i = 0;
  const s = pattern.trim();
  const bad = (why: string): SluiceError => new SluiceError('BAD_ARGUMENT', `bad table pattern "${pattern}": ${why}`,
    'write table patterns as db.table, with * and ? wildcards, e.g. shop.orders, shop.*, *.audit_log; quote names containing dots with backquotes');
  while (i < s.length) {
    const c = s[i];
    if (c === '`') {
      const start = i;
      i++;
      let closed = false;
      while (i < s.length) {
        if (s[i] === '`') {
          if (s[i + 1] === '`') { cur += '`'; i += 2; continue; }
          closed = true;
          i++;
          break;
        }
        cur += s[i];
        i++;
      }
      if (!closed) throw bad(`unclosed backquote at ${start}`);
      continue;
    }
    if (c === '.') {
      parts.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += c;
    i++;
  }
  parts.push(cur);
  if (parts.length === 1) parts.push('*');
  if (parts.length !== 2) throw bad('more than one dot outside backquotes');
  if (parts[0] === '' || parts[1] === '') throw bad('empty database or table name');
  return { db: parts[0], table: parts[1] };
}

function parseTablePattern(pattern: string): CompiledPattern {
  const { db, table } = splitTablePattern(pattern);
  return { db: globToRegExp(db), table: globToRegExp(table) };
}

/** `*` → any run, `?` → one character, everything else literal; anchored. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.|+()[\]{}*?/]/g, '\\$&');
  }
  return new RegExp(re + '$', 'su');
}
