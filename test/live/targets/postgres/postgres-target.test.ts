// The PostgreSQL target against the local PostgreSQL (a throwaway database per test): checkpoint with the
// rows, merges, tables without a primary key, large transactions in parts, a connection cut mid-transaction
// and re-applied from the checkpoint, the epoch fence, snapshot chunks by COPY with resume, the shadow swap,
// and DDL translation.
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresTarget, checkPostgresTarget, testPostgresConnection, type PostgresTargetOptions } from '../../../../src/targets/postgres/index.js';
import type { Checkpoint } from '../../../../src/targets/target.js';
import type { Row } from '../../../../src/core/cell.js';
import type { RowChange } from '../../../../src/core/types.js';
import { SluiceError } from '../../../../src/errors.js';
import { createLogger } from '../../../../src/log.js';
import { PG_ADMIN_URL, createPgDatabase, type PgTestDatabase } from './pg-test-helpers.js';
import { ddlChange, sourceTable } from '../../../helpers/source-models.js';

const quiet = createLogger('test', 'silent');
const ins = (table: string, a: Row): RowChange => ({ op: 'insert', database: 'src', table, before: null, after: a });
const upd = (table: string, b: Row, a: Row): RowChange => ({ op: 'update', database: 'src', table, before: b, after: a });
const del = (table: string, b: Row): RowChange => ({ op: 'delete', database: 'src', table, before: b, after: null });

let seq = 0;
function cp(pipeline: string): Checkpoint {
  seq++;
  return { pipeline, position: { file: 'bin.000001', pos: 1000 + seq, gtidSet: `0-1-${seq}` }, epoch: 0 };
}

const ORDERS = 'CREATE TABLE orders (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, qty INT UNSIGNED, KEY by_name (name))';
const NOKEY = 'CREATE TABLE nokey (a INT, b VARCHAR(10))';

describe('PostgreSQL target', () => {
  let db: PgTestDatabase;
  const targets: PostgresTarget[] = [];
  const target = (pipeline: string, extra: Partial<PostgresTargetOptions> = {}): PostgresTarget => {
    const t = new PostgresTarget({ pipeline, url: db.url, targetDatabase: 'dst', logger: quiet, ...extra });
    targets.push(t);
    return t;
  };

  beforeEach(async () => {
    db = await createPgDatabase();
  });
  afterEach(async () => {
    for (const t of targets.splice(0)) await t.close().catch(() => undefined);
    await db?.drop();
  });
  after(() => undefined);

  it('creates tables from the model, applies merged batches with the checkpoint, resumes from it', async () => {
    const t = target('p1');
    assert.equal(await t.open(), null);
    assert.equal(t.epoch, 1);
    assert.equal(await t.ensureTable(sourceTable('src', ORDERS)), 'created');
    assert.equal(await t.ensureTable(sourceTable('src', ORDERS)), 'compatible');
    assert.deepEqual(await t.ensureTables([sourceTable('src', ORDERS), sourceTable('src', NOKEY), sourceTable('other', 'CREATE TABLE t3 (x INT)')]), ['compatible', 'created', 'created']);
    assert.equal((await db.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'dst'"))[0]!.n, '3');
    assert.equal(await t.incompatibility(sourceTable('src', ORDERS)), null);
    const other = await t.incompatibility(sourceTable('src', 'CREATE TABLE orders (id INT, extra INT, PRIMARY KEY (id, extra))'));
    assert.equal(other?.code, 'TARGET_TABLE_INCOMPATIBLE');
    assert.match(other?.message ?? '', /missing columns extra; primary key \(id\) instead of \(id, extra\)/);
    await assert.rejects(t.ensureTable(sourceTable('src', 'CREATE TABLE orders (id INT, extra INT, PRIMARY KEY (id, extra))')), (e: unknown) => e instanceof SluiceError && e.code === 'TARGET_TABLE_INCOMPATIBLE');
    assert.deepEqual(await t.missingTables([{ database: 'src', table: 'orders' }, { database: 'src', table: 'nope' }]), [{ database: 'src', table: 'nope' }]);
    const c1 = cp('p1');
    await t.apply({ changes: [ins('orders', { id: 1, name: 'a', qty: 4294967295 }), ins('orders', { id: 2, name: "o'b", qty: null }),
      upd('orders', { id: 1, name: 'a', qty: 4294967295 }, { id: 1, name: 'a2', qty: 1 }), ins('orders', { id: 3, name: 'c', qty: 3 }), del('orders', { id: 3, name: 'c', qty: 3 })], checkpoint: c1 });
    assert.deepEqual(await db.query('SELECT id, name, qty FROM dst.orders ORDER BY id'), [{ id: '1', name: 'a2', qty: '1' }, { id: '2', name: "o'b", qty: null }]);
    // Primary-key change, then a batch that only deletes.
    await t.apply({ changes: [upd('orders', { id: 2, name: "o'b", qty: null }, { id: 20, name: 'moved', qty: 7 })], checkpoint: cp('p1') });
    const c3: Checkpoint = { ...cp('p1'), state: { snapshot: 'done' }, history: { tables: [{ database: 'src', table: 'orders', versions: [{ v: 1 }] }], databases: { src: 'utf8mb4' } } };
    await t.apply({ changes: [del('orders', { id: 1, name: 'a2', qty: 1 })], checkpoint: c3 });
    assert.deepEqual(await db.query('SELECT id, name FROM dst.orders ORDER BY id'), [{ id: '20', name: 'moved' }]);
    const idx = await db.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'dst' AND tablename = 'orders' ORDER BY 1");
    assert.deepEqual(idx.map((r) => r.indexname), ['orders__by_name', 'orders_pkey']);
    await t.close();

    const again = target('p1');
    const stored = await again.open();
    assert.equal(again.epoch, 2);
    assert.deepEqual(stored?.position, c3.position);
    assert.deepEqual(stored?.state, { snapshot: 'done' });
    assert.deepEqual(stored?.history, c3.history, 'schema history rows stored with the checkpoint');
    // Changed tables' rows replace theirs; `replace` forgets the others.
    await again.apply({ changes: [], checkpoint: { ...cp('p1'), history: { tables: [{ database: 'src', table: 'other', versions: [] }], replace: true } } });
    assert.deepEqual((await again.readCheckpoint())?.history, { tables: [{ database: 'src', table: 'other', versions: [] }] });
  });

  it('large batches: upserts staged by COPY give the same rows as the VALUES path', async () => {
    const t = target('p10');
    await t.open();
    await t.ensureTable(sourceTable('src', ORDERS));
    const name = (i: number): string => `n\t${i}\\'"\n`.slice(0, 20);
    const inserts = Array.from({ length: 1500 }, (_, i) => ins('orders', { id: i, name: name(i), qty: i % 3 === 0 ? null : i }));
    await t.apply({ changes: inserts, checkpoint: cp('p10') });
    const updates = Array.from({ length: 1200 }, (_, i) => upd('orders', { id: i, name: name(i), qty: null }, { id: i, name: `u${i}`, qty: 4294967295 }));
    await t.apply({ changes: [...updates, del('orders', { id: 1499, name: '', qty: null })], checkpoint: cp('p10') });
    const rows = await db.query('SELECT id, name, qty FROM dst.orders ORDER BY id');
    assert.equal(rows.length, 1499);
    assert.deepEqual(rows[0], { id: '0', name: 'u0', qty: '4294967295' });
    assert.deepEqual(rows[1199], { id: '1199', name: 'u1199', qty: '4294967295' });
    assert.deepEqual(rows[1200], { id: '1200', name: name(1200), qty: null });
    assert.deepEqual(rows[1201], { id: '1201', name: name(1201), qty: '1201' });
  });

  it('a staged batch is one round trip (its COPY data sent behind the query); a table staged twice in one transaction, a value refused inside the COPY or while encoding it, a fence failure before it: exact rows, the connection stays in step', async () => {
    const t = target('p12');
    await t.open();
    await t.ensureTable(sourceTable('src', ORDERS));
    const rows = (from: number, n: number, name: (i: number) => string): RowChange[] =>
      Array.from({ length: n }, (_, k) => ins('orders', { id: from + k, name: name(from + k), qty: from + k }));
    await t.apply({ changes: rows(0, 1200, (i) => `a${i}`), checkpoint: cp('p12') });
    // Round trips of the next staged batch (table shapes are cached now): one query.
    const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
    const original = proto.query;
    let queries = 0;
    proto.query = function (this: unknown, ...a: unknown[]): unknown { queries++; return original.apply(this, a); };
    try {
      await t.apply({ changes: [...rows(1200, 1200, (i) => `b${i}`), del('orders', { id: 0, name: '', qty: null })], checkpoint: cp('p12') });
    } finally {
      proto.query = original;
    }
    assert.equal(queries, 1, 'fence, DELETE, staging, COPY, INSERT … SELECT, checkpoint and COMMIT in one round trip');
    // A large transaction in parts: the same table staged in each part, in one PostgreSQL transaction.
    const c = cp('p12');
    await t.apply({ changes: rows(3000, 1100, (i) => `p${i}`), checkpoint: c, partial: true });
    await t.apply({ changes: rows(3000, 1100, (i) => `q${i}`), checkpoint: c });
    // A value PostgreSQL refuses inside the COPY data (too long for varchar(20)): nothing of the batch is written.
    const bad = rows(5000, 1100, (i) => (i === 5900 ? 'x'.repeat(30) : `r${i}`));
    await assert.rejects(t.apply({ changes: bad, checkpoint: cp('p12') }), (err: unknown) => err instanceof SluiceError && err.code === 'TARGET_WRITE_FAILED');
    // A value Sluice refuses while encoding the COPY (a NUL character in text): nothing sent, nothing written.
    await assert.rejects(t.apply({ changes: rows(5000, 1100, (i) => (i === 5001 ? 'a\0b' : `r${i}`)), checkpoint: cp('p12') }),
      (err: unknown) => err instanceof SluiceError && err.code === 'TARGET_WRITE_FAILED' && /NUL/.test(err.message));
    await t.apply({ changes: rows(5000, 1100, (i) => `s${i}`), checkpoint: cp('p12') });
    const got = await db.query('SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, count(*) FILTER (WHERE name LIKE \'q%\') AS q, count(*) FILTER (WHERE name LIKE \'s%\') AS s FROM dst.orders');
    assert.deepEqual(got[0], { n: String(1199 + 1200 + 1100 + 1100), lo: '1', hi: '6099', q: '1100', s: '1100' });
    assert.deepEqual(await db.query('SELECT id, name, qty FROM dst.orders WHERE id IN (1, 3099, 5900) ORDER BY id'),
      [{ id: '1', name: 'a1', qty: '1' }, { id: '3099', name: 'q3099', qty: '3099' }, { id: '5900', name: 's5900', qty: '5900' }]);
    // The fence fails before the COPY: its data is dropped by PostgreSQL, nothing written, the connection still in step.
    await db.query("UPDATE _sluice.checkpoints SET pos = pos + 1 WHERE pipeline = 'p12'");
    await assert.rejects(t.apply({ changes: rows(7000, 1100, (i) => `f${i}`), checkpoint: cp('p12') }),
      (err: unknown) => err instanceof SluiceError && err.code === 'FENCED');
    assert.equal((await db.query('SELECT count(*) AS n FROM dst.orders WHERE id >= 7000'))[0]!.n, '0');
    assert.equal((await t.currentOwner())?.self, true);
  });

  it('a table without a primary key: duplicates kept, one row per delete/update (ctid)', async () => {
    const t = target('p2');
    await t.open();
    await t.ensureTable(sourceTable('src', NOKEY));
    await t.apply({ changes: [ins('nokey', { a: 1, b: 'x' }), ins('nokey', { a: 1, b: 'x' }), ins('nokey', { a: 2, b: null })], checkpoint: cp('p2') });
    await t.apply({ changes: [del('nokey', { a: 1, b: 'x' }), upd('nokey', { a: 2, b: null }, { a: 2, b: 'y' })], checkpoint: cp('p2') });
    assert.deepEqual(await db.query('SELECT a, b FROM dst.nokey ORDER BY a'), [{ a: '1', b: 'x' }, { a: '2', b: 'y' }]);
  });

  it('a large transaction in parts stays open until its last part; abort rolls it back', async () => {
    const t = target('p3');
    await t.open();
    await t.ensureTable(sourceTable('src', NOKEY));
    await t.apply({ changes: [ins('nokey', { a: 1, b: 'p1' })], checkpoint: cp('p3'), partial: true });
    assert.equal((await db.query('SELECT count(*) AS n FROM dst.nokey'))[0]!.n, '0', 'not visible before the last part');
    await t.abort();
    const c = cp('p3');
    await t.apply({ changes: [ins('nokey', { a: 2, b: 'p1' })], checkpoint: c, partial: true });
    await t.apply({ changes: [ins('nokey', { a: 3, b: 'p2' })], checkpoint: c });
    assert.deepEqual(await db.query('SELECT a FROM dst.nokey ORDER BY a'), [{ a: '2' }, { a: '3' }]);
    assert.deepEqual((await t.readCheckpoint())?.position, c.position);
  });

  it('a connection cut mid-transaction commits nothing; re-applied from the checkpoint, no duplicate rows (key-less table)', async () => {
    const t = target('p4');
    await t.open();
    await t.ensureTable(sourceTable('src', NOKEY));
    const c0 = cp('p4');
    await t.apply({ changes: [ins('nokey', { a: 0, b: 'base' })], checkpoint: c0 });
    // A large transaction: first part applied, then the session is killed before the last part.
    const c1 = cp('p4');
    await t.apply({ changes: [ins('nokey', { a: 1, b: 'one' })], checkpoint: c1, partial: true });
    const pid = await t.backendPid();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`SELECT pg_terminate_backend(${pid})`);
    await admin.end();
    await assert.rejects(t.apply({ changes: [ins('nokey', { a: 2, b: 'two' })], checkpoint: c1 }), (err: unknown) => err instanceof SluiceError && ['CONNECTION_LOST', 'TRANSACTION_ABORTED'].includes(err.code));
    await t.close();
    // A new instance resumes from the stored checkpoint (c0) and re-applies the whole transaction.
    const t2 = target('p4');
    const stored = await t2.open();
    assert.deepEqual(stored?.position, c0.position);
    await t2.apply({ changes: [ins('nokey', { a: 1, b: 'one' })], checkpoint: c1, partial: true });
    await t2.apply({ changes: [ins('nokey', { a: 2, b: 'two' })], checkpoint: c1 });
    assert.deepEqual(await db.query('SELECT a, b FROM dst.nokey ORDER BY a'), [{ a: '0', b: 'base' }, { a: '1', b: 'one' }, { a: '2', b: 'two' }]);
    // The COMMIT of a single batch lost with its connection: the retry sees its checkpoint and does not apply twice.
    const c2 = cp('p4');
    const batch = { changes: [ins('nokey', { a: 3, b: 'three' })], checkpoint: c2 };
    await t2.apply(batch);
    (t2 as unknown as { uncertain: boolean }).uncertain = true; // as after a connection lost during COMMIT
    await t2.apply(batch);
    assert.equal((await db.query('SELECT count(*) AS n FROM dst.nokey WHERE a = 3'))[0]!.n, '1');
  });

  it('epoch fence: once a second target claims the pipeline, the first is FENCED and writes nothing', async () => {
    const first = target('p5', { leaseSeconds: 0.2, owner: { id: 'first', host: 'elsewhere', pid: 1, started: '' } });
    await first.open();
    await first.ensureTable(sourceTable('src', ORDERS));
    await first.apply({ changes: [ins('orders', { id: 1, name: 'a', qty: 1 })], checkpoint: cp('p5') });
    await new Promise((r) => setTimeout(r, 300)); // the first one's lease runs out
    const second = target('p5');
    await second.open();
    assert.equal(second.epoch, first.epoch + 1);
    assert.equal(second.previousOwner?.epoch, first.epoch);
    await assert.rejects(first.apply({ changes: [ins('orders', { id: 2, name: 'b', qty: 2 })], checkpoint: cp('p5') }), (err: unknown) => err instanceof SluiceError && err.code === 'FENCED');
    await assert.rejects(first.renewLease(), (err: unknown) => err instanceof SluiceError && err.code === 'FENCED');
    await assert.rejects(first.applySnapshotChunk({ database: 'src', table: 'orders', schema: sourceTable('src', ORDERS).schema, columns: ['id', 'name', 'qty'], rows: [[3, 'c', 3]], index: 0, position: { file: 'f', pos: 4 } }),
      (err: unknown) => err instanceof SluiceError && err.code === 'FENCED');
    assert.deepEqual(await db.query('SELECT id FROM dst.orders ORDER BY id'), [{ id: '1' }]);
    // A live owner with a running lease: a third instance is refused (PIPELINE_OWNED).
    const third = target('p5', { owner: { id: 'other', host: 'elsewhere', pid: 1, started: '' } });
    await assert.rejects(third.open(), (err: unknown) => err instanceof SluiceError && err.code === 'PIPELINE_OWNED');
    assert.equal((await second.currentOwner())?.self, true);
  });

  it('compare-and-set: a checkpoint moved by another writer of the same epoch fences the batch (sent with its fence in one round trip), nothing written', async () => {
    const t = target('p5b');
    await t.open();
    await t.ensureTable(sourceTable('src', ORDERS));
    await t.apply({ changes: [ins('orders', { id: 1, name: 'a', qty: 1 })], checkpoint: cp('p5b') });
    await t.apply({ changes: [ins('orders', { id: 2, name: 'b', qty: 2 })], checkpoint: cp('p5b') });
    await db.query("UPDATE _sluice.checkpoints SET pos = pos + 1 WHERE pipeline = 'p5b'");
    await assert.rejects(t.apply({ changes: [ins('orders', { id: 3, name: 'c', qty: 3 })], checkpoint: cp('p5b') }),
      (err: unknown) => err instanceof SluiceError && err.code === 'FENCED' && /not where this instance last committed/.test(err.message));
    assert.deepEqual(await db.query('SELECT id FROM dst.orders ORDER BY id'), [{ id: '1' }, { id: '2' }]);
    // The connection is usable after the failed fence (rolled back): reads work.
    assert.equal((await t.currentOwner())?.self, true);
  });

  it('snapshot chunks by COPY with their progress rows; resume; rows already there are replaced', async () => {
    const t = target('p6');
    await t.open();
    const model = sourceTable('src', ORDERS);
    await t.ensureTable(model);
    await t.prepareSnapshot();
    const chunk = (index: number, rows: Array<[number, string, number | null]>) => ({
      database: 'src', table: 'orders', schema: model.schema, columns: ['id', 'name', 'qty'], rows, index, position: { file: 'bin.000002', pos: 100 + index },
    });
    await t.applySnapshotChunk(chunk(0, [[1, 'tab\there', 1], [2, 'new\nline\\x', null]]));
    await t.applySnapshotChunk(chunk(1, [[3, 'c', 3]]));
    assert.deepEqual((await t.snapshotChunksDone()).map((c) => [c.table, c.index, c.pos, c.rows]).sort(), [['orders', 0, 100, 2], ['orders', 1, 101, 1]]);
    // The stream got to key 4 first: the chunk's row replaces it.
    await t.apply({ changes: [ins('orders', { id: 4, name: 'stream', qty: 0 })], checkpoint: cp('p6') });
    await t.applySnapshotChunk(chunk(2, [[4, 'copy', 4], [5, 'e', 5]]));
    assert.deepEqual(await db.query('SELECT id, name, qty FROM dst.orders ORDER BY id'), [
      { id: '1', name: 'tab\there', qty: '1' }, { id: '2', name: 'new\nline\\x', qty: null }, { id: '3', name: 'c', qty: '3' },
      { id: '4', name: 'copy', qty: '4' }, { id: '5', name: 'e', qty: '5' }]);
    // A new instance sees the done chunks (resume), then clears them.
    await t.close();
    const t2 = target('p6');
    await t2.open();
    assert.equal((await t2.snapshotChunksDone()).length, 3);
    await t2.clearSnapshotChunks();
    assert.equal((await t2.snapshotChunksDone()).length, 0);
  });

  it('swapTables puts shadow copies in place in one transaction, with the live index names', async () => {
    const t = target('p7');
    await t.open();
    const model = sourceTable('src', ORDERS);
    await t.ensureTable(model);
    await t.apply({ changes: [ins('orders', { id: 1, name: 'old', qty: 1 })], checkpoint: cp('p7') });
    // The pipeline's re-snapshot: a target routed to the shadow table copies into it.
    const shadow = target('p7', { epoch: t.epoch, route: (_d, table) => ({ database: 'dst', table: table === 'orders' ? 'orders_shadow' : table }) });
    await shadow.ensureTables([model]);
    await shadow.prepareSnapshot();
    await shadow.applySnapshotChunk({ database: 'src', table: 'orders', schema: model.schema, columns: ['id', 'name', 'qty'], rows: [[1, 'new', 1], [2, 'new2', 2]], index: 0, position: { file: 'f', pos: 1 } });
    assert.equal(await t.swapTables([{ database: 'dst', table: 'orders', shadow: 'orders_shadow' }]), 1);
    assert.equal(await t.swapTables([{ database: 'dst', table: 'orders', shadow: 'orders_shadow' }]), 0, 'idempotent');
    assert.deepEqual(await db.query('SELECT id, name FROM dst.orders ORDER BY id'), [{ id: '1', name: 'new' }, { id: '2', name: 'new2' }]);
    const idx = await db.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'dst' ORDER BY 1");
    assert.deepEqual(idx.map((r) => r.indexname), ['orders__by_name', 'orders_shadow_pkey']);
    await t.apply({ changes: [upd('orders', { id: 2, name: 'new2', qty: 2 }, { id: 2, name: 'after', qty: 2 })], checkpoint: cp('p7') });
    assert.equal((await db.query('SELECT name FROM dst.orders WHERE id = 2'))[0]!.name, 'after');
  });

  it('DDL is translated (ADD/DROP/RENAME/MODIFY/CHANGE COLUMN, RENAME/CREATE/DROP/TRUNCATE TABLE) or refused', async () => {
    const t = target('p8');
    await t.open();
    const known = new Map([['src.orders', sourceTable('src', ORDERS)]]);
    await t.ensureTable(known.get('src.orders')!);
    await t.apply({ changes: [ins('orders', { id: 1, name: 'a', qty: 1 })], checkpoint: cp('p8') });
    const run = async (sql: string): Promise<void> => t.applyDdl(ddlChange('src', sql, known), cp('p8'));
    await run("ALTER TABLE orders ADD COLUMN status ENUM('new','done') NOT NULL, ADD COLUMN note TEXT AFTER id, ADD COLUMN n INT NOT NULL DEFAULT 7");
    assert.deepEqual(await db.query('SELECT status, note, n FROM dst.orders'), [{ status: 'new', note: null, n: '7' }]);
    await run('ALTER TABLE orders MODIFY qty BIGINT UNSIGNED NOT NULL, CHANGE name title VARCHAR(50) NULL, DROP COLUMN note');
    await run("ALTER TABLE orders MODIFY status ENUM('new','done','gone') NOT NULL");
    await t.apply({ changes: [ins('orders', { id: 2, title: 'b', qty: 18446744073709551615n, status: 'gone', n: 1 })], checkpoint: cp('p8') });
    const cols = await db.query("SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'dst' AND table_name = 'orders' ORDER BY ordinal_position");
    assert.deepEqual(cols.map((c) => `${c.column_name} ${c.data_type} ${c.is_nullable}`), ['id integer NO', 'title character varying YES', 'qty numeric NO', 'status text NO', 'n integer NO']);
    await assert.rejects(db.query("INSERT INTO dst.orders (id, qty, status, n) VALUES (9, 1, 'bogus', 1)"), /check constraint/);
    await run('RENAME TABLE orders TO orders2');
    await run('ALTER TABLE orders2 RENAME TO orders3, RENAME COLUMN title TO label');
    await run('CREATE TABLE extra (k VARCHAR(10) PRIMARY KEY, v JSON)');
    await run('TRUNCATE TABLE extra');
    await run('DROP TABLE extra');
    assert.deepEqual(await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'dst' ORDER BY 1"), [{ table_name: 'orders3' }]);
    assert.deepEqual(await db.query('SELECT id, label FROM dst.orders3 ORDER BY id'), [{ id: '1', label: 'a' }, { id: '2', label: 'b' }]);
    // Refused with a typed error; nothing changed, checkpoint not moved.
    const before = await t.readCheckpoint();
    await assert.rejects(run('ALTER TABLE orders3 DROP PRIMARY KEY'), (err: unknown) => err instanceof SluiceError && err.code === 'DDL_UNSUPPORTED' && /by hand/.test(err.fix));
    await assert.rejects(t.applyDdl({ database: 'src', sql: 'CREATE VIEW v AS SELECT 1', ast: null, after: [] }, cp('p8')), (err: unknown) => err instanceof SluiceError && err.code === 'DDL_UNSUPPORTED');
    assert.deepEqual((await t.readCheckpoint())?.position, before?.position);
  });

  it('typed errors: wrong user, missing database', async () => {
    const u = new URL(PG_ADMIN_URL);
    u.pathname = '/sluice_no_such_db';
    const missing = new PostgresTarget({ pipeline: 'x', url: u.toString(), logger: quiet });
    await assert.rejects(missing.open(), (err: unknown) => err instanceof SluiceError && err.code === 'BAD_CONFIG' && /CREATE DATABASE/.test(err.fix));
    const v = new URL(db.url);
    v.username = 'sluice_no_such_user';
    const denied = new PostgresTarget({ pipeline: 'x', url: v.toString(), logger: quiet });
    await assert.rejects(denied.open(), (err: unknown) => err instanceof SluiceError && err.code === 'ACCESS_DENIED');
  });

  it('preflight: a user without CREATE on the database is told the GRANT; with it, every check passes', async () => {
    const role = `${db.name}_user`;
    await db.query(`CREATE ROLE ${role} LOGIN`);
    try {
      const u = new URL(db.url);
      u.username = role;
      const info = await testPostgresConnection(u.toString());
      assert.equal(info.database, db.name);
      assert.equal(info.user, role);
      const before = await checkPostgresTarget(u.toString(), ['_sluice', 'dst']);
      const failed = before.filter((c) => !c.ok);
      assert.deepEqual(failed.map((c) => c.name), ['schema _sluice', 'schema dst']);
      assert.match(failed[0]!.fix ?? '', new RegExp(`GRANT CREATE ON DATABASE "${db.name}" TO "${role}"`));
      await db.query(`GRANT CREATE ON DATABASE ${db.name} TO ${role}`);
      const after = await checkPostgresTarget(u.toString(), ['_sluice', 'dst']);
      assert.deepEqual(after.filter((c) => !c.ok), []);
      // And the target works as that user.
      const t = target('p9', { url: u.toString() });
      await t.open();
      await t.ensureTable(sourceTable('src', ORDERS));
      await t.apply({ changes: [ins('orders', { id: 1, name: 'a', qty: 1 })], checkpoint: cp('p9') });
      await t.close();
    } finally {
      await db.query(`REASSIGN OWNED BY ${role} TO postgres; DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined);
    }
  });
});
