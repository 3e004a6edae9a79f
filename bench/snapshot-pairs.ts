// node dist/bench/snapshot-pairs.js — the 1M-row MySQL→MySQL snapshot of bench/sync, repeated on the same two servers:
// each round copies the table with Sluice (child bench/sync-sluice.js) and with `mariadb-dump --single-transaction |
// mariadb`, one right after the other (a same-run pair), and prints wall seconds and CPU seconds of source, target and
// client for each, with the load average. Env: BENCH_SNAPSHOT_ROWS (1M), BENCH_ROUNDS (3), BENCH_TUNING (JSON), BENCH_TUNINGS (JSON list, by turns),
// BENCH_CHILDREN (JSON list of sync-sluice.js paths, by turns),
// BENCH_CPU_PROF (dir: --cpu-prof for the Sluice child), BENCH_NO_DUMP=1 (Sluice only), BENCH_WRAP (command prefix of the child),
// BENCH_PERF_SOURCE (file: perf record of the source server during Sluice's copy). Last stdout line: JSON.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startMariaDb, type MariaDbServer } from '../src/testkit/mariadb-server.js';
import type { SluiceChildResult } from './sync-sluice.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROWS = Number(process.env.BENCH_SNAPSHOT_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TUNING = JSON.parse(process.env.BENCH_TUNING ?? '{}') as Record<string, number>;
/** BENCH_TUNINGS: a JSON list of tunings used by turns, round by round (instead of BENCH_TUNING). */
const TUNINGS = JSON.parse(process.env.BENCH_TUNINGS ?? 'null') as Array<Record<string, number>> | null;
const SERVER_ARGS = [`--innodb-buffer-pool-size=${process.env.BENCH_BUFFER_POOL ?? '256M'}`, '--innodb-log-file-size=256M'];
const say = (s: string): void => { process.stderr.write(`bench: ${s}\n`); };
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

async function serverPid(server: MariaDbServer): Promise<string> {
  const rows = await server.query<Array<{ f: string }>>('SELECT @@pid_file AS f');
  return readFileSync(rows[0]!.f, 'utf8').trim();
}

async function serverCpu(server: MariaDbServer): Promise<number> {
  const pid = await serverPid(server);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function fingerprint(server: MariaDbServer, table: string): Promise<string> {
  const rows = await server.query<Array<{ n: number; x: string | null }>>(
    `SELECT COUNT(*) AS n, BIT_XOR(CRC32(CONCAT_WS('|', id, a, b, c, d, e, f, g, h, i))) AS x FROM ${table}`);
  return `${rows[0]!.n}/${rows[0]!.x ?? 0}`;
}

/** BENCH_CHILDREN: a JSON list of sync-sluice.js paths used by turns, round by round (e.g. another checkout's build). */
const CHILDREN = JSON.parse(process.env.BENCH_CHILDREN ?? 'null') as string[] | null;

function child(config: string, script = join(here, 'sync-sluice.js')): Promise<SluiceChildResult> {
  const profile = [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), ...(process.env.BENCH_WRAP ? ['--perf-basic-prof'] : [])];
  // BENCH_WRAP: a command line the child runs under (e.g. `perf record -g -o FILE`), split on spaces.
  const wrap = (process.env.BENCH_WRAP ?? '').split(' ').filter((x) => x !== '');
  const argv = [...wrap, process.execPath, ...profile, script, config, 'snapshot'];
  const c = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  let last = '';
  createInterface({ input: c.stdout }).on('line', (line) => { last = line; });
  return new Promise((resolve, reject) => {
    c.once('close', (code) => (code === 0 ? resolve(JSON.parse(last) as SluiceChildResult) : reject(new Error(`child exited ${code}`))));
  });
}

function shell(command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    let times = '';
    (c.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (d: Buffer) => { times += d.toString(); });
    c.once('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} exited with ${code}`));
      const m = [...(times.split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)];
      resolve(m.reduce((sum, x) => sum + Number(x[1]) * 60 + Number(x[2]), 0));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-pairs-'));
const source = await startMariaDb({ serverId: 1, extraArgs: SERVER_ARGS });
const target = await startMariaDb({ serverId: 2, binlog: false, extraArgs: [...SERVER_ARGS, '--innodb-flush-log-at-trx-commit=2'] });
const results: Array<Record<string, number | string>> = [];
try {
  await source.query('CREATE DATABASE bench');
  await source.query(`CREATE TABLE bench.t1m (
    id INT PRIMARY KEY, a BIGINT NOT NULL, b VARCHAR(64), c DECIMAL(12,4), d DATETIME(6), e DOUBLE,
    f TEXT, g INT UNSIGNED, h TIMESTAMP(3) NULL, i ENUM('x','y','z'))`);
  for (let lo = 1; lo <= ROWS; lo += 100_000) {
    const hi = Math.min(ROWS, lo + 99_999);
    await source.query(`INSERT INTO bench.t1m SELECT seq, seq * 1000003, CONCAT('name-', seq, '-', MD5(seq)), seq / 7,
      TIMESTAMP('2024-01-01 00:00:00') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND, seq / 3,
      REPEAT('lorem ipsum ', 1 + seq % 4), seq * 7, FROM_UNIXTIME(1700000000 + seq), ELT(1 + seq % 3, 'x','y','z') FROM bench.seq_${lo}_to_${hi}`);
  }
  const fs = await fingerprint(source, 'bench.t1m');
  for (let round = 1; round <= ROUNDS; round++) {
    const db = `snap_${round}`;
    const config = join(dir, `c${round}.json`);
    writeFileSync(config, JSON.stringify({
      sources: { src: { type: 'mysql', url: source.url } }, targets: { dst: { type: 'mysql', url: target.url } },
      pipelines: [{ name: `p${round}`, source: 'src', target: 'dst', tables: ['bench.t1m'], tuning: TUNINGS ? TUNINGS[(round - 1) % TUNINGS.length] : TUNING, snapshot: 'initial', targetDatabase: db }],
    }));
    const loadBefore = load();
    const s0 = [await serverCpu(source), await serverCpu(target)];
    // BENCH_PERF_SOURCE=file: perf record (call graphs) of the source server while Sluice copies.
    const perf = process.env.BENCH_PERF_SOURCE ? spawn('perf', ['record', '-F', '499', '-g', '-o', process.env.BENCH_PERF_SOURCE, '-p', await serverPid(source)], { stdio: 'ignore' }) : null;
    const script = CHILDREN ? CHILDREN[(round - 1) % CHILDREN.length] : undefined;
    if (script) say(`round ${round}: child ${script}`);
    const r = await child(config, script);
    if (perf) { perf.kill('SIGINT'); await new Promise((res) => perf.once('close', res)); }
    const s1 = [await serverCpu(source), await serverCpu(target)];
    const ok = (await fingerprint(target, `${db}.t1m`)) === fs;
    const [src, tgt] = [s1[0]! - s0[0]!, s1[1]! - s0[1]!];
    const row: Record<string, number | string> = { round, sluice_s: r.seconds, sluice_cpu: r.cpu_s, sluice_src: src, sluice_tgt: tgt, exact: ok ? 'yes' : 'NO' };
    if (TUNINGS) say(`round ${round}: tuning ${JSON.stringify(TUNINGS[(round - 1) % TUNINGS.length])}`);
    if (r.restarts > 0 || r.errors > 0) say(`round ${round}: sluice restarts ${r.restarts}, errors ${r.errors}, last error: ${r.last_error}`);
    say(`round ${round}: sluice ${r.seconds.toFixed(2)} s, CPU s sluice ${r.cpu_s.toFixed(2)} / source ${src.toFixed(2)} / target ${tgt.toFixed(2)}${ok ? '' : ' CONTENT MISMATCH'}; load ${loadBefore}`);
    if (!process.env.BENCH_NO_DUMP) {
      await target.query(`CREATE DATABASE dump_${round}`);
      const d0 = performance.now();
      const c0 = [await serverCpu(source), await serverCpu(target)];
      const clients = await shell(`mariadb-dump -h127.0.0.1 -P${source.port} -uroot --single-transaction bench t1m | mariadb -h127.0.0.1 -P${target.port} -uroot dump_${round} && times >&3`);
      const c1 = [await serverCpu(source), await serverCpu(target)];
      const dumpS = (performance.now() - d0) / 1000;
      Object.assign(row, { dump_s: dumpS, dump_clients: clients, dump_src: c1[0]! - c0[0]!, dump_tgt: c1[1]! - c0[1]!, speedup: dumpS / r.seconds });
      say(`round ${round}: dump ${dumpS.toFixed(2)} s, CPU s clients ${clients.toFixed(2)} / source ${(c1[0]! - c0[0]!).toFixed(2)} / target ${(c1[1]! - c0[1]!).toFixed(2)}; speedup ×${(dumpS / r.seconds).toFixed(2)}; load ${load()}`);
      await target.query(`DROP DATABASE dump_${round}`);
    }
    row.load = `${loadBefore} / ${load()}`;
    results.push(row);
    await target.query(`DROP DATABASE ${db}`);
  }
} finally {
  await Promise.all([source.stop(), target.stop()]);
}
process.stdout.write(JSON.stringify(results) + '\n');
