// Shared fixtures of the SchemaHistory unit tests: two-column tables and a loader that serves them.
import type { SchemaSource } from '../../../../src/mysql/schema/schema-loader.js';
import type { SchemaColumn, TableSchema } from '../../../../src/mysql/schema/table-schema.js';

export const intCol = (name: string): SchemaColumn => ({
  name, dataType: 'int', sqlType: 'int(11)', unsigned: false, nullable: false, charset: null, collation: null, collationId: null,
  octetLength: null, numericPrecision: 10, numericScale: 0, datetimePrecision: null, generated: null, visible: true,
});
export const schema = (database: string, table: string): TableSchema => ({
  database, table, columns: [intCol('id'), intCol('v')], primaryKey: ['id'], version: 0, charset: 'utf8mb4', collation: 'utf8mb4_general_ci',
});

export function fakeLoader(tables: Record<string, string[]>): SchemaSource {
  return {
    loadDatabase: (db, only) => Promise.resolve(new Map((tables[db] ?? []).filter((t) => !only || only.includes(t)).map((t) => [t, schema(db, t)]))),
    databaseDefaults: () => Promise.resolve({ charset: 'utf8mb4', collation: 'utf8mb4_general_ci' }),
    close: () => Promise.resolve(),
  };
}

export const at = (pos: number): { file: string; pos: number } => ({ file: 'bin.000001', pos });
