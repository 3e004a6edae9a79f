// npm run bench:verify — `sluice verify` of a BENCH_VERIFY_ROWS (1M) row table with equal sides, against Sluice's own
// snapshot of the same table, on throwaway servers on this machine:
//  1. Sluice copies the table (its initial snapshot, in a child process: bench/sync-sluice.ts) — rows/s;
//  2. the pipeline then streams (the same child, resumed) and verify compares source and target — rows/s.
// For each phase, the extra load on the source: its mariadbd CPU seconds and handler row reads (Handler_read_*).
// BENCH_VERIFY_TARGET=postgres: the copy goes to a throwaway database of the local PostgreSQL (BENCH_PG_URL, default
// postgres://postgres@127.0.0.1:5432/postgres) instead of a second MariaDB; no guard phase then.
//  3. (BENCH_GUARD_TXNS > 0) the cost of the read-only guard (`sluice guard`) on apply throughput: the same
//     single-row update transactions applied by the pipeline without and with the guard's triggers.
// Figures go to stderr; the last stdout line is JSON {"verify_rows_s":…,"snapshot_rows_s":…,"ratio":…, …}.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/index.js';
import pg from 'pg';
import { startMariaDb, type MariaDbServer } from '../src/testkit/mariadb-server.js';
import { verify } from '../src/verify/verify.js';
import { applyGuard } from '../src/verify/guard.js';
import type { SluiceChildResult } from './sync-sluice.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROWS = Number(process.env.BENCH_VERIFY_ROWS ?? 1_000_000);
const CHUNK = Number(process.env.BENCH_VERIFY_CHUNK ?? 10_000);
const PARALLELISM = Number(process.env.BENCH_VERIFY_PARALLELISM ?? 2);
/** Single-row update transactions applied with and without the read-only guard (0: skip that phase). */
const TARGET = process.env.BENCH_VERIFY_TARGET === 'postgres' ? 'postgres' : 'mysql';
const GUARD_TXNS = TARGET === 'postgres' ? 0 : Number(process.env.BENCH_GUARD_TXNS ?? 50_000);
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVER_ARGS = [`--innodb-buffer-pool-size=${process.env.BENCH_BUFFER_POOL ?? '256M'}`, '--innodb-log-file-size=256M'];
const say = (text: string): void => { process.stderr.write(`bench: ${text}\n`); };
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

const TABLE_DDL = `CREATE TABLE bench.t1m (
  id INT PRIMARY KEY, a BIGINT NOT NULL, b VARCHAR(64), c DECIMAL(12,4), d DATETIME(6), e DOUBLE,
  f TEXT, g INT UNSIGNED, h TIMESTAMP(3) NULL, i ENUM('x','y','z'))`;
const rowValues = (n: string): string => `${n}, ${n} * 1000003, CONCAT('name-', ${n}, '-', MD5(${n})), ${n} / 7,
  TIMESTAMP('2024-01-01 00:00:00') + INTERVAL ${n} SECOND + INTERVAL (${n} % 1000000) MICROSECOND, ${n} / 3,
  REPEAT('lorem ipsum ', 1 + ${n} % 4), ${n} * 7, FROM_UNIXTIME(1700000000 + ${n}), ELT(1 + ${n} % 3, 'x','y','z')`;

/** The source's mariadbd CPU seconds (user + system) and handler row reads (Handler_read_*) so far. */
async function sourceLoad(server: MariaDbServer): Promise<{ cpu: number; rowsRead: number }> {
  const [pidFile] = await server.query<Array<{ f: string }>>('SELECT @@pid_file AS f');
  const pid = readFileSync(pidFile!.f, 'utf8').trim();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  const [st] = await server.query<Array<{ n: string }>>("SELECT SUM(VARIABLE_VALUE) AS n FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME LIKE 'HANDLER_READ%'");
  return { cpu, rowsRead: Number(st!.n) };
}

function sluiceChild(config: string, mode: 'prime' | 'snapshot' | 'until'): { streaming: Promise<void>; stop: () => Promise<void>; result: Promise<SluiceChildResult> } {
  const child = spawn(process.execPath, [join(here, 'sync-sluice.js'), config, mode, ...(mode === 'until' ? ['-'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  let onStreaming: () => void = () => undefined;
  const streaming = new Promise<void>((resolve) => { onStreaming = resolve; });
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'streaming') onStreaming();
    else last = line;
  });
  const result = new Promise<SluiceChildResult>((resolve, reject) => {
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(last) as SluiceChildResult) : reject(new Error(`sluice child (${mode}) exited with ${code}`))));
  });
  result.catch(() => onStreaming());
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await result.catch(() => undefined);
  };
  return { streaming, stop, result };
}

/** Apply `n` single-row update transactions (written while the pipeline is stopped) and return rows/s. */
async function applyRate(config: string, n: number): Promise<number> {
  await source.query(`CALL bench.upd(${n})`);
  const [pos] = await source.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
  const child = spawn(process.execPath, [join(here, 'sync-sluice.js'), config, 'until', `${pos!.File}:${pos!.Position}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => { if (line !== 'streaming') last = line; });
  const code = await new Promise<number | null>((r) => child.once('close', r));
  if (code !== 0) throw new Error(`sluice child exited with ${code}`);
  const r = JSON.parse(last) as SluiceChildResult;
  return r.rows_applied / (r.seconds - (r.streaming_after_s ?? 0));
}

async function guardPhase(): Promise<{ plain: number; guarded: number }> {
  await source.query(`CREATE TABLE bench.g (id INT PRIMARY KEY, a BIGINT NOT NULL, b VARCHAR(64));
    INSERT INTO bench.g SELECT seq, seq, MD5(seq) FROM bench.seq_1_to_10000;
    CREATE PROCEDURE bench.upd(n INT) BEGIN DECLARE i INT DEFAULT 0; WHILE i < n DO UPDATE bench.g SET a = a + 1, b = MD5(i) WHERE id = 1 + (i * 7919) % 10000; SET i = i + 1; END WHILE; END`);
  const text = JSON.stringify({
    sources: { src: { type: 'mysql', url: source.url } }, targets: { dst: { type: 'mysql', url: target.url } },
    pipelines: [{ name: 'bench-guard', source: 'src', target: 'dst', tables: ['bench.g'] }],
  });
  const config = join(dir, 'bench-guard.json');
  writeFileSync(config, text);
  await sluiceChild(config, 'prime').result;
  const plain = await applyRate(config, GUARD_TXNS);
  await applyGuard(parseConfig(text, { format: 'json' }), { on: true });
  const guarded = await applyRate(config, GUARD_TXNS);
  say(`guard: ${GUARD_TXNS} single-row transactions applied at ${Math.round(plain)} rows/s without the guard, ${Math.round(guarded)} rows/s with it (${((guarded / plain - 1) * 100).toFixed(1)} %)`);
  return { plain, guarded };
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-verify-'));
const source = await startMariaDb({ serverId: 1, extraArgs: SERVER_ARGS });
const target = await startMariaDb({ serverId: 2, binlog: false, extraArgs: SERVER_ARGS });
/** A throwaway PostgreSQL database (BENCH_VERIFY_TARGET=postgres): its URL and how to drop it. */
async function pgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sluice_bench_verify_${process.pid}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try { await c.query(sql); } finally { await c.end(); }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
const pgTarget = TARGET === 'postgres' ? await pgDatabase() : null;
const targetEntry = pgTarget ? { type: 'postgres', url: pgTarget.url } : { type: 'mysql', url: target.url };
try {
  say(`source ${source.url}, target ${targetEntry.url}; ${ROWS} rows; verify chunks of ${CHUNK} rows, ${PARALLELISM} at a time`);
  await source.query(`CREATE DATABASE bench; ${TABLE_DDL}`);
  for (let lo = 1; lo <= ROWS; lo += 100_000) {
    await source.query(`INSERT INTO bench.t1m SELECT ${rowValues('seq')} FROM bench.seq_${lo}_to_${Math.min(ROWS, lo + 99_999)}`);
  }
  const configText = JSON.stringify({
    sources: { src: { type: 'mysql', url: source.url } },
    targets: { dst: targetEntry },
    pipelines: [{ name: 'bench-verify', source: 'src', target: 'dst', tables: ['bench.t1m'] }],
  });
  const config = join(dir, 'bench-verify.json');
  writeFileSync(config, configText);

  // 1. Sluice's snapshot of the table.
  const l0 = await sourceLoad(source);
  const snap = await sluiceChild(config, 'snapshot').result;
  const l1 = await sourceLoad(source);
  const snapshotRate = snap.snapshot_rows / snap.seconds;
  say(`snapshot: ${snap.snapshot_rows} rows in ${snap.seconds.toFixed(2)} s = ${Math.round(snapshotRate)} rows/s; source CPU ${(l1.cpu - l0.cpu).toFixed(1)} s, ${l1.rowsRead - l0.rowsRead} row reads`);

  // 2. The pipeline streams again (the source is idle); verify compares the table.
  const child = sluiceChild(config, 'until');
  await child.streaming;
  say('verify: the pipeline streams; verifying …');
  const l2 = await sourceLoad(source);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await verify(parseConfig(configText, { format: 'json' }), {
    tuning: { chunkSize: CHUNK, parallelism: PARALLELISM },
    onProgress: (p) => { if (p.chunksDone % 20 === 0 || p.chunksDone === p.chunks) say(`verify: chunk ${p.chunksDone}/${p.chunks}, ${p.rowsChecked} rows`); },
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  const sluiceCpu = (cpu1.user + cpu1.system) / 1e6;
  const l3 = await sourceLoad(source);
  await child.stop();
  const verifyRate = summary.rows_checked / seconds;
  say(`verify: ${summary.rows_checked} rows in ${seconds.toFixed(2)} s = ${Math.round(verifyRate)} rows/s, ${summary.mismatched_rows} differing; `
    + `source CPU ${(l3.cpu - l2.cpu).toFixed(1)} s, ${l3.rowsRead - l2.rowsRead} row reads; verify's own CPU ${sluiceCpu.toFixed(1)} s (${TARGET} target)`);
  if (summary.rows_checked !== ROWS || summary.mismatched_rows !== 0) throw new Error(`verify checked ${summary.rows_checked} rows, ${summary.mismatched_rows} differing (want ${ROWS}, 0)`);
  const guard = GUARD_TXNS > 0 ? await guardPhase() : null;
  const ratio = verifyRate / snapshotRate;
  say(`goal: verify at least as fast as the snapshot (ratio ≥ 1): ${round(ratio)} ${ratio >= 1 ? 'met' : 'MISSED'}`);
  process.stdout.write(JSON.stringify({
    verify_rows_s: Math.round(verifyRate), snapshot_rows_s: Math.round(snapshotRate), ratio: round(ratio),
    target: TARGET, verify_sluice_cpu_s: round(sluiceCpu, 1), verify_source_cpu_s: round(l3.cpu - l2.cpu, 1), snapshot_source_cpu_s: round(l1.cpu - l0.cpu, 1),
    verify_source_rows_read: l3.rowsRead - l2.rowsRead, snapshot_source_rows_read: l1.rowsRead - l0.rowsRead, rows: ROWS,
    guard_apply_rows_s: guard && Math.round(guard.guarded), plain_apply_rows_s: guard && Math.round(guard.plain),
  }) + '\n');
} finally {
  await source.stop();
  await target.stop();
  await pgTarget?.drop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
