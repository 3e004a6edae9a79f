/**
 * Parsed MySQL DDL (ddl-ast.ts) → PostgreSQL statements, run by the target in one transaction with the
 * checkpoint (PostgreSQL DDL is transactional, so a DDL is applied exactly once).
 *
 * Translated: CREATE/DROP/RENAME/TRUNCATE TABLE, CREATE/DROP INDEX, CREATE DATABASE (→ schema), and ALTER
 * TABLE's ADD/DROP/RENAME/MODIFY/CHANGE COLUMN, ALTER COLUMN SET/DROP DEFAULT, ADD/DROP/RENAME INDEX, ADD/DROP
 * FOREIGN KEY (queued, see foreign-keys.ts), RENAME TO. Clauses with no effect on a PostgreSQL copy are skipped
 * (column position, visibility, checks, charsets, engine and other table options, partitioning). Anything else is refused with DDL_UNSUPPORTED and a fix.
 * Column types come from the model of the table after the statement (`DdlChange.after`).
 */
import { SluiceError } from '../../errors.js';
import type { AlterClause, AlterTableAst, ColumnAst, DdlAst } from '../../mysql/schema/ddl-ast.js';
import type { SchemaColumn } from '../../mysql/schema/table-schema.js';
import type { DdlChange, SourceTable } from '../target.js';
import { columnDefinition, createIndexSql, createTableSql, pgCheckName, pgIndexName, pgName, qualified } from './table-sql.js';
import { pgColumnCheck, pgColumnType, pgIdent, pgKind } from './type-map.js';
import { fillValue, pgDefaultOf } from './column-default.js';
import { targetForeignKey, targetForeignKeys, type ForeignKeyRoute, type PgForeignKey } from './foreign-keys.js';

export type Router = (database: string, table: string) => { database: string; table: string };

export interface TranslateContext {
  route: Router;
  /** The PG type (format_type) of a target column now, or undefined when unknown. */
  currentType?: (schema: string, table: string, column: string) => string | undefined;
  /**
   * Foreign keys: where a referenced source table is on the target (null: outside the pipeline, left out), and the
   * statement that queues one to be added (foreign-keys.ts). Absent: foreign keys are not translated.
   */
  foreignKeys?: { route: ForeignKeyRoute; queue: (fk: PgForeignKey) => string; drop: (schema: string, table: string, name: string) => string };
}

function unsupported(ddl: DdlChange, what: string): SluiceError {
  return new SluiceError('DDL_UNSUPPORTED', `the PostgreSQL target cannot apply ${what}: \`${ddl.sql.slice(0, 200)}\``,
    'apply an equivalent change to the PostgreSQL tables by hand, then set `ddl: ignore` for this pipeline or re-snapshot the table; '
      + 'see docs/postgres-target.md for the DDL the PostgreSQL target translates',
    { database: ddl.database });
}

function afterModel(ddl: DdlChange, database: string, table: string): SourceTable | undefined {
  return ddl.after.find((t) => t.schema.database === database && t.schema.table === table);
}

/** PostgreSQL statements for a DDL change (empty: nothing to do on the target). */
export function translateDdl(ddl: DdlChange, ctx: TranslateContext): string[] {
  const ast: DdlAst | null = ddl.ast;
  if (ast === null) throw unsupported(ddl, 'a statement Sluice does not parse');
  const r = ctx.route;
  switch (ast.kind) {
    case 'create_table': {
      if (ast.temporary) return [];
      const model = afterModel(ddl, ast.table.database, ast.table.table);
      if (!model) throw unsupported(ddl, 'a CREATE TABLE whose resulting table is unknown');
      const to = r(ast.table.database, ast.table.table);
      const drop = ast.orReplace ? [`DROP TABLE IF EXISTS ${qualified(to.database, to.table)}`] : [];
      const fks = ctx.foreignKeys ? targetForeignKeys(model, to.database, to.table, ctx.foreignKeys.route).kept.map(ctx.foreignKeys.queue) : [];
      return [...drop, ...createTableSql(to.database, to.table, model), ...fks];
    }
    case 'drop_table': {
      if (ast.temporary) return [];
      return ast.tables.map((t) => {
        const to = r(t.database, t.table);
        return `DROP TABLE IF EXISTS ${qualified(to.database, to.table)}`;
      });
    }
    case 'rename_table':
      return ast.renames.flatMap(({ from, to }) => renameTable(ddl, r(from.database, from.table), r(to.database, to.table), afterModel(ddl, to.database, to.table)));
    case 'truncate_table': {
      const to = r(ast.table.database, ast.table.table);
      return [`TRUNCATE TABLE ${qualified(to.database, to.table)}`];
    }
    case 'create_index': {
      const to = r(ast.table.database, ast.table.table);
      if (ast.index.kind === 'primary') throw unsupported(ddl, 'a change of the primary key');
      const model = afterModel(ddl, ast.table.database, ast.table.table);
      if (!model) throw unsupported(ddl, 'a CREATE INDEX on a table whose model is unknown');
      const sql = createIndexSql(to.database, to.table, ast.index, model.schema.columns);
      return sql ? [sql] : [];
    }
    case 'drop_index': {
      const to = r(ast.table.database, ast.table.table);
      if (ast.name.toUpperCase() === 'PRIMARY') throw unsupported(ddl, 'a change of the primary key');
      return [`DROP INDEX IF EXISTS ${qualified(to.database, pgIndexName(to.table, { name: ast.name, columns: [] }))}`];
    }
    case 'create_database':
      return [`CREATE SCHEMA IF NOT EXISTS ${pgIdent(r(ast.database, '').database)}`];
    case 'alter_database':
      return [];
    case 'drop_database':
      throw unsupported(ddl, 'DROP DATABASE (Sluice does not drop a whole PostgreSQL schema by itself; drop it by hand with DROP SCHEMA … CASCADE if you mean it)');
    case 'alter_table':
      return alterTable(ddl, ast, ctx);
  }
}

function renameTable(ddl: DdlChange, from: { database: string; table: string }, to: { database: string; table: string }, model: SourceTable | undefined): string[] {
  const out: string[] = [];
  let schema = from.database;
  if (from.database !== to.database) {
    out.push(`ALTER TABLE ${qualified(from.database, from.table)} SET SCHEMA ${pgIdent(to.database)}`);
    schema = to.database;
  }
  if (from.table !== to.table) out.push(`ALTER TABLE ${qualified(schema, from.table)} RENAME TO ${pgIdent(to.table)}`);
  // Index names carry the table name (they are per schema in PostgreSQL): follow the rename.
  for (const index of model?.definition.indexes ?? []) {
    if (index.kind !== 'unique' && index.kind !== 'index') continue;
    const oldName = pgIndexName(from.table, index);
    const newName = pgIndexName(to.table, index);
    if (oldName !== newName) out.push(`ALTER INDEX IF EXISTS ${qualified(schema, oldName)} RENAME TO ${pgIdent(newName)}`);
  }
  if (!model && from.table !== to.table) {
    // Without the model the indexes keep their old names; harmless, but say so in the logs via the statement text.
    void ddl;
  }
  return out;
}

/** The type as format_type prints it, in the spelling pgColumnType uses. */
function normalizeType(t: string): string {
  return t.toLowerCase().replace(/^character varying/, 'varchar').replace(/^timestamp without time zone$/, 'timestamp(6) without time zone')
    .replace(/^timestamp with time zone$/, 'timestamp(6) with time zone').replace(/^interval$/, 'interval(6)');
}

function alterTable(ddl: DdlChange, ast: AlterTableAst, ctx: TranslateContext): string[] {
  const r = ctx.route;
  let current = r(ast.table.database, ast.table.table);
  // The model after the statement: under the table's final name.
  const finalName = [...ast.clauses].reverse().find((c): c is Extract<AlterClause, { kind: 'rename_table' }> => c.kind === 'rename_table')?.to ?? ast.table;
  const model = afterModel(ddl, finalName.database, finalName.table);
  const columnOf = (name: string): SchemaColumn => {
    const col = model?.schema.columns.find((c) => c.name === name);
    if (!col) throw unsupported(ddl, `a change of column ${name} whose resulting type is unknown`);
    return col;
  };
  const out: string[] = [];
  const table = (): string => qualified(current.database, current.table);
  for (const clause of ast.clauses) {
    switch (clause.kind) {
      case 'add_column': {
        const col = columnOf(clause.column.name);
        out.push(`ALTER TABLE ${table()} ADD COLUMN ${clause.ifNotExists ? 'IF NOT EXISTS ' : ''}${columnDefinitionWithFill(col, clause.column)}`);
        if (fillValue(col, clause.column) !== null) {
          // The fill is for the existing rows; the column keeps the source's own default (when PostgreSQL can hold it).
          const d = pgDefaultOf(col, clause.column);
          out.push(`ALTER TABLE ${table()} ALTER COLUMN ${pgIdent(col.name)} ${d !== null && 'sql' in d ? `SET DEFAULT ${d.sql}` : 'DROP DEFAULT'}`);
        }
        break;
      }
      case 'drop_column':
        out.push(`ALTER TABLE ${table()} DROP COLUMN ${clause.ifExists ? 'IF EXISTS ' : ''}${pgIdent(clause.name)}`);
        break;
      case 'rename_column':
        out.push(...renameColumn(table(), clause.from, clause.to, model?.schema.columns.find((c) => c.name === clause.to)));
        break;
      case 'change_column':
      case 'modify_column': {
        const from = clause.kind === 'change_column' ? clause.from : clause.column.name;
        const col = columnOf(clause.column.name);
        if (from !== col.name) out.push(...renameColumn(table(), from, col.name, col));
        out.push(...changeType(table(), col, ctx.currentType?.(current.database, current.table, from)));
        break;
      }
      case 'rename_table': {
        const to = r(clause.to.database, clause.to.table);
        out.push(...renameTable(ddl, current, to, model));
        current = to;
        break;
      }
      case 'add_index':
        if (clause.index.kind === 'primary') throw unsupported(ddl, 'a change of the primary key');
        if (clause.index.kind === 'unique' || clause.index.kind === 'index') {
          const sql = createIndexSql(current.database, current.table, clause.index, model?.schema.columns ?? []);
          if (sql) out.push(sql);
        }
        break;
      case 'drop_index':
        out.push(`DROP INDEX IF EXISTS ${qualified(current.database, pgIndexName(current.table, { name: clause.name, columns: [] }))}`);
        break;
      case 'rename_index':
        out.push(`ALTER INDEX IF EXISTS ${qualified(current.database, pgIndexName(current.table, { name: clause.from, columns: [] }))} RENAME TO ${pgIdent(pgIndexName(current.table, { name: clause.to, columns: [] }))}`);
        break;
      case 'drop_constraint':
        // MySQL 8 drops a UNIQUE key this way too; a CHECK or FOREIGN KEY has no PostgreSQL copy.
        out.push(`DROP INDEX IF EXISTS ${qualified(current.database, pgIndexName(current.table, { name: clause.name, columns: [] }))}`);
        break;
      case 'drop_primary_key':
        throw unsupported(ddl, 'a change of the primary key');
      case 'alter_column': {
        if (clause.action !== 'set_default' && clause.action !== 'drop_default') break;
        const col = model?.schema.columns.find((c) => c.name === clause.name);
        const d = col && clause.action === 'set_default' ? pgDefaultOf(col, { defaultValue: clause.value, generated: null } as ColumnAst) : null;
        out.push(`ALTER TABLE ${table()} ALTER COLUMN ${pgIdent(clause.name)} ${d !== null && 'sql' in d ? `SET DEFAULT ${d.sql}` : 'DROP DEFAULT'}`);
        break;
      }
      case 'add_foreign_key': {
        const f = ctx.foreignKeys;
        if (!f) break;
        const fk = targetForeignKey(clause.foreignKey, ast.table.database, current.database, current.table, (model?.definition.foreignKeys.length ?? 0) + 1, f.route);
        if (fk) out.push(f.queue(fk));
        break;
      }
      case 'drop_foreign_key':
        out.push(`ALTER TABLE ${table()} DROP CONSTRAINT IF EXISTS ${pgIdent(pgName(clause.name))}`);
        if (ctx.foreignKeys) out.push(ctx.foreignKeys.drop(current.database, current.table, pgName(clause.name)));
        break;
      case 'add_check':
      case 'convert_charset':
      case 'table_option':
      case 'algorithm_or_lock':
      case 'partition':
      case 'no_schema_change':
        break;
    }
  }
  return out;
}

function renameColumn(table: string, from: string, to: string, col: SchemaColumn | undefined): string[] {
  const out = [`ALTER TABLE ${table} RENAME COLUMN ${pgIdent(from)} TO ${pgIdent(to)}`];
  if (col && pgColumnCheck(col) !== null) out.push(`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${pgIdent(pgCheckName(from))}`);
  return out;
}

/** ALTER COLUMN … TYPE (when it changes), nullability and the ENUM/SET check of `col` as the model says. */
function changeType(table: string, col: SchemaColumn, currentType: string | undefined): string[] {
  const type = pgColumnType(col);
  const c = pgIdent(col.name);
  const out = [`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${pgIdent(pgCheckName(col.name))}`];
  if (currentType === undefined || normalizeType(currentType) !== normalizeType(type)) {
    const fromKind = currentType === undefined ? undefined : pgKind(currentType);
    const toKind = pgKind(type);
    // Casts PostgreSQL lacks between the kinds Sluice uses go through text.
    const via = fromKind !== undefined && fromKind !== toKind && (toKind === 'bit' || fromKind === 'bit' || toKind === 'textarray' || fromKind === 'textarray') ? '::text' : '';
    const using = toKind === 'textarray' && fromKind === 'text' ? `string_to_array(nullif(${c}, ''), ',')` : `${c}${via}::${type}`;
    out.push(`ALTER TABLE ${table} ALTER COLUMN ${c} TYPE ${type} USING ${using}`);
  }
  out.push(`ALTER TABLE ${table} ALTER COLUMN ${c} ${col.nullable ? 'DROP' : 'SET'} NOT NULL`);
  const check = pgColumnCheck(col);
  if (check) out.push(`ALTER TABLE ${table} ADD CONSTRAINT ${pgIdent(pgCheckName(col.name))} CHECK (${check})`);
  return out;
}

function columnDefinitionWithFill(col: SchemaColumn, ast: ColumnAst): string {
  const fill = fillValue(col, ast);
  if (fill === null) return columnDefinition(col);
  const def = columnDefinition(col);
  // DEFAULT goes right after the type (before NOT NULL / CONSTRAINT).
  const type = pgColumnType(col);
  const head = `${pgIdent(col.name)} ${type}`;
  return `${head} DEFAULT ${fill}${def.slice(head.length)}`;
}
