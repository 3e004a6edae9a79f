// `sluice tail` end to end: spawn `node bin/sluice.js tail …` against throwaway servers and check every
// stdout line against the format of issue 2; start positions (earliest, file:pos, gtid:set), --tables,
// --count, --file on the server's own binlog file (FULL metadata: same output as the live tail;
// MINIMAL metadata with no server: keys @1, @2, …), and errors (non-zero exit, one line with the code).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'sluice.js');

interface Run { code: number | null; stdout: string; stderr: string; lines: Array<Record<string, unknown>> }

function sluice(args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not exit within ${timeoutMs} ms; stdout:\n${stdout.slice(0, 2000)}\nstderr:\n${stderr.slice(0, 2000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.length > 0).map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          throw new Error(`stdout line is not JSON: ${l}`);
        }
      });
      resolve({ code, stdout, stderr, lines });
    });
  });
}

function ok(run: Run): Run {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run;
}

const ROW_KEYS = ['op', 'db', 'table', 'before', 'after', 'ts', 'pos'];
const DDL_KEYS = ['op', 'db', 'sql', 'ts', 'pos'];

/** The exact shape of a line: keys in order, ts epoch ms close to now, pos {file,pos,gtid}. */
function checkLine(line: Record<string, unknown>, t0: number): void {
  const keys = Object.keys(line);
  assert.deepEqual(keys, line['op'] === 'ddl' ? DDL_KEYS : ROW_KEYS, `keys of ${JSON.stringify(line)}`);
  assert.ok(['insert', 'update', 'delete', 'ddl'].includes(line['op'] as string));
  const ts = line['ts'];
  assert.ok(typeof ts === 'number' && Number.isInteger(ts), `ts ${String(ts)}`);
  assert.ok(ts >= Math.floor(t0 / 1000) * 1000 - 1000 && ts <= Date.now() + 1000, `ts ${ts} is the commit time (now ${Date.now()})`);
  const pos = line['pos'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(pos), ['file', 'pos', 'gtid']);
  assert.match(pos['file'] as string, /^bin\.\d{6}$/);
  assert.ok(typeof pos['pos'] === 'number' && pos['pos'] >= 4);
  assert.match(pos['gtid'] as string, /^0-\d+-\d+$/);
  if (line['op'] === 'insert') assert.ok(line['before'] === null && line['after'] !== null);
  if (line['op'] === 'update') assert.ok(line['before'] !== null && line['after'] !== null);
  if (line['op'] === 'delete') assert.ok(line['before'] !== null && line['after'] === null);
}

const rowsOf = (r: Run): Array<Record<string, unknown>> => r.lines.filter((l) => l['op'] !== 'ddl');
const strip = (l: Record<string, unknown>): unknown => ({ op: l['op'], db: l['db'], table: l['table'], before: l['before'], after: l['after'] });

const ROW1 = { id: 1, name: 'café 😀', price: '9.90', d: '2024-02-29', dt: '2024-01-02 03:04:05.120', ts: '2024-01-02T03:04:05.678Z', big: '18446744073709551615', neg: -9007199254740993n, st: ['a', 'c'], bits: 5, bin: 'AQID/w==', e: 'y', tm: '-838:59:59' };

describe('sluice tail (CLI)', () => {
  let server: MariaDbServer;
  let minimal: MariaDbServer;
  let t0 = 0;
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-tail-cli-'));
  let midFile = '';
  let midPos = 0;
  let midGtid = '';
  before(async () => {
    t0 = Date.now();
    [server, minimal] = await Promise.all([
      startMariaDb({ binlogRowMetadata: 'FULL', extraArgs: ['--default-time-zone=+00:00'] }),
      startMariaDb({ binlogRowMetadata: 'MINIMAL', extraArgs: ['--default-time-zone=+00:00'] }),
    ]);
    for (const s of [server, minimal]) {
      await s.query('CREATE DATABASE cli');
      await s.query(`CREATE TABLE cli.t (id INT PRIMARY KEY, name VARCHAR(20) CHARACTER SET utf8mb4, price DECIMAL(10,2), d DATE, dt DATETIME(3),
        ts TIMESTAMP(3) NULL, big BIGINT UNSIGNED, neg BIGINT, st SET('a','b','c'), bits BIT(8), bin VARBINARY(4), e ENUM('x','y'), tm TIME)`);
      await s.query('CREATE TABLE cli.u (id INT PRIMARY KEY, v INT)');
      await s.query(`INSERT INTO cli.t VALUES (1, 'café 😀', 9.90, '2024-02-29', '2024-01-02 03:04:05.12', '2024-01-02 03:04:05.678',
        18446744073709551615, -9007199254740993, 'a,c', b'101', X'010203FF', 'y', '-838:59:59')`);
      await s.query('INSERT INTO cli.u VALUES (1, 10)');
      await s.query("UPDATE cli.t SET price = 10.90, name = NULL WHERE id = 1");
    }
    const [st] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    midFile = st!.File;
    midPos = Number(st!.Position);
    const [g] = await server.query<Array<{ g: string }>>('SELECT @@gtid_binlog_pos AS g');
    midGtid = g!.g;
    for (const s of [server, minimal]) {
      await s.query('INSERT INTO cli.u VALUES (2, 20), (3, 30)');
      await s.query('DELETE FROM cli.t WHERE id = 1');
    }
    // The MINIMAL server's binlog, copied so that it is read with no server behind it.
    copyFileSync(join(minimal.datadir, 'bin.000001'), join(tmp, 'bin.000001'));
  });
  after(async () => {
    await Promise.all([server?.stop(), minimal?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('--from earliest prints DDL and row changes in the documented format, and --count stops it', async () => {
    const run = ok(await sluice(['tail', server.url, '--from', 'earliest', '--count', '4']));
    assert.equal(run.stderr, '');
    for (const l of run.lines) checkLine(l, t0);
    const ddl = run.lines.filter((l) => l['op'] === 'ddl');
    assert.deepEqual(ddl.map((l) => [l['db'], (l['sql'] as string).split('(')[0]!.trim()]), [
      ['cli', 'CREATE DATABASE cli'], ['cli', 'CREATE TABLE cli.t'], ['cli', 'CREATE TABLE cli.u'],
    ]);
    const rows = rowsOf(run);
    assert.equal(rows.length, 4, '--count 4 prints 4 row changes');
    // Exact text of the first row change (values as issue 2 specifies).
    const first = run.stdout.split('\n').find((l) => l.startsWith('{"op":"insert"'))!;
    const expected = '{"op":"insert","db":"cli","table":"t","before":null,"after":{"id":1,"name":"café 😀","price":"9.90","d":"2024-02-29",'
      + '"dt":"2024-01-02 03:04:05.120","ts":"2024-01-02T03:04:05.678Z","big":"18446744073709551615","neg":"-9007199254740993",'
      + '"st":["a","c"],"bits":5,"bin":"AQID/w==","e":"y","tm":"-838:59:59"},"ts":';
    assert.equal(first.slice(0, expected.length), expected);
    assert.deepEqual(rows.map((l) => [l['op'], l['table']]), [['insert', 't'], ['insert', 'u'], ['update', 't'], ['insert', 'u']]);
    const upd = rows[2]!;
    assert.deepEqual((upd['before'] as Record<string, unknown>)['price'], '9.90');
    assert.deepEqual((upd['after'] as Record<string, unknown>)['price'], '10.90');
    assert.equal((upd['after'] as Record<string, unknown>)['name'], null);
    // Positions move forward; each transaction has its own GTID.
    const positions = rows.map((l) => (l['pos'] as { pos: number }).pos);
    assert.ok(positions.every((p, i) => i === 0 || p >= positions[i - 1]!), `positions ${positions.join(',')}`);
    assert.equal(ROW1.id, 1);
  });

  it('--tables db.t keeps only that table', async () => {
    const run = ok(await sluice(['tail', server.url, '--from', 'earliest', '--tables', 'cli.u', '--count', '3']));
    const rows = rowsOf(run);
    assert.deepEqual(rows.map(strip), [
      { op: 'insert', db: 'cli', table: 'u', before: null, after: { id: 1, v: 10 } },
      { op: 'insert', db: 'cli', table: 'u', before: null, after: { id: 2, v: 20 } },
      { op: 'insert', db: 'cli', table: 'u', before: null, after: { id: 3, v: 30 } },
    ]);
    for (const l of run.lines.filter((x) => x['op'] === 'ddl')) assert.doesNotMatch(l['sql'] as string, /cli\.t\b/, 'DDL of other tables is filtered too');
  });

  const later = [
    { op: 'insert', db: 'cli', table: 'u', before: null, after: { id: 2, v: 20 } },
    { op: 'insert', db: 'cli', table: 'u', before: null, after: { id: 3, v: 30 } },
  ];

  it('--from <file>:<pos> from SHOW MASTER STATUS starts there', async () => {
    const run = ok(await sluice(['tail', server.url, '--from', `${midFile}:${midPos}`, '--count', '3']));
    for (const l of run.lines) checkLine(l, t0);
    assert.deepEqual(rowsOf(run).map(strip).slice(0, 2), later);
    const del = rowsOf(run)[2]!;
    assert.equal(del['op'], 'delete');
    assert.equal((del['before'] as Record<string, unknown>)['id'], 1);
    assert.ok(rowsOf(run).every((l) => (l['pos'] as { pos: number }).pos > midPos));
  });

  it('--from gtid:<@@gtid_binlog_pos> starts after that GTID', async () => {
    assert.match(midGtid, /^0-\d+-\d+$/);
    const run = ok(await sluice(['tail', server.url, '--from', `gtid:${midGtid}`, '--count', '3']));
    for (const l of run.lines) checkLine(l, t0);
    assert.deepEqual(rowsOf(run).map(strip).slice(0, 2), later);
    const seq = Number(midGtid.split('-')[2]);
    assert.ok(rowsOf(run).every((l) => Number(((l['pos'] as { gtid: string }).gtid).split('-')[2]) > seq));
  });

  it('--file on the server binlog (FULL metadata) prints what the live tail prints', async () => {
    const live = ok(await sluice(['tail', server.url, '--from', 'earliest', '--count', '6']));
    const file = ok(await sluice(['tail', '--file', join(server.datadir, 'bin.000001')]));
    assert.equal(rowsOf(file).length, 6);
    assert.deepEqual(file.lines, live.lines, 'identical lines, positions and timestamps included');
  });

  it('--file with MINIMAL metadata and no server names columns @1, @2, …', async () => {
    const file = ok(await sluice(['tail', '--file', join(tmp, 'bin.000001'), '--tables', 'cli.u']));
    assert.deepEqual(rowsOf(file).map(strip), [
      { op: 'insert', db: 'cli', table: 'u', before: null, after: { '@1': 1, '@2': 10 } },
      { op: 'insert', db: 'cli', table: 'u', before: null, after: { '@1': 2, '@2': 20 } },
      { op: 'insert', db: 'cli', table: 'u', before: null, after: { '@1': 3, '@2': 30 } },
    ]);
    const all = ok(await sluice(['tail', '--file', join(tmp, 'bin.000001'), '--count', '1']));
    const after1 = rowsOf(all)[0]!['after'] as Record<string, unknown>;
    assert.deepEqual(Object.keys(after1), Array.from({ length: 13 }, (_, i) => `@${i + 1}`));
    assert.equal(after1['@1'], 1);
    assert.equal(after1['@3'], '9.90');
    assert.equal(after1['@4'], '2024-02-29');
  });

  describe('errors: non-zero exit, one line on stderr with the code, nothing on stdout', () => {
    let nobinlog: MariaDbServer;
    before(async () => {
      nobinlog = await startMariaDb({ binlog: false });
      await server.query("CREATE USER 'norepl'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON *.* TO 'norepl'@'%'");
    });
    after(async () => { await nobinlog?.stop(); });

    const cases: Array<[string, () => Promise<string[]>, RegExp]> = [
      ['bad URL', async () => ['tail', 'not a url'], /BAD_ARGUMENT/],
      ['nothing listening', async () => ['tail', `mysql://root@127.0.0.1:${await freePort()}`], /CONNECTION_FAILED/],
      ['wrong password', async () => ['tail', server.url.replace('root@', 'root:wrong@')], /AUTH|ACCESS_DENIED|1045/],
      ['binlog off', async () => ['tail', nobinlog.url], /BINLOG_DISABLED/],
      ['user without replication grants: the fix is the GRANT for this account',
        async () => ['tail', server.url.replace('root@', 'norepl:pw@')],
        /MISSING_GRANTS: .* — fix: as an administrator run: GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON \*\.\* TO `norepl`@`%`$/],
      ['bad --from', async () => ['tail', server.url, '--from', 'yesterday'], /BAD_ARGUMENT/],
      ['purged --from file', async () => ['tail', server.url, '--from', 'bin.999999:4'], /POSITION_PURGED/],
      ['bad --count', async () => ['tail', server.url, '--count', '-3'], /BAD_ARGUMENT/],
      ['zero --count', async () => ['tail', server.url, '--count', '0'], /BAD_ARGUMENT/],
      ['unknown option', async () => ['tail', server.url, '--form', 'earliest'], /BAD_ARGUMENT/],
    ];
    for (const [what, args, code] of cases) {
      it(what, async () => {
        const run = await sluice(await args());
        assert.notEqual(run.code, 0, `${what}: exit code`);
        assert.equal(run.stdout, '', `${what}: stdout`);
        const lines = run.stderr.split('\n').filter((l) => l.length > 0);
        assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${run.stderr}`);
        assert.match(lines[0]!, /^sluice: error /);
        assert.match(lines[0]!, code);
      });
    }

    it('the GRANT of the missing-grants fix, pasted as it is, makes tail work', async () => {
      const url = server.url.replace('root@', 'norepl:pw@');
      const failed = await sluice(['tail', url]);
      const stmt = /— fix: as an administrator run: (.*)$/.exec(failed.stderr.trim())?.[1];
      assert.ok(stmt, `a GRANT in:\n${failed.stderr}`);
      await server.query(stmt);
      const run = ok(await sluice(['tail', url, '--from', 'earliest', '--count', '1']));
      assert.equal(rowsOf(run).length, 1);
    });
  });
});
