// npm run bench:sync — Sluice's table sync against MariaDB's own tools, on throwaway servers on this machine:
//  1. streaming: BENCH_STREAM_TXNS (200k) single-row source transactions (50% inserts, 30% updates, 20%
//     deletes on a 10-column table) written first, then applied from the same start position by Sluice and
//     by a native MariaDB replica (replicate-wild-do-table=bench.%), one after the other; rows/s each;
//  2. latency: a writer commits BENCH_LATENCY_RATE (2000) single-row transactions/s for BENCH_LATENCY_S (20)
//     seconds carrying the source's NOW(6); a trigger on the target records SYSDATE(6) when Sluice applies it;
//  3. snapshot: a BENCH_SNAPSHOT_ROWS (1M) row table copied by Sluice vs `mariadb-dump --single-transaction |
//     mariadb`, and the target's ceiling: `LOAD DATA INFILE` of the same rows from a file on its host;
//  4. big transaction: one BENCH_BIG_TXN_ROWS (500k) row transaction applied by Sluice: its peak RSS;
//  5. pg: the PostgreSQL target (bench/postgres.ts): stream rows/s, 1M-row snapshot vs a file COPY.
// Sluice always runs in a child process (bench/sync-sluice.ts), so each peak RSS (VmHWM) is its own.
// Figures go to stderr as they are measured; the last stdout line is JSON.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startMariaDb, type MariaDbServer } from '../src/testkit/mariadb-server.js';
import type { SluiceChildResult } from './sync-sluice.js';
import { loadText, postgresPhase } from './postgres.js';
import { genProcedure, rowValues, tableDdl } from './stream-table.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const env = (name: string, dflt: number): number => Number(process.env[name] ?? dflt);
const STREAM_TXNS = env('BENCH_STREAM_TXNS', 200_000);
const LATENCY_RATE = env('BENCH_LATENCY_RATE', 2000);
const LATENCY_S = env('BENCH_LATENCY_S', 20);
const SNAPSHOT_ROWS = env('BENCH_SNAPSHOT_ROWS', 1_000_000);
const BIG_TXN_ROWS = env('BENCH_BIG_TXN_ROWS', 500_000);
// Same InnoDB sizing on every server (the testkit's 32M default is for tests).
/** Extra `tuning:` for every Sluice pipeline, as JSON (e.g. '{"snapshotParallelism":2}'). */
const TUNING = JSON.parse(process.env.BENCH_TUNING ?? '{}') as Record<string, number>;
/** Phases to run (default all): stream,latency,big,snapshot,pg (pg-stream / pg-snapshot for one half of pg). */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'stream,latency,big,snapshot,pg').split(','));
const SERVER_ARGS = [`--innodb-buffer-pool-size=${process.env.BENCH_BUFFER_POOL ?? '256M'}`, '--innodb-log-file-size=256M'];
/** innodb_flush_log_at_trx_commit of the consumers (Sluice's target and the replica): the testkit's 2, or 1 (durable). */
const CONSUMER_ARGS = [...SERVER_ARGS, `--innodb-flush-log-at-trx-commit=${process.env.BENCH_FLUSH_AT_COMMIT ?? '2'}`];

const say = (text: string): void => { process.stderr.write(`bench: ${text}\n`); };
const usage = (r: SluiceChildResult): string =>
  `peak RSS ${r.peak_rss_mb} MB (heap ${r.peak_heap_mb} MB, external ${r.peak_external_mb} MB), ${r.cpu_s.toFixed(1)} s CPU`;
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

interface Pos { file: string; pos: number }

async function masterPos(server: MariaDbServer): Promise<Pos> {
  const rows = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
  return { file: rows[0]!.File, pos: Number(rows[0]!.Position) };
}


/** Content fingerprint of a table: row count and an order-independent hash of every row. */
async function fingerprint(server: MariaDbServer, table: string): Promise<string> {
  const rows = await server.query<Array<{ n: number; x: string | null }>>(
    `SELECT COUNT(*) AS n, BIT_XOR(CRC32(CONCAT_WS('|', id, a, b, c, d, e, f, g, h, i))) AS x FROM ${table}`);
  return `${rows[0]!.n}/${rows[0]!.x ?? 0}`;
}

/** Sluice's pipeline config (JSON, as `sluice run` would read it) in a temp file. */
function writeConfig(dir: string, name: string, source: MariaDbServer, target: { url: string; type?: string }, tables: string[],
  extra: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({
    sources: { src: { type: 'mysql', url: source.url } },
    targets: { dst: { type: target.type ?? 'mysql', url: target.url } },
    pipelines: [{ name, source: 'src', target: 'dst', tables, tuning: TUNING, ...extra }],
  }));
  return path;
}

interface SluiceChild {
  /** Resolves when the pipeline reports status 'streaming'. */
  streaming: Promise<void>;
  /** Writes a line to the child's stdin. */
  send(line: string): void;
  result: Promise<SluiceChildResult>;
}

function sluiceChild(config: string, mode: 'prime' | 'snapshot' | 'until', end: string | null): SluiceChild {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, join(here, 'sync-sluice.js'), config, mode, ...(end ? [end] : [])],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let onStreaming: () => void = () => undefined;
  const streaming = new Promise<void>((resolve) => { onStreaming = resolve; });
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'streaming') onStreaming();
    else last = line;
  });
  const result = new Promise<SluiceChildResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`sluice child (${mode}) exited with code ${code}`));
      resolve(JSON.parse(last) as SluiceChildResult);
    });
  });
  result.catch(() => onStreaming());
  return { streaming, send: (line) => { child.stdin.write(line + '\n'); }, result };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run a bash command; resolves with the CPU seconds of its children when it prints `times` to fd 3, else 0. */
function runShell(command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    let times = '';
    (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (d: Buffer) => { times += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} exited with ${code}`));
      // `times`: "0m0.010s 0m0.002s\n1m2.345s 0m3.210s" (shell, then children: user and system)
      const m = [...(times.split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)];
      resolve(m.reduce((sum, x) => sum + Number(x[1]) * 60 + Number(x[2]), 0));
    });
  });
}

// ── 1. streaming: Sluice vs a native replica ──────────────────────────────────────────────────

async function streamingPhase(dir: string, source: MariaDbServer, target: MariaDbServer): Promise<{ sluice: SluiceChildResult; sluiceRate: number; replicaRate: number; rows: number }> {
  await source.query(`${tableDdl('bench.t')}; ${genProcedure('bench.gen', 'bench.t')}`);
  // Sluice: create the target table and a checkpoint at the current end of the binlog, then stop.
  const config = writeConfig(dir, 'bench-stream', source, target, ['bench.t'], { snapshot: 'none' });
  await sluiceChild(config, 'prime', null).result;
  const start = await masterPos(source);
  const cp = await target.query<Array<{ file: string; pos: number }>>("SELECT file, pos FROM _sluice.checkpoints WHERE pipeline = 'bench-stream'");
  if (cp[0]?.file !== start.file || Number(cp[0].pos) !== start.pos) {
    throw new Error(`Sluice's checkpoint ${JSON.stringify(cp[0])} is not the start position ${JSON.stringify(start)}`);
  }

  say(`streaming: generating ${STREAM_TXNS} single-row transactions on the source (consumers stopped) …`);
  const g0 = performance.now();
  await source.query('SET autocommit = 1');
  await source.query(`CALL bench.gen(${STREAM_TXNS})`);
  const end = await masterPos(source);
  say(`streaming: generated in ${((performance.now() - g0) / 1000).toFixed(1)} s; binlog ${start.file}:${start.pos} → ${end.file}:${end.pos} (${((end.pos - start.pos) / 1048576).toFixed(1)} MB)`);

  // Sluice from the checkpoint (= start) to the end.
  const c0 = await cpuOf(source, target);
  const sluice = await sluiceChild(config, 'until', `${end.file}:${end.pos}`).result;
  const c1 = await cpuOf(source, target);
  const sluiceRate = STREAM_TXNS / sluice.seconds;
  say(`streaming: sluice applied ${sluice.rows_applied} row changes (${sluice.transactions_applied} txns) in ${sluice.seconds.toFixed(2)} s = ${Math.round(sluiceRate)} rows/s, ${usage(sluice)}; ` +
    `CPU s: source ${(c1.source - c0.source).toFixed(1)}, target ${(c1.target - c0.target).toFixed(1)}; ${loadText()}`);

  // The native replica from the same start position, alone on the machine (Sluice has exited).
  const replica = await startMariaDb({ serverId: 3, binlog: false, extraArgs: [...CONSUMER_ARGS, '--replicate-wild-do-table=bench.%'] });
  let replicaRate = 0;
  try {
    await replica.query(`CREATE DATABASE bench; ${tableDdl('bench.t')}`);
    await replica.query(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${source.port}, MASTER_USER='root', MASTER_PASSWORD='',
      MASTER_USE_GTID=no, MASTER_LOG_FILE='${start.file}', MASTER_LOG_POS=${start.pos}`);
    const r0 = performance.now();
    await replica.query('START SLAVE');
    for (;;) {
      const st = (await replica.query<Array<Record<string, string | number | null>>>('SHOW SLAVE STATUS'))[0]!;
      if (st.Last_SQL_Errno && Number(st.Last_SQL_Errno) !== 0) throw new Error(`replica SQL error: ${st.Last_SQL_Error}`);
      if (st.Last_IO_Errno && Number(st.Last_IO_Errno) !== 0) throw new Error(`replica IO error: ${st.Last_IO_Error}`);
      if (st.Relay_Master_Log_File === end.file && Number(st.Exec_Master_Log_Pos) >= end.pos) break;
      await sleep(5);
    }
    const replicaSeconds = (performance.now() - r0) / 1000;
    replicaRate = STREAM_TXNS / replicaSeconds;
    say(`streaming: native replica applied ${STREAM_TXNS} txns in ${replicaSeconds.toFixed(2)} s = ${Math.round(replicaRate)} rows/s`);
    const [fs, ft, fr] = [await fingerprint(source, 'bench.t'), await fingerprint(target, 'bench.t'), await fingerprint(replica, 'bench.t')];
    say(`streaming: content (rows/hash) source ${fs}, sluice target ${ft}, replica ${fr}${fs === ft && fs === fr ? ' — identical' : ' — MISMATCH'}`);
    if (fs !== ft) throw new Error('Sluice target differs from the source after streaming');
  } finally {
    await replica.stop();
  }
  return { sluice, sluiceRate, replicaRate, rows: STREAM_TXNS };
}

// ── 2. latency at a steady rate ─────────────────────────────────────────────────────────────────

async function latencyPhase(dir: string, source: MariaDbServer, target: MariaDbServer): Promise<{ p50: number; p99: number; max: number; rows: number; sluice: SluiceChildResult }> {
  await source.query('CREATE TABLE bench.lat (id INT PRIMARY KEY, src_ts DATETIME(6) NOT NULL, v VARCHAR(64), n BIGINT)');
  const config = writeConfig(dir, 'bench-latency', source, target, ['bench.lat'], { snapshot: 'none' });
  await sluiceChild(config, 'prime', null).result;
  await target.query(`CREATE TABLE bench.lat_seen (id INT PRIMARY KEY, src_ts DATETIME(6) NOT NULL, seen_ts DATETIME(6) NOT NULL);
    CREATE TRIGGER bench.lat_ai AFTER INSERT ON bench.lat FOR EACH ROW
      INSERT INTO bench.lat_seen VALUES (NEW.id, NEW.src_ts, SYSDATE(6)) ON DUPLICATE KEY UPDATE seen_ts = seen_ts`);
  const child = sluiceChild(config, 'until', '-');
  await child.streaming;
  await sleep(1000); // let the replication connection come up before the first write

  say(`latency: writing ${LATENCY_RATE} single-row transactions/s for ${LATENCY_S} s …`);
  const total = Math.round(LATENCY_RATE * LATENCY_S);
  const w0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - w0) / 1000) * LATENCY_RATE));
    if (due <= sent) { await sleep(1); continue; }
    const stmts: string[] = [];
    for (let id = sent + 1; id <= due; id++) stmts.push(`INSERT INTO bench.lat VALUES (${id}, NOW(6), 'row ${id}', ${id * 31})`);
    await source.query(stmts.join(';'));
    sent = due;
  }
  const writeSeconds = (performance.now() - w0) / 1000;
  const end = await masterPos(source);
  child.send(`${end.file}:${end.pos}`);
  const sluice = await child.result;
  const rows = await target.query<Array<{ us: number }>>('SELECT TIMESTAMPDIFF(MICROSECOND, src_ts, seen_ts) AS us FROM bench.lat_seen ORDER BY us');
  if (rows.length !== total) throw new Error(`latency: ${rows.length} of ${total} rows reached the target`);
  const ms = rows.map((r) => Number(r.us) / 1000);
  const pct = (p: number): number => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!;
  const result = { p50: round(pct(50), 1), p99: round(pct(99), 1), max: round(ms[ms.length - 1]!, 1), rows: total, sluice };
  say(`latency: ${total} rows at ${Math.round(total / writeSeconds)} rows/s: p50 ${result.p50} ms, p90 ${round(pct(90), 1)} ms, p99 ${result.p99} ms, max ${result.max} ms; sluice ${usage(sluice)}`);
  return result;
}

// ── 3. snapshot: Sluice vs dump and load ────────────────────────────────────────────────────────

/** CPU seconds of a copy: the source server, the target server, and the client (Sluice, or mariadb-dump + mariadb). */
interface CopyCpu { source: number; target: number; client: number }

/** CPU seconds (user + system) a server process has used so far: with others' work on the machine, a steadier cost than wall time. */
async function serverCpu(server: MariaDbServer): Promise<number> {
  const rows = await server.query<Array<{ f: string }>>('SELECT @@pid_file AS f');
  const pid = readFileSync(rows[0]!.f, 'utf8').trim();
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in clock ticks
}

/** CPU seconds of both servers since `before` (from cpuOf). */
async function cpuOf(source: MariaDbServer, target: MariaDbServer): Promise<{ source: number; target: number }> {
  return { source: await serverCpu(source), target: await serverCpu(target) };
}

async function snapshotPhase(dir: string, source: MariaDbServer, target: MariaDbServer): Promise<{ sluice: SluiceChildResult; dumpSeconds: number; loadFileSeconds: number;
  sluiceCpu: CopyCpu; dumpCpu: CopyCpu; loadFileCpu: number }> {
  say(`snapshot: filling bench.t1m with ${SNAPSHOT_ROWS} rows …`);
  await source.query(tableDdl('bench.t1m'));
  const step = 100_000;
  for (let lo = 1; lo <= SNAPSHOT_ROWS; lo += step) {
    const hi = Math.min(SNAPSHOT_ROWS, lo + step - 1);
    await source.query(`INSERT INTO bench.t1m SELECT ${rowValues('seq')} FROM bench.seq_${lo}_to_${hi}`);
  }
  const fs = await fingerprint(source, 'bench.t1m');

  const config = writeConfig(dir, 'bench-snapshot', source, target, ['bench.t1m'], { snapshot: 'initial', targetDatabase: 'snap_sluice' });
  const s0 = await cpuOf(source, target);
  const sluice = await sluiceChild(config, 'snapshot', null).result;
  const s1 = await cpuOf(source, target);
  const sluiceCpu = { source: s1.source - s0.source, target: s1.target - s0.target, client: sluice.cpu_s };
  const ft = await fingerprint(target, 'snap_sluice.t1m');
  say(`snapshot: sluice copied ${sluice.snapshot_rows} rows in ${sluice.seconds.toFixed(2)} s = ${Math.round(sluice.snapshot_rows / sluice.seconds)} rows/s, ${usage(sluice)}; ` +
    `CPU s: source ${sluiceCpu.source.toFixed(1)}, target ${sluiceCpu.target.toFixed(1)}${fs === ft ? '' : ` — CONTENT MISMATCH ${fs} vs ${ft}`}`);

  await target.query('CREATE DATABASE snap_dump');
  const d0 = performance.now();
  const c0 = await cpuOf(source, target);
  // `times` prints the shell's children's CPU (mariadb-dump and mariadb) on its second line.
  const clientTimes = await runShell(`mariadb-dump -h127.0.0.1 -P${source.port} -uroot --single-transaction bench t1m | mariadb -h127.0.0.1 -P${target.port} -uroot snap_dump && times >&3`);
  const c1 = await cpuOf(source, target);
  const dumpSeconds = (performance.now() - d0) / 1000;
  const dumpCpu = { source: c1.source - c0.source, target: c1.target - c0.target, client: clientTimes };
  const fd = await fingerprint(target, 'snap_dump.t1m');
  say(`snapshot: mariadb-dump --single-transaction | mariadb took ${dumpSeconds.toFixed(2)} s = ${Math.round(SNAPSHOT_ROWS / dumpSeconds)} rows/s; ` +
    `CPU s: source ${dumpCpu.source.toFixed(1)}, target ${dumpCpu.target.toFixed(1)}, clients ${dumpCpu.client.toFixed(1)}${fs === fd ? '' : ` — CONTENT MISMATCH ${fs} vs ${fd}`}`);

  // The target's own ceiling: LOAD DATA INFILE of the same rows from a file on its host (written by the source).
  const file = join(dir, 't1m.tsv');
  await source.query(`SET time_zone = '+00:00'; SELECT * FROM bench.t1m INTO OUTFILE '${file}'`);
  await target.query(`CREATE DATABASE snap_file; ${tableDdl('snap_file.t1m')}`);
  const l0 = performance.now();
  const t0 = await serverCpu(target);
  await target.query(`SET time_zone = '+00:00'; LOAD DATA INFILE '${file}' INTO TABLE snap_file.t1m`);
  const loadFileSeconds = (performance.now() - l0) / 1000;
  const loadFileCpu = (await serverCpu(target)) - t0;
  rmSync(file, { force: true });
  const ff = await fingerprint(target, 'snap_file.t1m');
  say(`snapshot: LOAD DATA INFILE of a file on the target's host (the target's ceiling) took ${loadFileSeconds.toFixed(2)} s = ${Math.round(SNAPSHOT_ROWS / loadFileSeconds)} rows/s, ${loadFileCpu.toFixed(1)} CPU s${fs === ff ? '' : ` — CONTENT MISMATCH ${fs} vs ${ff}`}`);
  return { sluice, dumpSeconds, loadFileSeconds, sluiceCpu, dumpCpu, loadFileCpu };
}

// ── 4. one big transaction ──────────────────────────────────────────────────────────────────────

async function bigTxnPhase(dir: string, source: MariaDbServer, target: MariaDbServer): Promise<SluiceChildResult> {
  await source.query(tableDdl('bench.big'));
  const config = writeConfig(dir, 'bench-big', source, target, ['bench.big'], { snapshot: 'none' });
  await sluiceChild(config, 'prime', null).result;
  say(`big transaction: one INSERT of ${BIG_TXN_ROWS} rows on the source …`);
  await source.query(`INSERT INTO bench.big SELECT ${rowValues('seq')} FROM bench.seq_1_to_${BIG_TXN_ROWS}`);
  const end = await masterPos(source);
  const sluice = await sluiceChild(config, 'until', `${end.file}:${end.pos}`).result;
  const same = (await fingerprint(source, 'bench.big')) === (await fingerprint(target, 'bench.big'));
  say(`big transaction: sluice applied ${sluice.rows_applied} rows in ${sluice.seconds.toFixed(2)} s = ${Math.round(sluice.rows_applied / sluice.seconds)} rows/s, ${usage(sluice)}${same ? '' : ' — CONTENT MISMATCH'}`);
  return sluice;
}

// ── main ────────────────────────────────────────────────────────────────────────────────────────

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-sync-'));
const t0 = performance.now();
const source = await startMariaDb({ serverId: 1, extraArgs: SERVER_ARGS });
const target = await startMariaDb({ serverId: 2, binlog: false, extraArgs: CONSUMER_ARGS });
try {
  say(`source ${source.url}, target ${target.url}; ${STREAM_TXNS} stream txns, ${LATENCY_RATE} rows/s × ${LATENCY_S} s, ${SNAPSHOT_ROWS}-row snapshot, ${BIG_TXN_ROWS}-row transaction; consumers' innodb_flush_log_at_trx_commit=${process.env.BENCH_FLUSH_AT_COMMIT ?? '2'}`);
  await source.query('CREATE DATABASE bench');
  const stream = ONLY.has('stream') ? await streamingPhase(dir, source, target) : null;
  const latency = ONLY.has('latency') ? await latencyPhase(dir, source, target) : null;
  const big = ONLY.has('big') ? await bigTxnPhase(dir, source, target) : null;
  const snap = ONLY.has('snapshot') ? await snapshotPhase(dir, source, target) : null;
  const pgStream = ONLY.has('pg') || ONLY.has('pg-stream');
  const pgSnapshot = ONLY.has('pg') || ONLY.has('pg-snapshot');
  const pgRes = pgStream || pgSnapshot
    ? await postgresPhase(source, {
      tableDdl, rowValues, genProcedure, say,
      writeConfig: (name, target, tables, extra) => writeConfig(dir, name, source, target, tables, extra),
      runSluice: (config, mode, end) => sluiceChild(config, mode, end).result, usage, sourceCpu: () => serverCpu(source),
      streamTxns: STREAM_TXNS, snapshotRows: SNAPSHOT_ROWS, batchSize: TUNING.batchSize ?? 5000,
      synchronousCommit: (process.env.BENCH_FLUSH_AT_COMMIT ?? '2') === '1' ? 'on' : 'off',
    }, { stream: pgStream, snapshot: pgSnapshot })
    : null;

  const result = {
    stream_rows_s: stream && Math.round(stream.sluiceRate),
    replica_rows_s: stream && Math.round(stream.replicaRate),
    stream_ratio: stream && round(stream.sluiceRate / stream.replicaRate),
    p50_ms: latency?.p50 ?? null,
    p99_ms: latency?.p99 ?? null,
    latency_max_ms: latency?.max ?? null,
    snapshot_s: snap && round(snap.sluice.seconds),
    dump_load_s: snap && round(snap.dumpSeconds),
    snapshot_speedup: snap && round(snap.dumpSeconds / snap.sluice.seconds),
    load_data_file_s: snap && round(snap.loadFileSeconds),
    // CPU seconds (source server + target server + client) of each copy: steadier than wall time on a busy machine.
    snapshot_cpu_total_s: snap && round(snap.sluiceCpu.source + snap.sluiceCpu.target + snap.sluiceCpu.client, 1),
    dump_load_cpu_total_s: snap && round(snap.dumpCpu.source + snap.dumpCpu.target + snap.dumpCpu.client, 1),
    load_data_file_cpu_s: snap && round(snap.loadFileCpu, 1),
    peak_rss_mb: stream?.sluice.peak_rss_mb ?? null,
    latency_peak_rss_mb: latency?.sluice.peak_rss_mb ?? null,
    snapshot_peak_rss_mb: snap?.sluice.peak_rss_mb ?? null,
    big_txn_peak_rss_mb: big?.peak_rss_mb ?? null,
    big_txn_s: big && round(big.seconds),
    stream_txns: STREAM_TXNS,
    latency_rows: latency?.rows ?? null,
    snapshot_rows: SNAPSHOT_ROWS,
    big_txn_rows: BIG_TXN_ROWS,
    pg_stream_rows_s: pgRes?.pg_stream_rows_s ?? null,
    pg_stream_vs_mysql: pgRes?.pg_stream_rows_s && stream ? round(pgRes.pg_stream_rows_s / stream.sluiceRate) : null,
    pg_snapshot_s: pgRes?.pg_snapshot_s ?? null,
    pg_copy_file_s: pgRes?.pg_copy_file_s ?? null,
    pg_snapshot_vs_copy: pgRes?.pg_snapshot_vs_copy ?? null,
    pg_synchronous_commit: pgRes?.pg_synchronous_commit ?? null,
    pg_stream_peak_rss_mb: pgRes?.pg_stream_peak_rss_mb ?? null,
    pg_snapshot_peak_rss_mb: pgRes?.pg_snapshot_peak_rss_mb ?? null,
    pg_stream_cpu: pgRes?.pg_stream_cpu ?? null,
    pg_snapshot_cpu: pgRes?.pg_snapshot_cpu ?? null,
    pg_copy_file_cpu_s: pgRes?.pg_copy_file_cpu_s ?? null,
    pg_copy_file_cpu: pgRes?.pg_copy_file_cpu ?? null,
    loadavg: loadText(),
    tuning: TUNING,
    total_s: round((performance.now() - t0) / 1000, 1),
  };
  const maxRss = Math.max(...[result.peak_rss_mb, result.latency_peak_rss_mb, result.snapshot_peak_rss_mb, result.big_txn_peak_rss_mb].map((x) => x ?? 0));
  const goal = (x: number | null, ok: (x: number) => boolean): string => `${x ?? '-'} ${x === null ? 'not run' : ok(x) ? 'met' : 'MISSED'}`;
  say(`goals: stream ratio ≥ 1.0: ${goal(result.stream_ratio, (x) => x >= 1)}; snapshot speedup ≥ 1.5: ${goal(result.snapshot_speedup, (x) => x >= 1.5)}; ` +
    `p99 < 200 ms: ${goal(result.p99_ms, (x) => x < 200)}; peak RSS < 300 MB everywhere: ${goal(maxRss, (x) => x < 300)}; ` +
    `pg stream ≥ MySQL target: ${goal(result.pg_stream_vs_mysql, (x) => x >= 1)}; pg snapshot within 1.5× of file COPY: ${goal(result.pg_snapshot_vs_copy, (x) => x <= 1.5)}`);
  process.stdout.write(`sluice ${result.stream_rows_s} rows/s vs replica ${result.replica_rows_s} (×${result.stream_ratio}); p50 ${result.p50_ms} ms p99 ${result.p99_ms} ms; ` +
    `snapshot ${result.snapshot_s} s vs dump+load ${result.dump_load_s} s (×${result.snapshot_speedup}), LOAD DATA file ${result.load_data_file_s} s; peak RSS ${result.peak_rss_mb} MB, big txn ${result.big_txn_peak_rss_mb} MB\n`);
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  await source.stop();
  await target.stop();
  rmSync(dir, { recursive: true, force: true });
}
