// The initial copy is exact for every column type: a table with every MariaDB type, edge values and
// NULLs is snapshotted, then changed and streamed; source and target compare equal column by column (hex
// of each value's text). The snapshot runs twice: through the fast path (the source prints LOAD DATA text),
// and through typed cells encoded by load-data-encoder.ts; both must load with LOAD DATA, none falling back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { pino, type Logger } from 'pino';
import { InformationSchemaLoader } from '../../../src/mysql/schema/schema-loader.js';
import { SnapshotReader } from '../../../src/snapshot/snapshot-reader.js';
import { MysqlTarget } from '../../../src/targets/mysql/mysql-target.js';
import { TYPE_COLUMNS } from '../type-columns.js';
import { eventually, tableRows } from '../sync-helpers.js';

/** A logger that keeps its warnings (to prove that no chunk fell back to INSERT statements). */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino<never>({ level: 'warn' }, { write: (line: string) => { lines.push(line); } }), lines };
}

async function loadsOf(server: MariaDbServer): Promise<number> {
  const r = await server.query<Array<{ Value: string }>>("SHOW GLOBAL STATUS LIKE 'Com_load'");
  return Number(r[0]?.Value ?? 0);
}

async function assertSameRows(source: MariaDbServer, target: MariaDbServer, db: string, table: string): Promise<void> {
  const [a, b] = await Promise.all([tableRows(source, 'types', table), tableRows(target, db, table)]);
  assert.equal(b.length, a.length, `${table}: row count`);
  a.forEach((row, i) => {
    const ca = row.split('|'), cb = b[i]!.split('|');
    ca.forEach((v, j) => assert.equal(cb[j], v, `${db}.${table} row ${i + 1}, column ${j + 1}: ${Buffer.from(cb[j] ?? '', 'hex').toString().slice(0, 60)} != ${Buffer.from(v, 'hex').toString().slice(0, 60)}`));
  });
}

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
    const { logger, lines } = capturingLogger();
    const loads0 = await loadsOf(target);
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger });
    const ctl = new AbortController();
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming', 30_000, 'the snapshot');
      for (const t of ['t', 'nokey']) await assertSameRows(source, target, 'copy', t);
      assert.deepEqual(lines.filter((l) => /LOAD DATA|LOAD_DATA/.test(l)), [], 'no chunk fell back to INSERT statements');
      assert.ok(await loadsOf(target) - loads0 >= 2, 'the chunks went through LOAD DATA');
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

  it('loads typed cells exactly (load-data-encoder.ts), the MySQL target\'s path for any source', async () => {
    const loader = new InformationSchemaLoader(source.url);
    const reader = new SnapshotReader(source.url, 'mariadb', 1);
    const { logger, lines } = capturingLogger();
    const sink = new MysqlTarget({ pipeline: 'cells', connection: target.url, targetDatabase: 'cells', logger });
    try {
      const schemas = await loader.loadDatabase('types');
      await target.query('CREATE DATABASE cells');
      for (const t of ['t', 'nokey']) {
        const create = await source.query<Array<Record<string, string>>>(`SHOW CREATE TABLE types.${t}`);
        await target.query(`USE cells; ${create[0]!['Create Table']!}`);
      }
      await sink.open();
      await sink.prepareSnapshot();
      const loads0 = await loadsOf(target);
      for (const t of ['t', 'nokey']) {
        const schema = schemas.get(t)!;
        const read = await reader.readChunk(schema, { lo: null, hi: null });
        assert.ok(!read.columns.includes('c_gen'), 'generated columns are not read');
        await sink.applySnapshotChunk({ database: 'types', table: t, schema, columns: read.columns, rows: read.rows, index: 0, position: read.position });
        await assertSameRows(source, target, 'cells', t);
      }
      assert.deepEqual(lines.filter((l) => /LOAD DATA|LOAD_DATA/.test(l)), [], 'no chunk fell back to INSERT statements');
      assert.equal(await loadsOf(target) - loads0, 2, 'both chunks went through LOAD DATA');
    } finally {
      await Promise.all([sink.close(), reader.close(), loader.close()]);
    }
  });
});
