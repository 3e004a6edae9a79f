// The initial copy is exact for every column type: a table with every MariaDB type, edge values and
// NULLs is snapshotted (the fast path that lets the source print SQL literals), then changed and
// streamed; source and target compare equal column by column (hex of each value's text).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { TYPE_COLUMNS } from '../type-columns.js';
import { eventually, tableRows } from '../sync-helpers.js';

describe('snapshot of every column type', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  before(async () => {
    [source, target] = await Promise.all([
      startMariaDb({ serverId: 31, extraArgs: ['--default-time-zone=+05:30'] }),
      startMariaDb({ serverId: 32, extraArgs: ['--default-time-zone=-08:00'] }),
    ]);
    await source.query('CREATE DATABASE types');
    await source.query(`CREATE TABLE types.t (id INT PRIMARY KEY, ${TYPE_COLUMNS.map((c) => `${c.name} ${c.ddl}`).join(', ')},
      c_gen BIGINT AS (c_int + 1) VIRTUAL) DEFAULT CHARSET=utf8mb4`);
    for (let i = 0; i < 3; i++) {
      await source.query(`SET time_zone = '+00:00'; INSERT INTO types.t (id, ${TYPE_COLUMNS.map((c) => c.name).join(', ')}) VALUES (${i + 1}, ${TYPE_COLUMNS.map((c) => c.values[i]).join(', ')})`);
    }
    await source.query('INSERT INTO types.t (id) VALUES (4)');
    // A table without a primary key, with duplicate rows.
    await source.query("CREATE TABLE types.nokey (a INT, b VARCHAR(10)); INSERT INTO types.nokey VALUES (1, 'x'), (1, 'x'), (2, NULL)");
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('copies every value exactly, then streams changes exactly', async () => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      pipelines: [{ name: 'types', source: 's', target: 't', tables: ['types.*'], targetDatabase: 'copy' }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn') });
    const ctl = new AbortController();
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming', 30_000, 'the snapshot');
      for (const t of ['t', 'nokey']) {
        const [a, b] = await Promise.all([tableRows(source, 'types', t), tableRows(target, 'copy', t)]);
        assert.equal(b.length, a.length, `${t}: row count`);
        a.forEach((row, i) => {
          const ca = row.split('|'), cb = b[i]!.split('|');
          ca.forEach((v, j) => assert.equal(cb[j], v, `${t} row ${i + 1}, column ${j + 1}: ${Buffer.from(cb[j] ?? '', 'hex').toString().slice(0, 60)} != ${Buffer.from(v, 'hex').toString().slice(0, 60)}`));
        });
      }
      await source.query(`SET time_zone = '+00:00'; UPDATE types.t SET ${TYPE_COLUMNS.map((c) => `${c.name} = ${c.values[2]}`).join(', ')} WHERE id = 4`);
      await source.query("DELETE FROM types.nokey WHERE a = 1 LIMIT 1; INSERT INTO types.nokey VALUES (3, 'z')");
      await eventually(async () => {
        for (const t of ['t', 'nokey']) {
          const [a, b] = await Promise.all([tableRows(source, 'types', t), tableRows(target, 'copy', t)]);
          if (a.length !== b.length || a.some((r, i) => r !== b[i])) return false;
        }
        return true;
      }, 30_000, 'the streamed changes').catch(async (err: unknown) => {
        for (const t of ['t', 'nokey']) {
          const [a, b] = await Promise.all([tableRows(source, 'types', t), tableRows(target, 'copy', t)]);
          a.forEach((row, i) => row.split('|').forEach((v, j) => {
            const w = (b[i] ?? '').split('|')[j];
            if (w !== v) process.stderr.write(`DIFF ${t} row ${i + 1} col ${j + 1}: target ${Buffer.from(w ?? '', 'hex').toString().slice(0, 80)} source ${Buffer.from(v, 'hex').toString().slice(0, 80)}\n`);
          }));
          if (a.length !== b.length) process.stderr.write(`DIFF ${t}: ${a.length} vs ${b.length} rows\n`);
        }
        process.stderr.write(`DIFF stats ${JSON.stringify(p.stats)}\n`);
        throw err;
      });
    } finally {
      ctl.abort();
      await run.catch(() => undefined);
    }
  });
});
