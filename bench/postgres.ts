// The PostgreSQL target's figures for `npm run bench:sync` (phase `pg`), against the local PostgreSQL
// (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres; a throwaway database is created). Sluice
// runs as for the MySQL target: a `sluice run`-like child process (bench/sync-sluice.ts) with `type: postgres`.
//  - pg_stream_rows_s: BENCH_STREAM_TXNS (200k) single-row source transactions (the same 50/30/20 insert/
//    update/delete mix as the MySQL stream phase), applied by the pipeline from its checkpoint to the end;
//  - pg_snapshot_s: the BENCH_SNAPSHOT_ROWS (1M) row table copied by the pipeline's initial snapshot (COPY
//    per chunk, progress row in the same transaction);
//  - pg_copy_file_s: the same rows loaded by a plain server-side `COPY … FROM 'file'` into a table of the
//    same definition: PostgreSQL's own ceiling.
// synchronous_commit of Sluice's sessions is off unless BENCH_FLUSH_AT_COMMIT=1 (as innodb_flush_log_at_trx_commit
// is 2 for the MySQL target): safe for exactly-once, rows and checkpoint are lost or kept together.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import type { MariaDbServer } from '../src/testkit/mariadb-server.js';
import type { SluiceChildResult } from './sync-sluice.js';

export interface PgBenchHelpers {
  tableDdl(name: string): string;
  rowValues(n: string): string;
  /** CREATE PROCEDURE name(n): n single-row transactions (50/30/20 insert/update/delete) on `table`. */
  genProcedure(name: string, table: string): string;
  say(text: string): void;
  /** A pipeline config file (JSON) from the bench source to `target`. */
  writeConfig(name: string, target: { url: string; type: string }, tables: string[], extra: Record<string, unknown>): string;
  /** Run the Sluice child on a config: prime / snapshot / until `file:pos`. */
  runSluice(config: string, mode: 'prime' | 'snapshot' | 'until', end: string | null): Promise<SluiceChildResult>;
  usage(r: SluiceChildResult): string;
  /** CPU seconds the source server process has used so far. */
  sourceCpu(): Promise<number>;
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
  pg_stream_peak_rss_mb: number | null;
  pg_snapshot_peak_rss_mb: number | null;
  /** CPU seconds of each phase: Sluice, the PostgreSQL server (all its processes), the source server. */
  pg_stream_cpu: PhaseCpu | null;
  pg_snapshot_cpu: PhaseCpu | null;
  pg_copy_file_cpu_s: number | null;
  /** The file COPY's PostgreSQL CPU split as pg_snapshot_cpu.pg_split. */
  pg_copy_file_cpu: PgCpuSplit | null;
}

export interface PhaseCpu { sluice: number; pg: number; pg_split: PgCpuSplit; source: number }

/** Load averages (1, 5, 15 min) as text, to print beside every figure on a shared machine. */
export const loadText = (): string => `load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`;

const procCpu = (pid: string, withChildren: boolean): { cpu: number; ppid: string } => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // fields after the name: state ppid … utime(11) stime(12) cutime(13) cstime(14), in clock ticks
  const ticks = Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
  return { cpu: ticks / 100, ppid: f[1]! };
};

/** The PostgreSQL server's postmaster pid (when it runs on this host and we may read its postmaster.pid), else null. */
async function postmasterPid(url: string): Promise<string | null> {
  try {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const dir = (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    await c.end();
    return readFileSync(`${dir}/postmaster.pid`, 'utf8').split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

const childrenOf = (pid: string): string[] => {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(' ').filter(Boolean));
  } catch {
    return [];
  }
};

/**
 * CPU seconds the whole PostgreSQL server has used so far: the postmaster with its reaped children (ended
 * backends) plus its live children. null when it cannot be read. Other sessions on the same server count too.
 */
function pgServerCpuOf(pid: string | null): number | null {
  if (pid === null) return null;
  try {
    let total = procCpu(pid, true).cpu;
    for (const p of childrenOf(pid)) {
      try {
        total += procCpu(p, false).cpu;
      } catch { /* gone */ }
    }
    return total;
  } catch {
    return null;
  }
}

/** CPU seconds the PostgreSQL server of `url` has used so far (null when its processes cannot be read from here). */
export async function pgServerCpu(url: string): Promise<number | null> {
  return pgServerCpuOf(await postmasterPid(url));
}

/** CPU seconds of the PostgreSQL server split by process: this bench database's backends, background processes, others. */
export interface PgCpuSplit { total: number; db: number; background: number; other: number }

/**
 * Samples the PostgreSQL server's children every 100 ms (CPU of each pid, its command line once) to split the
 * server's CPU between the backends of one database (`postgres: user db host COPY`), the background processes
 * (checkpointer, background writer, walwriter) and everything else (other helpers' sessions on a shared server).
 * The last <100 ms of a backend that ends between two samples stays in `other` (the total is exact).
 */
class PgCpuSampler {
  private readonly start = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private readonly kind = new Map<string, 'db' | 'background' | 'other'>();
  private readonly total0: number | null;
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly pid: string | null, private readonly database: string) {
    this.total0 = pgServerCpuOf(pid);
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), 100);
  }
  private sample(first: boolean): void {
    if (this.pid === null) return;
    for (const p of childrenOf(this.pid)) {
      try {
        const { cpu } = procCpu(p, false);
        if (!this.start.has(p)) this.start.set(p, first ? cpu : 0);
        // Read again while 'other': a new backend shows its database only once it is authenticated.
        if ((this.kind.get(p) ?? 'other') === 'other') {
          const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
          this.kind.set(p, cmd.includes(` ${this.database} `) ? 'db' : /checkpointer|background writer|walwriter/.test(cmd) ? 'background' : 'other');
        }
        this.last.set(p, cpu);
      } catch { /* gone */ }
    }
  }
  stop(): PgCpuSplit {
    this.sample(false);
    if (this.timer) clearInterval(this.timer);
    const total1 = pgServerCpuOf(this.pid);
    const total = this.total0 === null || total1 === null ? NaN : total1 - this.total0;
    const by = { db: 0, background: 0, other: 0 };
    for (const [p, k] of this.kind) by[k] += this.last.get(p)! - this.start.get(p)!;
    const r = (x: number): number => Number(x.toFixed(2));
    return { total: r(total), db: r(by.db), background: r(by.background), other: r(total - by.db - by.background) };
  }
}

/** CPU seconds of PostgreSQL and the source around `body` (with Sluice's from its result). */
async function measured<T extends { cpu_s: number }>(url: string, h: PgBenchHelpers, body: () => Promise<T>): Promise<{ r: T; cpu: PhaseCpu }> {
  const sampler = new PgCpuSampler(await postmasterPid(url), new URL(url).pathname.slice(1));
  const s0 = await h.sourceCpu();
  const r = await body();
  const s1 = await h.sourceCpu();
  const split = sampler.stop();
  return { r, cpu: { sluice: Number(r.cpu_s.toFixed(1)), pg: Number(split.total.toFixed(1)), pg_split: split, source: Number((s1 - s0).toFixed(1)) } };
}
const cpuText = (c: PhaseCpu): string => `CPU s: sluice ${c.sluice}, postgres ${c.pg} (this database's backends ${c.pg_split.db}, background ${c.pg_split.background}, other ${c.pg_split.other}), source ${c.source}`;

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function masterPos(server: MariaDbServer): Promise<{ file: string; pos: number }> {
  const rows = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
  return { file: rows[0]!.File, pos: Number(rows[0]!.Position) };
}

async function streamPhase(source: MariaDbServer, url: string, h: PgBenchHelpers): Promise<{ rate: number; rss: number; cpu: PhaseCpu }> {
  await source.query(`${h.tableDdl('bench.pgt')}; ${h.genProcedure('bench.pggen', 'bench.pgt')}`);
  const config = h.writeConfig('bench-pg-stream', { type: 'postgres', url }, ['bench.pgt'], { snapshot: 'none' });
  await h.runSluice(config, 'prime', null);
  const start = await masterPos(source);
  h.say(`pg stream: generating ${h.streamTxns} single-row transactions on the source …`);
  await source.query('SET autocommit = 1');
  await source.query(`CALL bench.pggen(${h.streamTxns})`);
  const end = await masterPos(source);
  h.say(`pg stream: binlog ${start.file}:${start.pos} → ${end.file}:${end.pos}`);
  const { r, cpu } = await measured(url, h, () => h.runSluice(config, 'until', `${end.file}:${end.pos}`));
  const rate = h.streamTxns / r.seconds;
  h.say(`pg stream: sluice applied ${r.rows_applied} row changes (${r.transactions_applied} txns) into PostgreSQL in ${r.seconds.toFixed(2)} s = ${Math.round(rate)} rows/s, ${h.usage(r)}; ${cpuText(cpu)}; ${loadText()}`);
  // Content check: same row count and id sum as the source.
  const [s] = await source.query<Array<{ n: number; x: string }>>('SELECT COUNT(*) AS n, COALESCE(SUM(id), 0) AS x FROM bench.pgt');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const t = await c.query<{ n: string; x: string }>('SELECT count(*)::text AS n, COALESCE(sum(id), 0)::text AS x FROM bench.pgt');
  await c.end();
  const same = Number(s!.n) === Number(t.rows[0]!.n) && String(s!.x) === t.rows[0]!.x;
  h.say(`pg stream: content source ${s!.n} rows / id sum ${s!.x}, PostgreSQL ${t.rows[0]!.n} / ${t.rows[0]!.x}${same ? ' — identical' : ' — MISMATCH'}`);
  if (!same) throw new Error('PostgreSQL target differs from the source after streaming');
  return { rate, rss: r.peak_rss_mb, cpu };
}

async function snapshotPhase(source: MariaDbServer, url: string, h: PgBenchHelpers): Promise<{ snapshot: number; copyFile: number; rss: number; cpu: PhaseCpu; copyFileCpu: number; copyFileSplit: PgCpuSplit }> {
  const [{ n } = { n: 0 }] = await source.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench' AND TABLE_NAME = 't1m'");
  if (Number(n) === 0) {
    h.say(`pg snapshot: filling bench.t1m with ${h.snapshotRows} rows …`);
    await source.query(h.tableDdl('bench.t1m'));
    for (let lo = 1; lo <= h.snapshotRows; lo += 100_000) {
      const hi = Math.min(h.snapshotRows, lo + 99_999);
      await source.query(`INSERT INTO bench.t1m SELECT ${h.rowValues('seq')} FROM bench.seq_${lo}_to_${hi}`);
    }
  }
  const config = h.writeConfig('bench-pg-snapshot', { type: 'postgres', url }, ['bench.t1m'], { snapshot: 'initial', targetDatabase: 'snap_sluice' });
  const { r, cpu } = await measured(url, h, () => h.runSluice(config, 'snapshot', null));
  const snapshot = r.seconds;
  const rows = r.snapshot_rows;
  h.say(`pg snapshot: sluice copied ${rows} rows into PostgreSQL in ${snapshot.toFixed(2)} s = ${Math.round(rows / snapshot)} rows/s, ${h.usage(r)}; ${cpuText(cpu)}; ${loadText()}`);

  // PostgreSQL's own ceiling: the same rows from a file, by a server-side COPY into a table of the same definition.
  const file = `/tmp/sluice-bench-pg-${randomBytes(4).toString('hex')}.copy`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`COPY snap_sluice.t1m TO '${file}'`);
    await c.query('CREATE TABLE snap_sluice.t1m_file (LIKE snap_sluice.t1m INCLUDING ALL)');
    const sampler = new PgCpuSampler(await postmasterPid(url), new URL(url).pathname.slice(1));
    const f0 = performance.now();
    await c.query(`BEGIN; COPY snap_sluice.t1m_file FROM '${file}'; COMMIT`);
    const copyFile = (performance.now() - f0) / 1000;
    const split = sampler.stop();
    const copyFileCpu = Number(split.total.toFixed(1));
    const cmp = await c.query<{ a: string; b: string }>('SELECT (SELECT count(*) FROM snap_sluice.t1m)::text AS a, (SELECT count(*) FROM snap_sluice.t1m_file)::text AS b');
    h.say(`pg snapshot: COPY FROM file of the same ${cmp.rows[0]!.b} rows took ${copyFile.toFixed(2)} s = ${Math.round(rows / copyFile)} rows/s, postgres CPU ${copyFileCpu} s ` +
      `(this database's backends ${split.db}, background ${split.background}, other ${split.other}) (sluice copied ${cmp.rows[0]!.a}); ${loadText()}`);
    return { snapshot, copyFile, rss: r.peak_rss_mb, cpu, copyFileCpu, copyFileSplit: split };
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
  if (h.synchronousCommit === 'off') u.searchParams.set('options', '-c synchronous_commit=off');
  const url = u.toString();
  try {
    const stream = phases.stream ? await streamPhase(source, url, h) : null;
    const snap = phases.snapshot ? await snapshotPhase(source, url, h) : null;
    return {
      pg_stream_rows_s: stream === null ? null : Math.round(stream.rate),
      pg_snapshot_s: snap && Number(snap.snapshot.toFixed(2)),
      pg_copy_file_s: snap && Number(snap.copyFile.toFixed(2)),
      pg_snapshot_vs_copy: snap && Number((snap.snapshot / snap.copyFile).toFixed(2)),
      pg_synchronous_commit: h.synchronousCommit,
      pg_stream_peak_rss_mb: stream?.rss ?? null,
      pg_snapshot_peak_rss_mb: snap?.rss ?? null,
      pg_stream_cpu: stream?.cpu ?? null,
      pg_snapshot_cpu: snap?.cpu ?? null,
      pg_copy_file_cpu_s: snap?.copyFileCpu ?? null,
      pg_copy_file_cpu: snap?.copyFileSplit ?? null,
    };
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
