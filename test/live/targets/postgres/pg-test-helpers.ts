// Throwaway PostgreSQL databases on the local server (127.0.0.1:5432, trust) and source-table models
// for the PostgreSQL target's tests.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parseDdl } from '../../../../src/mysql/schema/ddl-parser.js';
import { evolve } from '../../../../src/mysql/schema/schema-evolution.js';
import { BUILT_IN_CATALOG } from '../../../../src/mysql/schema/charset-catalog.js';
import type { CreateTableAst } from '../../../../src/mysql/schema/ddl-ast.js';
import type { TableSchema } from '../../../../src/mysql/schema/table-schema.js';
import type { DdlChange, SourceTable } from '../../../../src/targets/target.js';

export const PG_ADMIN_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface PgTestDatabase {
  name: string;
  url: string;
  /** Run SQL in the throwaway database; rows with every value as text. */
  query(sql: string): Promise<Array<Record<string, string | null>>>;
  drop(): Promise<void>;
}

/** CREATE DATABASE sluice_test_<random>; drop() ends its sessions and drops it. */
export async function createPgDatabase(): Promise<PgTestDatabase> {
  const name = `sluice_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const client = new pg.Client({ connectionString: url, types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig });
  client.on('error', () => undefined);
  await client.connect();
  await client.query("SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1");
  return {
    name, url,
    async query(sql) {
      const r = (await client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(r) ? r[r.length - 1]! : r;
      return last.rows as Array<Record<string, string | null>>;
    },
    async drop() {
      await client.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

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
