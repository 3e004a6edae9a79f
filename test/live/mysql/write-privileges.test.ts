// Preflight: a target user without write privileges on a database is told the exact GRANT to run (its own
// user@host, each database), and the GRANT it is told, pasted as it is, makes the check pass.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { checkWritePrivileges } from '../../../src/mysql/checks.js';

describe('checkWritePrivileges', () => {
  let server: MariaDbServer;
  let conn: mysql.Connection;
  before(async () => {
    server = await startMariaDb({ binlog: false });
    await server.query("CREATE USER 'writer'@'%'; GRANT ALL ON allowed.* TO 'writer'@'%'");
    conn = await mysql.createConnection({ host: server.host, port: server.port, user: 'writer', multipleStatements: true });
  });
  after(async () => {
    await conn?.end();
    await server?.stop();
  });

  it('names the missing databases and gives GRANTs for this user that can be pasted', async () => {
    const ok = await checkWritePrivileges(conn, ['allowed'], 'target');
    assert.equal(ok.ok, true);
    const bad = await checkWritePrivileges(conn, ['allowed', 'forbidden_db', 'odd`name'], 'target');
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 'MISSING_GRANTS');
    assert.match(bad.what, /forbidden_db/);
    const grants = (bad.fix ?? '').replace(/^as an administrator run: /, '');
    assert.match(grants, /^GRANT .* ON `allowed`\.\* TO `writer`@`%`; GRANT .* ON `forbidden_db`\.\* TO `writer`@`%`; GRANT .* ON `odd``name`\.\* TO `writer`@`%`;$/);
    await server.query(grants);
    await conn.changeUser({ user: 'writer' }); // a new session sees the new grants
    assert.equal((await checkWritePrivileges(conn, ['allowed', 'forbidden_db', 'odd`name'], 'target')).ok, true);
  });
});
