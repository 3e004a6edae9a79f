// npm run bench:decode — decodes the same binlog (≥40 MB, ≥300k row changes over a 10-column mixed-type
// table) with Sluice and with @vlasky/zongji, each in its own process, and prints rows/s, the ratio and
// Sluice's peak RSS. Last line: JSON.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMariaDb } from '../src/testkit/mariadb-server.js';
import { readBinlogFileMessages } from '../src/source/binlog-file-source.js';
import { peakRssMb } from './peak-rss.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const INSERTS = Number(process.env.BENCH_INSERTS ?? 200_000);

interface ChildResult { rows: number; seconds: number; peak_rss_mb: number }

async function child(script: string, url: string, total: number): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [join(here, script), url, String(total)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

const server = await startMariaDb({ serverId: 1 });
try {
  process.stderr.write(`bench: generating the workload on ${server.url} …\n`);
  await server.query('CREATE DATABASE bench');
  await server.query(`CREATE TABLE bench.t (
    id INT PRIMARY KEY, a BIGINT NOT NULL, b VARCHAR(64), c DECIMAL(12,4), d DATETIME(6), e DOUBLE,
    f TEXT, g INT UNSIGNED, h TIMESTAMP(3) NULL, i ENUM('x','y','z'))`);
  const step = 10_000;
  for (let lo = 1; lo <= INSERTS; lo += step) {
    const hi = Math.min(INSERTS, lo + step - 1);
    await server.query(`INSERT INTO bench.t SELECT seq, seq * 1000003, CONCAT('name-', seq, '-', MD5(seq)), seq / 7,
      TIMESTAMP('2024-01-01 00:00:00') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND, seq / 3,
      REPEAT('lorem ipsum ', 1 + seq % 4), seq * 7, FROM_UNIXTIME(1700000000 + seq), ELT(1 + seq % 3, 'x','y','z')
      FROM bench.seq_${lo}_to_${hi}`);
  }
  const updates = Math.floor(INSERTS / 2);
  for (let lo = 1; lo <= updates; lo += step) {
    await server.query(`UPDATE bench.t SET a = a + 1, b = CONCAT(b, '!'), c = c + 1.5 WHERE id BETWEEN ${lo} AND ${Math.min(updates, lo + step - 1)}`);
  }
  const deletes = Math.floor(INSERTS / 4);
  for (let lo = INSERTS - deletes + 1; lo <= INSERTS; lo += step) {
    await server.query(`DELETE FROM bench.t WHERE id BETWEEN ${lo} AND ${Math.min(INSERTS, lo + step - 1)}`);
  }
  const total = INSERTS + updates + deletes;
  await server.query('FLUSH BINARY LOGS');
  const logs = await server.query<Array<{ Log_name: string; File_size: number }>>('SHOW BINARY LOGS');
  const bytes = logs.reduce((s, l) => s + Number(l.File_size), 0);
  process.stderr.write(`bench: ${total} row changes, ${(bytes / 1048576).toFixed(1)} MB of binlog\n`);

  // Decoding from the file on disk (no network), in this process.
  const file = join(server.datadir, logs[0]!.Log_name);
  const f0 = performance.now();
  let fileRows = 0;
  for await (const m of readBinlogFileMessages(file, { filter: (db) => db === 'bench' })) {
    if (m.kind === 'transaction') fileRows += m.changes.length;
  }
  const fileSeconds = (performance.now() - f0) / 1000;
  const fileRssMb = peakRssMb();
  process.stderr.write(`bench: sluice file decode: ${fileRows} rows in ${fileSeconds.toFixed(2)} s = ${Math.round(fileRows / fileSeconds)} rows/s (${(statSync(file).size / 1048576).toFixed(1)} MB file)\n`);

  // Streaming from the server: each reader in its own process, same binlog.
  const sluice = await child('decode-sluice.js', server.url, total);
  process.stderr.write(`bench: sluice stream: ${sluice.rows} rows in ${sluice.seconds.toFixed(2)} s = ${Math.round(sluice.rows / sluice.seconds)} rows/s, peak RSS ${sluice.peak_rss_mb} MB\n`);
  const zongji = await child('decode-zongji.js', server.url, total);
  process.stderr.write(`bench: zongji stream: ${zongji.rows} rows in ${zongji.seconds.toFixed(2)} s = ${Math.round(zongji.rows / zongji.seconds)} rows/s, peak RSS ${zongji.peak_rss_mb} MB\n`);

  const sluiceRate = sluice.rows / sluice.seconds;
  const zongjiRate = zongji.rows / zongji.seconds;
  const result = {
    sluice_rows_s: Math.round(sluiceRate),
    zongji_rows_s: Math.round(zongjiRate),
    ratio: Number((sluiceRate / zongjiRate).toFixed(2)),
    peak_rss_mb: sluice.peak_rss_mb,
    zongji_peak_rss_mb: zongji.peak_rss_mb,
    sluice_file_rows_s: Math.round(fileRows / fileSeconds),
    file_decode_peak_rss_mb: fileRssMb,
    binlog_mb: Number((bytes / 1048576).toFixed(1)),
    row_changes: total,
  };
  process.stdout.write(`sluice ${result.sluice_rows_s} rows/s, zongji ${result.zongji_rows_s} rows/s, ratio ${result.ratio}x, sluice peak RSS ${result.peak_rss_mb} MB\n`);
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  await server.stop();
}
