// Source-table models and DDL changes as the pipeline hands them to a target, made from SQL text with the
// schema model (no server): for target tests.
import { parseDdl } from '../../src/mysql/schema/ddl-parser.js';
import { evolve } from '../../src/mysql/schema/schema-evolution.js';
import { BUILT_IN_CATALOG } from '../../src/mysql/schema/charset-catalog.js';
import type { CreateTableAst } from '../../src/mysql/schema/ddl-ast.js';
import type { TableSchema } from '../../src/mysql/schema/table-schema.js';
import type { DdlChange, SourceTable } from '../../src/targets/target.js';

/** A source table model from a CREATE TABLE statement (as the schema model would derive it). */
export function sourceTable(database: string, createSql: string): SourceTable {
  const ast = parseDdl(createSql, { defaultDatabase: database }) as CreateTableAst;
  const ev = evolve(ast, { lookup: () => undefined, databaseDefaults: () => undefined, catalog: BUILT_IN_CATALOG, sql: createSql });
  const schema = ev.tables[0]!.schema!;
  return { schema, definition: ast, createSql };
}

/**
 * A DdlChange as the pipeline would hand it: the parsed statement and the models after it (`known`: the
 * models before, by `db.table`; updated in place).
 */
export function ddlChange(database: string, sql: string, known: Map<string, SourceTable>): DdlChange {
  const ast = parseDdl(sql, { defaultDatabase: database });
  const after: SourceTable[] = [];
  if (ast) {
    const ev = evolve(ast, {
      lookup: (d, t) => known.get(`${d}.${t}`)?.schema ?? null,
      databaseDefaults: () => undefined, catalog: BUILT_IN_CATALOG, sql,
    });
    const renamedFrom = new Map<string, SourceTable>();
    if (ast.kind === 'rename_table') for (const r of ast.renames) { const s = known.get(`${r.from.database}.${r.from.table}`); if (s) renamedFrom.set(`${r.to.database}.${r.to.table}`, s); }
    if (ast.kind === 'alter_table') {
      const rn = ast.clauses.find((c) => c.kind === 'rename_table');
      const s = known.get(`${ast.table.database}.${ast.table.table}`);
      if (rn && rn.kind === 'rename_table' && s) renamedFrom.set(`${rn.to.database}.${rn.to.table}`, s);
    }
    for (const t of ev.tables) {
      const id = `${t.database}.${t.table}`;
      if (t.schema === null) { known.delete(id); continue; }
      const prev = known.get(id) ?? renamedFrom.get(id);
      const definition = ast.kind === 'create_table' ? ast : prev?.definition;
      const st: SourceTable = { schema: t.schema as TableSchema, definition: definition!, createSql: sql };
      known.set(id, st);
      after.push(st);
    }
  }
  return { database, sql, ast, after };
}
