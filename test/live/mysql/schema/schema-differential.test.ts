// Differential test of the schema model against the server: a seeded generator of random DDL (every form the
// model follows) runs on a live MariaDB; after each statement the model (SchemaHistory evolved by the parsed
// statement) must equal what information_schema shows: table set, column names and order, types, signedness,
// nullability, charset/collation, byte lengths, precision/scale, fractional seconds, generated/invisible, ENUM
// members, primary key. After each statement a row is written to the table it changed; a reader whose model was
// read before the sequence must name every one of those rows right. SLUICE_DDL_SEED / SLUICE_DDL_STATEMENTS change
// the seed and the length.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { SchemaHistory, type HistoryPosition } from '../../../../src/mysql/schema/schema-history.js';
import { InformationSchemaLoader } from '../../../../src/mysql/schema/schema-loader.js';
import type { SchemaColumn, TableSchema } from '../../../../src/mysql/schema/table-schema.js';
import { BinlogSource } from '../../../../src/source/binlog-source.js';
import { collectChanges } from '../../collect.js';
import { seededRandom } from '../../../../src/testkit/seeded-random.js';

let server: MariaDbServer;
before(async () => { server = await startMariaDb({}); });
after(async () => { await server?.stop(); });

const rng = seededRandom;

const TYPES = ['INT', 'INT UNSIGNED', 'BIGINT', 'TINYINT', 'SMALLINT UNSIGNED', 'MEDIUMINT', 'DECIMAL(12,3)', 'DECIMAL(5)', 'FLOAT', 'DOUBLE',
  'BIT(5)', 'DATE', 'DATETIME(3)', 'TIMESTAMP(6) NULL', 'TIME', 'YEAR', 'CHAR(7)', 'VARCHAR(40)', 'VARCHAR(300)', 'TINYTEXT', 'TEXT',
  'MEDIUMTEXT', 'BINARY(4)', 'VARBINARY(12)', 'BLOB', "ENUM('a','b c','it''s')", "SET('x','y')", 'JSON', 'BOOLEAN', 'NUMERIC(8,2)',
  'INTEGER', 'CHAR(3) CHARACTER SET latin1', 'VARCHAR(20) CHARACTER SET ascii', 'VARCHAR(10) COLLATE utf8mb4_bin', 'TEXT CHARACTER SET latin1',
  'NATIONAL VARCHAR(9)', 'DOUBLE PRECISION', 'INT AS (1) VIRTUAL', 'VARCHAR(5) INVISIBLE DEFAULT NULL'];
const NAMES = ['a', 'b', 'c', 'd', 'e', 'name', 'price', 'order', 'select', 'ñ', 'we`ird', 'x1', 'x2', 'created_at'];
const CHARSETS = ['utf8mb4', 'latin1', 'utf8mb3', 'ascii'];

const q = (n: string): string => '`' + n.split('`').join('``') + '`';

test('the schema model equals information_schema after each of ≥ 500 random DDL statements', async (t) => {
  const seed = Number(process.env.SLUICE_DDL_SEED ?? 9);
  const total = Number(process.env.SLUICE_DDL_STATEMENTS ?? 520);
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  await server.query('CREATE DATABASE diffdb DEFAULT CHARSET utf8mb4; CREATE TABLE diffdb.t0 (id INT PRIMARY KEY, a VARCHAR(10))');
  const loader = new InformationSchemaLoader(server.url);
  const history = new SchemaHistory({ url: server.url });
  let pos = 4;
  const at = (): HistoryPosition => ({ file: 'bin.000001', pos: pos++ });
  await history.ensureLoaded('diffdb', 't0', at());
  // A reader's model, read once before the sequence; the reader itself starts after it (it lags behind all of it).
  const [status] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
  const readerStart = { file: status!.File, pos: Number(status!.Position) };
  const readerHistory = new SchemaHistory({ url: server.url });
  await readerHistory.ensureLoaded('diffdb', 't0', readerStart);
  /** After each statement a row goes into the table it changed: the columns in force then, in order. */
  const rowsExpected: Array<{ table: string; columns: string[]; sql: string; hidden: boolean }> = [];

  /** The server's truth, for choosing sensible statements. */
  let truth = await loader.loadDatabase('diffdb');
  const tried = new Map<string, number>();
  const applied = new Map<string, number>();
  const mismatches: string[] = [];

  const genStatement = (): { form: string; sql: string } | null => {
    const tables = [...truth.keys()];
    if (tables.length === 0 || (tables.length < 4 && r() < 0.1)) {
      const name = `t${Math.floor(r() * 8)}`;
      const cols = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) => `${q(`c${i}`)} ${pick(TYPES)}`);
      const cs = r() < 0.3 ? ` DEFAULT CHARSET=${pick(CHARSETS)}` : '';
      return { form: 'create table', sql: `CREATE TABLE IF NOT EXISTS diffdb.${name} (id INT NOT NULL, ${cols.join(', ')}, PRIMARY KEY (id))${cs}` };
    }
    const tn = pick(tables);
    const tb = truth.get(tn)!;
    const cols = tb.columns.map((c) => c.name);
    const col = pick(cols);
    const newName = (): string => { const n = pick(NAMES); return cols.includes(n) ? `${n}_${Math.floor(r() * 1000)}` : n; };
    const position = (): string => { const x = r(); return x < 0.25 ? ' FIRST' : x < 0.6 ? ` AFTER ${q(pick(cols))}` : ''; };
    const T = `diffdb.${q(tn)}`;
    const k = Math.floor(r() * 21);
    switch (k) {
      case 0: case 1: return { form: 'add column', sql: `ALTER TABLE ${T} ADD COLUMN ${q(newName())} ${pick(TYPES)}${position()}` };
      case 2: return cols.length > 1 ? { form: 'drop column', sql: `ALTER TABLE ${T} DROP COLUMN ${q(col)}` } : null;
      case 3: return { form: 'change column', sql: `ALTER TABLE ${T} CHANGE ${q(col)} ${q(newName())} ${pick(TYPES)}${position()}` };
      case 4: return { form: 'modify column', sql: `ALTER TABLE ${T} MODIFY ${q(col)} ${pick(TYPES)}${position()}` };
      case 5: return { form: 'rename column', sql: `ALTER TABLE ${T} RENAME COLUMN ${q(col)} TO ${q(newName())}` };
      case 6: return { form: 'alter default', sql: `ALTER TABLE ${T} ALTER COLUMN ${q(col)} ${r() < 0.5 ? 'DROP DEFAULT' : 'SET DEFAULT NULL'}` };
      case 7: return { form: 'primary key', sql: tb.primaryKey.length > 0 ? `ALTER TABLE ${T} DROP PRIMARY KEY` : `ALTER TABLE ${T} ADD PRIMARY KEY (${q(col)})` };
      case 8: return { form: 'index', sql: `ALTER TABLE ${T} ADD ${pick(['INDEX', 'UNIQUE KEY'])} ${q(`ix_${Math.floor(r() * 99)}`)} (${q(col)}(3))` };
      case 9: return { form: 'convert charset', sql: `ALTER TABLE ${T} CONVERT TO CHARACTER SET ${pick(CHARSETS)}` };
      case 10: return { form: 'table charset', sql: `ALTER TABLE ${T} DEFAULT CHARSET=${pick(CHARSETS)}` };
      case 11: return { form: 'rename table', sql: `RENAME TABLE ${T} TO diffdb.${q(`t${Math.floor(r() * 8)}`)}` };
      case 12: return { form: 'alter rename', sql: `ALTER TABLE ${T} RENAME TO diffdb.${q(`t${Math.floor(r() * 8)}`)}` };
      case 13: return { form: 'create like', sql: `CREATE TABLE diffdb.${q(`t${Math.floor(r() * 8)}`)} LIKE ${T}` };
      case 14: return tables.length > 1 ? { form: 'drop table', sql: `DROP TABLE IF EXISTS ${T}` } : null;
      case 15: return { form: 'if [not] exists', sql: `ALTER TABLE ${T} ADD COLUMN IF NOT EXISTS ${q(pick([col, newName()]))} INT, DROP COLUMN IF EXISTS ${q(pick(['nope', col]))}` };
      case 16: return { form: 'executable comment', sql: `/*!40101 ALTER TABLE ${T} ADD COLUMN ${q(newName())} ${pick(TYPES)}${position()} */` };
      case 17: return { form: 'comments', sql: `ALTER TABLE ${T} /* c */ MODIFY ${q(col)} ${pick(TYPES)} -- x\n` };
      case 18: return { form: 'several clauses', sql: `ALTER TABLE ${T} ADD COLUMN ${q(newName())} ${pick(TYPES)} FIRST, MODIFY ${q(col)} ${pick(TYPES)}, ALGORITHM=COPY` };
      case 19: return { form: 'truncate / index ddl', sql: pick([`TRUNCATE TABLE ${T}`, `CREATE INDEX ${q(`cx_${Math.floor(r() * 50)}`)} ON ${T} (id)`]) };
      default: return { form: 'swap rename', sql: `RENAME TABLE ${T} TO diffdb.tmp_swap, diffdb.tmp_swap TO ${T}` };
    }
  };

  let statements = 0;
  let guard = 0;
  while (statements < total && guard++ < total * 20) {
    const s = genStatement();
    if (s === null) continue;
    tried.set(s.form, (tried.get(s.form) ?? 0) + 1);
    try {
      await server.query(s.sql);
    } catch {
      continue; // the server refused it (e.g. a type change the data does not fit): nothing to model
    }
    statements++;
    applied.set(s.form, (applied.get(s.form) ?? 0) + 1);
    await history.applyDdl({ sql: s.sql, database: 'diffdb', position: at() });
    truth = await loader.loadDatabase('diffdb');
    const changed = /diffdb\.`?([a-z0-9_]+)`?/i.exec(s.sql)?.[1];
    if (changed !== undefined && truth.has(changed)) {
      // Non-strict: NOT NULL columns without a default take their implicit default; a clash is simply not written.
      const res = await server.query<Array<{ affectedRows?: number }>>(`SET SESSION sql_mode = ''; INSERT IGNORE INTO diffdb.${q(changed)} () VALUES (); SET SESSION sql_mode = DEFAULT`)
        .catch(() => null);
      const affected = res === null ? 0 : Number((res[1] as { affectedRows?: number } | undefined)?.affectedRows ?? 0);
      // MariaDB implements a UNIQUE key over long columns with a hidden DB_ROW_HASH_n column that the binlog carries
      // but information_schema does not show: neither the model nor the loader knows it, so such rows must stay
      // unnamed (@N), never wrongly named.
      const [hash] = await server.query<Array<{ n: number }>>(
        "SELECT COUNT(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'diffdb' AND TABLE_NAME = ? AND INDEX_TYPE = 'HASH'", [changed]);
      if (affected === 1) rowsExpected.push({ table: changed, columns: truth.get(changed)!.columns.map((c) => c.name), sql: s.sql, hidden: Number(hash!.n) > 0 });
    }
    for (const d of compare(history, truth)) if (mismatches.length < 10) mismatches.push(`after #${statements} ${s.sql.slice(0, 200)}: ${d}`);
    if (mismatches.length > 0) break;
  }
  t.diagnostic(`seed ${seed}: ${statements} statements applied; per form (applied/tried): ${[...tried].map(([f, n]) => `${f} ${applied.get(f) ?? 0}/${n}`).join(', ')}`);
  await history.close();

  // The reader names every row with the columns in force when it was written.
  const reader = new BinlogSource({ url: server.url, start: { kind: 'file', ...readerStart }, filter: (db) => db === 'diffdb', schemaHistory: readerHistory });
  const wrongNames: string[] = [];
  let hidden = 0;
  try {
    const got = await collectChanges(reader, rowsExpected.length, 60_000);
    got.changes.forEach((c, i) => {
      const e = rowsExpected[i]!;
      const names = Object.keys(c.after ?? {});
      if (e.hidden) {
        hidden++;
        if (c.table !== e.table || !names.every((n) => n.startsWith('@'))) wrongNames.push(`row ${i + 1} in ${e.table} (hidden hash column): [${names.join(',')}]`);
        return;
      }
      if (c.table !== e.table || names.join(',') !== e.columns.join(',')) {
        if (wrongNames.length < 5) wrongNames.push(`row ${i + 1} in ${e.table}: [${names.join(',')}] expected [${e.columns.join(',')}] after ${e.sql.slice(0, 300)}`);
      }
    });
  } finally {
    await reader.close();
  }
  t.diagnostic(`reader started before the sequence: ${rowsExpected.length - wrongNames.length} of ${rowsExpected.length} row events right (${hidden} in tables with a MariaDB hidden long-unique hash column, left unnamed as they must be)`);
  assert.deepEqual(wrongNames, []);
  await loader.close();
  assert.deepEqual(mismatches, []);
  assert.ok(statements >= Math.min(total, 500), `only ${statements} statements were applied`);
});

/** Differences between the model and the server (information_schema) for database diffdb. */
function compare(history: SchemaHistory, truth: Map<string, TableSchema>): string[] {
  const out: string[] = [];
  const names = new Set([...truth.keys(), ...history.toJSON().tables.filter((x) => x.database === 'diffdb').map((x) => x.table)]);
  for (const name of names) {
    const real = truth.get(name) ?? null;
    const model = history.schemaAt('diffdb', name);
    if (real === null && model === null) continue;
    if (real === null || model === null) { out.push(`${name}: ${real ? 'missing in the model' : 'in the model but not on the server'}`); continue; }
    const cols = (s: TableSchema): string[] => s.columns.map((c) => c.name);
    if (cols(real).join(',') !== cols(model).join(',')) { out.push(`${name}: columns ${cols(model).join(',')} ≠ ${cols(real).join(',')}`); continue; }
    if (real.primaryKey.join(',') !== model.primaryKey.join(',')) out.push(`${name}: primary key ${model.primaryKey.join(',')} ≠ ${real.primaryKey.join(',')}`);
    real.columns.forEach((rc, i) => {
      const mc = model.columns[i]!;
      const f = (c: SchemaColumn): string => JSON.stringify([c.dataType, c.unsigned, c.nullable, c.charset, c.collation, c.octetLength,
        c.dataType === 'decimal' || c.dataType === 'bit' ? [c.numericPrecision, c.numericScale] : null, c.datetimePrecision ?? 0, c.generated, c.visible,
        c.enumValues ?? null, c.json ?? false, c.collationId]);
      if (f(rc) !== f(mc)) out.push(`${name}.${rc.name}: model ${f(mc)} ≠ server ${f(rc)}`);
    });
  }
  return out;
}
