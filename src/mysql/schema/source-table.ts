/**
 * A source table as the schema model knows it: what a target creates its table from (the `SourceTable` of
 * the target contract, `targets/target.ts`). Defined here, below `source/` and `targets/`, because the
 * source side builds it and every target kind reads it.
 */
import { SluiceError } from '../../errors.js';
import type { CreateTableAst } from './ddl-ast.js';
import { parseDdl } from './ddl-parser.js';
import type { TableDefaults } from './column-model.js';
import type { TableSchema } from './table-schema.js';

export interface SourceTableModel {
  /** Columns as information_schema shows them (types, charsets, generated, …) and the primary key. */
  schema: TableSchema;
  /** The table's full definition, parsed from the source's SHOW CREATE TABLE: keys, indexes, FKs, options. */
  definition: CreateTableAst;
  /** The source's SHOW CREATE TABLE text (a MySQL target may render from the AST instead; nothing parses it). */
  createSql: string;
  /** The source database's default character set and collation (a target creating the database uses them). */
  databaseDefaults?: TableDefaults | null;
}

/** Parse a CREATE TABLE statement (SHOW CREATE TABLE output); anything else (or an unreadable one) is a typed error. */
export function parseCreateTable(createSql: string, database: string): CreateTableAst {
  const ast = parseDdl(createSql, { defaultDatabase: database });
  if (ast === null || ast.kind !== 'create_table' || ast.like !== null || ast.asSelect) {
    throw new SluiceError('DDL_UNSUPPORTED', `expected a CREATE TABLE statement with a column list: ${createSql.slice(0, 200)}`,
      'report this to the Sluice developers with the output of SHOW CREATE TABLE', { statement: createSql.slice(0, 2000) });
  }
  return ast;
}
