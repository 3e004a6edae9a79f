// Two pipelines into one PostgreSQL database applying the same source DDL at once (found by `npm run chaos --
// --target postgres --seed 777`): each creates `_sluice.pending_foreign_keys` IF NOT EXISTS first, and
// PostgreSQL's IF NOT EXISTS is no guard against a concurrent creator: the loser fails on the catalog
// (duplicate key in pg_type_typname_nsp_index). That race must not fail the DDL (and stop the pipeline).
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresTarget } from '../../../../src/targets/postgres/index.js';
import { pendingTableSql } from '../../../../src/targets/postgres/foreign-keys.js';
import { createLogger } from '../../../../src/log.js';
import { createPgDatabase, type PgTestDatabase } from './pg-test-helpers.js';
import { ddlChange, sourceTable } from '../../../helpers/source-models.js';

const ORDERS = 'CREATE TABLE orders (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)';

describe('PostgreSQL target DDL beside another pipeline creating the catalog tables', () => {
  let db: PgTestDatabase;
  let t: PostgresTarget | null = null;
  let other: pg.Client | null = null;
  beforeEach(async () => { db = await createPgDatabase(); });
  afterEach(async () => {
    await other?.end().catch(() => undefined);
    await t?.close().catch(() => undefined);
    await db.drop();
  });

  it('applies the DDL when another session creates pending_foreign_keys at the same moment', async () => {
    t = new PostgresTarget({ pipeline: 'p', url: db.url, targetDatabase: 'dst', logger: createLogger('test', 'silent'), foreignKeyScope: () => true });
    await t.open();
    const known = new Map([['src.orders', sourceTable('src', ORDERS)]]);
    await t.ensureTable(known.get('src.orders')!);
    assert.deepEqual(await db.query("SELECT to_regclass('_sluice.pending_foreign_keys') AS r"), [{ r: null }]);
    // The other pipeline's DDL transaction: it has created the table, not yet committed.
    other = new pg.Client({ connectionString: db.url });
    await other.connect();
    await other.query(`BEGIN; ${pendingTableSql('_sluice')}`);
    const ddl = t.applyDdl(ddlChange('src', 'ALTER TABLE orders ADD COLUMN n INT NOT NULL DEFAULT 7', known),
      { pipeline: 'p', position: { file: 'bin.000001', pos: 500, gtidSet: '' }, epoch: 0 });
    const outcome = ddl.then(() => 'applied', (err: unknown) => String(err));
    // Ours waits for the other creator (a lock on the catalog), then the other commits.
    for (let i = 0; ; i++) {
      const w = await db.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'sluice' AND wait_event_type = 'Lock'");
      if (w[0]!.n !== '0') break;
      assert.ok(i < 100, 'the DDL never waited for the other creator');
      await new Promise((r) => setTimeout(r, 50));
    }
    await other.query('COMMIT');
    assert.equal(await outcome, 'applied');
    assert.deepEqual(await db.query("SELECT column_name FROM information_schema.columns WHERE table_schema = 'dst' AND table_name = 'orders' ORDER BY ordinal_position"),
      [{ column_name: 'id' }, { column_name: 'name' }, { column_name: 'n' }]);
    assert.equal((await t.readCheckpoint())?.position.pos, 500);
  });
});
