/**
 * Rewrites a source DDL statement for the target database: qualified table references `db`.`t` (for the
 * tables the DDL touches, and the tables its foreign keys reference) get their routed database, and the
 * statement runs with `USE` of the routed default database. Works on the tokens of `sql-tokenizer.ts`:
 * only the database name's own span is replaced, so strings, comments and everything else stay as written.
 *
 * Limits: only references to those tables are rewritten (not, e.g., a `db.t` inside a view body or a
 * trigger); table *renames* by the router are not applied (the router may only change the database here);
 * statements that touch several source databases routed to the same target are run as they are.
 */
import type { DdlStatement, TableName } from '../../mysql/schema/ddl.js';
import { parseDdl } from '../../mysql/schema/ddl-parser.js';
import type { DdlAst } from '../../mysql/schema/ddl-ast.js';
import { tokenize, type Token } from '../../mysql/schema/sql-tokenizer.js';
import type { TableRouter } from '../target.js';
import { quoteId } from './sql-literal.js';

export interface RewrittenDdl {
  sql: string;
  /** Run `USE` of this database first (the routed default database), if any. */
  useDatabase: string | null;
}

export function rewriteDdl(sql: string, defaultDatabase: string, ddl: DdlStatement | null, route: TableRouter): RewrittenDdl {
  const useDatabase = defaultDatabase ? route(defaultDatabase, '').database : null;
  if (!ddl) return { sql, useDatabase };
  const tables: TableName[] = [...ddl.tables, ...(ddl.likeTable ? [ddl.likeTable] : []), ...referencedTables(sql, defaultDatabase)];
  const remap = new Map<string, string>();
  for (const t of tables) {
    const to = route(t.database, t.table).database;
    if (to !== t.database) remap.set(`${t.database}\0${t.table}`, to);
  }
  if (remap.size === 0) return { sql, useDatabase };

  const tokens = tokenize(sql);
  const isName = (t: Token | undefined): t is Token => t !== undefined && (t.t === 'word' || t.t === 'qid');
  let out = '';
  let copied = 0;
  for (let i = 0; i + 2 < tokens.length; i++) {
    const db = tokens[i]!;
    const dot = tokens[i + 1]!;
    const table = tokens[i + 2];
    if (!isName(db) || dot.t !== 'punct' || dot.v !== '.' || !isName(table)) continue;
    // `a.b.c` (a column of db.table): the first pair is the table reference; a `.b` after a name is not a database.
    const prev = tokens[i - 1];
    if (prev !== undefined && prev.t === 'punct' && prev.v === '.') continue;
    const to = remap.get(`${db.v}\0${table.v}`);
    if (to === undefined) continue;
    out += sql.slice(copied, db.s) + quoteId(to);
    copied = db.e;
    i += 2;
  }
  return { sql: out + sql.slice(copied), useDatabase };
}

/** Tables the statement's foreign keys reference (qualified with the default database when unqualified). */
function referencedTables(sql: string, defaultDatabase: string): TableName[] {
  let ast: DdlAst | null;
  try {
    ast = parseDdl(sql, { defaultDatabase });
  } catch {
    return [];
  }
  if (ast === null) return [];
  const fks = ast.kind === 'create_table' ? [...ast.foreignKeys, ...ast.columns.flatMap((c) => (c.inlineReference ? [c.inlineReference] : []))]
    : ast.kind === 'alter_table' ? ast.clauses.flatMap((c) => (c.kind === 'add_foreign_key' ? [c.foreignKey] : [])) : [];
  return fks.map((fk) => ({ database: fk.refDatabase ?? defaultDatabase, table: fk.refTable }));
}
