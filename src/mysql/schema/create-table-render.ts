/** Renders a parsed CREATE TABLE (`ddl-ast.ts`) back to SQL, under a new name and with edited parts. */
import type { CreateTableAst, ForeignKeyAst, TableOptionAst } from './ddl-ast.js';
import { quoteIdent } from './ddl-parser.js';

export interface RenderTableOptions {
  database: string;
  table: string;
  ifNotExists?: boolean;
}

/** `CREATE TABLE` text for `ast` (its columns, keys, foreign keys, checks, options and partitioning). */
export function renderCreateTable(ast: CreateTableAst, opts: RenderTableOptions): string {
  const lines: string[] = [];
  for (const c of ast.columns) lines.push(`  ${quoteIdent(c.name)} ${c.definition}`);
  for (const k of ast.indexes) lines.push(`  ${k.definition}`);
  for (const fk of ast.foreignKeys) lines.push(`  ${renderForeignKey(fk)}`);
  for (const ch of ast.checks) lines.push(`  ${ch.definition}`);
  let sql = `CREATE TABLE ${opts.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(opts.database)}.${quoteIdent(opts.table)} (\n${lines.join(',\n')}\n)`;
  const options = ast.options.map(renderOption).filter((o) => o !== '');
  if (options.length > 0) sql += ` ${options.join(' ')}`;
  if (ast.partition !== null) sql += `\n${ast.partition}`;
  return sql;
}

export function renderForeignKey(fk: ForeignKeyAst): string {
  const cols = (names: readonly string[]): string => `(${names.map(quoteIdent).join(', ')})`;
  const ref = fk.refDatabase !== null ? `${quoteIdent(fk.refDatabase)}.${quoteIdent(fk.refTable)}` : quoteIdent(fk.refTable);
  let s = `${fk.name !== null ? `CONSTRAINT ${quoteIdent(fk.name)} ` : ''}FOREIGN KEY ${cols(fk.columns)} REFERENCES ${ref} ${cols(fk.refColumns)}`;
  if (fk.onDelete !== null) s += ` ON DELETE ${fk.onDelete}`;
  if (fk.onUpdate !== null) s += ` ON UPDATE ${fk.onUpdate}`;
  return s;
}

function renderOption(o: TableOptionAst): string {
  if (o.value === '') return o.name;
  const name = o.name === 'CHARSET' ? 'DEFAULT CHARSET' : o.name;
  return `${name}=${o.value}`;
}
