/**
 * DDL while streaming, per the pipeline's policy: `apply` (the target gets a `DdlChange`: parsed statement and
 * the touched tables' models; tables renamed into scope are created and copied), `ignore` (tables it brings
 * into scope are not followed), `fail`.
 */
import mysql from 'mysql2/promise';
import { SluiceError } from '../errors.js';
import { type Checkpoint, type DdlChange, type SourceTable, type Target } from '../targets/target.js';
import { parseDdl } from '../mysql/schema/ddl-parser.js';
import type { CreateTableAst, DdlAst } from '../mysql/schema/ddl-ast.js';
import { parseCreateTable } from '../mysql/schema/source-table.js';
import { InformationSchemaLoader } from '../mysql/schema/schema-loader.js';
import { SchemaHistory } from '../mysql/schema/schema-history.js';
import { classifyStatement } from '../mysql/schema/ddl.js';
import type { DdlMessage } from '../core/types.js';
import { ChunkFilter } from '../snapshot/chunk-filter.js';
import { pkColumns } from '../snapshot/snapshot-reader.js';
import { withHistory, type PipelineCheckpointState } from './pipeline-state.js';
import { listSourceTables, type TableName } from '../source/source-tables.js';
import type { Pipeline } from './pipeline.js';
import { loadSchemas } from './source-access.js';
import { isTransient } from './restart-policy.js';
import { snapshot } from './snapshot-phase.js';


export async function onDdl(p: Pipeline, sink: Target, src: mysql.Connection, history: SchemaHistory, m: DdlMessage, chunkFilter: ChunkFilter, signal: AbortSignal): Promise<void> {
  const checkpoint = (): Checkpoint => withHistory({ pipeline: p.name, position: m.position, epoch: p.epoch, state: p.streamState(chunkFilter) }, p.historyRows(history));
  if (p.cfg.ddl === 'ignore') {
    const c = classifyStatement(m.sql, m.database);
    if (c.kind === 'ddl') {
      const added = c.ddl.action === 'create_table' ? c.ddl.tables : c.ddl.renames.map((r) => r.to);
      for (const t of added) {
        if (p.filter(t.database, t.table)) p.skipTables.add(`${t.database}.${t.table}`);
      }
    }
    p.log.info({ sql: m.sql, skippedTables: [...p.skipTables] }, 'DDL ignored (policy ignore); tables it brought into scope are not followed');
    await sink.apply({ changes: [], checkpoint: checkpoint() });
    return;
  }
  if (p.cfg.ddl === 'fail') {
    throw new SluiceError('DDL_REJECTED', `DDL on a synced table stopped pipeline ${p.name}: ${m.sql.slice(0, 200)}`,
      `apply the change to the target yourself, then set ddl: ignore for one restart, or set ddl: apply to let Sluice run DDL`, { position: m.position });
  }
  const cls = classifyStatement(m.sql, m.database);
  if (cls.kind === 'ddl') {
    // Tables copied again while streaming already have the DDL that happened before their copy was defined.
    const touched = [...cls.ddl.tables, ...cls.ddl.renames.flatMap((r) => [r.from, r.to])].filter((t) => p.filter(t.database, t.table));
    if (touched.length > 0 && touched.every((t) => chunkFilter.definitionHas(t.database, t.table, m.position))) {
      p.log.info({ sql: m.sql.slice(0, 200), position: m.position }, 'DDL already in the re-copied table definition; not applied again');
      await sink.apply({ changes: [], checkpoint: checkpoint() });
      return;
    }
  }
  // Tables renamed from outside the pipeline's scope into it: create and copy them now.
  const incoming: TableName[] = [];
  if (cls.kind === 'ddl') {
    for (const r of cls.ddl.renames) {
      if (!p.filter(r.from.database, r.from.table) && p.filter(r.to.database, r.to.table)) incoming.push({ database: r.to.database, table: r.to.table });
    }
  }
  if (incoming.length === 0 || incoming.length < (cls.kind === 'ddl' ? cls.ddl.renames.length : 0)) {
    p.log.info({ sql: m.sql, position: m.position }, 'applying DDL');
    const change = await ddlChange(p, m, src, history);
    const recopy = sink.capabilities.generatedColumns === 'written' ? generatedValuesChanged(change) : null;
    if (recopy && p.filter(recopy.database, recopy.table) && !p.resnapshots.some((t) => t.database === recopy.database && t.table === recopy.table)) {
      // The source computed the column for every existing row inside the DDL (no row events); the target holds it as a
      // plain column: copy the table again once the stream is past the DDL (queued in the DDL's own checkpoint).
      p.resnapshots.push({ database: recopy.database, table: recopy.table, after: m.position });
      p.log.info({ table: `${recopy.database}.${recopy.table}` }, 'DDL adds or changes a generated column: the table is copied again once the stream has applied it');
    }
    await sink.applyDdl(change, checkpoint());
  }
  if (incoming.length > 0) {
    p.log.info({ tables: incoming }, 'tables came into scope by RENAME: copying them');
    await sink.ensureTables(await p.sourceTables(incoming));
    const next = await snapshot(p, sink, history, incoming, [], null, signal, { position: m.position, coverage: chunkFilter.remaining() });
    const loader = new InformationSchemaLoader(p.opts.source.url);
    try {
      const schemas = await loadSchemas(loader, incoming);
      const state = next.state as PipelineCheckpointState;
      if (state.phase === 'stream') {
        for (const cov of state.coverage) {
          const schema = schemas.get(`${cov.database}.${cov.table}`);
          if (schema) chunkFilter.add(cov, pkColumns(schema));
        }
      }
    } finally {
      await loader.close();
    }
    await sink.apply({ changes: [], checkpoint: checkpoint() });
    p.stats.status = 'streaming';
  }
}

/**
 * The DDL as the target contract carries it: the parsed statement and the model of each table it created or
 * changed (in scope), as it is after the statement — columns from the schema history at the statement's
 * position, the definition parsed from the statement itself (plain CREATE TABLE) or from the source's SHOW
 * CREATE TABLE. A table no longer on the source (renamed or dropped later, e.g. DDL while Sluice was stopped): a
 * CREATE TABLE … LIKE takes the LIKE source's definition, an ALTER TABLE the history's columns alone; otherwise it is
 * left out.
 */
export async function ddlChange(p: Pipeline, m: DdlMessage, src: mysql.Connection, history: SchemaHistory): Promise<DdlChange> {
  let ast: DdlAst | null;
  try {
    ast = parseDdl(m.sql, { defaultDatabase: m.database });
  } catch {
    ast = null;
  }
  const cls = classifyStatement(m.sql, m.database);
  const after: SourceTable[] = [];
  if (cls.kind === 'ddl' && cls.ddl.action !== 'drop_table' && cls.ddl.action !== 'truncate_table') {
    const renamedFrom = new Set(cls.ddl.renames.map((r) => `${r.from.database}\0${r.from.table}`));
    const touched = [...cls.ddl.tables, ...cls.ddl.renames.map((r) => r.to)]
      .filter((t, i, all) => !renamedFrom.has(`${t.database}\0${t.table}`) && all.findIndex((x) => x.database === t.database && x.table === t.table) === i)
      .filter((t) => p.filter(t.database, t.table));
    for (const t of touched) {
      const schema = history.schemaAt(t.database, t.table, m.position);
      if (!schema) continue;
      if (ast?.kind === 'create_table' && ast.like === null && !ast.asSelect && ast.columns.length > 0) {
        after.push({ schema, definition: ast, createSql: m.sql });
        continue;
      }
      const model = await currentDefinition(src, t)
        // CREATE TABLE … LIKE of a table renamed or dropped since (DDL while Sluice was stopped): the LIKE source's
        // definition, without its foreign keys (LIKE copies none); the columns are the history's at this position.
        ?? (ast?.kind === 'create_table' && ast.like ? likeDefinition(await currentDefinition(src, ast.like), t) : null)
        // An ALTER of such a table: its columns (types, key) are the history's; the clauses carry the rest.
        ?? (ast?.kind === 'alter_table' ? { definition: bareDefinition(t), createSql: '' } : null);
      if (model) after.push({ schema, ...model });
      else p.log.debug({ table: `${t.database}.${t.table}` }, 'DDL: the table is no longer on the source; its model is left out');
    }
  }
  return { database: m.database, sql: m.sql, ast, after };
}

export async function findTablesMissingOnTarget(p: Pipeline, src: mysql.Connection): Promise<void> {
  const tables = await listSourceTables(src, p.filter);
  const target = p.newTarget();
  let missing: TableName[];
  try {
    missing = await target.missingTables(tables);
  } finally {
    await target.close().catch(() => undefined);
  }
  for (const t of missing) p.skipTables.add(`${t.database}.${t.table}`);
  if (missing.length > 0) p.log.warn({ tables: missing }, 'ddl: ignore — these source tables have no target table and are not followed');
}

/** The table's definition as the source shows it now, or null when the table is gone. */
async function currentDefinition(src: mysql.Connection, t: TableName): Promise<{ definition: CreateTableAst; createSql: string } | null> {
  try {
    const [rows] = await src.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE ${quoteName(t.database)}.${quoteName(t.table)}`);
    const createSql = String(rows[0]?.['Create Table'] ?? '');
    return createSql ? { definition: parseCreateTable(createSql, t.database), createSql } : null;
  } catch (err) {
    if (isTransient(err)) throw err;
    return null;
  }
}

function likeDefinition(of: { definition: CreateTableAst; createSql: string } | null, table: TableName): { definition: CreateTableAst; createSql: string } | null {
  return of ? { definition: { ...of.definition, table: { database: table.database, table: table.table }, foreignKeys: [] }, createSql: of.createSql } : null;
}

/**
 * The table (its name after the statement) of an ALTER TABLE after which the source recomputed generated columns
 * inside the DDL (no row events), else null: it adds or changes a generated column, or it converts the values of
 * columns of a table that has generated columns (MODIFY / CHANGE / CONVERT TO CHARACTER SET: rounding, truncation,
 * charset conversion of what the expressions read).
 */
function generatedValuesChanged(change: DdlChange): TableName | null {
  const ast = change.ast;
  if (ast?.kind !== 'alter_table') return null;
  const renamed = ast.clauses.find((c) => c.kind === 'rename_table');
  const table = renamed?.kind === 'rename_table' ? renamed.to : ast.table;
  const generated = ast.clauses.some((c) => (c.kind === 'add_column' || c.kind === 'change_column' || c.kind === 'modify_column') && c.column.generated !== null);
  if (generated) return table;
  const converts = ast.clauses.some((c) => c.kind === 'change_column' || c.kind === 'modify_column' || c.kind === 'convert_charset');
  const after = change.after.find((t) => t.schema.database === table.database && t.schema.table === table.table);
  return converts && after?.schema.columns.some((c) => c.generated !== null) ? table : null;
}

function bareDefinition(table: TableName): CreateTableAst {
  return { kind: 'create_table', table: { database: table.database, table: table.table }, temporary: false, ifNotExists: false, orReplace: false,
    columns: [], indexes: [], foreignKeys: [], checks: [], options: [], partition: null, like: null, asSelect: false };
}

function quoteName(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
