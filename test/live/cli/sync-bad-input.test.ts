// Bad input to `sluice run` and `sluice check`: invalid configs, wrong passwords, missing grants, binlog
// off, a missing target privilege, an incompatible target table. Each gives a non-zero exit and one clear
// message naming the cause and the fix (no stack trace), and touches no data on the target: no `_sluice`
// database, no table created, no row written. Also: `sluice check` on a good setup (ok lines, exit 0,
// still nothing created) and on a source with binlog_row_image=MINIMAL (a WARN line with the fix).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { plainLines, runCli, type CliRun } from '../sluice-cli-helpers.js';

const REPL_PW = 'Repl-pw_71';
const SYNC_PW = 'Sync-pw_72';
const WRONG_PW = 'Wrong-pw_99';

describe('sluice run / check: bad input fails fast, clearly, and touches nothing', () => {
  let source: MariaDbServer;
  let nobinlog: MariaDbServer;
  let target: MariaDbServer;
  let dir: string;

  before(async () => {
    [source, nobinlog, target] = await Promise.all([
      startMariaDb({ serverId: 31 }), startMariaDb({ serverId: 32, binlog: false }), startMariaDb({ serverId: 33 })]);
    const schema = `CREATE DATABASE shop;
      CREATE TABLE shop.alpha (id INT PRIMARY KEY, v VARCHAR(20));
      CREATE TABLE shop.item (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2));
      INSERT INTO shop.alpha SELECT seq, CONCAT('a', seq) FROM shop.seq_1_to_50;
      INSERT INTO shop.item SELECT seq, CONCAT('item ', seq), seq * 1.5 FROM shop.seq_1_to_50;`;
    await source.query(`${schema}
      CREATE USER 'repl'@'%' IDENTIFIED BY '${REPL_PW}'; GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'repl'@'%';
      CREATE USER 'selonly'@'%' IDENTIFIED BY '${REPL_PW}'; GRANT SELECT ON *.* TO 'selonly'@'%';`);
    await nobinlog.query(schema);
    // The incompatible case: a target table with another definition (and a row that must stay alone).
    await target.query(`CREATE USER 'sync'@'%' IDENTIFIED BY '${SYNC_PW}'; GRANT ALL ON *.* TO 'sync'@'%';
      CREATE USER 'reader'@'%' IDENTIFIED BY '${SYNC_PW}'; GRANT SELECT ON *.* TO 'reader'@'%';
      CREATE DATABASE copy_incompat; CREATE TABLE copy_incompat.item (id INT PRIMARY KEY, title TEXT);
      INSERT INTO copy_incompat.item VALUES (1, 'keep me');`);
    dir = mkdtempSync(join(tmpdir(), 'sluice-bad-input-'));
  });
  after(async () => {
    await Promise.all([source?.stop(), nobinlog?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const url = (s: MariaDbServer, user: string, pw: string): string => `mysql://${user}:${pw}@127.0.0.1:${s.port}`;

  function config(name: string, text: string): string {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, text);
    return path;
  }

  function goodYaml(o: { sourceUrl?: string; targetUrl?: string; targetDatabase?: string } = {}): string {
    return `
sources:
  products:
    type: mysql
    url: ${o.sourceUrl ?? url(source, 'repl', REPL_PW)}
targets:
  copy:
    type: mysql
    url: ${o.targetUrl ?? url(target, 'sync', SYNC_PW)}
pipelines:
  - name: p1
    source: products
    target: copy
    tables: ["shop.*"]
    targetDatabase: ${o.targetDatabase ?? 'copy'}
`;
  }

  /** Nothing on the target but what the test created. */
  async function assertTargetUntouched(what: string): Promise<void> {
    const dbs = await target.query<Array<{ d: string }>>(
      "SELECT SCHEMA_NAME AS d FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1");
    assert.deepEqual(dbs.map((r) => r.d), ['copy_incompat'], `${what}: databases on the target`);
    const tables = await target.query<Array<{ t: string }>>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'copy_incompat'");
    assert.deepEqual(tables.map((r) => r.t), ['item'], `${what}: tables in copy_incompat`);
    const rows = await target.query<Array<{ id: number; title: string }>>('SELECT id, title FROM copy_incompat.item');
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ id: 1, title: 'keep me' }], `${what}: rows of copy_incompat.item`);
  }

  function assertOneError(what: string, run: CliRun, expectedCode: number, pattern: RegExp): void {
    const lines = plainLines(run.stderr);
    assert.equal(run.code, expectedCode, `${what}: exit code ${run.code}; stderr:\n${run.stderr}`);
    assert.equal(lines.length, 1, `${what}: exactly one message line on stderr, got:\n${run.stderr}`);
    assert.match(lines[0]!, pattern, `${what}: the message`);
    assert.match(lines[0]!, / — fix: \S/, `${what}: the message has a fix`);
    assert.doesNotMatch(run.stderr, /^\s+at /m, `${what}: no stack trace`);
    assert.ok(!run.stderr.includes(WRONG_PW) && !run.stdout.includes(WRONG_PW), `${what}: the password is not printed`);
    // No error-level structured log either: the one line above is the whole story.
    assert.doesNotMatch(run.stderr, /"level":5\d/, `${what}: no error logs besides the message`);
  }

  describe('invalid config', () => {
    const cases: Array<[string, () => string, RegExp]> = [
      ['unknown key', () => goodYaml().replace('targetDatabase:', 'targetDatabse:'),
        /^sluice: error BAD_CONFIG: \S+\.yaml: pipelines\[0\]\.targetDatabse: unknown key — fix: did you mean 'targetDatabase'\? allowed keys here: /],
      ['missing sources', () => goodYaml().replace(/^sources:\n {2}products:\n {4}type: mysql\n {4}url: .*\n/m, ''),
        /^sluice: error BAD_CONFIG: \S+\.yaml: sources: required key is missing — fix: add sources:/],
      ['bad YAML', () => goodYaml().replace('    target: copy', '   target: copy'),
        /^sluice: error BAD_CONFIG: \S+\.yaml: \(top level\): invalid YAML at line 13, column 1: .* — fix: fix the YAML syntax there/],
      ['missing ${ENV} variable', () => goodYaml({ sourceUrl: `mysql://repl:\${SLUICE_TEST_UNSET_PW}@127.0.0.1:${source.port}` }),
        /^sluice: error BAD_CONFIG: \S+\.yaml: sources\.products\.url: environment variable SLUICE_TEST_UNSET_PW is not set — fix: export SLUICE_TEST_UNSET_PW before starting sluice/],
    ];
    for (const [what, text, pattern] of cases) {
      it(`${what}: run and check exit 2 with one BAD_CONFIG line naming the key`, async () => {
        const path = config(what.replace(/\W+/g, '-'), text());
        for (const cmd of ['run', 'check']) {
          const run = await runCli([cmd, '--config', path], { SLUICE_TEST_UNSET_PW: undefined });
          assertOneError(`${cmd} ${what}`, run, 2, pattern);
          assert.equal(run.stdout, '', `${cmd} ${what}: nothing on stdout`);
        }
        await assertTargetUntouched(what);
      });
    }

    it('a misspelt required key: one BAD_CONFIG error listing both problems (unknown key, required key missing) with fixes', async () => {
      const path = config('misspelt-required', goodYaml().replace('tables:', 'tabels:'));
      for (const cmd of ['run', 'check']) {
        const run = await runCli([cmd, '--config', path]);
        assert.equal(run.code, 2, `${cmd}: exit code; stderr:\n${run.stderr}`);
        assert.equal(run.stdout, '');
        assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
        const lines = plainLines(run.stderr);
        assert.equal(lines.length, 3, run.stderr);
        assert.match(lines[0]!, /^sluice: error BAD_CONFIG: \S+\.yaml: 2 problems:$/);
        assert.equal(lines[1], '  - pipelines[0].tables: required key is missing (fix: add tables: (a list))');
        assert.match(lines[2]!, /^ {2}- pipelines\[0\]\.tabels: unknown key \(fix: did you mean 'tables'\? .*\) — fix: correct each key listed above/);
      }
      await assertTargetUntouched('misspelt required key');
    });
  });

  // [what, config, run's message, check's FAIL line]
  const serverCases: Array<[string, () => string, RegExp, RegExp]> = [
    ['wrong source password', () => goodYaml({ sourceUrl: url(source, 'repl', WRONG_PW) }),
      /^sluice: error ACCESS_DENIED: source products: reachable: access denied: Access denied for user 'repl'.* — fix: check the user name and password in the source URL/,
      /^FAIL source products: ACCESS_DENIED: reachable: access denied: Access denied for user 'repl'/],
    ['wrong target password', () => goodYaml({ targetUrl: url(target, 'sync', WRONG_PW) }),
      /^sluice: error ACCESS_DENIED: target copy: reachable: Access denied for user 'sync'.* — fix: check the user and password in the target URL/,
      /^FAIL target copy: ACCESS_DENIED: reachable: Access denied for user 'sync'/],
    ['source user without replication grants', () => goodYaml({ sourceUrl: url(source, 'selonly', REPL_PW) }),
      /^sluice: error MISSING_GRANTS: source products: replication grants: the replication user lacks privileges .* — fix: as an administrator run: GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON \*\.\* TO `selonly`@`%`$/,
      /^FAIL source products: MISSING_GRANTS: replication grants: the replication user lacks privileges needed to read the binlog/],
    ['source with binlog off', () => goodYaml({ sourceUrl: url(nobinlog, 'root', '') }),
      /^sluice: error BINLOG_DISABLED: source products: binary log is OFF .* — fix: start the source server with log_bin=ON/,
      /^FAIL source products: BINLOG_DISABLED: binary log is OFF/],
    ['target user that cannot write', () => goodYaml({ targetUrl: url(target, 'reader', SYNC_PW) }),
      /^sluice: error MISSING_GRANTS: target copy: the target user lacks INSERT, UPDATE, DELETE, CREATE on _sluice — fix: as an administrator run: GRANT /,
      /^FAIL target copy: MISSING_GRANTS: the target user lacks INSERT, UPDATE, DELETE, CREATE on _sluice/],
    ['incompatible target table', () => goodYaml({ targetDatabase: 'copy_incompat' }),
      /^sluice: error TARGET_TABLE_INCOMPATIBLE: pipeline p1: table shop\.item: target table `copy_incompat`\.`item` does not match source `shop`\.`item`: .*`name`.* — fix: ALTER the target table to the source definition/,
      /^FAIL pipeline p1: TARGET_TABLE_INCOMPATIBLE: table shop\.item: target table `copy_incompat`\.`item` does not match/],
  ];
  for (const [what, text, runPattern, checkPattern] of serverCases) {
    it(`${what}: run exits 2 at once with one message; check prints one FAIL with the fix and exits 1`, async () => {
      const path = config(what.replace(/\W+/g, '-'), text());
      const run = await runCli(['run', '--config', path], {}, 20_000);
      assertOneError(`run: ${what}`, run, 2, runPattern);
      await assertTargetUntouched(`run: ${what}`);

      const check = await runCli(['check', '--config', path], {}, 20_000);
      assert.equal(check.code, 1, `check: ${what}: exit code; stdout:\n${check.stdout}\nstderr:\n${check.stderr}`);
      assert.equal(check.stderr, '', `check: ${what}: nothing on stderr`);
      const out = check.stdout.split('\n');
      const fails = out.filter((l) => l.startsWith('FAIL'));
      assert.equal(fails.length, 1, `check: ${what}: one FAIL line:\n${check.stdout}`);
      assert.match(fails[0]!, checkPattern);
      assert.match(out[out.indexOf(fails[0]!) + 1] ?? '', /^ {5}fix: \S/, `check: ${what}: the fix follows the FAIL line`);
      assert.ok(!check.stdout.includes(WRONG_PW), `check: ${what}: the password is not printed`);
      await assertTargetUntouched(`check: ${what}`);
    });
  }

  it('check on a good setup prints ok lines, exits 0 and creates nothing', async () => {
    const path = config('good', goodYaml());
    const check = await runCli(['check', '--config', path]);
    assert.equal(check.code, 0, `exit code; stdout:\n${check.stdout}\nstderr:\n${check.stderr}`);
    assert.equal(check.stderr, '');
    const lines = check.stdout.trim().split('\n');
    assert.match(lines[0]!, /^config \S+good\.yaml: OK \(1 sources, 1 targets, 1 pipelines\)$/);
    assert.deepEqual(lines.filter((l) => /^(FAIL|WARN)/.test(l)), []);
    for (const expected of [
      /^ok {3}source products: reachable: mariadb 10\./m, /^ok {3}source products: binary log enabled$/m, /^ok {3}source products: binlog_format=ROW$/m,
      /^ok {3}source products: binlog_row_image=FULL$/m, /^ok {3}source products: replication grants/m,
      /^ok {3}target copy: reachable: mariadb 10\./m, /^ok {3}target copy: privileges on checkpoint database _sluice$/m,
      /^ok {3}target copy: may end a paused instance's transaction \(PROCESS\)$/m,
      /^ok {3}pipeline p1: 2 source tables in scope$/m, /^ok {3}pipeline p1: privileges on target databases copy$/m,
    ]) assert.match(check.stdout, expected);
    await assertTargetUntouched('check on a good setup');
  });

  it('check on a source with binlog_row_image=MINIMAL prints a WARN line with the fix and exits 0', async () => {
    await source.query("SET GLOBAL binlog_row_image = 'MINIMAL'");
    try {
      const check = await runCli(['check', '--config', config('minimal', goodYaml())]);
      assert.equal(check.code, 0, `exit code; stdout:\n${check.stdout}`);
      const out = check.stdout.split('\n');
      const warns = out.filter((l) => l.startsWith('WARN'));
      assert.equal(warns.length, 1, check.stdout);
      assert.match(warns[0]!, /^WARN source products: BINLOG_ROW_IMAGE_NOT_FULL: binlog_row_image=MINIMAL: /);
      assert.equal(out[out.indexOf(warns[0]!) + 1], "     fix: SET GLOBAL binlog_row_image='FULL' and make it permanent in the server config");
    } finally {
      await source.query("SET GLOBAL binlog_row_image = 'FULL'");
    }
  });
});
