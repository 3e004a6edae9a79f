/**
 * Rewrites a source DDL statement for the target database: qualified table references `db`.`t`
 * (for the tables the DDL classifier found) get their routed database, and the statement runs
 * with `USE` of the routed default database. Strings and comments are left untouched.
 *
 * Limits: only references to the tables the classifier reports are rewritten (not, e.g., a
 * `db.t` inside a view body or a trigger); table *renames* by the router are not applied (the
 * router may only change the database here); statements that touch several source databases
 * routed to the same target are run as they are.
 */
import type { DdlStatement, TableName } from '../../mysql/schema/ddl.js';
import type { TableRouter } from '../sink.js';
import { quoteId } from './sql-literal.js';

export interface RewrittenDdl {
  sql: string;
  /** Run `USE` of this database first (the routed default database), if any. */
  useDatabase: string | null;
}

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;

export function rewriteDdl(sql: string, defaultDatabase: string, ddl: DdlStatement | null, route: TableRouter): RewrittenDdl {
  const useDatabase = defaultDatabase ? route(defaultDatabase, '').database : null;
  if (!ddl) return { sql, useDatabase };
  const tables: TableName[] = [...ddl.tables, ...(ddl.likeTable ? [ddl.likeTable] : [])];
  const remap = new Map<string, string>();
  for (const t of tables) {
    const to = route(t.database, t.table).database;
    if (to !== t.database) remap.set(`${t.database}\0${t.table}`, to);
  }
  if (remap.size === 0) return { sql, useDatabase };

  let out = '';
  let i = 0;
  const n = sql.length;
  /** Read an identifier at `j` (backquoted or bare): its name and end index, or null. */
  const ident = (j: number): { name: string; end: number } | null => {
    if (sql[j] === '`') {
      let name = '';
      let k = j + 1;
      while (k < n) {
        if (sql[k] === '`') {
          if (sql[k + 1] === '`') { name += '`'; k += 2; continue; }
          return { name, end: k + 1 };
        }
        name += sql[k];
        k++;
      }
      return null;
    }
    let k = j;
    while (k < n && WORD.test(sql[k]!)) k++;
    return k > j ? { name: sql.slice(j, k), end: k } : null;
  };
  while (i < n) {
    const c = sql[i]!;
    // strings
    if (c === "'" || c === '"') {
      let k = i + 1;
      while (k < n && sql[k] !== c) k += sql[k] === '\\' ? 2 : 1;
      out += sql.slice(i, k + 1);
      i = k + 1;
      continue;
    }
    // comments (executable comments /*! … */ are SQL: only their opener is skipped as text)
    if (c === '/' && sql[i + 1] === '*' && sql[i + 2] !== '!' && !(sql[i + 2] === 'M' && sql[i + 3] === '!')) {
      const end = sql.indexOf('*/', i + 2);
      const k = end < 0 ? n : end + 2;
      out += sql.slice(i, k);
      i = k;
      continue;
    }
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && /\s/.test(sql[i + 2] ?? ' '))) {
      const end = sql.indexOf('\n', i);
      const k = end < 0 ? n : end;
      out += sql.slice(i, k);
      i = k;
      continue;
    }
    if (c === '`' || (WORD.test(c) && (i === 0 || !WORD.test(sql[i - 1]!)))) {
      const db = ident(i);
      if (!db) { out += sql.slice(i); break; }
      let k = db.end;
      while (k < n && /\s/.test(sql[k]!)) k++;
      if (sql[k] === '.') {
        let m = k + 1;
        while (m < n && /\s/.test(sql[m]!)) m++;
        const tbl = ident(m);
        const to = tbl ? remap.get(`${db.name}\0${tbl.name}`) : undefined;
        if (tbl && to !== undefined) {
          out += quoteId(to) + sql.slice(db.end, tbl.end);
          i = tbl.end;
          continue;
        }
      }
      out += sql.slice(i, db.end);
      i = db.end;
      continue;
    }
    out += c;
    i++;
  }
  return { sql: out, useDatabase };
}
