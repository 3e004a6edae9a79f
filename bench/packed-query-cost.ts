// node dist/bench/packed-query-cost.js — what one MariaDB server spends per row for the stream's batch shape at many
// tables (PACKED_QUERY_BYTES in src/targets/sql-target-base.ts): transactions of 100 single-row REPLACEs into distinct
// tables (half new rows, half in-place updates), sent 1, 5, 10 or 20 transactions per multi-statement query, twice.
// N (default 2000) tables. Prints rows/s and the server's CPU µs per row (/proc/<pid>/stat) with the load average.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../src/testkit/mariadb-server.js';

const N = Number(process.env.N ?? 2000);
function serverCpu(server: MariaDbServer): number {
  const pid = readFileSync(join(server.datadir, '..', 'mysqld.pid'), 'utf8').trim();
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
const target = await startMariaDb({ binlog: false, extraArgs: ['--innodb-buffer-pool-size=1G', `--table-open-cache=${N + 1000}`, `--table-definition-cache=${N + 1000}`, `--innodb-open-files=${N + 1000}`, '--open-files-limit=65535'], startTimeoutMs: 60000 });
try {
  await target.query(`SET GLOBAL table_open_cache = ${N + 1000}`);
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: target.port, user: 'root', multipleStatements: true });
  await conn.query('CREATE DATABASE s');
  for (let i = 0; i < N; i += 200) await conn.query(Array.from({ length: Math.min(200, N - i) }, (_, k) => `CREATE TABLE s.t${i + k} (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(32)); INSERT INTO s.t${i + k} VALUES (1,1,'a')`).join(';'));
  let id = 10;
  for (const round of [1, 2]) for (const perTrip of [1, 5, 10, 20, 50]) {
    const cpu0 = serverCpu(target); const t0 = performance.now(); let rows = 0;
    for (let b = 0; b < 8; b++) {
      const txns: string[] = [];
      for (let x = 0; x < 50; x++) {
        const st: string[] = [];
        for (let k = 0; k < 100; k++) { const t = (b * 5000 + x * 100 + k) % N; st.push(k % 2 ? `REPLACE INTO \`s\`.\`t${t}\` (\`id\`,\`v\`,\`s\`) VALUES (1,${k},'u')` : `REPLACE INTO \`s\`.\`t${t}\` (\`id\`,\`v\`,\`s\`) VALUES (${id++},${k},'y')`); rows++; }
        txns.push(`START TRANSACTION; ${st.join(';\n')}; COMMIT`);
      }
      for (let i = 0; i < txns.length; i += perTrip) await conn.query(txns.slice(i, i + perTrip).join(';\n'));
    }
    const s = (performance.now() - t0) / 1000;
    console.log(`round ${round} ${perTrip} txns/trip: ${Math.round(rows / s)} rows/s, target CPU ${((serverCpu(target) - cpu0) / rows * 1e6).toFixed(1)} µs/row; load ${loadavg()[0]!.toFixed(1)}`);
  }
  await conn.end();
} finally { await target.stop(); }
