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

  /** Runs a pipeline over `tables` into `targetDatabase` and calls `body` once it streams (the snapshot done). */
  const whileStreaming = async (name: string, tables: string, targetDatabase: string,
    body: (run: { p: Pipeline; lines: string[]; loads0: number }) => Promise<void>): Promise<void> => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: source.url } },
      targets: { t: { type: 'mysql', url: target.url } },
      pipelines: [{ name, source: 's', target: 't', tables: [tables], targetDatabase }],
    }), { format: 'json' });
    const { logger, lines } = capturingLogger();
    const loads0 = await loadsOf(target);
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger });
    const ctl = new AbortController();
    const run = p.run(ctl.signal);
    try {
      await eventually(async () => p.stats.status === 'streaming', 30_000, 'the snapshot');
      await body({ p, lines, loads0 });
    } finally {
      ctl.abort();
      await run.catch(() => undefined);
    }
  };

  it('copies every value exactly, then streams changes exactly', async () => {
    await whileStreaming('types', 'types.*', 'copy', async ({ p, lines, loads0 }) => {
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
    });
  });

  it('copies tables of one character set exactly: the text in that set, loaded as binary (TAB, LF, backslash, 0xFB, \\N, NULL)', async () => {
    // Text columns all latin1 / utf8mb3 / utf8mb4: the source sends the text unconverted and the target stores it as
    // it is (CHARACTER SET binary); a table without text columns too. Values that the LOAD DATA text must escape
    // or could mistake for NULL, and bytes (0xFB is NULL's marker in the protocol, 'û' in latin1).
    const tables: Record<string, string> = { l1: 'latin1', u3: 'utf8mb3', u8: 'utf8mb4' };
    await source.query('CREATE DATABASE charsets');
    for (const [t, cs] of Object.entries(tables)) {
      await source.query(`CREATE TABLE charsets.${t} (id INT PRIMARY KEY, s VARCHAR(60), tx TEXT, e ENUM('a','b,c','d''e','û'), st SET('x','y'),
        n INT, dt DATETIME(6), dbl DOUBLE, dc DECIMAL(12,3), vb VARBINARY(20), y YEAR, b BIT(5), ch CHAR(5) NOT NULL DEFAULT '') DEFAULT CHARSET=${cs}`);
      const wide = cs === 'utf8mb4' ? "'😀 ûé€'" : "'ûé€'";
      await source.query(`INSERT INTO charsets.${t} VALUES
        (1, 'tab\there', 'nl\nx\r\n', 'b,c', 'x,y', -5, '0000-00-00 00:00:00', -0e0, -1.5, X'FB090A5C00', 0, b'10101', 'a\tb'),
        (2, '\\\\N', 'NULL', 'd''e', '', NULL, NULL, 1e308, NULL, X'', NULL, NULL, 'NULL'),
        (3, '', '', 'û', NULL, 0, '2024-02-29 12:00:00.000001', 2.2250738585072014e-308, 0, X'FB', 2155, b'0', ''),
        (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DEFAULT),
        (5, 'q''uote,com,ma \\\\ back\\\\', REPEAT(${wide}, 100), 'a', 'y', 2147483647, '9999-12-31 23:59:59.999999', 0.1, 999999999.999, X'5C4E', 1901, b'11111', CONCAT('û', CHAR(9)))`);
    }
    await source.query('CREATE TABLE charsets.nums (id INT PRIMARY KEY, n BIGINT, d DOUBLE, x VARBINARY(4)); INSERT INTO charsets.nums VALUES (1, NULL, -0e0, X\'FB\'), (2, -9223372036854775808, 1.5, NULL)');
    const reader = new SnapshotReader(source.url, 'mariadb', 1);
    const loader = new InformationSchemaLoader(source.url);
    try {
      const schemas = await loader.loadDatabase('charsets');
      for (const [t, cs] of Object.entries(tables)) {
        const text = await reader.readChunkText(schemas.get(t)!, { lo: null, hi: null });
        assert.equal(text?.format === 'pg-copy' ? null : text?.charset, cs, `${t}: the source sent the text in the table's character set`);
      }
    } finally {
      await Promise.all([reader.close(), loader.close()]);
    }
    await whileStreaming('charsets', 'charsets.*', 'copy_cs', async ({ lines, loads0 }) => {
      for (const t of [...Object.keys(tables), 'nums']) {
        const [a, b] = await Promise.all([tableRows(source, 'charsets', t), tableRows(target, 'copy_cs', t)]);
        assert.equal(b.length, a.length, `${t}: row count`);
        a.forEach((row, i) => assert.equal(b[i], row, `${t} row ${i + 1}: ${Buffer.from(b[i] ?? '', 'hex').toString()} != ${Buffer.from(row, 'hex').toString()}`));
      }
      assert.deepEqual(lines.filter((l) => /LOAD DATA|LOAD_DATA/.test(l)), [], 'no chunk fell back to INSERT statements');
      assert.ok(await loadsOf(target) - loads0 >= 4, 'the chunks went through LOAD DATA');
    });
  });

  it('loads latin1 text into a target table of another character set exactly (the server converts)', async () => {
    // Runs after the test above: charsets.l1 exists on the source. The target's copy is utf8mb4 (or utf8mb3), so the
    // text cannot be stored as it is: the load reads it as latin1 and converts.
    const reader = new SnapshotReader(source.url, 'mariadb', 1);
    const loader = new InformationSchemaLoader(source.url);
    const { logger, lines } = capturingLogger();
    const sink = new MysqlTarget({ pipeline: 'convert', connection: target.url, targetDatabase: 'conv', logger });
    try {
      const schema = (await loader.loadDatabase('charsets')).get('l1')!;
      const create = await source.query<Array<Record<string, string>>>('SHOW CREATE TABLE charsets.l1');
      await target.query('CREATE DATABASE conv');
      const ddl = create[0]!['Create Table']!;
      assert.match(ddl, /DEFAULT CHARSET=latin1/);
      for (const [into, cs] of [['l1', 'utf8mb4'], ['l1b', 'utf8mb3']]) {
        await target.query(`USE conv; ${ddl.replace(/CREATE TABLE `l1`/, `CREATE TABLE \`${into}\``).replace(/DEFAULT CHARSET=latin1( COLLATE=\w+)?/, `DEFAULT CHARSET=${cs}`)}`);
      }
      await sink.open();
      await sink.prepareSnapshot();
      const loads0 = await loadsOf(target);
      for (const into of ['l1', 'l1b']) {
        const text = await reader.readChunkText(schema, { lo: null, hi: null });
        assert.ok(text && text.format !== 'pg-copy' && text.charset === 'latin1');
        await sink.applySnapshotChunk({ database: 'charsets', table: into === 'l1' ? 'l1' : 'l1b', schema, columns: text.columns.map((c) => c.name), rows: [],
          sourceText: text, index: into === 'l1' ? 0 : 1, position: text.position });
        const [a, b] = await Promise.all([tableRows(source, 'charsets', 'l1'), tableRows(target, 'conv', into)]);
        assert.deepEqual(b, a, `${into}: the same text`);
      }
      assert.deepEqual(lines.filter((l) => /LOAD DATA|LOAD_DATA/.test(l)), [], 'no chunk fell back to INSERT statements');
      assert.equal(await loadsOf(target) - loads0, 2, 'both chunks went through LOAD DATA');
    } finally {
      await Promise.all([sink.close(), reader.close(), loader.close()]);
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
