// `sluice verify` of a PostgreSQL copy whose tables are keyed by strings and dates (which MySQL and PostgreSQL
// collate differently, so a key range selects other rows on each side): a VARCHAR key of 20,000 rows in a
// case- and accent-insensitive collation (mixed case, non-ASCII, trailing spaces), a composite (string, date) key and
// a CHAR(36) UUID key.
// (a) an equal copy has no difference, and no read of either side returns more rows than the chunk size (memory
// stays bounded whatever the table's size); (b) every tampered row — changed, missing, extra, an extra whose key
// differs from a source key only in case — is found, and only it, and --repair makes the copy equal by value.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { parseConfig } from '../../../src/config/index.js';
import type { SluiceConfig } from '../../../src/config/types.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { createLogger } from '../../../src/log.js';
import { verify, type VerifySummary } from '../../../src/verify/verify.js';
import { eventually } from '../sync-helpers.js';
import { createPgDatabase, type PgTestDatabase } from '../targets/postgres/pg-test-helpers.js';

const CHUNK = 100;
const tuning = { chunkSize: CHUNK, parallelism: 2 };
const ROWS = 20_000;

function found(s: VerifySummary): string[] {
  return s.results.flatMap((r) => r.differences.map((d) => `${r.table} ${d.kind} ${d.key}`)).sort();
}

function summary(s: VerifySummary): string {
  return JSON.stringify(s.results.map((r) => ({ t: r.table, p: r.problem, d: r.differences.slice(0, 8) }))).slice(0, 3000);
}

/** Every read's row count, per side. */
function reads(): { on: (side: 'source' | 'target', rows: number) => void; max: { source: number; target: number }; total: { source: number; target: number }; count: number } {
  const r = { max: { source: 0, target: 0 }, total: { source: 0, target: 0 }, count: 0 };
  return { ...r, on: (side, rows) => {
    r.count++;
    r.max[side] = Math.max(r.max[side], rows);
    r.total[side] += rows;
  }, get count() {
    return r.count;
  } };
}

describe('sluice verify: PostgreSQL target, string and date keys', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  let cfg: SluiceConfig;
  let pipeline: Pipeline;
  let run: Promise<unknown>;
  const controller = new AbortController();

  before(async () => {
    [source, db] = await Promise.all([startMariaDb({ serverId: 72, extraArgs: ['--default-time-zone=+00:00'] }), createPgDatabase()]);
    // names: utf8mb4_general_ci (case- and accent-insensitive, PAD SPACE); keys like 'Ab4', 'éz5', 'ÑU14 ' (trailing space), 'zz3'.
    await source.query(`CREATE DATABASE app;
      CREATE TABLE app.names (name VARCHAR(40) NOT NULL PRIMARY KEY, n INT NOT NULL, note VARCHAR(40)) DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_general_ci;
      CREATE TABLE app.events (region VARCHAR(12) NOT NULL, day DATE NOT NULL, v INT, PRIMARY KEY (region, day)) DEFAULT CHARSET=utf8mb4;
      INSERT INTO app.names SELECT CONCAT(ELT(1 + seq % 4, 'Ab', 'éz', 'ÑU', 'zz'), seq, IF(seq % 7 = 0, ' ', '')), seq, IF(seq % 3 = 0, NULL, CONCAT('n', seq)) FROM app.seq_1_to_${ROWS};
      CREATE TABLE app.uuids (id CHAR(36) NOT NULL PRIMARY KEY, v INT) DEFAULT CHARSET=utf8mb4;
      INSERT INTO app.uuids SELECT UUID(), seq FROM app.seq_1_to_500;
      INSERT INTO app.events SELECT ELT(1 + seq % 3, 'eu', 'Us', 'ñandú'), '2020-01-01' + INTERVAL (seq DIV 3) DAY, seq FROM app.seq_0_to_2999;`);
    cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { pg: { type: 'postgres', url: db.url } },
      tuning: { maxBatchDelayMs: 20, snapshotChunkSize: 2000 },
      pipelines: [{ name: 'keys-to-pg', source: 's', target: 'pg', tables: ['app.*'] }],
    }), { format: 'json' });
    const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
    pipeline = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.pg!, logger: log });
    run = pipeline.run(controller.signal).catch((e: unknown) => e);
    await eventually(async () => pipeline.stats.status === 'streaming', 120_000, 'the pipeline to stream');
  });
  after(async () => {
    controller.abort();
    await run;
    await Promise.all([source?.stop(), db?.drop()]);
  });

  it('(a) an equal copy: no difference, and no read returns more than a chunk of rows', async () => {
    const r = reads();
    const s = await verify(cfg, { tuning, onRead: r.on });
    assert.deepEqual(s.results.map((x) => x.table).sort(), ['app.events', 'app.names', 'app.uuids'], summary(s));
    for (const x of s.results) assert.equal(x.problem, undefined, `${x.table}: ${x.problem}`);
    assert.equal(s.mismatched_rows, 0, `false differences: ${summary(s)}`);
    assert.equal(s.rows_checked, ROWS + 3000 + 500);
    const names = s.results.find((x) => x.table === 'app.names')!;
    assert.ok(names.chunks >= ROWS / CHUNK, `app.names in ${names.chunks} chunks`);
    // Every row was read on both sides (pass 1 rows, pass 2 keys), each read at most a chunk.
    assert.ok(r.total.source >= 2 * (ROWS + 3500) && r.total.target >= 2 * (ROWS + 3500), `rows read: ${JSON.stringify(r.total)}`);
    assert.ok(r.max.source <= CHUNK && r.max.target <= CHUNK, `a read returned ${JSON.stringify(r.max)} rows (chunk size ${CHUNK})`);
  });

  it('(c) no false difference while the source writes (updates, inserts, deletes by a case-insensitive match)', async () => {
    let running = true, n = 0;
    const writer = (async () => {
      for (; running; n++) {
        const base = 5000 + (n * 37) % 10_000;
        await source.query(`BEGIN;
          UPDATE app.names SET n = n + 1, note = CONCAT('w', ${n}) WHERE name IN (${[0, 1, 2, 3, 7].map((d) => `'${['Ab', 'éz', 'ÑU', 'zz'][(base + d) % 4]}${base + d}${(base + d) % 7 === 0 ? ' ' : ''}'`).join(', ')});
          INSERT INTO app.names VALUES ('Wr${n}', ${n}, 'new');
          DELETE FROM app.names WHERE name = 'wR${n - 3}';
          UPDATE app.events SET v = v + 1 WHERE region = 'eu' AND day = '2021-01-01' + INTERVAL ${n % 100} DAY;
          INSERT INTO app.events VALUES ('ñew', '2030-01-01' + INTERVAL ${n} DAY, ${n});
          DELETE FROM app.events WHERE region = 'ÑEW' AND day = '2030-01-01' + INTERVAL ${n - 3} DAY;
          COMMIT`);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const outcome = await verify(cfg, { tuning }).then((v) => ({ v }), (e: unknown) => ({ e }));
    running = false;
    await writer;
    if ('e' in outcome) throw outcome.e;
    assert.ok(n >= 20, `the writer ran ${n} transactions`);
    assert.equal(outcome.v.mismatched_rows, 0, `false differences: ${summary(outcome.v)}`);
    process.stderr.write(`# string/date keys under writes: ${n} source transactions during verify, ${outcome.v.results.reduce((s, r) => s + r.differingChunks, 0)} chunks or key pages went through the rounds, 0 false differences\n`);
  });

  it('(b) tampered copy: exactly the tampered rows; --repair makes the copy equal by value', async () => {
    const [u1, u2, u3] = (await source.query<Array<{ id: string }>>('SELECT id FROM app.uuids WHERE v IN (10, 20, 30) ORDER BY v')).map((x) => x.id);
    await db.query(`UPDATE app.uuids SET v = 0 WHERE id = '${u1}';
      DELETE FROM app.uuids WHERE id = '${u2}';
      INSERT INTO app.uuids VALUES ('${u3!.toUpperCase()}', 30);
      UPDATE app.names SET note = 'tampered' WHERE name = 'Ab4';
      UPDATE app.names SET n = -1 WHERE name = 'éz4001';
      DELETE FROM app.names WHERE name = 'ÑU14 ';
      DELETE FROM app.names WHERE name = 'zz19995';
      INSERT INTO app.names VALUES ('ab4', 4, 'case twin'), ('ÉZ5', 5, 'accent twin'), ('ÑU14', 14, 'no trailing space'), ('new', 0, NULL);
      UPDATE app.events SET v = NULL WHERE region = 'ñandú' AND day = '2020-01-02';
      DELETE FROM app.events WHERE region = 'Us' AND day = '2022-09-01';
      INSERT INTO app.events VALUES ('eu', '1999-12-31', 1), ('US', '2020-01-01', 2)`);
    const want = [
      "app.names different 'Ab4'", "app.names different 'éz4001'", "app.names missing 'ÑU14 '", "app.names missing 'zz19995'",
      "app.names extra 'ab4'", "app.names extra 'ÉZ5'", "app.names extra 'ÑU14'", "app.names extra 'new'",
      "app.events different 'ñandú','2020-01-02'", "app.events missing 'Us','2022-09-01'",
      "app.events extra 'eu','1999-12-31'", "app.events extra 'US','2020-01-01'",
      `app.uuids different '${u1}'`, `app.uuids missing '${u2}'`, `app.uuids extra '${u3!.toUpperCase()}'`,
    ].sort();
    const r = reads();
    const first = await verify(cfg, { tuning, onRead: r.on });
    assert.deepEqual(found(first), want, summary(first));
    const names = first.results.find((x) => x.table === 'app.names')!.differences;
    assert.deepEqual(names.find((d) => d.key === "'Ab4'")!.columns, [{ column: 'note', source: "'n4'", target: "'tampered'" }]);
    assert.ok(r.max.source <= CHUNK && r.max.target <= CHUNK, `a read returned ${JSON.stringify(r.max)} rows (chunk size ${CHUNK})`);

    const repaired = await verify(cfg, { tuning, repair: true });
    assert.equal(repaired.repaired_rows, want.length);
    for (const x of repaired.results) assert.equal(x.recheckMismatchedRows ?? 0, 0, `${x.table} still differs after repair`);

    // Independently of verify: the copy equals the source, row by row (both sorted alike here, by code point).
    const sorted = (rows: Array<Record<string, unknown>>): string[] => rows.map((x) => JSON.stringify(Object.values(x).map((v) => (v === null ? null : String(v))))).sort();
    for (const [table, mysqlCols, pgCols] of [
      ['names', 'name, n, note', 'name, n, note'],
      ['events', "region, DATE_FORMAT(day, '%Y-%m-%d'), v", "region, to_char(day, 'YYYY-MM-DD'), v"],
      ['uuids', 'id, v', 'id, v'],
    ] as const) {
      const a = sorted(await source.query<Array<Record<string, unknown>>>(`SELECT ${mysqlCols} FROM app.${table}`));
      const b = sorted(await db.query(`SELECT ${pgCols} FROM app.${table}`));
      assert.equal(b.length, a.length, `app.${table} rows after repair`);
      assert.deepEqual(b, a, `app.${table} equal by value after repair`);
    }
    assert.equal(pipeline.stats.status, 'streaming');
  });
});
