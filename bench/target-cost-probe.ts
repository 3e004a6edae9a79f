// Probe: where a MariaDB target's CPU goes when it applies the scale bench's stream shape (single-row statements
// round-robin over N small tables, ≤ 100 tables per transaction, 8 transactions per round trip), including the work
// the server does afterwards in background threads (InnoDB statistics, purge). Per-thread CPU from /proc.
// Usage: node dist/bench/target-cost-probe.js [N] ; env PROBE_VARIANTS=a,b,… (default all)
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../src/testkit/mariadb-server.js';

const N = Number(process.argv[2] ?? 2000);
const ROWS = Number(process.env.PROBE_ROWS ?? 40_000);
const say = (s: string): void => { process.stderr.write(`probe: ${s}\n`); };
const CACHED = N + 1000;

function pidOf(server: MariaDbServer): string { return readFileSync(join(server.datadir, '..', 'mysqld.pid'), 'utf8').trim(); }
/** CPU seconds per thread name (comm) of the server. */
function threadCpu(pid: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(`${comm}`, (m.get(comm) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch { /* thread gone */ }
  }
  return m;
}
function diff(a: Map<string, number>, b: Map<string, number>): string {
  return [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, v]) => v > 0.005).sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
}
function ctxSwitches(pid: string): { v: number; nv: number } {
  let v = 0, nv = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      v += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0);
      nv += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return { v, nv };
}
const total = (m: Map<string, number>): number => [...m.values()].reduce((s, x) => s + x, 0);

async function status(server: MariaDbServer): Promise<Map<string, number>> {
  const rows = await server.query<Array<{ Variable_name: string; Value: string }>>('SHOW GLOBAL STATUS');
  return new Map(rows.filter((r) => /^-?\d+(\.\d+)?$/.test(r.Value)).map((r) => [r.Variable_name, Number(r.Value)]));
}
function statusDiff(a: Map<string, number>, b: Map<string, number>, re: RegExp): string {
  return [...b].filter(([k]) => re.test(k)).map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`).join(', ');
}

const server = await startMariaDb({ serverId: 2, binlog: false, startTimeoutMs: 60_000,
  extraArgs: ['--innodb-buffer-pool-size=1G', '--innodb-log-file-size=256M', `--table-open-cache=${CACHED}`, `--table-definition-cache=${CACHED}`, `--innodb-open-files=${CACHED}`, '--open-files-limit=65535'] });
const pid = pidOf(server);
try {
  await server.query(`SET GLOBAL table_open_cache = ${CACHED}`);
  await server.query('CREATE DATABASE p');
  await server.query(`CREATE PROCEDURE p.mk(lo INT, hi INT) BEGIN DECLARE i INT DEFAULT lo; WHILE i < hi DO
    SET @q = CONCAT('CREATE TABLE p.t', i, ' (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(32))'); PREPARE st FROM @q; EXECUTE st; DEALLOCATE PREPARE st;
    SET @q = CONCAT('INSERT INTO p.t', i, ' VALUES (1, 1, ''a''), (2, 2, ''b''), (3, 3, ''c'')'); PREPARE st FROM @q; EXECUTE st; DEALLOCATE PREPARE st;
    SET i = i + 1; END WHILE; END`);
  await Promise.all([0, 1, 2, 3].map(async (k) => {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
    await c.query(`CALL p.mk(${Math.floor(N * k / 4)}, ${Math.floor(N * (k + 1) / 4)})`);
    await c.end();
  }));
  await server.query('CREATE TABLE p.ckpt (id INT PRIMARY KEY, pos BIGINT, epoch INT)');
  await server.query('INSERT INTO p.ckpt VALUES (1, 0, 1)');
  say(`${N} tables created; waiting for the server to settle`);
  const settle = async (): Promise<number> => {
    const t0 = Date.now();
    let last = total(threadCpu(pid));
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const now = total(threadCpu(pid));
      if (now - last < 0.02 || Date.now() - t0 > 60_000) return (Date.now() - t0) / 1000;
      last = now;
    }
  };
  await settle();
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root', multipleStatements: true });
  const replay = process.env.PROBE_REPLAY;
  if (replay) {
    // The queries a Sluice stream sent (BENCH_SQL_LOG of bench/sync-sluice), against tables of the same names.
    const queries = readFileSync(replay, 'utf8').split('\u0000').map((r) => r.slice(r.indexOf('\u0001') + 1)).filter((q) => q.length > 5000);
    const db = /`(scale\d+)`\.`t/.exec(queries[0]!)![1]!;
    const first = /pos = (\d+) AND gtid_set <=> NULL/.exec(queries[0]!)![1]!;
    await conn.query(`CREATE DATABASE ${db}`);
    for (let i = 0; i < N; i += 500) await conn.query(Array.from({ length: Math.min(500, N - i) }, (_, k) => `RENAME TABLE p.t${i + k} TO ${db}.t${i + k}`).join(';'));
    await conn.query("CREATE DATABASE _sluice; CREATE TABLE _sluice.checkpoints (pipeline VARCHAR(64) NOT NULL PRIMARY KEY, file VARCHAR(512) NOT NULL, pos BIGINT UNSIGNED NOT NULL, gtid_set LONGTEXT NULL, epoch BIGINT UNSIGNED NOT NULL, state LONGTEXT NULL, updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), owner VARCHAR(1024) NULL, owner_since TIMESTAMP(6) NULL DEFAULT NULL, lease_until TIMESTAMP(6) NULL DEFAULT NULL) DEFAULT CHARSET=utf8mb4");
    await conn.query(`INSERT INTO _sluice.checkpoints (pipeline, file, pos, epoch) VALUES ('${db}', 'bin.000001', ${first}, 2)`);
    await conn.query("SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION', foreign_key_checks = 1, autocommit = 1");
    await settle();
    const hog = process.env.PROBE_HOG ? spawn(process.execPath, ['-e', 'let a=[];for(;;){a.push({x:Math.random(),s:String(Math.random())});if(a.length>200000)a=[];}'], { stdio: 'ignore' }) : null;
    const cs0 = ctxSwitches(pid);
    const c0 = threadCpu(pid);
    const t0 = performance.now();
    const busy = Number(process.env.PROBE_BUSY_MS ?? 0);
    for (const q of queries) {
      const p = conn.query(q);
      // A client busy while the answers arrive (as the Sluice process is: decoding, building the next group).
      for (let k = 0; k < 4 && busy > 0; k++) {
        const t = performance.now();
        while (performance.now() - t < busy) { /* busy */ }
        await new Promise((r) => setImmediate(r));
      }
      await p;
    }
    const wall = (performance.now() - t0) / 1000;
    const c1 = threadCpu(pid);
    const cs1 = ctxSwitches(pid);
    hog?.kill();
    const rows = queries.reduce((n, q) => n + (q.match(/REPLACE INTO/g)?.length ?? 0), 0);
    say(`replay of ${queries.length} queries, ${rows} rows: ${Math.round(rows / wall)} rows/s; target CPU µs/row ${((total(c1) - total(c0)) / rows * 1e6).toFixed(1)}; ctx switches/row v ${((cs1.v - cs0.v) / rows).toFixed(2)} nv ${((cs1.nv - cs0.nv) / rows).toFixed(2)}; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    process.exit(0);
  }
  let ids = 1_000_000;
  let pos = 0;
  const variants = (process.env.PROBE_VARIANTS ?? 'replace,insert-odku,replace-ckpt,replace-norecalc,replace-transient').split(',');
  for (const variant of variants) {
    await server.query(`SET GLOBAL innodb_stats_auto_recalc = ${variant.includes('norecalc') ? 'OFF' : 'ON'}`);
    if (variant.includes('transient')) await conn.query('SET GLOBAL innodb_stats_persistent = OFF');
    else await conn.query('SET GLOBAL innodb_stats_persistent = ON');
    // Batches as the stream's: 5,000-change batches cut at 100 tables; round-robin means one change per table per batch.
    const txns: string[] = [];
    for (let start = 0; start < ROWS; start += 100) {
      const stmts: string[] = [];
      for (let i = start; i < Math.min(ROWS, start + 100); i++) {
        const t = i % N;
        const row = i % 2 === 0 ? `(${ids++}, ${i}, 'x')` : `(1, ${i}, 'u')`;
        stmts.push(variant.startsWith('insert-odku')
          ? `INSERT INTO \`p\`.\`t${t}\` (\`id\`,\`v\`,\`s\`) VALUES ${row} ON DUPLICATE KEY UPDATE \`v\`=VALUES(\`v\`),\`s\`=VALUES(\`s\`)`
          : `REPLACE INTO \`p\`.\`t${t}\` (\`id\`,\`v\`,\`s\`) VALUES ${row}`);
      }
      const ck = variant.includes('ckpt') ? [`SELECT pos FROM p.ckpt WHERE id = 1 FOR UPDATE`, `UPDATE p.ckpt SET pos = ${++pos} WHERE id = 1`] : [];
      const body = variant.includes('block') ? [`BEGIN NOT ATOMIC ${stmts.join(';\n')}; END`] : stmts;
      txns.push(['START TRANSACTION', ...ck.slice(0, 1), ...body, ...ck.slice(1), 'COMMIT'].join(';\n'));
    }
    // PROBE_HOG=1: a GC-heavy busy process alongside (as the Sluice process is during a stream).
    if (variant.includes('session')) await conn.query("SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION', foreign_key_checks = 0, autocommit = 1, @sluice_writer = 1");
    const hog = variant.includes('hog') ? spawn(process.execPath, ['-e', 'let a=[];for(;;){a.push({x:Math.random(),s:String(Math.random())});if(a.length>200000)a=[];}'], { stdio: 'ignore' }) : null;
    if (hog) await new Promise((r) => setTimeout(r, 500));
    const cs0 = ctxSwitches(pid);
    const s0 = await status(server);
    const c0 = threadCpu(pid);
    const t0 = performance.now();
    const per = variant.includes('single') ? 1 : 8;
    const pause = /slow(\d+)/.exec(variant)?.[1];
    for (let i = 0; i < txns.length; i += per) {
      await conn.query(txns.slice(i, i + per).join(';\n'));
      if (pause) await new Promise((r) => setTimeout(r, Number(pause)));
    }
    const wall = (performance.now() - t0) / 1000;
    const c1 = threadCpu(pid);
    const cs1 = ctxSwitches(pid);
    hog?.kill();
    const s1 = await status(server);
    const after = await settle();
    const c2 = threadCpu(pid);
    const s2 = await status(server);
    const stats = await server.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM mysql.innodb_table_stats WHERE database_name = 'p' AND last_update >= NOW() - INTERVAL ${Math.ceil(wall + after + 2)} SECOND`);
    say(`── ${variant}, ${N} tables, ${ROWS} rows: ${Math.round(ROWS / wall)} rows/s; CPU µs/row during: ${((total(c1) - total(c0)) / ROWS * 1e6).toFixed(1)}, `
      + `after (${after.toFixed(0)} s settling): ${((total(c2) - total(c1)) / ROWS * 1e6).toFixed(1)}; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    say(`   context switches per row during: voluntary ${((cs1.v - cs0.v) / ROWS).toFixed(2)}, involuntary ${((cs1.nv - cs0.nv) / ROWS).toFixed(2)}`);
    say(`   threads during: ${diff(c0, c1)}`);
    say(`   threads after: ${diff(c1, c2)}`);
    say(`   status during: ${statusDiff(s0, s1, /^(Handler_|Com_(replace|insert|update|select|commit|begin)$|Innodb_(rows|system_rows|data_writes|data_reads|buffer_pool_write_requests|log_writes|os_log_fsyncs|data_fsyncs|pages_written|dblwr))/)}`);
    say(`   status after: ${statusDiff(s1, s2, /^(Handler_|Innodb_(rows|system_rows|data_writes|data_reads|buffer_pool_write_requests|log_writes|os_log_fsyncs|data_fsyncs|pages_written|dblwr))/)}`);
    say(`   innodb_table_stats rows of p updated since start: ${stats[0]!.n}`);
  }
  await conn.end();
} finally {
  await server.stop();
}
