// npm run bench:scale — one pipeline over many small tables, on throwaway MariaDB servers on this machine:
//  1. micro: the cost of deciding whether a stream checkpoint must carry the schema history, with
//     BENCH_SCALE_TABLES (10,000) tables' history: serializing the history (what every batch did before the
//     revision counter) vs comparing the revision;
//  2. for BENCH_SCALE_TABLES tables and for 10 tables (databases `scale<N>`, each table 3 rows):
//     - initial copy: a pipeline over `scale<N>.*` snapshots every table (seconds until it streams);
//     - stream: BENCH_SCALE_ROWS (40k) single-row transactions (inserts and updates round-robin over the
//       tables) written while the pipeline is stopped, then applied from its checkpoint; rows/s counted from
//       the moment it streams (start-up — reading the checkpoint — excluded);
//     - peak RSS (VmHWM) of the Sluice process (a child: bench/sync-sluice.ts), the higher of both runs;
//     - the physical reference: MariaDB's native replication (a third server, parallel replication off) applying
//       the same binlog range, rows/s and the replica's CPU per row;
//     - BENCH_PERF_TARGET=dir: `perf record -g` of the target server during the steady stream and the ceiling.
// Figures go to stderr; the last stdout line is JSON:
//   {"tables":…,"peak_rss_mb":…,"snapshot_s":…,"stream_rows_s":…,"stream_rows_s_10_tables":…,
//    "native_replica_rows_s":…,"native_replica_rows_s_10_tables":…, …}
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mysql from 'mysql2/promise';
import { fileURLToPath } from 'node:url';
import { SchemaHistory, type SchemaHistoryJSON } from '../src/mysql/schema/schema-history.js';
import type { SchemaColumn } from '../src/mysql/schema/table-schema.js';
import { startMariaDb, type MariaDbServer } from '../src/testkit/mariadb-server.js';
import type { SluiceChildResult } from './sync-sluice.js';
import { DEFAULT_TUNING } from '../src/config/types.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const env = (name: string, dflt: number): number => Number(process.env[name] ?? dflt);
const TABLES = env('BENCH_SCALE_TABLES', 10_000);
const ROWS = env('BENCH_SCALE_ROWS', 40_000);
/**
 * The throwaway servers are set up as a DBA would for this many tables: every table fits the table cache, the
 * table definition cache and InnoDB's open files, and the buffer pool holds each table's hot pages (a few per
 * table). Otherwise every statement reopens a table (Opened_tables grows by one per row) and the figures measure
 * cache thrashing, not Sluice. open_files_limit is asked for; the server takes what the process's hard limit
 * allows and, assuming two files per cached table (MyISAM), shrinks table_open_cache at start-up to
 * (limit - connections) / 2 — 9,885 under this machine's hard limit of 20,000, fewer than 10,000 tables. InnoDB
 * tables hold no file in the table cache (their files are innodb_open_files), so the bench sets table_open_cache
 * again once the server runs (SET GLOBAL; on a real server: raise LimitNOFILE and open_files_limit).
 */
const CACHED_TABLES = TABLES + 1000;
const SERVER_ARGS = ['--innodb-buffer-pool-size=1G', '--innodb-log-file-size=256M', `--table-open-cache=${CACHED_TABLES}`,
  `--table-definition-cache=${CACHED_TABLES}`, `--innodb-open-files=${CACHED_TABLES}`, '--open-files-limit=65535'];

async function sizeTableCache(server: MariaDbServer): Promise<void> {
  await server.query(`SET GLOBAL table_open_cache = ${CACHED_TABLES}`);
  const c = await tableCache(server);
  say(`server ${server.port}: table_open_cache ${c.openCache}, table_definition_cache ${c.definitionCache}, innodb_open_files ${c.innodbFiles}, innodb_buffer_pool_size 1G (sized for ${TABLES} tables)`);
}

const say = (text: string): void => { process.stderr.write(`bench: ${text}\n`); };
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

interface Pos { file: string; pos: number }

async function masterPos(server: MariaDbServer): Promise<Pos> {
  const rows = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
  return { file: rows[0]!.File, pos: Number(rows[0]!.Position) };
}

/** CPU seconds (user + system) a throwaway server's mysqld has used so far (/proc/<pid>/stat; clock ticks of 1/100 s). */
function serverCpu(server: MariaDbServer): number {
  const pid = readFileSync(join(server.datadir, '..', 'mysqld.pid'), 'utf8').trim();
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function runChild(config: string, mode: 'snapshot' | 'until', end: string | null, onLine?: (line: 'streaming' | 'applying') => void): Promise<SluiceChildResult> {
  const profile = [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])];
  const child = spawn(process.execPath, [...profile, join(here, 'sync-sluice.js'), config, mode, ...(end ? [end] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'streaming' || line === 'applying') onLine?.(line);
    else last = line;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`sluice child (${mode}) exited with code ${code}`));
      resolve(JSON.parse(last) as SluiceChildResult);
    });
  });
}

// ── 1. micro: the per-batch "did the state change?" check ────────────────────────────────────────

function syntheticHistory(tables: number): SchemaHistoryJSON {
  const since = { file: 'mariadb-bin.000001', pos: 4 };
  const col = (name: string, dataType: string, sqlType: string, nullable: boolean): SchemaColumn => ({
    name, dataType, sqlType, unsigned: false, nullable,
    charset: dataType === 'varchar' ? 'utf8mb4' : null, collation: dataType === 'varchar' ? 'utf8mb4_general_ci' : null,
    collationId: dataType === 'varchar' ? 45 : null, octetLength: dataType === 'varchar' ? 128 : null,
    numericPrecision: dataType === 'int' ? 10 : null, numericScale: dataType === 'int' ? 0 : null,
    datetimePrecision: null, generated: null, visible: true,
  });
  return {
    format: 1, cursor: since,
    tables: Array.from({ length: tables }, (_, i) => ({
      database: 'scale', table: `t${i}`,
      versions: [{ since, schema: { database: 'scale', table: `t${i}`, version: 0, primaryKey: ['id'], charset: 'utf8mb4', collation: 'utf8mb4_general_ci',
        columns: [col('id', 'int', 'int(11)', false), col('v', 'int', 'int(11)', false), col('s', 'varchar', 'varchar(32)', true)] } }],
    })),
  };
}

function microPhase(): { stringify_ms: number; revision_ms: number } {
  const history = SchemaHistory.fromJSON(syntheticHistory(TABLES));
  const n = 50;
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink += JSON.stringify({ phase: 'stream', coverage: [], schemas: history.toJSON() }).length;
  const stringifyMs = (performance.now() - t0) / n;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) sink += `${history.revision}\u0000${JSON.stringify({ coverage: [], resnapshot: [] })}`.length;
  const revisionMs = (performance.now() - t1) / n;
  say(`micro: checkpoint state check with ${TABLES} tables' history: serialize ${stringifyMs.toFixed(2)} ms/batch (before), revision ${(revisionMs * 1000).toFixed(1)} µs/batch (now) [${sink > 0 ? 'ok' : ''}]`);
  return { stringify_ms: round(stringifyMs, 3), revision_ms: round(revisionMs, 4) };
}

// ── 2. one pipeline over N tables ──────────────────────────────────────────────────────────────

async function createTables(source: MariaDbServer, db: string, n: number): Promise<void> {
  await source.query(`CREATE DATABASE ${db}`);
  await source.query(`CREATE PROCEDURE ${db}.mk(lo INT, hi INT)
    BEGIN
      DECLARE i INT DEFAULT lo;
      WHILE i < hi DO
        SET @q = CONCAT('CREATE TABLE ${db}.t', i, ' (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(32))');
        PREPARE st FROM @q; EXECUTE st; DEALLOCATE PREPARE st;
        SET @q = CONCAT('INSERT INTO ${db}.t', i, ' VALUES (1, 1, ''a''), (2, 2, ''b''), (3, 3, ''c'')');
        PREPARE st FROM @q; EXECUTE st; DEALLOCATE PREPARE st;
        SET i = i + 1;
      END WHILE;
    END`);
  await source.query(`CREATE PROCEDURE ${db}.gen(n INT, tables INT)
    BEGIN
      DECLARE i INT DEFAULT 0;
      WHILE i < n DO
        IF i % 2 = 0 THEN
          SET @q = CONCAT('INSERT INTO ${db}.t', i % tables, ' VALUES (', 100 + i, ', ', i, ', ''x'')');
        ELSE
          SET @q = CONCAT('UPDATE ${db}.t', i % tables, ' SET v = v + 1 WHERE id = 1');
        END IF;
        PREPARE st FROM @q; EXECUTE st; DEALLOCATE PREPARE st;
        SET i = i + 1;
      END WHILE;
    END`);
  // Over a few connections at once (10,000 CREATE TABLEs take minutes on one).
  const parts = Math.min(4, n);
  await Promise.all(Array.from({ length: parts }, async (_, k) => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: source.port, user: 'root' });
    try {
      await conn.query(`CALL ${db}.mk(${Math.floor(n * k / parts)}, ${Math.floor(n * (k + 1) / parts)})`);
    } finally {
      await conn.end();
    }
  }));
}

interface ScaleFigures {
  peakRss: number; snapshotS: number; rowsS: number; steadyRowsS: number; ceiling: number; oneTxn: number; snapRss: Record<string, number>; streamRss: Record<string, number>;
  /** CPU µs per row applied during the stream: the Sluice process, the target server, the source server. */
  cpuUsPerRow: { sluice: number; target: number; source: number };
  /** The target server's CPU µs per row at its ceiling (≤ maxBatchTables tables per transaction). */
  ceilingCpuUs: number;
  /** The ceiling with 10 transactions per round trip. */
  packedCeiling: number;
  /** MariaDB's native replication applying the same transactions. */
  native: NativeReplica;
}

async function runScale(dir: string, source: MariaDbServer, target: MariaDbServer, replica: MariaDbServer, n: number): Promise<ScaleFigures> {
  const db = `scale${n}`;
  say(`${n} tables: creating them on the source (and the same tables on the native replica) …`);
  const c0 = performance.now();
  await Promise.all([createTables(source, db, n), createTables(replica, db, n)]);
  say(`${n} tables: created in ${((performance.now() - c0) / 1000).toFixed(1)} s`);
  const config = join(dir, `${db}.json`);
  writeFileSync(config, JSON.stringify({
    sources: { src: { type: 'mysql', url: source.url } },
    targets: { dst: { type: 'mysql', url: target.url } },
    pipelines: [{ name: db, source: 'src', target: 'dst', tables: [`${db}.*`] }],
  }));
  const snap = await runChild(config, 'snapshot', null);
  const snapshotS = snap.streaming_after_s ?? snap.seconds;
  say(`${n} tables: initial copy ${snapshotS.toFixed(1)} s (${snap.snapshot_rows} rows), peak RSS ${snap.peak_rss_mb} MB ${JSON.stringify(snap.peak_rss_mb_by_status)} (heap ${snap.peak_heap_mb} MB, outside the heap ${snap.peak_external_mb} MB)`);

  const start = await masterPos(source);
  await source.query(`CALL ${db}.gen(${ROWS}, ${n})`);
  const end = await masterPos(source);
  const before = await tableCache(target);
  const counters0 = await statementCounters(target);
  // Server CPU from the moment the first row is applied (after the stream's start-up: the target shapes of every
  // table are read then, which costs the target seconds at 10,000 tables) until the end.
  let serversAtStream = { source: 0, target: 0 };
  let perf: ChildProcess | null = null;
  const stream = await runChild(config, 'until', `${end.file}:${end.pos}`, (line) => {
    if (line === 'applying') {
      serversAtStream = { source: serverCpu(source), target: serverCpu(target) };
      perf = startPerf(target, n);
    }
  });
  await stopPerf(perf);
  const serversCpu = { source: serverCpu(source) - serversAtStream.source, target: serverCpu(target) - serversAtStream.target };
  const after = await tableCache(target);
  const counters1 = await statementCounters(target);
  say(`${n} tables: target statements during the stream: ${[...counters1].map(([k, v]) => `${k} ${v - (counters0.get(k) ?? 0)}`).join(', ')}`);
  say(`${n} tables: target during the stream: ${after.opened - before.opened} tables opened, ${after.misses - before.misses} table cache misses, `
    + `${after.definitions - before.definitions} definitions opened (table_open_cache ${after.openCache}, table_definition_cache ${after.definitionCache}, innodb_open_files ${after.innodbFiles})`);
  const streamS = stream.seconds - (stream.streaming_after_s ?? 0);
  const rowsS = stream.rows_applied / streamS;
  // The steady stream: the rows applied after the first batch (or group) committed, over the time since — the
  // stream's start-up (reading every target table's shape, connecting, the first batch) excluded.
  const steadyS = stream.seconds - (stream.first_applied_s ?? 0);
  const steadyRows = stream.rows_applied - stream.rows_at_first_applied;
  const steadyRowsS = steadyRows / steadyS;
  say(`${n} tables: steady stream (the rows applied after the first batch, ${((stream.first_applied_s ?? 0) - (stream.streaming_after_s ?? 0)).toFixed(2)} s after it started): ${steadyRows} rows in ${steadyS.toFixed(2)} s = ${Math.round(steadyRowsS)} rows/s`);
  say(`${n} tables: stream ${stream.rows_applied} rows in ${streamS.toFixed(2)} s = ${Math.round(rowsS)} rows/s (start-up ${(stream.streaming_after_s ?? 0).toFixed(1)} s), peak RSS ${stream.peak_rss_mb} MB ${JSON.stringify(stream.peak_rss_mb_by_status)} (heap ${stream.peak_heap_mb} MB, outside the heap ${stream.peak_external_mb} MB), ${stream.cpu_s.toFixed(1)} s CPU`);
  const perRow = (cpu: number): string => `${(cpu / steadyRows * 1e6).toFixed(1)} µs`;
  say(`${n} tables: CPU per row during the steady stream: Sluice ${perRow(stream.applying_cpu_s ?? NaN)} (${(stream.applying_cpu_s ?? NaN).toFixed(2)} s; ${(stream.stream_cpu_s ?? NaN).toFixed(2)} s with the stream's start-up), target server ${perRow(serversCpu.target)} (${serversCpu.target.toFixed(2)} s), source server ${perRow(serversCpu.source)} (${serversCpu.source.toFixed(2)} s); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  if (stream.rows_applied < ROWS) throw new Error(`only ${stream.rows_applied} of ${ROWS} rows applied`);
  const check = await target.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${db}.t${(ROWS - 2) % n}`);
  say(`${n} tables: target table t${(ROWS - 2) % n} has ${check[0]!.n} rows`);
  const ceilingPerf = startPerf(target, n, 'ceiling');
  if (ceilingPerf) await new Promise((r) => setTimeout(r, 1000));
  const c = await targetCeiling(target, db, n, BATCH_TABLES, 3);
  await stopPerf(ceilingPerf);
  const ceiling = c.rowsS;
  say(`${n} tables: the target's own ceiling for the same batches (one client, ${BATCH} changes round-robin over the tables, at most ${BATCH_TABLES} tables per committed transaction, one round trip each): ${Math.round(ceiling)} rows/s, target CPU ${c.cpuUsPerRow.toFixed(1)} µs/row — Sluice reaches ${(rowsS / ceiling * 100).toFixed(0)} % of it`);
  const packed = await targetCeiling(target, db, n, BATCH_TABLES, 3, 10);
  say(`${n} tables: the same, 10 transactions per round trip: ${Math.round(packed.rowsS)} rows/s, target CPU ${packed.cpuUsPerRow.toFixed(1)} µs/row`);
  const oneTxn = (await targetCeiling(target, db, n, BATCH, 1)).rowsS;
  say(`${n} tables: the same ${BATCH} changes in one transaction (before maxBatchTables): ${Math.round(oneTxn)} rows/s; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const native = await nativeReplica(source, replica, start, end);
  say(`${n} tables: MariaDB's own replication (one replica, parallel replication off) applies the same ${ROWS} transactions at ${Math.round(native.rowsS)} rows/s, replica CPU ${native.cpuUsPerRow.toFixed(1)} µs/row (${native.seconds.toFixed(2)} s); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const cpuUs = (cpu: number): number => round(cpu / steadyRows * 1e6, 1);
  return { peakRss: Math.max(snap.peak_rss_mb, stream.peak_rss_mb), snapshotS, rowsS, ceiling, oneTxn, snapRss: snap.peak_rss_mb_by_status, streamRss: stream.peak_rss_mb_by_status,
    steadyRowsS, cpuUsPerRow: { sluice: cpuUs(stream.applying_cpu_s ?? NaN), target: cpuUs(serversCpu.target), source: cpuUs(serversCpu.source) }, ceilingCpuUs: round(c.cpuUsPerRow, 1), packedCeiling: packed.rowsS, native };
}

interface NativeReplica { rowsS: number; cpuUsPerRow: number; seconds: number }

/**
 * The physical reference: MariaDB's native replication applying the same binlog range (the stream's ROWS
 * transactions) on a replica that holds the same tables as the source had before them. Default replica settings
 * (slave_parallel_threads = 0, no binlog of its own, like the Sluice target). Rate from START SLAVE until the SQL
 * thread executed up to `end`; the replica server's CPU (both replication threads) over the same time.
 */
async function nativeReplica(source: MariaDbServer, replica: MariaDbServer, start: Pos, end: Pos): Promise<NativeReplica> {
  await replica.query('STOP SLAVE');
  await replica.query('RESET SLAVE ALL');
  await replica.query(`CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${source.port}, MASTER_USER = 'root', MASTER_PASSWORD = '', MASTER_LOG_FILE = '${start.file}', MASTER_LOG_POS = ${start.pos}, MASTER_USE_GTID = no`);
  const cpu0 = serverCpu(replica);
  const t0 = performance.now();
  await replica.query('START SLAVE');
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const st = (await replica.query<Array<Record<string, string | number | null>>>('SHOW SLAVE STATUS'))[0];
    if (!st) throw new Error('native replica: SHOW SLAVE STATUS is empty');
    if (st.Last_SQL_Error || st.Last_IO_Error) throw new Error(`native replica failed: ${String(st.Last_SQL_Error || st.Last_IO_Error)}`);
    const file = String(st.Relay_Master_Log_File);
    if (file > end.file || (file === end.file && Number(st.Exec_Master_Log_Pos) >= end.pos)) break;
    if (performance.now() - t0 > 600_000) throw new Error('native replica: not done after 10 minutes');
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = serverCpu(replica) - cpu0;
  await replica.query('STOP SLAVE');
  return { rowsS: ROWS / seconds, cpuUsPerRow: cpu / ROWS * 1e6, seconds };
}

/** BENCH_PERF_TARGET=dir: `perf record -g` on the target server during the steady stream (dir/target-<tables>.perf.data). */
function startPerf(server: MariaDbServer, n: number, what = 'stream'): ChildProcess | null {
  const dir = process.env.BENCH_PERF_TARGET;
  if (!dir) return null;
  const pid = readFileSync(join(server.datadir, '..', 'mysqld.pid'), 'utf8').trim();
  return spawn('/usr/bin/perf', ['record', '-g', '-p', pid, '-o', join(dir, `target-${n}-${what}.perf.data`)], { stdio: 'ignore' });
}

async function stopPerf(perf: ChildProcess | null): Promise<void> {
  if (perf === null || perf.exitCode !== null) return;
  const done = new Promise((r) => perf.once('exit', r));
  perf.kill('SIGINT');
  await done;
}

/** The target's statement and row counters (what the stream asked of it). */
async function statementCounters(server: MariaDbServer): Promise<Map<string, number>> {
  const rows = await server.query<Array<{ Variable_name: string; Value: string }>>(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_replace', 'Com_insert', 'Com_update', 'Com_select', 'Com_delete', 'Com_commit', 'Com_begin', 'Innodb_rows_inserted', 'Innodb_rows_updated', 'Innodb_rows_deleted', 'Innodb_rows_read', "
    + "'Handler_write', 'Handler_update', 'Handler_delete', 'Handler_read_key', 'Handler_read_next', 'Handler_read_rnd_next', 'Handler_commit', 'Handler_prepare', 'Handler_tmp_write', "
    + "'Innodb_system_rows_inserted', 'Innodb_system_rows_updated', 'Innodb_system_rows_read', 'Innodb_buffer_pool_read_requests', 'Innodb_buffer_pool_write_requests', 'Innodb_log_writes', 'Innodb_data_fsyncs', 'Bytes_received')");
  return new Map(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

interface TableCacheFigures { opened: number; misses: number; definitions: number; openCache: number; definitionCache: number; innodbFiles: number }

/** The server's table cache counters and sizes (a cache smaller than the tables written reopens tables on every statement). */
async function tableCache(server: MariaDbServer): Promise<TableCacheFigures> {
  const rows = await server.query<Array<{ Variable_name: string; Value: string }>>(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Opened_tables', 'Table_open_cache_misses', 'Opened_table_definitions')");
  const vars = await server.query<Array<{ Variable_name: string; Value: string }>>(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('table_open_cache', 'table_definition_cache', 'innodb_open_files')");
  const v = new Map([...rows, ...vars].map((r) => [r.Variable_name.toLowerCase(), Number(r.Value)]));
  return { opened: v.get('opened_tables') ?? 0, misses: v.get('table_open_cache_misses') ?? 0, definitions: v.get('opened_table_definitions') ?? 0,
    openCache: v.get('table_open_cache') ?? 0, definitionCache: v.get('table_definition_cache') ?? 0, innodbFiles: v.get('innodb_open_files') ?? 0 };
}

/** Changes per target transaction, and distinct tables per target transaction (tuning.batchSize, tuning.maxBatchTables defaults). */
const BATCH = DEFAULT_TUNING.batchSize;
const BATCH_TABLES = DEFAULT_TUNING.maxBatchTables;

interface Ceiling { rowsS: number; cpuUsPerRow: number }
let ceilingIds = 1_000_000;

/**
 * What the target itself sustains for the stream's batch shape: BATCH changes spread round-robin over the tables
 * (half new rows, half updates of row 1, merged per table as Sluice merges them), per table one multi-row REPLACE, in transactions of at most `tablesPerTxn` tables, each
 * committed, `txnsPerTrip` transactions per round trip. With thousands of tables each row is its own statement on
 * its own table, and the server's cost per statement grows with the tables its transaction already touched. Best
 * rate of `rounds`; the target server's CPU per row over all rounds (/proc).
 */
async function targetCeiling(target: MariaDbServer, db: string, n: number, tablesPerTxn: number, rounds: number, txnsPerTrip = 1): Promise<Ceiling> {
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: target.port, user: 'root', multipleStatements: true });
  try {
    let best = Infinity;
    const cpu0 = serverCpu(target);
    for (let round = 0; round < rounds; round++) {
      // As the stream's batches after merging: per table, the new rows and (for the updates of row 1) one full
      // image of row 1, which REPLACE turns into an in-place update.
      const rows = new Map<number, string[]>();
      const updated = new Set<number>();
      for (let i = 0; i < BATCH; i++) {
        const t = (round * BATCH + i) % n;
        if (i % 2 === 1 && updated.has(t)) continue;
        if (i % 2 === 1) updated.add(t);
        rows.set(t, [...(rows.get(t) ?? []), i % 2 === 0 ? `(${ceilingIds++}, ${i}, 'y')` : `(1, ${i}, 'u')`]);
      }
      const statements = [...rows].map(([t, values]) => `REPLACE INTO ${db}.t${t} (id, v, s) VALUES ${values.join(',')}`);
      const txns: string[] = [];
      for (let i = 0; i < statements.length; i += tablesPerTxn) txns.push(`START TRANSACTION; ${statements.slice(i, i + tablesPerTxn).join(';\n')}; COMMIT`);
      const t0 = performance.now();
      for (let i = 0; i < txns.length; i += txnsPerTrip) await conn.query(txns.slice(i, i + txnsPerTrip).join(';\n'));
      best = Math.min(best, performance.now() - t0);
    }
    return { rowsS: BATCH / (best / 1000), cpuUsPerRow: (serverCpu(target) - cpu0) / (BATCH * rounds) * 1e6 };
  } finally {
    await conn.end();
  }
}

const micro = microPhase();
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-scale-'));
const source = await startMariaDb({ serverId: 1, extraArgs: SERVER_ARGS, startTimeoutMs: 60_000 });
const target = await startMariaDb({ serverId: 2, binlog: false, extraArgs: SERVER_ARGS, startTimeoutMs: 60_000 });
const replica = await startMariaDb({ serverId: 3, binlog: false, extraArgs: SERVER_ARGS, startTimeoutMs: 60_000 });
try {
  await sizeTableCache(source);
  await sizeTableCache(target);
  await sizeTableCache(replica);
  const small = await runScale(dir, source, target, replica, 10);
  const big = await runScale(dir, source, target, replica, TABLES);
  const within = big.rowsS / small.rowsS;
  say(`summary (steady stream): ${Math.round(big.steadyRowsS)} vs ${Math.round(small.steadyRowsS)} rows/s = ${(big.steadyRowsS / small.steadyRowsS * 100).toFixed(0)} %; CPU µs per row (Sluice / target / source) ${Object.values(big.cpuUsPerRow).join(' / ')} vs ${Object.values(small.cpuUsPerRow).join(' / ')}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  say(`summary (native replica, the physical reference): ${Math.round(big.native.rowsS)} vs ${Math.round(small.native.rowsS)} rows/s = ${(big.native.rowsS / small.native.rowsS * 100).toFixed(0)} %; replica CPU µs per row ${big.native.cpuUsPerRow.toFixed(1)} vs ${small.native.cpuUsPerRow.toFixed(1)}; Sluice's steady stream is ${(big.steadyRowsS / big.native.rowsS * 100).toFixed(0)} % of it at ${TABLES} tables, ${(small.steadyRowsS / small.native.rowsS * 100).toFixed(0)} % at 10`);
  say(`summary: ${TABLES} tables peak RSS ${big.peakRss} MB (goal < 300), initial copy ${big.snapshotS.toFixed(1)} s, stream ${Math.round(big.rowsS)} rows/s = ${(within * 100).toFixed(0)} % of the 10-table rate ${Math.round(small.rowsS)} (goal ≥ 90 %); `
    + `the target alone manages ${Math.round(big.ceiling)} rows/s with ${TABLES} tables vs ${Math.round(small.ceiling)} with 10 (Sluice: ${(big.rowsS / big.ceiling * 100).toFixed(0)} % and ${(small.rowsS / small.ceiling * 100).toFixed(0)} % of it)`);
  process.stdout.write(JSON.stringify({
    tables: TABLES, peak_rss_mb: big.peakRss, snapshot_s: round(big.snapshotS, 1), stream_rows_s: Math.round(big.rowsS),
    stream_rows_s_10_tables: Math.round(small.rowsS), peak_rss_mb_10_tables: small.peakRss, snapshot_s_10_tables: round(small.snapshotS, 1),
    target_ceiling_rows_s: Math.round(big.ceiling), target_ceiling_rows_s_10_tables: Math.round(small.ceiling),
    target_one_txn_rows_s: Math.round(big.oneTxn), target_one_txn_rows_s_10_tables: Math.round(small.oneTxn),
    stream_ratio: round(within, 3), steady_rows_s: Math.round(big.steadyRowsS), steady_rows_s_10_tables: Math.round(small.steadyRowsS),
    steady_ratio: round(big.steadyRowsS / small.steadyRowsS, 3), cpu_us_per_row: big.cpuUsPerRow, cpu_us_per_row_10_tables: small.cpuUsPerRow,
    target_ceiling_cpu_us_per_row: big.ceilingCpuUs, target_ceiling_packed_rows_s: Math.round(big.packedCeiling), peak_rss_mb_by_status: { snapshot: big.snapRss, stream: big.streamRss },
    native_replica_rows_s: Math.round(big.native.rowsS), native_replica_rows_s_10_tables: Math.round(small.native.rowsS),
    native_replica_cpu_us_per_row: round(big.native.cpuUsPerRow, 1), native_replica_cpu_us_per_row_10_tables: round(small.native.cpuUsPerRow, 1),
    load_average: loadavg().map((x) => round(x, 1)),
    check_state_ms_serialize: micro.stringify_ms, check_state_ms_revision: micro.revision_ms,
  }) + '\n');
} finally {
  await source.stop();
  await target.stop();
  await replica.stop();
  rmSync(dir, { recursive: true, force: true });
}
