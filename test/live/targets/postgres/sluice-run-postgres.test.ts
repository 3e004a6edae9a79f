// `sluice run` from MariaDB into PostgreSQL, end to end: the config's `type: postgres` target, the initial
// snapshot (COPY), streamed inserts/updates/deletes, a translated ALTER TABLE, a SIGTERM and a restart that
// resumes from the checkpoint in PostgreSQL without applying anything twice (a table without a primary key
// would show duplicates).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { eventually } from '../../sync-helpers.js';
import { startSluice, type RunningSluice } from '../../sluice-cli-helpers.js';
import { createPgDatabase, type PgTestDatabase } from './pg-test-helpers.js';

describe('sluice run: MariaDB → PostgreSQL', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  let dir: string;
  let configPath: string;
  const runs: RunningSluice[] = [];

  before(async () => {
    [source, db] = await Promise.all([startMariaDb({ serverId: 71, extraArgs: ['--default-time-zone=+00:00'] }), createPgDatabase()]);
    await source.query(`CREATE DATABASE app;
      CREATE TABLE app.account (id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, balance DECIMAL(12,2) NOT NULL, big BIGINT UNSIGNED,
        kind ENUM('a','b') NOT NULL, opened DATETIME NULL, UNIQUE KEY u_email (email));
      CREATE TABLE app.event (k INT, note VARCHAR(20));
      INSERT INTO app.account SELECT seq, CONCAT('u', seq, '@example.com'), seq / 4, 18446744073709551615 - seq, IF(seq % 2, 'a', 'b'),
        IF(seq % 3, '2024-01-02 03:04:05', '0000-00-00 00:00:00') FROM app.seq_1_to_700;
      INSERT INTO app.event SELECT seq % 5, 'dup' FROM app.seq_1_to_30;`);
    dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
    configPath = join(dir, 'sluice.yaml');
    writeFileSync(configPath, `
sources:
  app:
    type: mariadb
    url: mysql://root@127.0.0.1:${source.port}
targets:
  pg:
    type: postgres
    url: ${db.url}
tuning:
  maxBatchDelayMs: 20
  snapshotChunkSize: 200
pipelines:
  - name: app-to-pg
    source: app
    target: pg
    tables: ["app.*"]
`);
  });
  after(async () => {
    for (const r of runs) r.child.kill('SIGKILL');
    await Promise.all([source?.stop(), db?.drop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Both sides as sorted text lines (the columns' text forms agree for these types). */
  async function sides(): Promise<{ src: string[]; pg: string[] }> {
    const src = await source.query<Array<{ l: string }>>(`SELECT CONCAT_WS('|', id, email, balance, big, kind, IFNULL(opened, 'null')) AS l FROM app.account
      UNION ALL SELECT CONCAT_WS('|', 'event', IFNULL(k, 'null'), IFNULL(note, 'null')) FROM app.event`);
    const pg = await db.query(`SELECT concat_ws('|', id, email, balance, big, kind, CASE WHEN opened = '-infinity' THEN '0000-00-00 00:00:00' ELSE coalesce(opened::text, 'null') END) AS l FROM app.account
      UNION ALL SELECT concat_ws('|', 'event', coalesce(k::text, 'null'), coalesce(note, 'null')) FROM app.event`).catch(() => []);
    return { src: src.map((r) => r.l).sort(), pg: pg.map((r) => r.l!).sort() };
  }
  async function identical(): Promise<boolean> {
    const { src, pg } = await sides();
    return src.length === pg.length && src.every((l, i) => l === pg[i]);
  }

  it('copies, streams, translates DDL, stops on SIGTERM and resumes exactly once', async () => {
    const first = startSluice(configPath, { SLUICE_LOG_LEVEL: 'info' });
    runs.push(first);
    await eventually(identical, 60_000, 'the snapshot into PostgreSQL').catch((err: unknown) => {
      process.stderr.write(first.stderr().slice(-4000));
      throw err;
    });
    // Streamed changes, including a key-less table and an ALTER TABLE.
    await source.query(`UPDATE app.account SET balance = balance + 1, kind = 'b' WHERE id <= 50;
      DELETE FROM app.account WHERE id > 690;
      INSERT INTO app.account VALUES (1001, 'new@example.com', 1.5, 0, 'a', NULL);
      DELETE FROM app.event WHERE k = 0 LIMIT 1; INSERT INTO app.event VALUES (9, 'streamed');`);
    await source.query("ALTER TABLE app.account ADD COLUMN note VARCHAR(20) NOT NULL DEFAULT 'x'");
    await source.query("UPDATE app.account SET note = 'changed' WHERE id = 1");
    await eventually(async () => (await identical()) && (await db.query("SELECT note FROM app.account WHERE id = 1"))[0]?.note === 'changed', 60_000, 'the streamed changes')
      .catch((err: unknown) => {
        process.stderr.write(first.stderr().slice(-4000));
        throw err;
      });
    assert.equal((await db.query("SELECT count(*) AS n FROM app.account WHERE note = 'x'"))[0]!.n, '690', 'existing rows got the DEFAULT (700 − 10 deleted + 1 inserted − 1 changed)');

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, 'a clean stop');
    // Written while stopped: applied after the restart, from the checkpoint.
    await source.query("INSERT INTO app.event VALUES (7, 'offline'); UPDATE app.account SET email = 'moved@example.com' WHERE id = 2");
    const second = startSluice(configPath, { SLUICE_LOG_LEVEL: 'info' });
    runs.push(second);
    await eventually(identical, 60_000, 'the changes written while stopped').catch((err: unknown) => {
      process.stderr.write(second.stderr().slice(-4000));
      throw err;
    });
    assert.equal((await db.query("SELECT count(*) AS n FROM app.event WHERE note = 'offline'"))[0]!.n, '1');
    const cp = await db.query("SELECT epoch, file <> '' AS has_position FROM _sluice.checkpoints WHERE pipeline = 'app-to-pg'");
    assert.deepEqual(cp, [{ epoch: '2', has_position: 't' }]);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });
});
