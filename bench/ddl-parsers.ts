// Measures DDL parser candidates on the corpus of test/fixtures/ddl-corpus.ts: which statements each one
// accepts, per form, and its time per statement. Sluice's own parser always runs; the others run when
// installed in the directory given as the first argument (they are not dependencies of Sluice):
//   mkdir /tmp/p && cd /tmp/p && npm i node-sql-parser dt-sql-parser @guanmingchiu/sqlparser-ts sql-parser-cst
//   npx tsc -p tsconfig.json && node dist/bench/ddl-parsers.js /tmp/p
// dt-sql-parser 4.5's ESM build uses directory imports that Node rejects; it loads with a resolve hook that
// adds `.js` / `/index.js` (node --import a register() of such a hook); without one it is reported as not loadable.
// "Accepted" means parsed without an error; it does not check that the parser understood the statement.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DDL_CORPUS } from '../test/fixtures/ddl-corpus.js';
import { parseDdl } from '../src/mysql/schema/ddl-parser.js';
import { evolve } from '../src/mysql/schema/schema-evolution.js';
import { BUILT_IN_CATALOG } from '../src/mysql/schema/charset-catalog.js';
import type { TableSchema } from '../src/mysql/schema/table-schema.js';

type ParseFn = (sql: string) => unknown;
interface Candidate { name: string; parse: ParseFn }

async function candidates(dir: string | undefined): Promise<Candidate[]> {
  const out: Candidate[] = [{ name: 'sluice ddl-parser', parse: (sql) => parseDdl(sql, { defaultDatabase: 'shop' }) }];
  if (dir === undefined) return out;
  const req = createRequire(join(dir, 'package.json'));
  const load = (id: string): Record<string, unknown> | null => {
    try { return req(id) as Record<string, unknown>; } catch { return null; }
  };
  const nsp = load('node-sql-parser');
  if (nsp) {
    const P = nsp['Parser'] as new () => { astify(sql: string, o: { database: string }): unknown };
    const p = new P();
    out.push({ name: 'node-sql-parser (MariaDB)', parse: (sql) => p.astify(sql, { database: 'MariaDB' }) });
    out.push({ name: 'node-sql-parser (MySQL)', parse: (sql) => p.astify(sql, { database: 'MySQL' }) });
  }
  let dt: Record<string, unknown> | null = null;
  try {
    dt = await import(pathToFileURL(req.resolve('dt-sql-parser')).href) as Record<string, unknown>;
  } catch (err) {
    console.log(`dt-sql-parser not loadable: ${String((err as Error).message).slice(0, 120)}`);
  }
  if (dt) {
    const M = dt['MySQL'] as new () => { validate(sql: string): unknown[] };
    const m = new M();
    out.push({ name: 'dt-sql-parser (ANTLR4 MySQL on antlr4ng)', parse: (sql) => { const e = m.validate(sql); if (e.length > 0) throw new Error(JSON.stringify(e[0])); return e; } });
  }
  const wasm = load('@guanmingchiu/sqlparser-ts');
  if (wasm) {
    await (wasm['init'] as () => Promise<void>)();
    const parse = wasm['parse'] as (sql: string, dialect: string) => unknown;
    out.push({ name: 'sqlparser-rs 0.62 WASM (mysql)', parse: (sql) => parse(sql, 'mysql') });
  }
  const cst = load('sql-parser-cst');
  if (cst) {
    const parse = cst['parse'] as (sql: string, o: { dialect: string }) => unknown;
    out.push({ name: 'sql-parser-cst (mariadb)', parse: (sql) => parse(sql, { dialect: 'mariadb' }) });
    out.push({ name: 'sql-parser-cst (mysql)', parse: (sql) => parse(sql, { dialect: 'mysql' }) });
  }
  return out;
}

const forms = [...new Set(DDL_CORPUS.map((s) => s.form))];
const list = await candidates(process.argv[2]);
const rows: string[] = [];
for (const c of list) {
  const okByForm = new Map<string, number>();
  let ok = 0;
  const failures: string[] = [];
  for (const s of DDL_CORPUS) {
    try {
      c.parse(s.sql);
      ok++;
      okByForm.set(s.form, (okByForm.get(s.form) ?? 0) + 1);
    } catch (err) {
      failures.push(`${s.form}: ${s.sql.slice(0, 60).replace(/\s+/g, ' ')} — ${String((err as Error).message ?? err).slice(0, 80).replace(/\s+/g, ' ')}`);
    }
  }
  // Speed: the whole corpus, repeated, accepted statements only.
  const accepted = DDL_CORPUS.filter((s) => { try { c.parse(s.sql); return true; } catch { return false; } });
  const reps = 20;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) for (const s of accepted) c.parse(s.sql);
  const us = accepted.length > 0 ? Number(process.hrtime.bigint() - t0) / 1000 / (reps * accepted.length) : 0;
  const fullForms = forms.filter((f) => okByForm.get(f) === DDL_CORPUS.filter((s) => s.form === f).length).length;
  rows.push(`| ${c.name} | ${ok}/${DDL_CORPUS.length} | ${fullForms}/${forms.length} | ${us.toFixed(1)} µs |`);
  console.log(`\n${c.name}: ${ok}/${DDL_CORPUS.length} statements, ${fullForms}/${forms.length} forms complete`);
  for (const f of failures) console.log(`  ✗ ${f}`);
}
console.log('\n| parser | statements accepted | forms fully accepted | mean time per accepted statement |\n|---|---|---|---|');
for (const r of rows) console.log(r);

// The schema model's cost per DDL statement: parse + apply to a 20-column table (every corpus statement that the
// model accepts against it; the others are refused with a typed error and counted too).
const base: TableSchema = {
  database: 'shop', table: 't', primaryKey: ['id'], version: 0, charset: 'utf8mb4', collation: 'utf8mb4_general_ci',
  columns: ['id', 'a', 'name', 'c1', 'c2', 'c3', 'c4', 'c5', 'x', 'full_name', ...Array.from({ length: 10 }, (_, i) => `p${i}`)].map((name) => ({
    name, dataType: 'int', sqlType: 'int(11)', unsigned: false, nullable: true, charset: null, collation: null, collationId: null,
    octetLength: null, numericPrecision: 10, numericScale: 0, datetimePrecision: null, generated: null, visible: true })),
};
const model = (sql: string): boolean => {
  const ast = parseDdl(sql, { defaultDatabase: 'shop' });
  if (ast === null) return false;
  try {
    evolve(ast, { lookup: () => base, databaseDefaults: () => undefined, catalog: BUILT_IN_CATALOG, sql });
    return true;
  } catch {
    return false;
  }
};
let applied = 0;
for (const s of DDL_CORPUS) if (model(s.sql)) applied++;
const reps = 50;
const t0 = process.hrtime.bigint();
for (let r = 0; r < reps; r++) for (const s of DDL_CORPUS) model(s.sql);
const us = Number(process.hrtime.bigint() - t0) / 1000 / (reps * DDL_CORPUS.length);
console.log(`\nschema model: ${us.toFixed(1)} µs per DDL statement (parse + apply; ${applied}/${DDL_CORPUS.length} corpus statements applied to a 20-column table, the rest refused)`);
