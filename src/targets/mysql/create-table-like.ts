/**
 * "Schema unchanged": create a target table from the source's `SHOW CREATE TABLE`, or check that an
 * existing one is compatible (same columns, in order, with the same types).
 *
 * The source's definition is parsed into the DDL AST (`mysql/schema/ddl-parser.ts`) and the target's is
 * rendered from it, never edited as text. On creation:
 *   - AUTO_INCREMENT=N, TABLESPACE and DATA/INDEX DIRECTORY are dropped (they belong to the source host);
 *   - a non-transactional engine (MyISAM, Aria, MEMORY…) becomes InnoDB so rows commit atomically with the
 *     checkpoint (Aria's PAGE_CHECKSUM/TRANSACTIONAL options go with it);
 *   - FOREIGN KEY constraints are kept when the referenced table is copied by the same pipeline
 *     (`foreignKeyTarget` names its target table), so the target's engine repeats ON DELETE/UPDATE CASCADE
 *     and SET NULL — those row changes are not in the binlog. Foreign keys to tables outside the scope are
 *     dropped (the target has no such parent); see docs/architecture.md "Foreign keys";
 *   - charset, collation, columns, keys (FULLTEXT, SPATIAL…), defaults, generated columns, CHECKs, comments
 *     and partitioning are kept. Triggers are never copied (SHOW CREATE TABLE does not include them; the rows
 *     they write on the source are in the binlog).
 */
import type { Connection, Pool, RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../../errors.js';
import { parseDdl } from '../../mysql/schema/ddl-parser.js';
import { parseCreateTable } from '../../mysql/schema/source-table.js';
import type { CreateTableAst, ForeignKeyAst } from '../../mysql/schema/ddl-ast.js';
import { renderCreateTable, renderForeignKey } from '../../mysql/schema/create-table-render.js';
import { qualifiedName, quoteId } from './sql-literal.js';

export type QueryConnection = Pick<Connection, 'query'> | Pick<Pool, 'query'>;

export type CreateTableOutcome = 'created' | 'compatible';

/** Where a source table referenced by a foreign key lives on the target, or null when it is not copied there. */
export type ForeignKeyTarget = (database: string, table: string) => { database: string; table: string } | null;

export interface CreateTableLikeOptions {
  /** Keep foreign keys whose referenced table this returns a target for; others are dropped. Default: drop all. */
  foreignKeyTarget?: ForeignKeyTarget;
}

export interface ColumnDef { name: string; type: string; nullable: boolean }

/** Create `targetDb`.`targetTable` like the source's `db`.`table` if absent, else check compatibility. */
export async function createTableLike(source: QueryConnection, target: QueryConnection, db: string, table: string,
  targetDb: string, targetTable: string = table, opts: CreateTableLikeOptions = {}): Promise<CreateTableOutcome> {
  const [exists] = await target.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [targetDb, targetTable]);
  if (exists.length > 0) {
    await checkCompatible(source, target, db, table, targetDb, targetTable);
    return 'compatible';
  }
  let createSql: string;
  try {
    const [rows] = await source.query<RowDataPacket[]>(`SHOW CREATE TABLE ${qualifiedName(db, table)}`);
    createSql = String(rows[0]?.['Create Table'] ?? '');
  } catch (err) {
    throw new SluiceError('UNKNOWN_TABLE', `cannot read the definition of source table \`${db}\`.\`${table}\`: ${(err as Error).message}`,
      'check that the table exists on the source and that the source user has SELECT on it', { db, table }, { cause: err });
  }
  if (!createSql) {
    throw new SluiceError('UNKNOWN_TABLE', `\`${db}\`.\`${table}\` on the source is not a base table`, 'list only base tables (not views) in the pipeline');
  }
  const [schemata] = await source.query<RowDataPacket[]>(
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db]);
  const s = schemata[0];
  const dbOptions = s ? ` CHARACTER SET ${String(s['cs'])} COLLATE ${String(s['co'])}` : '';
  await target.query(`CREATE DATABASE IF NOT EXISTS ${quoteId(targetDb)}${dbOptions}`);
  await target.query(targetCreateSql(createSql, targetDb, targetTable, db, opts.foreignKeyTarget));
  return 'created';
}

const NON_TRANSACTIONAL = new Set(['MYISAM', 'ARIA', 'MEMORY', 'HEAP', 'CSV', 'ARCHIVE', 'MRG_MYISAM', 'BLACKHOLE']);
/** Table options that describe the source host or the source engine, not the table. */
const DROPPED_OPTIONS = new Set(['AUTO_INCREMENT', 'TABLESPACE', 'DATA DIRECTORY', 'INDEX DIRECTORY', 'PAGE_CHECKSUM', 'TRANSACTIONAL']);

/**
 * The source's CREATE TABLE (as SHOW CREATE TABLE prints it) adapted for the target (see the module
 * comment). `sourceDb` resolves unqualified foreign-key references; without `foreignKeyTarget` every
 * foreign key is dropped.
 */
export function targetCreateSql(createSql: string, targetDb: string, targetTable: string, sourceDb = '', foreignKeyTarget?: ForeignKeyTarget): string {
  return targetCreateSqlOf(parseCreateTable(createSql, sourceDb), targetDb, targetTable, sourceDb, foreignKeyTarget);
}

/** `targetCreateSql` from an already parsed definition (not modified). */
export function targetCreateSqlOf(definition: CreateTableAst, targetDb: string, targetTable: string, sourceDb: string, foreignKeyTarget?: ForeignKeyTarget): string {
  const ast = structuredClone(definition);
  adaptForTarget(ast, sourceDb, foreignKeyTarget);
  return renderCreateTable(ast, { database: targetDb, table: targetTable, ifNotExists: true });
}

/** Engine and host options for the target; foreign keys routed, or dropped when their table is not copied. */
function adaptForTarget(ast: CreateTableAst, sourceDb: string, foreignKeyTarget: ForeignKeyTarget | undefined): void {
  const sourceEngine = ast.options.find((o) => o.name === 'ENGINE')?.value.toUpperCase();
  ast.options = ast.options
    .filter((o) => !DROPPED_OPTIONS.has(o.name))
    .map((o) => (o.name === 'ENGINE' && sourceEngine !== undefined && NON_TRANSACTIONAL.has(sourceEngine) ? { name: 'ENGINE', value: 'InnoDB' } : o));
  const kept: ForeignKeyAst[] = [];
  for (const fk of ast.foreignKeys) {
    const to = foreignKeyTarget?.(fk.refDatabase ?? sourceDb, fk.refTable) ?? null;
    if (to !== null) kept.push({ ...fk, refDatabase: to.database, refTable: to.table });
  }
  ast.foreignKeys = kept;
  // Inline `REFERENCES` on a column: rendered from the column's text, so only a copied parent keeps it.
  for (const c of ast.columns) {
    if (c.inlineReference !== null && (foreignKeyTarget?.(c.inlineReference.refDatabase ?? sourceDb, c.inlineReference.refTable) ?? null) === null) {
      throw new SluiceError('DDL_UNSUPPORTED', `column \`${c.name}\` has an inline REFERENCES to a table outside the pipeline`,
        'declare the foreign key as a table constraint (FOREIGN KEY … REFERENCES), or include the referenced table in the pipeline', { column: c.name });
    }
  }
}

/** The statement's parsed form, or null when it cannot be parsed (the caller then forwards its text). */
function parseOrNull(sql: string, defaultDatabase: string): ReturnType<typeof parseDdl> {
  try {
    return parseDdl(sql, { defaultDatabase });
  } catch {
    return null;
  }
}

/**
 * A CREATE TABLE met in the stream, generated for the target from its parsed form (as `targetCreateSql`):
 * the routed name, foreign keys kept only to tables `foreignKeyTarget` places on the target, engine and
 * host options adapted. Null when the statement is not a plain CREATE TABLE with a column list (LIKE,
 * … SELECT, OR REPLACE, TEMPORARY, unparseable): the caller forwards its text instead.
 */
export function forwardedCreateSql(sql: string, defaultDatabase: string, route: (db: string, table: string) => { database: string; table: string },
  foreignKeyTarget: ForeignKeyTarget): string | null {
  const ast = parseOrNull(sql, defaultDatabase);
  if (ast === null || ast.kind !== 'create_table' || ast.like !== null || ast.asSelect || ast.orReplace || ast.temporary || ast.columns.length === 0) return null;
  const to = route(ast.table.database, ast.table.table);
  adaptForTarget(ast, ast.table.database, foreignKeyTarget);
  return renderCreateTable(ast, { database: to.database, table: to.table, ifNotExists: ast.ifNotExists });
}

/**
 * An ALTER TABLE met in the stream, forwarded clause by clause from its parsed form: the routed table name,
 * `RENAME TO` routed, `ADD FOREIGN KEY` kept (routed) only when the referenced table is copied, every other clause
 * as written. Null when it is not an ALTER TABLE this can render (unparseable, ALTER IGNORE): the caller forwards
 * its text. `''` when nothing is left to run (e.g. only a foreign key to a table outside the pipeline).
 */
export function forwardedAlterSql(sql: string, defaultDatabase: string, route: (db: string, table: string) => { database: string; table: string },
  foreignKeyTarget: ForeignKeyTarget): string | null {
  const ast = parseOrNull(sql, defaultDatabase);
  if (ast === null || ast.kind !== 'alter_table' || ast.ignore || ast.clauseTexts.length !== ast.clauses.length) return null;
  const parts: string[] = [];
  const partitioning: string[] = [];
  for (let i = 0; i < ast.clauses.length; i++) {
    const c = ast.clauses[i]!;
    const text = ast.clauseTexts[i]!;
    if (c.kind === 'add_foreign_key') {
      const to = foreignKeyTarget(c.foreignKey.refDatabase ?? ast.table.database, c.foreignKey.refTable);
      if (to !== null) parts.push(`ADD ${renderForeignKey({ ...c.foreignKey, refDatabase: to.database, refTable: to.table })}`);
    } else if (c.kind === 'rename_table') {
      const to = route(c.to.database, c.to.table);
      parts.push(`RENAME TO ${qualifiedName(to.database, to.table)}`);
    } else if (c.kind === 'partition') {
      partitioning.push(text);
    } else if (c.kind === 'add_column' && c.column.inlineReference !== null) {
      return null;
    } else if (text !== '') {
      parts.push(text);
    }
  }
  if (parts.length === 0 && partitioning.length === 0) return '';
  const t = route(ast.table.database, ast.table.table);
  return `ALTER TABLE ${ast.ifExists ? 'IF EXISTS ' : ''}${qualifiedName(t.database, t.table)} ${[parts.join(', '), ...partitioning].filter((x) => x !== '').join(' ')}`;
}

async function readColumns(conn: QueryConnection, db: string, table: string): Promise<ColumnDef[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, DATA_TYPE AS dt FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [db, table]);
  return rows.map((r) => ({ name: String(r['name']), type: normalizeType(String(r['type']), String(r['dt'])), nullable: r['nullable'] === 'YES' }));
}

/** Type text that MySQL and MariaDB spell alike: no integer display widths, JSON = LONGTEXT, lower case. */
export function normalizeType(columnType: string, dataType = ''): string {
  let t = columnType.toLowerCase().trim();
  if (dataType.toLowerCase() === 'json' || t === 'json') return 'longtext';
  t = t.replace(/^(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)/, '$1');
  t = t.replace(/^integer\b/, 'int');
  return t;
}

async function checkCompatible(source: QueryConnection, target: QueryConnection, db: string, table: string,
  targetDb: string, targetTable: string): Promise<void> {
  const src = await readColumns(source, db, table);
  if (src.length === 0) {
    throw new SluiceError('UNKNOWN_TABLE', `source table \`${db}\`.\`${table}\` does not exist or has no visible columns`,
      'check the table name and that the source user has SELECT on it');
  }
  const tgt = await readColumns(target, targetDb, targetTable);
  assertCompatible(src, tgt, db, table, targetDb, targetTable);
}

/** TARGET_TABLE_INCOMPATIBLE unless the target's columns are the source's (names, order, normalized types). */
export function assertCompatible(src: readonly ColumnDef[], tgt: readonly ColumnDef[], db: string, table: string, targetDb: string, targetTable: string): void {
  const diffs: string[] = [];
  const n = Math.max(src.length, tgt.length);
  for (let i = 0; i < n; i++) {
    const s = src[i];
    const t = tgt[i];
    if (s && !t) diffs.push(`target lacks column ${i + 1} \`${s.name}\` ${s.type}`);
    else if (!s && t) diffs.push(`target has an extra column ${i + 1} \`${t.name}\` ${t.type}`);
    else if (s && t && (s.name !== t.name || s.type !== t.type)) {
      diffs.push(`column ${i + 1}: source \`${s.name}\` ${s.type}, target \`${t.name}\` ${t.type}`);
    }
  }
  if (diffs.length > 0) {
    throw new SluiceError('TARGET_TABLE_INCOMPATIBLE',
      `target table \`${targetDb}\`.\`${targetTable}\` does not match source \`${db}\`.\`${table}\`: ${diffs.join('; ')}`,
      `ALTER the target table to the source definition (SHOW CREATE TABLE \`${db}\`.\`${table}\` on the source), or drop it so Sluice re-creates it and copies it again`,
      { source: `${db}.${table}`, target: `${targetDb}.${targetTable}`, differences: diffs });
  }
}
