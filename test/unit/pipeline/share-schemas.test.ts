// The initial copy reads every table's definition, and so does the schema history: at 10,000 tables the two
// identical models were ~13 MB each of the live heap. shareSchemas makes the copy use the history's objects where
// the definitions are the same, and keeps its own where they differ (a DDL between the two reads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareSchemas } from '../../../src/pipeline/snapshot-phase.js';
import { SchemaHistory } from '../../../src/mysql/schema/schema-history.js';
import type { SchemaColumn, TableSchema } from '../../../src/mysql/schema/table-schema.js';

const col = (name: string, sqlType: string): SchemaColumn => ({
  name, dataType: sqlType.replace(/\(.*$/, ''), sqlType, unsigned: false, nullable: false, charset: null, collation: null, collationId: null,
  octetLength: null, numericPrecision: 10, numericScale: 0, datetimePrecision: null, generated: null, visible: true,
});
const table = (name: string, cols: SchemaColumn[]): TableSchema => ({ database: 'db', table: name, columns: cols, primaryKey: ['id'], version: 0, charset: 'utf8mb4', collation: 'utf8mb4_general_ci' });
const since = { file: 'bin.000001', pos: 4 };

test('shareSchemas: the copy takes the history\'s object for the same definition, keeps its own for a different one', () => {
  const history = SchemaHistory.fromJSON({ format: 1, cursor: since, tables: [
    { database: 'db', table: 'same', versions: [{ since, schema: table('same', [col('id', 'int(11)'), col('v', 'int(11)')]) }] },
    { database: 'db', table: 'altered', versions: [{ since, schema: table('altered', [col('id', 'int(11)')]) }] },
  ] });
  const mine = new Map<string, TableSchema>([
    ['db.same', table('same', [col('id', 'int(11)'), col('v', 'int(11)')])],
    ['db.altered', table('altered', [col('id', 'int(11)'), col('added', 'int(11)')])],
  ]);
  const altered = mine.get('db.altered');
  shareSchemas(mine, history, since);
  assert.equal(mine.get('db.same'), history.schemaAt('db', 'same', since));
  assert.equal(mine.get('db.altered'), altered);
  assert.notEqual(mine.get('db.altered'), history.schemaAt('db', 'altered', since));
});
