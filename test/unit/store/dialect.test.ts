// `--store`: which dialect a URL selects, where the SQLite file is, and that the description never shows the password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../../src/errors.js';
import { storeLocation } from '../../../src/store/index.js';

test('storeLocation: SQLite by default, MySQL/MariaDB and PostgreSQL by URL, no password in the description', () => {
  assert.deepEqual(storeLocation(undefined, '/data'), { dialect: 'sqlite', target: '/data/sluice.db', describe: 'sqlite:/data/sluice.db' });
  const my = storeLocation('mysql://sluice:S3cret%21@db.example:3306/ctl', '/data');
  assert.equal(my.dialect, 'mysql');
  assert.equal(my.describe, 'mysql://sluice@db.example:3306/ctl');
  assert.equal(storeLocation('mariadb://u:p@h/ctl', '/d').target, 'mysql://u:p@h/ctl');
  for (const url of ['postgres://u:pw@h:5432/ctl', 'postgresql://u:pw@h/ctl']) {
    const pg = storeLocation(url, '/d');
    assert.equal(pg.dialect, 'postgres');
    assert.ok(!pg.describe.includes('pw'), pg.describe);
  }
  for (const bad of ['not a url', 'redis://h/0', 'mysql://u:p@h:3306', 'postgresql://u@h/']) {
    assert.throws(() => storeLocation(bad, '/d'), (e: unknown) => isSluiceError(e) && e.code === 'BAD_CONFIG' && !e.message.includes(':p@'), bad);
  }
});
