// Parser fuzz: mutated DDL (characters and tokens deleted, duplicated, swapped, inserted — quotes, comment
// openers, parentheses, keywords — and truncated) is parsed or refused with DDL_UNSUPPORTED, never crashes or
// hangs; the schema model applies what parses or refuses it with a typed error. SLUICE_FUZZ_N sets the count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDdl } from '../../../../src/mysql/schema/ddl-parser.js';
import { classifyStatement } from '../../../../src/mysql/schema/ddl.js';
import { evolve } from '../../../../src/mysql/schema/schema-evolution.js';
import { BUILT_IN_CATALOG } from '../../../../src/mysql/schema/charset-catalog.js';
import { isSluiceError } from '../../../../src/errors.js';
import type { TableSchema } from '../../../../src/mysql/schema/table-schema.js';
import { DDL_CORPUS } from '../../../fixtures/ddl-corpus.js';
import { seededRandom } from '../../../helpers/seeded-random.js';

const PIECES = ['(', ')', ',', '`', "'", '"', '\\', '/*', '*/', '/*!50100 ', '/*M!100100 ', '-- ', '#', '\n', ';', '.', '=', ' ADD ', ' DROP ',
  ' COLUMN ', ' FIRST', ' AFTER ', ' PRIMARY KEY ', ' FOREIGN KEY ', ' REFERENCES ', ' PARTITION ', ' IF NOT EXISTS ', ' LIKE ', ' SELECT ',
  ' CHARACTER SET ', ' DEFAULT ', ' AS (', ' ENUM(', "''", '``', '\u00e9', '😀', ' RENAME ', ' TO ', ' CHANGE ', ' MODIFY ', '0x', "X'", ' NULL'];

function mutate(sql: string, r: () => number): string {
  let s = sql;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const len = 1 + Math.floor(r() * 12);
    switch (Math.floor(r() * 6)) {
      case 0: s = s.slice(0, at) + s.slice(at + len); break;
      case 1: s = s.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)]! + s.slice(at); break;
      case 2: s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at); break;
      case 3: s = s.slice(0, at); break;
      case 4: { const b = Math.floor(r() * (s.length + 1)); s = s.slice(0, Math.min(at, b)) + s.slice(Math.max(at, b), Math.max(at, b) + len) + s.slice(Math.min(at, b)); break; }
      default: s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x80)) + s.slice(at); break;
    }
  }
  return s;
}

const base: TableSchema = {
  database: 'shop', table: 't', primaryKey: ['id'], version: 0, charset: 'utf8mb4', collation: 'utf8mb4_general_ci',
  columns: ['id', 'a', 'name', 'c3', 'c4', 'x', 'full_name'].map((name) => ({
    name, dataType: 'int', sqlType: 'int(11)', unsigned: false, nullable: true, charset: null, collation: null, collationId: null,
    octetLength: null, numericPrecision: 10, numericScale: 0, datetimePrecision: null, generated: null, visible: true })),
};

test('mutated DDL is parsed or refused with a typed error, never a crash or a hang', () => {
  const r = seededRandom(Number(process.env.SLUICE_FUZZ_SEED ?? 99));
  const total = Number(process.env.SLUICE_FUZZ_N ?? 20000);
  const stats = { parsed: 0, notDdl: 0, refused: 0, evolved: 0, modelRefused: 0, maxMs: 0 };
  const crashes: string[] = [];
  for (let i = 0; i < total; i++) {
    const sql = mutate(DDL_CORPUS[Math.floor(r() * DDL_CORPUS.length)]!.sql, r);
    const t0 = performance.now();
    try {
      classifyStatement(sql, 'shop');
      const ast = parseDdl(sql, { defaultDatabase: 'shop' });
      if (ast === null) stats.notDdl++;
      else {
        stats.parsed++;
        try {
          evolve(ast, { lookup: (db, t) => (db === 'shop' && t === 't' ? base : undefined), databaseDefaults: () => undefined, catalog: BUILT_IN_CATALOG, sql });
          stats.evolved++;
        } catch (err) {
          if (isSluiceError(err) && err.code === 'DDL_UNSUPPORTED') stats.modelRefused++;
          else if (crashes.length < 5) crashes.push(`model: ${String(err)} ← ${JSON.stringify(sql)}`);
        }
      }
    } catch (err) {
      if (isSluiceError(err) && err.code === 'DDL_UNSUPPORTED') stats.refused++;
      else if (crashes.length < 5) crashes.push(`parser: ${String(err)} ← ${JSON.stringify(sql)}`);
    }
    stats.maxMs = Math.max(stats.maxMs, performance.now() - t0);
  }
  console.log(`# parser fuzz: ${JSON.stringify(stats)}`);
  assert.deepEqual(crashes, []);
  // A hang is seconds or forever; a GC pause on a loaded 2-core machine is a few hundred ms.
  assert.ok(stats.maxMs < 1500, `slowest statement took ${stats.maxMs.toFixed(1)} ms`);
  assert.ok(stats.parsed > total / 20 && stats.refused > total / 20, 'the mutations exercise both outcomes');
});
