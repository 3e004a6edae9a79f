// Preflight: a server whose table caches hold fewer tables than a pipeline's scope is named, with the settings to raise.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { checkTableCaches } from '../../../src/mysql/checks.js';

describe('checkTableCaches', () => {
  let server: MariaDbServer;
  let conn: mysql.Connection;
  before(async () => {
    server = await startMariaDb({ binlog: false, extraArgs: ['--table-open-cache=50'] });
    conn = await mysql.createConnection({ host: server.host, port: server.port, user: 'root' });
  });
  after(async () => {
    await conn?.end();
    await server?.stop();
  });

  it('warns when the tables in scope exceed table_open_cache, and is quiet when they fit', async () => {
    const warn = await checkTableCaches(conn, 60, 'target');
    assert.ok(warn, 'a warning');
    assert.equal(warn.code, 'TABLE_CACHE_TOO_SMALL');
    assert.equal(warn.warn, true);
    assert.match(warn.what, /table_open_cache=50/);
    assert.doesNotMatch(warn.what, /table_definition_cache/);
    assert.match(warn.fix ?? '', /table_open_cache=1000/);
    assert.equal(await checkTableCaches(conn, 40, 'target'), null);
  });
});
