// node dist/bench/stream-pairs.js — the 200k-transaction stream of bench/sync applied by Sluice into a MySQL target and
// a PostgreSQL target, several times over the same binlog range: same-run A/B figures for the stream. The transactions
// are written once; every (round, target, child) has its own pipeline primed at their start position, so each run
// applies exactly the same changes. Runs alternate: within a round the targets take turns, and each target's children
// (BENCH_CHILDREN) take turns, their order reversed every other round.
// Env: BENCH_STREAM_TXNS (200k), BENCH_ROUNDS (2), BENCH_TARGETS (mysql,pg), BENCH_CHILDREN (JSON list of
// sync-sluice.js paths; default this build's), BENCH_TUNING (JSON), BENCH_CPU_PROF (dir: --cpu-prof for the children),
// BENCH_PG_URL (as bench/postgres). Prints a line per run (seconds, rows/s, CPU s of Sluice and the target server, load
// average); the last stdout line is JSON.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startMariaDb, type MariaDbServer } from '../src/testkit/mariadb-server.js';
import type { SluiceChildResult } from './sync-sluice.js';
import { loadText, pgServerCpu } from './postgres.js';
import { genProcedure, tableDdl } from './stream-table.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const TXNS = Number(process.env.BENCH_STREAM_TXNS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TARGETS = (process.env.BENCH_TARGETS ?? 'mysql,pg').split(',') as Array<'mysql' | 'pg'>;
const CHILDREN = JSON.parse(process.env.BENCH_CHILDREN ?? 'null') as string[] | null ?? [join(here, 'sync-sluice.js')];
const TUNING = JSON.parse(process.env.BENCH_TUNING ?? '{}') as Record<string, number>;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVER_ARGS = ['--innodb-buffer-pool-size=256M', '--innodb-log-file-size=256M'];
const say = (s: string): void => { process.stderr.write(`bench: ${s}\n`); };

function child(script: string, config: string, mode: 'prime' | 'until', end: string | null): Promise<SluiceChildResult> {
  const profile = process.env.BENCH_CPU_PROF && mode === 'until' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const c = spawn(process.execPath, [...profile, script, config, mode, ...(end ? [end] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  let last = '';
  createInterface({ input: c.stdout }).on('line', (line) => { last = line; });
  return new Promise((resolve, reject) => {
    c.once('close', (code) => (code === 0 ? resolve(JSON.parse(last) as SluiceChildResult) : reject(new Error(`sluice child ${script} (${mode}) exited ${code}`))));
  });
}

async function mysqlCpu(server: MariaDbServer): Promise<number> {
  const rows = await server.query<Array<{ f: string }>>('SELECT @@pid_file AS f');
  const fields = readFileSync(`/proc/${readFileSync(rows[0]!.f, 'utf8').trim()}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-stream-pairs-'));
const source = await startMariaDb({ serverId: 1, extraArgs: SERVER_ARGS });
const target = await startMariaDb({ serverId: 2, binlog: false, extraArgs: [...SERVER_ARGS, '--innodb-flush-log-at-trx-commit=2'] });
const pgName = `sluice_bench_${randomBytes(4).toString('hex')}`;
const admin = async (sql: string): Promise<void> => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
};
const results: Array<Record<string, unknown>> = [];
try {
  if (TARGETS.includes('pg')) await admin(`CREATE DATABASE ${pgName} ENCODING 'UTF8' TEMPLATE template0`);
  const u = new URL(PG_URL);
  u.pathname = `/${pgName}`;
  u.searchParams.set('options', '-c synchronous_commit=off');
  const pgUrl = u.toString();
  await source.query(`CREATE DATABASE bench; ${tableDdl('bench.t')}; ${genProcedure('bench.gen', 'bench.t')}`);

  // One pipeline per run, primed at the current end of the binlog (the tables created, the checkpoint written).
  const runs: Array<{ round: number; kind: 'mysql' | 'pg'; script: string; config: string; db: string }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of TARGETS) {
      const order = round % 2 === 1 ? CHILDREN : [...CHILDREN].reverse();
      for (const script of order) {
        const db = `r${runs.length + 1}`;
        const config = join(dir, `${db}.json`);
        writeFileSync(config, JSON.stringify({
          sources: { src: { type: 'mysql', url: source.url } },
          targets: { dst: kind === 'pg' ? { type: 'postgres', url: pgUrl } : { type: 'mysql', url: target.url } },
          pipelines: [{ name: `p_${db}`, source: 'src', target: 'dst', tables: ['bench.t'], tuning: TUNING, snapshot: 'none', targetDatabase: db }],
        }));
        await child(script, config, 'prime', null);
        runs.push({ round, kind, script, config, db });
      }
    }
  }
  say(`${runs.length} pipelines primed; generating ${TXNS} single-row transactions on the source …`);
  await source.query('SET autocommit = 1');
  await source.query(`CALL bench.gen(${TXNS})`);
  const [m] = await source.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
  const end = `${m!.File}:${m!.Position}`;
  const [want] = await source.query<Array<{ n: number; x: string }>>('SELECT COUNT(*) AS n, COALESCE(SUM(id), 0) AS x FROM bench.t');
  for (const run of runs) {
    const load = loadText();
    const t0 = run.kind === 'pg' ? await pgServerCpu(pgUrl) : await mysqlCpu(target);
    const r = await child(run.script, run.config, 'until', end);
    const t1 = run.kind === 'pg' ? await pgServerCpu(pgUrl) : await mysqlCpu(target);
    let got: { n: number; x: string };
    if (run.kind === 'pg') {
      // A connection per check (others' tests on a shared server may end idle sessions).
      const pgc = new pg.Client({ connectionString: pgUrl });
      pgc.on('error', () => undefined);
      await pgc.connect();
      try {
        const res = await pgc.query<{ n: string; x: string }>(`SELECT count(*)::text AS n, COALESCE(sum(id), 0)::text AS x FROM ${run.db}.t`);
        got = { n: Number(res.rows[0]!.n), x: res.rows[0]!.x };
      } finally {
        await pgc.end();
      }
    } else {
      const [row] = await target.query<Array<{ n: number; x: string }>>(`SELECT COUNT(*) AS n, COALESCE(SUM(id), 0) AS x FROM ${run.db}.t`);
      got = { n: Number(row!.n), x: String(row!.x) };
    }
    const same = got.n === Number(want!.n) && got.x === String(want!.x);
    const row = {
      round: run.round, target: run.kind, child: run.script, seconds: Number(r.seconds.toFixed(2)), rows_s: Math.round(TXNS / r.seconds),
      sluice_cpu_s: Number(r.cpu_s.toFixed(2)), target_cpu_s: t0 === null || t1 === null ? null : Number((t1 - t0).toFixed(2)),
      peak_rss_mb: r.peak_rss_mb, restarts: r.restarts, same, load, system_cpu_s: Number((r.system_cpu_s ?? NaN).toFixed(2)),
    };
    results.push(row);
    say(`round ${run.round} ${run.kind.padEnd(5)} ${run.script}: ${row.seconds} s = ${row.rows_s} rows/s, CPU s sluice ${row.sluice_cpu_s} (system ${row.system_cpu_s}) / target ${row.target_cpu_s}` +
      `${r.restarts > 0 ? `, ${r.restarts} restarts (${r.last_error})` : ''}${same ? '' : ' — CONTENT MISMATCH'}; ${load}`);
  }
} finally {
  await Promise.all([source.stop(), target.stop()]);
  if (TARGETS.includes('pg')) await admin(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(results) + '\n');
