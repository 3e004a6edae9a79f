// `sluice verify` of a pipeline into PostgreSQL: a table with every type the PostgreSQL target maps (edge values,
// NULLs, zero dates, TIME ±838 h, BIT(64), SETs, 4-byte UTF-8, JSON written in another key order, generated
// columns), a composite string key, a key-less table with duplicates and an integer-keyed table of several chunks.
// (a) an equal copy has no difference; (c) neither while the source writes; (b) every tampered row on the copy is
// found, and only it, and --repair makes the copy equal again, value by value.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import pg from 'pg';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { pgRowTexts, sourceTextsFor, type PgCopyColumn } from '../../../src/testkit/chaos/compare.js';
import { parseConfig } from '../../../src/config/index.js';
import type { SluiceConfig } from '../../../src/config/types.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { createLogger } from '../../../src/log.js';
import { verify, type VerifySummary } from '../../../src/verify/verify.js';
import { eventually } from '../sync-helpers.js';
import { runCli } from '../sluice-cli-helpers.js';
import { TYPE_COLUMNS } from '../type-columns.js';
import { createPgDatabase, type PgTestDatabase } from '../targets/postgres/pg-test-helpers.js';

const tuning = { chunkSize: 400, parallelism: 2 };
const TABLES = ['app.big', 'app.loose', 'app.pair', 'app.types'];

// A column name of 64 characters: longer than PostgreSQL's 63 bytes (the target gives it a short name with a hash).
const LONG = `long_${'x'.repeat(59)}`;

// PostgreSQL text cannot hold NUL (the pipeline refuses it): c_escapes without its \0.
const columns = TYPE_COLUMNS.map((c) => (c.name === 'c_escapes' ? { ...c, values: c.values.map((v) => v.replace('\\0', '')) } : c));

function found(s: VerifySummary): string[] {
  return s.results.flatMap((r) => r.differences.map((d) => `${r.table} ${d.kind} ${d.key}${d.count !== undefined ? ` x${d.count}` : ''}`)).sort();
}

function summary(s: VerifySummary): string {
  return JSON.stringify(s.results.map((r) => ({ t: r.table, p: r.problem, d: r.differences.slice(0, 5) }))).slice(0, 3000);
}

describe('sluice verify: PostgreSQL target', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  let cfg: SluiceConfig;
  let pipeline: Pipeline;
  let run: Promise<unknown>;
  let dir: string;
  const controller = new AbortController();

  before(async () => {
    [source, db] = await Promise.all([startMariaDb({ serverId: 71, extraArgs: ['--default-time-zone=+00:00'] }), createPgDatabase()]);
    await source.query(`CREATE DATABASE app;
      CREATE TABLE app.types (id INT PRIMARY KEY, ${columns.map((c) => `${c.name} ${c.ddl}`).join(', ')},
        c_json_order JSON, c_gen BIGINT AS (c_int + 1) VIRTUAL, c_gen_s VARCHAR(40) AS (CONCAT(IFNULL(c_enum, '-'), '/', id)) STORED) DEFAULT CHARSET=utf8mb4;
      CREATE TABLE app.pair (region VARCHAR(10) NOT NULL, code VARCHAR(20) NOT NULL, n INT, note TEXT, PRIMARY KEY (region, code)) DEFAULT CHARSET=utf8mb4;
      CREATE TABLE app.loose (a INT, b VARCHAR(10), d DECIMAL(6,2), ${LONG} INT);
      CREATE TABLE app.big (id BIGINT UNSIGNED PRIMARY KEY, v INT NOT NULL, s VARCHAR(30), f DOUBLE, at DATETIME(6));`);
    const jsons = [`'{"b": 1, "a": [1, 2.50, 1e2], "c": {"z": null, "a": "\\\\u00e9😀"}}'`, `'{"zz": {"y": 1, "x": 2}, "aa": 12345678901234567890}'`, `'[{"k": 1, "j": 0.1}]'`];
    for (let v = 0; v < 3; v++) {
      await source.query(`INSERT INTO app.types (id, ${columns.map((c) => c.name).join(', ')}, c_json_order) VALUES (${v + 1}, ${columns.map((c) => c.values[v]).join(', ')}, ${jsons[v]})`);
    }
    await source.query('INSERT INTO app.types (id) VALUES (4)'); // every other column NULL (or its default)
    await source.query(`INSERT INTO app.types (id, c_time, c_bit64, c_set, c_set64, c_varchar, c_json, c_json_order, c_double, c_float, c_timestamp)
      VALUES (5, '838:59:59', b'1111111111111111111111111111111111111111111111111111111111111111', 'z,x', 'm1,m2,m3,m62', '𝄞 𠜎 😀', '{"x": 1, "a": 2}', '{"a": 2, "x": 1}', 0.1 + 0.2, 0.1, '2024-03-10 02:30:00')`);
    await source.query(`INSERT INTO app.pair VALUES ('eu', 'a', 1, 'x'), ('eu', 'B', 2, NULL), ('eu', 'é', 3, ''), ('EU2', '😀', 4, 'emoji'), ('us', 'a b', 5, 'sp'), ('us', 'z', 6, 'z');
      INSERT INTO app.loose VALUES (1, 'a', 1.00, 7), (1, 'a', 1.00, 7), (2, NULL, NULL, NULL), (3, 'c', 3.30, 9), (3, 'c', 3.30, 9), (3, 'c', 3.30, 9);
      INSERT INTO app.big SELECT seq, seq % 97, CONCAT('r', seq), seq / 7, '2024-01-01 00:00:00' + INTERVAL seq SECOND FROM app.seq_1_to_3000;`);
    cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { pg: { type: 'postgres', url: db.url } },
      tuning: { maxBatchDelayMs: 20, snapshotChunkSize: 500 },
      pipelines: [{ name: 'app-to-pg', source: 's', target: 'pg', tables: ['app.*'] }],
    }), { format: 'json' });
    const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
    pipeline = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.pg!, logger: log });
    run = pipeline.run(controller.signal).catch((e: unknown) => e);
    await eventually(async () => pipeline.stats.status === 'streaming', 90_000, 'the pipeline to stream');
    dir = await mkdtemp(join(tmpdir(), 'sluice-verify-pg-'));
  });
  after(async () => {
    controller.abort();
    await run;
    await Promise.all([source?.stop(), db?.drop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('(a) an equal copy: every table compared, no difference', async () => {
    const s = await verify(cfg, { tuning });
    assert.deepEqual(s.results.map((r) => r.table).sort(), TABLES, summary(s));
    for (const r of s.results) assert.equal(r.problem, undefined, `${r.table}: ${r.problem}`);
    assert.equal(s.mismatched_rows, 0, `false differences: ${summary(s)}`);
    assert.equal(s.unsettled_rows, 0);
    assert.equal(s.rows_checked, 3000 + 6 + 6 + 5);
    const big = s.results.find((r) => r.table === 'app.big')!;
    assert.ok(big.chunks >= 7, `app.big in ${big.chunks} chunks`);
    assert.equal(s.results.find((r) => r.table === 'app.loose')!.key, 'none');
    assert.equal(s.results.find((r) => r.table === 'app.pair')!.key, 'primary');
  });

  it('(c) no false difference while the source writes', async () => {
    let running = true, rows = 0, n = 0;
    const started = Date.now();
    const writer = (async () => {
      for (; running; n++) {
        const base = 1 + (n * 53) % 2900;
        await source.query(`BEGIN;
          UPDATE app.big SET v = v + 1, s = CONCAT('w', ${n}), f = f * 1.1, at = NOW(6) WHERE id BETWEEN ${base} AND ${base + 20};
          INSERT INTO app.big VALUES (${10_000 + n}, ${n}, 'new', ${n} / 3, NOW(6));
          DELETE FROM app.big WHERE id = ${10_000 + n - 3};
          UPDATE app.types SET c_int = IF(c_int > 0, c_int - 1, c_int + 1), c_json_order = JSON_OBJECT('n', ${n}, 'a', 'b'), c_time = SEC_TO_TIME(${n}) WHERE id = ${1 + (n % 5)};
          INSERT INTO app.loose VALUES (${100 + n % 7}, 'w', ${n % 100}, ${n});
          DELETE FROM app.loose WHERE a = ${100 + ((n + 3) % 7)} LIMIT 1;
          UPDATE app.pair SET n = n + 1 WHERE region = 'us';
          COMMIT`);
        rows += 20;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const outcome = await (async () => [await verify(cfg, { tuning }), await verify(cfg, { tuning: { ...tuning, chunkSize: 100 } })])()
      .then((v) => ({ v }), (e: unknown) => ({ e }));
    running = false;
    await writer;
    const rate = rows / ((Date.now() - started) / 1000);
    if ('e' in outcome) throw outcome.e;
    assert.ok(rate >= 300, `the writer changed ~${Math.round(rate)} rows/s`);
    for (const s of outcome.v) {
      assert.deepEqual(s.results.map((r) => r.table).sort(), TABLES);
      assert.equal(s.mismatched_rows, 0, `false differences: ${summary(s)}`);
    }
    const rechecked = outcome.v.reduce((s, x) => s + x.results.reduce((t, r) => t + r.differingChunks, 0), 0);
    process.stderr.write(`# PostgreSQL copy under writes: ${n} source transactions (~${rows} rows) during 2 verify runs (~${Math.round(rate)} rows/s), ${rechecked} chunks went through the rounds, 0 false differences\n`);
  });

  it('(b) tampered copy: exactly the tampered rows; --repair makes the copy equal by value', async () => {
    await eventually(async () => {
      const s = await verify(cfg, { tuning });
      return s.mismatched_rows === 0;
    }, 60_000, 'an equal copy before tampering');
    await db.query(`UPDATE app.types SET c_varchar = 'tampered' WHERE id = 3;
      UPDATE app.types SET c_json_order = '{"b": 1, "a": [1, 2.5, 100], "c": {"z": null, "a": "x"}}' WHERE id = 1;
      UPDATE app.types SET c_bit64 = B'0000000000000000000000000000000000000000000000000000000000000001' WHERE id = 5;
      UPDATE app.types SET c_time = interval '838:59:58' WHERE id = 2;
      DELETE FROM app.pair WHERE region = 'eu' AND code = 'é';
      INSERT INTO app.pair VALUES ('eu', 'A', 9, 'ghost');
      UPDATE app.pair SET note = NULL WHERE region = 'EU2';
      DELETE FROM app.big WHERE id = 17;
      UPDATE app.big SET f = f + 0.000001 WHERE id = 18;
      INSERT INTO app.big VALUES (99999, 1, 'extra', NULL, NULL);
      INSERT INTO app.loose VALUES (3, 'c', 3.30, 9);
      DELETE FROM app.loose WHERE ctid = (SELECT ctid FROM app.loose WHERE a = 2 LIMIT 1)`);
    const want = [
      'app.big different 18', 'app.big extra 99999', 'app.big missing 17',
      "app.loose extra 3,'c',3.30,9 x1", 'app.loose missing 2,NULL,NULL,NULL x1',
      "app.pair different 'EU2','😀'", "app.pair extra 'eu','A'", "app.pair missing 'eu','é'",
      'app.types different 1', 'app.types different 2', 'app.types different 3', 'app.types different 5',
    ].sort();
    const first = await verify(cfg, { tuning });
    const keyless = (k: string): string => k.replace(/^app\.loose (\w+) .* x(\d+)$/, 'app.loose $1 x$2');
    assert.deepEqual(found(first).map(keyless), want.map(keyless), summary(first));
    const types = first.results.find((r) => r.table === 'app.types')!.differences;
    assert.deepEqual(types.find((d) => d.key === '3')!.columns, [{ column: 'c_varchar', source: "'héllo wörld'", target: "'tampered'" }]);
    assert.deepEqual(types.find((d) => d.key === '2')!.columns?.map((c) => [c.column, c.target]), [['c_time', "'838:59:58'"]]); // (c)'s writer changed the source's
    assert.deepEqual(types.find((d) => d.key === '1')!.columns?.map((c) => c.column), ['c_json_order']);
    assert.deepEqual(types.find((d) => d.key === '5')!.columns?.map((c) => c.column), ['c_bit64']);
    assert.equal(first.mismatched_rows, 12);

    // The CLI prints them like a MySQL target's, and exits 1.
    const file = join(dir, 'sluice.yaml');
    await writeFile(file, `sources:\n  s:\n    type: mysql\n    url: ${source.url}\ntargets:\n  pg:\n    type: postgres\n    url: ${db.url}\n`
      + 'pipelines:\n  - name: app-to-pg\n    source: s\n    target: pg\n    tables: ["app.*"]\n');
    const cli = await runCli(['verify', '--config', file, '--tables', 'app.types'], {}, 120_000);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /different key \(3\): c_varchar: source 'héllo wörld' target 'tampered'/);
    assert.doesNotMatch(cli.stdout, /NOT COMPARED/);

    const repaired = await verify(cfg, { tuning, repair: true });
    assert.equal(repaired.repaired_rows, 12);
    for (const r of repaired.results) assert.equal(r.recheckMismatchedRows ?? 0, 0, `${r.table} still differs after repair`);
    const again = await verify(cfg, { tuning });
    assert.equal(again.mismatched_rows, 0, summary(again));

    // Independently of verify: the copies equal the source value by value (the chaos harness's comparison).
    const src: Connection = await createConnection({ host: source.host, port: source.port, user: 'root' });
    const client = new pg.Client({ connectionString: db.url, types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig });
    await client.connect();
    try {
      await client.query("SET TimeZone = 'UTC'; SET extra_float_digits = 1");
      for (const table of ['big', 'loose', 'pair']) {
        const cols = await client.query<{ c: string; t: string; p: string | null }>(
          `SELECT column_name AS c, data_type AS t, datetime_precision AS p FROM information_schema.columns WHERE table_schema = 'app' AND table_name = '${table}' ORDER BY ordinal_position`);
        const names = cols.rows.map((c) => c.c).filter((c) => !c.startsWith('long_')); // the long name is PostgreSQL's short one (verify compared it)
        const pgCols = new Map<string, PgCopyColumn>(cols.rows.map((c) => [c.c, { type: c.t, precision: c.p === null ? null : Number(c.p) }]));
        const [a, b] = await Promise.all([sourceTextsFor(src, 'app', table, names, pgCols), pgRowTexts(client, 'app', table, names, pgCols)]);
        assert.deepEqual(b, a, `app.${table} equal by value after repair`);
      }
    } finally {
      await src.end();
      await client.end();
    }
    assert.equal(pipeline.stats.status, 'streaming');
  });
});
