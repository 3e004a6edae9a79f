// The PostgreSQL target's figures for `npm run bench:sync` (phase `pg`), against the local PostgreSQL
// (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres; a throwaway database is created):
//  - pg_stream_rows_s: BENCH_STREAM_TXNS (200k) single-row source transactions (the same 50/30/20 insert/
//    update/delete mix as the MySQL stream phase) read from the binlog by Sluice's BinlogSource and applied by
//    the PostgresTarget in batches of whole transactions (tuning.batchSize, one batch in flight while the next
//    fills, as the pipeline's stream loop does), from the start position to the end;
//  - pg_snapshot_s: the BENCH_SNAPSHOT_ROWS (1M) row table copied by SnapshotReader chunks (10k rows, 4 in
//    parallel) into the PostgresTarget (COPY per chunk, progress row in the same transaction);
//  - pg_copy_file_s: the same rows loaded by a plain server-side `COPY … FROM 'file'` into a table of the
//    same definition: PostgreSQL's own ceiling.
// The pipeline does not drive the PostgreSQL target yet (the registry is not merged): these measure the
// target directly, with the pipeline's reader and decoder in front of it.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import type { MariaDbServer } from '../src/testkit/mariadb-server.js';
import { BinlogSource } from '../src/source/binlog-source.js';
import { SnapshotReader } from '../src/snapshot/snapshot-reader.js';
import { InformationSchemaLoader } from '../src/mysql/schema/schema-loader.js';
import { parseDdl } from '../src/mysql/schema/ddl-parser.js';
import type { CreateTableAst } from '../src/mysql/schema/ddl-ast.js';
import type { RowChange } from '../src/core/types.js';
import { PostgresTarget } from '../src/targets/postgres/index.js';
import type { SourceTable } from '../src/targets/target.js';
import { createLogger } from '../src/log.js';

export interface PgBenchHelpers {
  tableDdl(name: string): string;
  rowValues(n: string): string;
  /** CREATE PROCEDURE name(n): n single-row transactions (50/30/20 insert/update/delete) on `table`. */
  genProcedure(name: string, table: string): string;
  say(text: string): void;
  streamTxns: number;
  snapshotRows: number;
  batchSize: number;
  /** synchronous_commit of the target sessions ('off' matches innodb_flush_log_at_trx_commit=2). */
  synchronousCommit: 'on' | 'off';
}

export interface PgBenchResult {
  pg_stream_rows_s: number | null;
  pg_snapshot_s: number | null;
  pg_copy_file_s: number | null;
  pg_snapshot_vs_copy: number | null;
  pg_synchronous_commit: string;
}

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const quiet = createLogger('bench', process.env.SLUICE_LOG_LEVEL ?? 'warn');

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function sourceModel(source: MariaDbServer, db: string, table: string): Promise<SourceTable> {
  const loader = new InformationSchemaLoader(source.url);
  const schema = (await loader.loadDatabase(db, [table])).get(table)!;
  await loader.close();
  const [row] = await source.query<Array<Record<string, string>>>(`SHOW CREATE TABLE ${db}.${table}`);
  const createSql = row!['Create Table']!;
  return { schema, definition: parseDdl(createSql, { defaultDatabase: db }) as CreateTableAst, createSql };
}

async function masterPos(server: MariaDbServer): Promise<{ file: string; pos: number }> {
  const rows = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
  return { file: rows[0]!.File, pos: Number(rows[0]!.Position) };
}

async function streamPhase(source: MariaDbServer, url: string, h: PgBenchHelpers): Promise<number> {
  await source.query(`${h.tableDdl('bench.pgt')}; ${h.genProcedure('bench.pggen', 'bench.pgt')}`);
  const model = await sourceModel(source, 'bench', 'pgt');
  const target = new PostgresTarget({ pipeline: 'bench-pg-stream', url, logger: quiet, synchronousCommit: h.synchronousCommit });
  await target.open();
  await target.ensureTable(model);
  const start = await masterPos(source);
  h.say(`pg stream: generating ${h.streamTxns} single-row transactions on the source …`);
  await source.query('SET autocommit = 1');
  await source.query(`CALL bench.pggen(${h.streamTxns})`);
  const end = await masterPos(source);

  const src = new BinlogSource({ url: source.url, serverId: 4711, start: { kind: 'file', file: start.file, pos: start.pos }, filter: (d, t) => d === 'bench' && t === 'pgt' });
  const t0 = performance.now();
  let batch: RowChange[] = [];
  let inflight: Promise<void> = Promise.resolve();
  let applied = 0;
  let txns = 0;
  /** Time the reader waited for the target (apply-bound) and the target waited for the reader. */
  let waitApply = 0;
  try {
    for (;;) {
      const m = await src.next();
      if (m === null) throw new Error('binlog source closed early');
      if (m.kind === 'transaction' && m.last) {
        batch.push(...m.changes);
        txns++;
        const done = m.position.file === end.file && m.position.pos >= end.pos;
        if (batch.length >= h.batchSize || done) {
          const w0 = performance.now();
          await inflight;
          waitApply += performance.now() - w0;
          const changes = batch;
          batch = [];
          inflight = target.apply({ changes, checkpoint: { pipeline: 'bench-pg-stream', position: m.position, epoch: target.epoch } });
          applied += changes.length;
        }
        if (done) break;
      } else if (m.kind === 'heartbeat' && m.position.file === end.file && m.position.pos >= end.pos && batch.length === 0) {
        break;
      }
    }
    await inflight;
  } finally {
    await src.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  await target.close();
  const rate = h.streamTxns / seconds;
  h.say(`pg stream: ${applied} row changes (${txns} txns) read, decoded and applied into PostgreSQL in ${seconds.toFixed(2)} s = ${Math.round(rate)} rows/s `
    + `(the reader waited ${(waitApply / 1000).toFixed(1)} s for PostgreSQL)`);
  // Content check: same row count and id set as the source.
  const [s] = await source.query<Array<{ n: number; x: string }>>('SELECT COUNT(*) AS n, COALESCE(SUM(id), 0) AS x FROM bench.pgt');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = await c.query<{ n: string; x: string }>('SELECT count(*)::text AS n, COALESCE(sum(id), 0)::text AS x FROM bench.pgt');
  await c.end();
  const same = Number(s!.n) === Number(r.rows[0]!.n) && String(s!.x) === r.rows[0]!.x;
  h.say(`pg stream: content source ${s!.n} rows / id sum ${s!.x}, PostgreSQL ${r.rows[0]!.n} / ${r.rows[0]!.x}${same ? ' — identical' : ' — MISMATCH'}`);
  if (!same) throw new Error('PostgreSQL target differs from the source after streaming');
  return rate;
}

async function snapshotPhase(source: MariaDbServer, url: string, h: PgBenchHelpers): Promise<{ snapshot: number; copyFile: number }> {
  const [{ n } = { n: 0 }] = await source.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench' AND TABLE_NAME = 't1m'");
  if (Number(n) === 0) {
    h.say(`pg snapshot: filling bench.t1m with ${h.snapshotRows} rows …`);
    await source.query(h.tableDdl('bench.t1m'));
    for (let lo = 1; lo <= h.snapshotRows; lo += 100_000) {
      const hi = Math.min(h.snapshotRows, lo + 99_999);
      await source.query(`INSERT INTO bench.t1m SELECT ${h.rowValues('seq')} FROM bench.seq_${lo}_to_${hi}`);
    }
  }
  const model = await sourceModel(source, 'bench', 't1m');
  const owner = new PostgresTarget({ pipeline: 'bench-pg-snapshot', url, logger: quiet, synchronousCommit: h.synchronousCommit });
  await owner.open();
  const t0 = performance.now();
  await owner.ensureTable(model);
  await owner.prepareSnapshot();
  const reader = new SnapshotReader(source.url, 'mariadb', 4);
  const ranges = await reader.planChunks(model.schema, 10_000);
  const columns = model.schema.columns.map((c) => c.name);
  let next = 0;
  let rows = 0;
  const worker = async (): Promise<void> => {
    const t = new PostgresTarget({ pipeline: 'bench-pg-snapshot', url, epoch: owner.epoch, logger: quiet, synchronousCommit: h.synchronousCommit });
    try {
      while (next < ranges.length) {
        const index = next++;
        const chunk = await reader.readChunk(model.schema, ranges[index]!);
        await t.applySnapshotChunk({ database: 'bench', table: 't1m', schema: model.schema, columns, rows: chunk.rows.map((r) => columns.map((c) => r[c] ?? null)), index, position: chunk.position });
        rows += chunk.rows.length;
      }
    } finally {
      await t.close();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const snapshot = (performance.now() - t0) / 1000;
  await reader.close();
  await owner.clearSnapshotChunks();
  await owner.close();
  h.say(`pg snapshot: ${rows} rows in ${ranges.length} chunks read from MariaDB and COPYed into PostgreSQL in ${snapshot.toFixed(2)} s = ${Math.round(rows / snapshot)} rows/s`);

  // PostgreSQL's own ceiling: the same rows from a file, by a server-side COPY into a table of the same definition.
  const file = `/tmp/sluice-bench-pg-${randomBytes(4).toString('hex')}.copy`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`COPY bench.t1m TO '${file}'`);
    await c.query('CREATE TABLE bench.t1m_file (LIKE bench.t1m INCLUDING ALL)');
    const f0 = performance.now();
    await c.query(`BEGIN; COPY bench.t1m_file FROM '${file}'; COMMIT`);
    const copyFile = (performance.now() - f0) / 1000;
    const cmp = await c.query<{ a: string; b: string }>('SELECT (SELECT count(*) FROM bench.t1m)::text AS a, (SELECT count(*) FROM bench.t1m_file)::text AS b');
    h.say(`pg snapshot: COPY FROM file of the same ${cmp.rows[0]!.b} rows took ${copyFile.toFixed(2)} s = ${Math.round(rows / copyFile)} rows/s (sluice copied ${cmp.rows[0]!.a})`);
    return { snapshot, copyFile };
  } finally {
    rmSync(file, { force: true });
    await c.end();
  }
}

/** The `pg` phase: a throwaway PostgreSQL database, the stream and snapshot figures. */
export async function postgresPhase(source: MariaDbServer, h: PgBenchHelpers, phases: { stream: boolean; snapshot: boolean }): Promise<PgBenchResult> {
  const name = `sluice_bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  try {
    const stream = phases.stream ? await streamPhase(source, url, h) : null;
    const snap = phases.snapshot ? await snapshotPhase(source, url, h) : null;
    return {
      pg_stream_rows_s: stream === null ? null : Math.round(stream),
      pg_snapshot_s: snap && Number(snap.snapshot.toFixed(2)),
      pg_copy_file_s: snap && Number(snap.copyFile.toFixed(2)),
      pg_snapshot_vs_copy: snap && Number((snap.snapshot / snap.copyFile).toFixed(2)),
      pg_synchronous_commit: h.synchronousCommit,
    };
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
