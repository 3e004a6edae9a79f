/**
 * Applies one parsed DDL statement to the schema model: which tables it creates, changes, renames or
 * drops, and their columns afterwards — computed from the statement, never read back from the server
 * (information_schema shows the schema *now*, which is later than the DDL when the reader lags).
 *
 * A statement that touches a known table in a way the model cannot follow raises `DDL_UNSUPPORTED`
 * naming it (the caller must not guess names). Tables the model does not know are left to the caller
 * (`unknown`), as are CREATE TABLE … SELECT (columns come from a query) and LIKE of an unknown table.
 */
import { SluiceError } from '../../errors.js';
import type { TableName } from './ddl.js';
import type { AlterClause, ColumnAst, ColumnPosition, CreateTableAst, DdlAst } from './ddl-ast.js';
import type { CharsetCatalog } from './charset-catalog.js';
import { columnFromAst, STRING_TYPES, widerTextType, type TableDefaults } from './column-model.js';
import type { SchemaColumn, TableSchema } from './table-schema.js';

export interface EvolutionContext {
  /** The table's schema in force before the statement; null: known not to exist; undefined: not known. */
  lookup(database: string, table: string): TableSchema | null | undefined;
  /** A database's default character set and collation, when known. */
  databaseDefaults(database: string): TableDefaults | undefined;
  catalog: CharsetCatalog;
  /** The statement, for error messages. */
  sql: string;
}

export interface Evolution {
  /** New schemas (null: the table no longer exists), in statement order. */
  tables: Array<{ database: string; table: string; schema: TableSchema | null }>;
  /** Tables the model cannot derive (CREATE … SELECT, LIKE of an unknown table): read them from the server. */
  unknown: TableName[];
  /** CREATE/ALTER DATABASE: new defaults. DROP DATABASE: the database to forget. */
  databases: Array<{ database: string; defaults: TableDefaults | null; dropped: boolean }>;
}

const FALLBACK: TableDefaults = { charset: 'utf8mb4', collation: 'utf8mb4_general_ci' };

export function evolve(ast: DdlAst, ctx: EvolutionContext): Evolution {
  const out: Evolution = { tables: [], unknown: [], databases: [] };
  /** The state as this statement changes it (RENAME chains, several clauses). */
  const working = new Map<string, TableSchema | null>();
  const k = (db: string, t: string): string => `${db}\0${t}`;
  const current = (db: string, t: string): TableSchema | null | undefined => {
    const id = k(db, t);
    return working.has(id) ? working.get(id)! : ctx.lookup(db, t);
  };
  const set = (db: string, t: string, schema: TableSchema | null): void => {
    working.set(k(db, t), schema);
    out.tables.push({ database: db, table: t, schema });
  };
  const defaultsOf = (db: string): TableDefaults => ctx.databaseDefaults(db) ?? FALLBACK;

  switch (ast.kind) {
    case 'create_table': {
      if (ast.temporary) break;
      const { database, table } = ast.table;
      const existing = current(database, table);
      if (ast.ifNotExists && existing) break;
      if (ast.asSelect) { out.unknown.push(ast.table); break; }
      if (ast.like !== null) {
        const src = current(ast.like.database, ast.like.table);
        if (!src) { out.unknown.push(ast.table); break; }
        set(database, table, { ...src, database, table, columns: src.columns.map((c) => ({ ...c })), primaryKey: [...src.primaryKey] });
        break;
      }
      set(database, table, createdSchema(ast, defaultsOf(database), ctx));
      break;
    }
    case 'alter_table': {
      const { database, table } = ast.table;
      const base = current(database, table);
      if (base === undefined) { out.unknown.push(ast.table); break; }
      if (base === null) {
        if (ast.ifExists) break;
        throw unsupported(ctx, `the model has no table ${database}.${table}`);
      }
      let s: TableSchema = { ...base, columns: base.columns.map((c) => ({ ...c })), primaryKey: [...base.primaryKey] };
      let renameTo: TableName | null = null;
      for (const c of ast.clauses) {
        if (c.kind === 'rename_table') { renameTo = c.to; continue; }
        s = alterOne(s, c, ctx);
      }
      if (renameTo !== null && (renameTo.database !== database || renameTo.table !== table)) {
        set(database, table, null);
        set(renameTo.database, renameTo.table, { ...s, database: renameTo.database, table: renameTo.table });
      } else {
        set(database, table, s);
      }
      break;
    }
    case 'rename_table':
      for (const r of ast.renames) {
        const s = current(r.from.database, r.from.table);
        if (s === undefined) { out.unknown.push(r.to); set(r.from.database, r.from.table, null); continue; }
        if (s === null) throw unsupported(ctx, `the model has no table ${r.from.database}.${r.from.table} to rename`);
        set(r.from.database, r.from.table, null);
        set(r.to.database, r.to.table, { ...s, database: r.to.database, table: r.to.table });
      }
      break;
    case 'drop_table':
      if (ast.temporary) break;
      for (const t of ast.tables) if (current(t.database, t.table) !== null) set(t.database, t.table, null);
      break;
    case 'create_index':
    case 'drop_index':
    case 'truncate_table':
      break; // secondary indexes and data: no change to columns or the primary key
    case 'create_database':
    case 'alter_database': {
      const cs = ast.charset?.toLowerCase() ?? (ast.collation ? ctx.catalog.charsetOf(ast.collation) : undefined);
      if (ast.kind === 'alter_database' && cs === undefined) break;
      const charset = cs ?? defaultsOf(ast.database).charset;
      const collation = ast.collation?.toLowerCase() ?? ctx.catalog.defaultCollation(charset) ?? `${charset}_general_ci`;
      out.databases.push({ database: ast.database, defaults: ast.kind === 'create_database' && cs === undefined ? null : { charset, collation }, dropped: false });
      break;
    }
    case 'drop_database':
      out.databases.push({ database: ast.database, defaults: null, dropped: true });
      break;
  }
  return out;
}

function createdSchema(ast: CreateTableAst, dbDefaults: TableDefaults, ctx: EvolutionContext): TableSchema {
  const cs = ast.options.find((o) => o.name === 'CHARSET')?.value;
  const co = ast.options.find((o) => o.name === 'COLLATE')?.value;
  const defaults = tableDefaults(cs !== undefined ? unquote(cs) : null, co !== undefined ? unquote(co) : null, dbDefaults, ctx.catalog);
  const pk = ast.indexes.find((i) => i.kind === 'primary')?.columns ?? ast.columns.filter((c) => c.inlinePrimaryKey).map((c) => c.name);
  const lower = new Set(pk.map((c) => c.toLowerCase()));
  const columns = ast.columns.map((c) => columnFromAst(c, defaults, ctx.catalog, lower.has(c.name.toLowerCase())));
  return { database: ast.table.database, table: ast.table.table, columns, primaryKey: pk.map((p) => columns.find((c) => c.name.toLowerCase() === p.toLowerCase())?.name ?? p),
    version: 0, charset: defaults.charset, collation: defaults.collation };
}

function tableDefaults(cs: string | null, co: string | null, fallback: TableDefaults, catalog: CharsetCatalog): TableDefaults {
  const charset = (cs === null ? null : cs.toLowerCase() === 'utf8' ? 'utf8mb3' : cs.toLowerCase()) ?? (co !== null ? catalog.charsetOf(co) ?? null : null);
  if (charset === null) return fallback;
  const collation = co?.toLowerCase() ?? (charset === fallback.charset ? fallback.collation : catalog.defaultCollation(charset) ?? `${charset}_general_ci`);
  return { charset, collation };
}

function alterOne(s: TableSchema, c: AlterClause, ctx: EvolutionContext): TableSchema {
  const db = ctx.databaseDefaults(s.database) ?? FALLBACK;
  const defaults: TableDefaults = s.charset ? { charset: s.charset, collation: s.collation ?? ctx.catalog.defaultCollation(s.charset) ?? db.collation } : db;
  const idx = (name: string): number => s.columns.findIndex((col) => col.name.toLowerCase() === name.toLowerCase());
  const inPk = (name: string): boolean => s.primaryKey.some((p) => p.toLowerCase() === name.toLowerCase());
  const place = (col: SchemaColumn, position: ColumnPosition, at: number): void => {
    if (position === null) { s.columns.splice(at, 0, col); return; }
    if (position.kind === 'first') { s.columns.unshift(col); return; }
    const after = idx(position.column);
    if (after < 0) throw unsupported(ctx, `AFTER names unknown column ${position.column}`);
    s.columns.splice(after + 1, 0, col);
  };
  const column = (ast: ColumnAst, pk: boolean): SchemaColumn => columnFromAst(ast, defaults, ctx.catalog, pk);
  switch (c.kind) {
    case 'add_column': {
      if (idx(c.column.name) >= 0) {
        if (c.ifNotExists) return s;
        throw unsupported(ctx, `column ${c.column.name} already exists in the model`);
      }
      place(column(c.column, false), c.position, s.columns.length);
      if (c.column.inlinePrimaryKey) s.primaryKey = [c.column.name];
      return s;
    }
    case 'drop_column': {
      const i = idx(c.name);
      if (i < 0) {
        if (c.ifExists) return s;
        throw unsupported(ctx, `column ${c.name} is not in the model`);
      }
      s.columns.splice(i, 1);
      s.primaryKey = s.primaryKey.filter((p) => p.toLowerCase() !== c.name.toLowerCase());
      return s;
    }
    case 'change_column':
    case 'modify_column': {
      const from = c.kind === 'change_column' ? c.from : c.column.name;
      const i = idx(from);
      if (i < 0) {
        if (c.ifExists) return s;
        throw unsupported(ctx, `column ${from} is not in the model`);
      }
      const pk = inPk(from);
      const col = column(c.column, pk);
      s.columns.splice(i, 1);
      place(col, c.position, i);
      if (pk) s.primaryKey = s.primaryKey.map((p) => (p.toLowerCase() === from.toLowerCase() ? col.name : p));
      if (c.column.inlinePrimaryKey) s.primaryKey = [col.name];
      return s;
    }
    case 'rename_column': {
      const i = idx(c.from);
      if (i < 0) throw unsupported(ctx, `column ${c.from} is not in the model`);
      s.columns[i] = { ...s.columns[i]!, name: c.to };
      s.primaryKey = s.primaryKey.map((p) => (p.toLowerCase() === c.from.toLowerCase() ? c.to : p));
      return s;
    }
    case 'alter_column': {
      const i = idx(c.name);
      if (i < 0) throw unsupported(ctx, `column ${c.name} is not in the model`);
      if (c.action === 'visible' || c.action === 'invisible') s.columns[i] = { ...s.columns[i]!, visible: c.action === 'visible' };
      return s;
    }
    case 'add_index':
      if (c.index.kind === 'primary') {
        s.primaryKey = c.index.columns.map((name) => s.columns[idx(name)]?.name ?? name);
        for (const p of s.primaryKey) { const i = idx(p); if (i >= 0) s.columns[i] = { ...s.columns[i]!, nullable: false }; }
      }
      return s;
    case 'drop_primary_key':
      s.primaryKey = [];
      return s;
    case 'drop_index':
      if (c.name.toUpperCase() === 'PRIMARY') s.primaryKey = [];
      return s;
    case 'convert_charset': {
      const cs = c.charset.toLowerCase() === 'utf8' ? 'utf8mb3' : c.charset.toLowerCase();
      const to = tableDefaults(cs, c.collation, defaults, ctx.catalog);
      const toMax = ctx.catalog.maxLen(to.charset) ?? 4;
      s.columns = s.columns.map((col) => {
        if (!STRING_TYPES.has(col.dataType) || col.charset === null || col.charset === 'binary') return col;
        const fromMax = ctx.catalog.maxLen(col.charset) ?? 4;
        const dataType = widerTextType(col.dataType, fromMax, toMax);
        const octetLength = col.octetLength === null ? null
          : col.dataType === dataType && (dataType === 'char' || dataType === 'varchar' || dataType === 'enum' || dataType === 'set')
            ? Math.round(col.octetLength / fromMax) * toMax : col.octetLength;
        return { ...col, dataType, sqlType: dataType === col.dataType ? col.sqlType : dataType, charset: to.charset, collation: to.collation,
          collationId: ctx.catalog.collationId(to.collation), octetLength: dataType === col.dataType ? octetLength : LOB_OCTETS[dataType] ?? octetLength };
      });
      s.charset = to.charset;
      s.collation = to.collation;
      return s;
    }
    case 'table_option': {
      if (c.option.name === 'CHARSET') {
        const d = tableDefaults(unquote(c.option.value), null, defaults, ctx.catalog);
        s.charset = d.charset;
        s.collation = d.collation;
      } else if (c.option.name === 'COLLATE') {
        s.collation = unquote(c.option.value).toLowerCase();
        s.charset = ctx.catalog.charsetOf(s.collation) ?? s.charset;
      }
      return s;
    }
    case 'rename_index': case 'add_foreign_key': case 'drop_foreign_key': case 'add_check': case 'drop_constraint':
    case 'algorithm_or_lock': case 'partition': case 'no_schema_change': case 'rename_table':
      return s;
  }
}

const LOB_OCTETS: Record<string, number> = { tinytext: 255, text: 65535, mediumtext: 16777215, longtext: 4294967295 };

function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === "'" || v[0] === '"' || v[0] === '`') && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

function unsupported(ctx: EvolutionContext, why: string): SluiceError {
  return new SluiceError('DDL_UNSUPPORTED', `the schema model cannot apply DDL (${why}): ${ctx.sql.length > 300 ? `${ctx.sql.slice(0, 300)}…` : ctx.sql}`,
    'the model is out of step with the source; use binlog_row_metadata=FULL on the source, or re-snapshot the tables this DDL changed (resync)',
    { statement: ctx.sql.slice(0, 2000), reason: why });
}
