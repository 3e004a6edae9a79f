// The MySQL sink against throwaway MariaDB targets: value fidelity, merges, PK changes, tables
// without a primary key, MINIMAL images, checkpoint atomicity under kill -9, fencing, lock retries,
// DDL, and apply throughput.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { MysqlTarget, type MysqlTargetOptions } from '../../../../src/targets/mysql/mysql-target.js';
import type { Checkpoint } from '../../../../src/targets/target.js';
import { JsonText, TimestampValue, type Row } from '../../../../src/core/cell.js';
import type { RowChange } from '../../../../src/core/types.js';
import { SluiceError } from '../../../../src/errors.js';
import { createLogger } from '../../../../src/log.js';
import { parseDdl } from '../../../../src/mysql/schema/ddl-parser.js';
import { LoadDataPackets } from '../../../../src/mysql/load-data-packets.js';
import type { DdlChange } from '../../../../src/targets/target.js';

/** A DDL change as the pipeline hands it (a native target runs its text; `after` is not needed for that). */
function ddlOf(d: { database: string; sql: string }): DdlChange {
  return { ...d, ast: parseDdl(d.sql, { defaultDatabase: d.database }), after: [] };
}

const quiet = createLogger('test', 'silent');
const TZ = ['--default-time-zone=+00:00'];

const ins = (table: string, after: Row, database = 'src'): RowChange => ({ op: 'insert', database, table, before: null, after });
const upd = (table: string, before: Row, after: Row, database = 'src'): RowChange => ({ op: 'update', database, table, before, after });
const del = (table: string, before: Row, database = 'src'): RowChange => ({ op: 'delete', database, table, before, after: null });

let cpSeq = 0;
function cp(pipeline: string, extra: Partial<Checkpoint> = {}): Checkpoint {
  cpSeq++;
  return { pipeline, position: { file: 'bin.000001', pos: 1000 + cpSeq, gtidSet: `0-1-${cpSeq}` }, epoch: 0, ...extra };
}

async function connect(server: MariaDbServer): Promise<Connection> {
  return createConnection({ host: server.host, port: server.port, user: 'root', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, multipleStatements: true });
}

async function rows(conn: Connection, sql: string): Promise<Record<string, unknown>[]> {
  const [r] = await conn.query<RowDataPacket[]>(sql);
  return r.map((x) => ({ ...x }));
}

describe('MySQL sink', () => {
  let target: MariaDbServer;
  let conn: Connection;
  const sinks: MysqlTarget[] = [];
  const sink = (pipeline: string, extra: Partial<MysqlTargetOptions> = {}): MysqlTarget => {
    const s = new MysqlTarget({ pipeline, connection: target.url, targetDatabase: 'dst', logger: quiet, ...extra });
    sinks.push(s);
    return s;
  };

  before(async () => {
    target = await startMariaDb({ binlog: false, extraArgs: TZ });
    conn = await connect(target);
    await target.query('CREATE DATABASE dst');
  });
  after(async () => {
    for (const s of sinks) await s.close().catch(() => undefined);
    conn?.destroy();
    await target?.stop();
  });

  it('open creates the checkpoint table, returns null, then returns what apply stored', async () => {
    const s = sink('p-open');
    assert.equal(await s.open(), null);
    await target.query('CREATE TABLE dst.t_open (id INT PRIMARY KEY, v VARCHAR(10))');
    const c = cp('p-open', { state: { snapshot: { done: ['a'], chunk: 3 } } });
    await s.apply({ changes: [ins('t_open', { id: 1, v: 'x' })], checkpoint: c });
    const s2 = sink('p-open');
    const back = await s2.open();
    assert.ok(back);
    assert.deepEqual(back.position, c.position);
    assert.deepEqual(back.state, c.state);
    assert.equal(back.epoch, 2, 'every open claims the next epoch');
    assert.ok(back.updatedAt instanceof Date && Math.abs(back.updatedAt.getTime() - Date.now()) < 60_000);
    // state undefined keeps the stored state
    await s2.apply({ changes: [], checkpoint: { ...cp('p-open'), state: undefined } });
    assert.deepEqual((await s2.readCheckpoint())?.state, c.state);
    const def = await rows(conn, "SELECT ENGINE AS e FROM information_schema.TABLES WHERE TABLE_SCHEMA='_sluice' AND TABLE_NAME='checkpoints'");
    assert.equal(def[0]!['e'], 'InnoDB');
  });

  it('writes every value kind exactly (bigint, DECIMAL(65,30), TIMESTAMP(6), zero dates, JSON, binary, utf8mb4, SET/ENUM, FLOAT)', async () => {
    await target.query(`CREATE TABLE dst.vals (
      id BIGINT UNSIGNED PRIMARY KEY, big BIGINT UNSIGNED, sbig BIGINT, dec65 DECIMAL(65,30), ts TIMESTAMP(6) NULL, ts0 TIMESTAMP NULL,
      dt DATETIME(6), d DATE, tm TIME(6), j JSON, vb VARBINARY(16), bl MEDIUMBLOB, s VARCHAR(100) CHARACTER SET utf8mb4, e ENUM('a','b c',''),
      st SET('x','y','z'), f FLOAT, dbl DOUBLE, y YEAR, bt BIT(64), dt0 DATETIME, d0 DATE) DEFAULT CHARSET=utf8mb4`);
    const s = sink('p-vals');
    await s.open();
    const r1: Row = {
      id: 18446744073709551615n, big: 9007199254740993n, sbig: -9223372036854775808n,
      dec65: '-12345678901234567890123456789012345.123456789012345678901234567891',
      ts: new TimestampValue(2147483647, 999999, 6), ts0: new TimestampValue(0, 0, 0),
      dt: '9999-12-31 23:59:59.999999', d: '1000-01-01', tm: '-838:59:59.000000',
      j: new JsonText('{"a": [1, 2.50, 12345678901234567890], "b": "é\\"x"}'), vb: Buffer.from([0, 1, 0xfe, 0xff, 0x27, 0x5c]),
      bl: Buffer.alloc(70_000, 0xab), s: "emoji 😀 quote ' backslash \\ nul \0 end", e: 'b c', st: ['x', 'z'],
      f: Math.fround(3.4028234663852886e38), dbl: 2.2250738585072014e-308, y: 2155, bt: 18446744073709551615n,
      dt0: '0000-00-00 00:00:00', d0: '0000-00-00',
    };
    const r2: Row = { id: 1, big: null, sbig: null, dec65: null, ts: null, ts0: null, dt: null, d: null, tm: null, j: null, vb: null, bl: null, s: null, e: null, st: null, f: null, dbl: null, y: null, bt: null, dt0: null, d0: null };
    const r3: Row = { ...r2, id: 2, f: Math.fround(0.1), dbl: 0.1, st: [], e: '', s: '', vb: Buffer.alloc(0), dec65: '0.000000000000000000000000000001', ts: new TimestampValue(1, 1, 6), y: 0 };
    await s.apply({ changes: [ins('vals', r1), ins('vals', r2), ins('vals', r3)], checkpoint: cp('p-vals') });
    const got = await rows(conn, `SELECT CAST(id AS CHAR) id, CAST(big AS CHAR) big, CAST(sbig AS CHAR) sbig, CAST(dec65 AS CHAR) dec65,
      DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') ts, CAST(ts0 AS CHAR) ts0, CAST(dt AS CHAR) dt, CAST(d AS CHAR) d, CAST(tm AS CHAR) tm, CAST(j AS CHAR) j,
      HEX(vb) vb, MD5(bl) bl, LENGTH(bl) bllen, HEX(s) s, e, st, CAST(f AS DOUBLE) f, CAST(dbl AS CHAR) dbl, CAST(y AS CHAR) y,
      CAST(bt + 0 AS CHAR) bt, CAST(dt0 AS CHAR) dt0, CAST(d0 AS CHAR) d0 FROM dst.vals ORDER BY dst.vals.id`);
    assert.equal(got.length, 3);
    const [g2, g3, g1] = got;
    assert.deepEqual(g1, {
      id: '18446744073709551615', big: '9007199254740993', sbig: '-9223372036854775808',
      dec65: '-12345678901234567890123456789012345.123456789012345678901234567891',
      ts: '2038-01-19 03:14:07.999999', ts0: '0000-00-00 00:00:00', dt: '9999-12-31 23:59:59.999999', d: '1000-01-01',
      tm: '-838:59:59.000000', j: '{"a": [1, 2.50, 12345678901234567890], "b": "é\\"x"}', vb: '0001FEFF275C',
      bl: (await rows(conn, `SELECT MD5(REPEAT(X'AB', 70000)) m`))[0]!['m'], bllen: 70000,
      s: Buffer.from("emoji 😀 quote ' backslash \\ nul \0 end", 'utf8').toString('hex').toUpperCase(), e: 'b c', st: 'x,z',
      f: Math.fround(3.4028234663852886e38), dbl: '2.2250738585072014e-308', y: '2155', bt: '18446744073709551615',
      dt0: '0000-00-00 00:00:00', d0: '0000-00-00',
    });
    assert.ok(Object.entries(g2!).every(([k, v]) => k === 'id' || v === null), JSON.stringify(g2));
    assert.equal(g3!['f'], Math.fround(0.1));
    assert.equal(g3!['dbl'], '0.1');
    assert.equal(g3!['st'], '');
    assert.equal(g3!['e'], '');
    assert.equal(g3!['vb'], '');
    assert.equal(g3!['dec65'], '0.000000000000000000000000000001');
    assert.equal(g3!['ts'], '1970-01-01 00:00:01.000001');
    // Full-row match on such values works too (no primary key): delete r1's copy by value
    await target.query('CREATE TABLE dst.vals_nopk LIKE dst.vals');
    await target.query('ALTER TABLE dst.vals_nopk DROP PRIMARY KEY');
    await s.apply({ changes: [ins('vals_nopk', r1), ins('vals_nopk', r1), ins('vals_nopk', r3)], checkpoint: cp('p-vals') });
    await s.apply({ changes: [del('vals_nopk', r1), upd('vals_nopk', r3, { ...r3, s: 'changed' })], checkpoint: cp('p-vals') });
    const left = await rows(conn, 'SELECT CAST(id AS CHAR) id, s FROM dst.vals_nopk ORDER BY dst.vals_nopk.id');
    assert.deepEqual(left, [{ id: '2', s: 'changed' }, { id: '18446744073709551615', s: r1['s'] }]);
  });

  it('applies inserts, updates, deletes, primary-key changes, NULLs and merges, in one transaction', async () => {
    await target.query('CREATE TABLE dst.items (id INT PRIMARY KEY, code VARCHAR(20), qty INT NULL, UNIQUE KEY (code))');
    await target.query('CREATE TABLE dst.pairs (a INT, b VARCHAR(5), v INT, PRIMARY KEY (a, b))');
    const s = sink('p-dml');
    await s.open();
    await target.query("INSERT INTO dst.items VALUES (1,'one',1),(2,'two',2),(3,'three',3),(4,'four',4)");
    await target.query("INSERT INTO dst.pairs VALUES (1,'x',1),(1,'y',2),(2,'x',3)");
    const changes: RowChange[] = [
      ins('items', { id: 5, code: 'five', qty: null }),
      upd('items', { id: 5, code: 'five', qty: null }, { id: 5, code: 'five', qty: 50 }),
      ins('items', { id: 6, code: 'six', qty: 6 }),
      del('items', { id: 6, code: 'six', qty: 6 }),
      upd('items', { id: 1, code: 'one', qty: 1 }, { id: 10, code: 'one', qty: 1 }), // PK change
      upd('items', { id: 2, code: 'two', qty: 2 }, { id: 2, code: 'tmp', qty: 2 }), // unique swap through tmp
      upd('items', { id: 3, code: 'three', qty: 3 }, { id: 3, code: 'two', qty: null }),
      upd('items', { id: 2, code: 'tmp', qty: 2 }, { id: 2, code: 'three', qty: 22 }),
      del('items', { id: 4, code: 'four', qty: 4 }),
      ins('items', { id: 4, code: 'four again', qty: 44 }),
      del('pairs', { a: 1, b: 'x', v: 1 }),
      del('pairs', { a: 2, b: 'x', v: 3 }),
      upd('pairs', { a: 1, b: 'y', v: 2 }, { a: 1, b: 'z', v: 2 }),
      ins('pairs', { a: 3, b: 'q', v: null }),
    ];
    await s.apply({ changes, checkpoint: cp('p-dml') });
    assert.deepEqual(await rows(conn, 'SELECT id, code, qty FROM dst.items ORDER BY id'), [
      { id: 2, code: 'three', qty: 22 }, { id: 3, code: 'two', qty: null }, { id: 4, code: 'four again', qty: 44 },
      { id: 5, code: 'five', qty: 50 }, { id: 10, code: 'one', qty: 1 },
    ]);
    assert.deepEqual(await rows(conn, 'SELECT a, b, v FROM dst.pairs ORDER BY a, b'), [{ a: 1, b: 'z', v: 2 }, { a: 3, b: 'q', v: null }]);
  });

  it('tables without a primary key: duplicates, NULLs and order kept (full-row match, LIMIT 1)', async () => {
    await target.query('CREATE TABLE dst.log (k INT NULL, msg VARCHAR(20) NULL)');
    const s = sink('p-nopk');
    await s.open();
    const r = (k: number | null, msg: string | null): Row => ({ k, msg });
    await s.apply({
      changes: [ins('log', r(1, 'a')), ins('log', r(1, 'a')), ins('log', r(null, null)), ins('log', r(2, null)), del('log', r(1, 'a')),
        upd('log', r(null, null), r(3, 'c')), upd('log', r(2, null), r(2, 'b')), ins('log', r(1, 'a')), del('log', r(9, 'absent'))],
      checkpoint: cp('p-nopk'),
    });
    assert.deepEqual(await rows(conn, 'SELECT k, msg FROM dst.log ORDER BY k, msg'), [
      { k: 1, msg: 'a' }, { k: 1, msg: 'a' }, { k: 2, msg: 'b' }, { k: 3, msg: 'c' },
    ]);
  });

  it('MINIMAL images: UPDATE of the changed columns only, PK change by key', async () => {
    await target.query("CREATE TABLE dst.mini (id INT PRIMARY KEY, a VARCHAR(10), b INT, big TEXT)");
    await target.query("INSERT INTO dst.mini VALUES (1, 'a1', 1, REPEAT('x', 1000)), (2, 'a2', 2, 'keep')");
    const s = sink('p-mini');
    await s.open();
    await s.apply({
      changes: [
        { op: 'update', database: 'src', table: 'mini', before: { id: 1 }, after: { b: 10 } },
        { op: 'update', database: 'src', table: 'mini', before: { id: 1 }, after: { a: 'A1' } },
        { op: 'update', database: 'src', table: 'mini', before: { id: 2 }, after: { id: 20 } },
        { op: 'update', database: 'src', table: 'mini', before: { id: 20 }, after: { b: 200 } },
        { op: 'delete', database: 'src', table: 'mini', before: { id: 1 }, after: null },
        { op: 'insert', database: 'src', table: 'mini', before: null, after: { id: 1, a: 'new', b: null, big: null } },
      ],
      checkpoint: cp('p-mini'),
    });
    assert.deepEqual(await rows(conn, 'SELECT id, a, b, big FROM dst.mini ORDER BY id'), [
      { id: 1, a: 'new', b: null, big: null }, { id: 20, a: 'a2', b: 200, big: 'keep' },
    ]);
  });

  it('fencing: a sink with a higher epoch takes over; the old one is refused and writes nothing', async () => {
    await target.query('CREATE TABLE dst.fence (id INT PRIMARY KEY, v INT)');
    const old = sink('p-fence', { epoch: 1 });
    await old.open();
    await old.apply({ changes: [ins('fence', { id: 1, v: 1 })], checkpoint: cp('p-fence', { epoch: 1 }) });
    const neu = sink('p-fence', { epoch: 2 });
    const resumed = await neu.open();
    assert.equal(resumed?.epoch, 2);
    const before = await neu.readCheckpoint();
    await assert.rejects(old.apply({ changes: [ins('fence', { id: 2, v: 2 }), upd('fence', { id: 1, v: 1 }, { id: 1, v: 100 })], checkpoint: cp('p-fence', { epoch: 1 }) }),
      (err: unknown) => err instanceof SluiceError && err.code === 'FENCED' && /epoch 2/.test(err.message));
    assert.deepEqual(await rows(conn, 'SELECT id, v FROM dst.fence ORDER BY id'), [{ id: 1, v: 1 }]);
    assert.deepEqual(await neu.readCheckpoint(), before);
    await assert.rejects(old.applyDdl(ddlOf({ database: 'src', sql: 'ALTER TABLE fence ADD COLUMN z INT' }), cp('p-fence')), (err: unknown) => err instanceof SluiceError && err.code === 'FENCED');
    // A snapshot chunk as source packets: its fence read shares the LOAD DATA's round trip; the loaded rows are rolled back.
    await assert.rejects(old.applySnapshotText({ database: 'src', table: 'fence', columns: [{ name: 'id', as: 'text' }, { name: 'v', as: 'text' }],
      data: LoadDataPackets.from(Buffer.from('7,7\n8,8\n')), rows: 2, index: 0, position: { file: 'bin.000001', pos: 4 } }),
    (err: unknown) => err instanceof SluiceError && err.code === 'FENCED' && /epoch 2/.test(err.message));
    assert.deepEqual(await rows(conn, 'SELECT id, v FROM dst.fence ORDER BY id'), [{ id: 1, v: 1 }]);
    await assert.rejects(old.open(), (err: unknown) => err instanceof SluiceError && err.code === 'FENCED');
    assert.equal((await rows(conn, "SELECT COUNT(*) n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='dst' AND TABLE_NAME='fence' AND COLUMN_NAME='z'"))[0]!['n'], '0');
    await neu.apply({ changes: [ins('fence', { id: 3, v: 3 })], checkpoint: cp('p-fence', { epoch: 2 }) });
    assert.deepEqual(await rows(conn, 'SELECT id FROM dst.fence ORDER BY id'), [{ id: 1 }, { id: 3 }]);
    // a stale writer blocked on the row lock while the new owner claims is refused too
    const newer = sink('p-fence', { epoch: 3 });
    const [a, b] = await Promise.allSettled([
      neu.apply({ changes: [ins('fence', { id: 4, v: 4 })], checkpoint: cp('p-fence') }),
      newer.open(),
    ]);
    assert.equal(b.status, 'fulfilled');
    if (a.status === 'rejected') assert.equal((a.reason as SluiceError).code, 'FENCED');
    await assert.rejects(neu.apply({ changes: [ins('fence', { id: 5, v: 5 })], checkpoint: cp('p-fence') }), (err: unknown) => (err as SluiceError).code === 'FENCED');
    assert.equal((await rows(conn, 'SELECT COUNT(*) n FROM dst.fence WHERE id = 5'))[0]!['n'], '0');
  });

  it('ownership: a live owner on another host makes open wait (PIPELINE_OWNED, naming it); a released or expired lease is taken over', async () => {
    await target.query('CREATE TABLE dst.own (id INT PRIMARY KEY)');
    const other = { id: 'elsewhere:4242:abcd', host: 'elsewhere', pid: 4242, started: '2026-01-01T00:00:00.000Z' };
    const first = sink('p-own', { owner: other, leaseSeconds: 2 });
    await first.open();
    await first.apply({ changes: [ins('own', { id: 1 })], checkpoint: cp('p-own') });
    const second = sink('p-own');
    await assert.rejects(second.open(), (err: unknown) => err instanceof SluiceError && err.code === 'PIPELINE_OWNED'
      && /host elsewhere pid 4242/.test(err.message) && Number(err.details['leaseLeftSeconds']) > 0);
    // The owner renews: still owned. Then it stops cleanly (release): taken over at once.
    assert.equal(await first.renewLease(), true);
    await assert.rejects(second.open(), (err: unknown) => (err as SluiceError).code === 'PIPELINE_OWNED');
    await first.releaseLease();
    const resumed = await second.open();
    assert.equal(resumed?.epoch, first.epoch + 1);
    assert.deepEqual(second.previousOwner?.owner?.host, 'elsewhere');
    // The old owner is fenced from now on: renewals, writes and DDL are refused, naming the new owner's pid.
    await assert.rejects(first.renewLease(), (err: unknown) => (err as SluiceError).code === 'FENCED' && new RegExp(`pid ${process.pid}`).test((err as SluiceError).message));
    await assert.rejects(first.apply({ changes: [ins('own', { id: 2 })], checkpoint: cp('p-own') }), (err: unknown) => (err as SluiceError).code === 'FENCED');
    assert.deepEqual(await rows(conn, 'SELECT id FROM dst.own'), [{ id: 1 }]);
    // A lease that ran out (the owner died elsewhere) is taken over without a release.
    const third = sink('p-own', { owner: { ...other, id: 'elsewhere:4243:beef', pid: 4243 }, leaseSeconds: 1 });
    await second.releaseLease();
    await third.open();
    await new Promise((r) => setTimeout(r, 1200));
    const fourth = sink('p-own');
    await fourth.open();
    assert.equal(fourth.epoch, third.epoch + 1);
  });

  it('a stale owner whose lease ran out while its transaction holds the row is ended, and the claim goes through', async () => {
    await target.query('CREATE TABLE dst.stale (id INT PRIMARY KEY)');
    const other = { id: 'paused:77:aaaa', host: 'paused-host', pid: 77, started: '2026-01-01T00:00:00.000Z' };
    const old = sink('p-stale', { owner: other, leaseSeconds: 1 });
    await old.open();
    // A large transaction in parts: the row stays locked while the instance is "paused".
    await old.apply({ changes: [ins('stale', { id: 1 })], checkpoint: cp('p-stale'), partial: true });
    await new Promise((r) => setTimeout(r, 1200));
    const neu = sink('p-stale', { leaseSeconds: 3 });
    const t0 = Date.now();
    await neu.open();
    assert.ok(Date.now() - t0 < 10_000, `claim took ${Date.now() - t0} ms`);
    assert.equal(neu.epoch, old.epoch + 1);
    await assert.rejects(old.apply({ changes: [ins('stale', { id: 2 })], checkpoint: cp('p-stale') }));
    await assert.rejects(old.apply({ changes: [ins('stale', { id: 3 })], checkpoint: cp('p-stale') }), (err: unknown) => (err as SluiceError).code === 'FENCED');
    assert.deepEqual(await rows(conn, 'SELECT id FROM dst.stale'), [], 'the stale transaction was rolled back, nothing else written');
  });

  it('compare-and-set: a write is refused when the checkpoint moved under the same epoch (nothing written)', async () => {
    await target.query('CREATE TABLE dst.cas (id INT PRIMARY KEY)');
    const s = sink('p-cas');
    await s.open();
    await s.apply({ changes: [ins('cas', { id: 1 })], checkpoint: cp('p-cas') });
    await target.query("UPDATE _sluice.checkpoints SET pos = pos + 1 WHERE pipeline = 'p-cas'");
    await assert.rejects(s.apply({ changes: [ins('cas', { id: 2 })], checkpoint: cp('p-cas') }),
      (err: unknown) => err instanceof SluiceError && err.code === 'FENCED' && /not where this instance last committed/.test(err.message));
    assert.deepEqual(await rows(conn, 'SELECT id FROM dst.cas'), [{ id: 1 }]);
  });

  it('a batch, its fence (lock, epoch and position check), checkpoint and COMMIT go to the target in one round trip', async () => {
    // With thousands of tables a batch holds at most tuning.maxBatchTables tables: a round trip more per batch was
    // a fixed cost paid hundreds of times more often (docs/scale.md). The general log has one row per packet.
    await target.query('CREATE TABLE dst.trips (id INT PRIMARY KEY, v INT)');
    const s = sink('p-trips');
    await s.open();
    await s.apply({ changes: [ins('trips', { id: 1, v: 1 })], checkpoint: cp('p-trips') });
    await conn.query("SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1");
    try {
      await s.apply({ changes: [ins('trips', { id: 2, v: 2 }), upd('trips', { id: 1, v: 1 }, { id: 1, v: 10 })], checkpoint: cp('p-trips') });
      await s.apply({ changes: [ins('trips', { id: 3, v: 3 })], checkpoint: cp('p-trips') });
    } finally {
      await conn.query('SET GLOBAL general_log = 0');
    }
    const packets = await rows(conn, "SELECT CONVERT(argument USING utf8mb4) AS q FROM mysql.general_log WHERE command_type = 'Query' AND CONVERT(argument USING utf8mb4) LIKE '%p-trips%'");
    assert.equal(packets.length, 2, packets.map((p) => String(p['q'])).join('\n---\n'));
    assert.deepEqual(await rows(conn, 'SELECT id, v FROM dst.trips ORDER BY id'), [{ id: 1, v: 10 }, { id: 2, v: 2 }, { id: 3, v: 3 }]);
  });

  it('an existing checkpoint table without the owner columns is upgraded on open', async () => {
    await target.query(`CREATE DATABASE old_cp; CREATE TABLE old_cp.checkpoints (pipeline VARCHAR(64) NOT NULL PRIMARY KEY, file VARCHAR(512) NOT NULL,
      pos BIGINT UNSIGNED NOT NULL, gtid_set LONGTEXT NULL, epoch BIGINT UNSIGNED NOT NULL, state LONGTEXT NULL,
      updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6));
      INSERT INTO old_cp.checkpoints (pipeline, file, pos, epoch) VALUES ('p-up', 'bin.000003', 77, 0)`);
    const s = sink('p-up', { checkpointDatabase: 'old_cp' });
    const back = await s.open();
    assert.deepEqual(back?.position, { file: 'bin.000003', pos: 77 });
    assert.equal(back?.epoch, 1);
    const [owner] = await rows(conn, "SELECT owner IS NOT NULL AS o, lease_until > NOW(6) AS l FROM old_cp.checkpoints WHERE pipeline = 'p-up'");
    assert.deepEqual(owner, { o: 1, l: 1 });
  });

  it('lock wait timeouts are retried inside apply', async () => {
    await target.query('CREATE TABLE dst.locked (id INT PRIMARY KEY, v INT)');
    await target.query('INSERT INTO dst.locked VALUES (1, 1)');
    await target.query('SET GLOBAL innodb_lock_wait_timeout = 1');
    const s = sink('p-lock');
    await s.open();
    const holder = await connect(target);
    try {
      await holder.query('START TRANSACTION');
      await holder.query('SELECT * FROM dst.locked WHERE id = 1 FOR UPDATE');
      const release = setTimeout(() => { void holder.query('COMMIT'); }, 1500);
      const t0 = Date.now();
      await s.apply({ changes: [upd('locked', { id: 1, v: 1 }, { id: 1, v: 2 })], checkpoint: cp('p-lock') });
      clearTimeout(release);
      assert.ok(Date.now() - t0 >= 1000, 'waited for the lock');
      assert.deepEqual(await rows(conn, 'SELECT v FROM dst.locked'), [{ v: 2 }]);
    } finally {
      holder.destroy();
      await target.query('SET GLOBAL innodb_lock_wait_timeout = 50');
    }
  });

  it('applyDdl: database rewritten to the target, re-run tolerated, checkpoint stored, new columns used', async () => {
    const s = sink('p-ddl');
    await s.open();
    await s.applyDdl(ddlOf({ database: 'src', sql: 'CREATE TABLE src.ddl_t (id INT PRIMARY KEY, a VARCHAR(5)) /* src.ddl_t in a comment */' }), cp('p-ddl'));
    await s.apply({ changes: [ins('ddl_t', { id: 1, a: 'x' })], checkpoint: cp('p-ddl') });
    const c = cp('p-ddl');
    await s.applyDdl(ddlOf({ database: 'src', sql: "ALTER TABLE `src`.`ddl_t` ADD COLUMN b INT NOT NULL DEFAULT 7 COMMENT 'src.ddl_t'" }), c);
    assert.deepEqual((await s.readCheckpoint())?.position, c.position);
    // a restart re-runs the last DDL: tolerated
    await s.applyDdl(ddlOf({ database: 'src', sql: "ALTER TABLE `src`.`ddl_t` ADD COLUMN b INT NOT NULL DEFAULT 7 COMMENT 'src.ddl_t'" }), c);
    await s.applyDdl(ddlOf({ database: 'src', sql: 'CREATE TABLE ddl_t (id INT PRIMARY KEY)' }), cp('p-ddl'));
    await s.apply({ changes: [ins('ddl_t', { id: 2, a: 'y', b: 8 })], checkpoint: cp('p-ddl') });
    assert.deepEqual(await rows(conn, 'SELECT id, a, b FROM dst.ddl_t ORDER BY id'), [{ id: 1, a: 'x', b: 7 }, { id: 2, a: 'y', b: 8 }]);
    const cmt = await rows(conn, "SELECT COLUMN_COMMENT c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='dst' AND TABLE_NAME='ddl_t' AND COLUMN_NAME='b'");
    assert.equal(cmt[0]!['c'], 'src.ddl_t', 'strings are not rewritten');
    await s.applyDdl(ddlOf({ database: 'other', sql: 'RENAME TABLE src.ddl_t TO src.ddl_t2' }), cp('p-ddl'));
    await s.applyDdl(ddlOf({ database: 'other', sql: 'RENAME TABLE src.ddl_t TO src.ddl_t2' }), cp('p-ddl'));
    await s.applyDdl(ddlOf({ database: 'src', sql: 'DROP TABLE ddl_t2' }), cp('p-ddl'));
    await s.applyDdl(ddlOf({ database: 'src', sql: 'DROP TABLE ddl_t2' }), cp('p-ddl'));
    assert.equal((await rows(conn, "SELECT COUNT(*) n FROM information_schema.TABLES WHERE TABLE_NAME LIKE 'ddl_t%'"))[0]!['n'], '0');
    await assert.rejects(s.applyDdl(ddlOf({ database: 'src', sql: 'ALTER TABLE nope ADD COLUMN x INT' }), cp('p-ddl')),
      (err: unknown) => err instanceof SluiceError && err.code === 'DDL_FAILED' && /nope/.test(err.message));
  });

  it('a missing target table is a clear error and writes nothing', async () => {
    const s = sink('p-missing');
    await s.open();
    const before = await s.readCheckpoint();
    await assert.rejects(s.apply({ changes: [ins('no_such_table', { id: 1 })], checkpoint: cp('p-missing') }),
      (err: unknown) => err instanceof SluiceError && err.code === 'TARGET_WRITE_FAILED' && /`dst`\.`no_such_table` does not exist/.test(err.message));
    assert.deepEqual(await s.readCheckpoint(), before);
  });

  it('kill -9 of the target in the middle of a large batch: all of the batch and its checkpoint, or neither', async (t) => {
    await target.query('CREATE TABLE dst.crash (id INT PRIMARY KEY, pad VARCHAR(64))');
    const s = sink('p-crash', { maxStatementBytes: 256 * 1024, maxRowsPerStatement: 2000 });
    await s.open();
    let expectedRows = 0;
    let committed = cp('p-crash');
    await s.apply({ changes: [], checkpoint: committed });
    const N = 60_000;
    for (let round = 0; round < 4; round++) {
      const base = round * N;
      const changes = Array.from({ length: N }, (_, i) => ins('crash', { id: base + i, pad: `row ${base + i} ${'x'.repeat(40)}` }));
      const next = cp('p-crash');
      const applying = s.apply({ changes, checkpoint: next });
      const settled = applying.then(() => 'ok', (err: unknown) => (err as SluiceError).code); // observed at once: the kill may fail it any time
      // wait until the open transaction has written `threshold` rows (dirty read), or the batch finished; then kill -9
      const threshold = [1, 20_000, 55_000, Infinity][round]!;
      const watcher = await connect(target);
      await watcher.query('SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED');
      let seen = 0;
      for (;;) {
        const t = await rows(watcher, `SELECT COUNT(*) n FROM dst.crash WHERE id >= ${base}`);
        seen = Number(t[0]!['n']);
        if (seen >= threshold) break;
        const done = await Promise.race([settled.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1))]);
        if (done) break;
      }
      watcher.destroy();
      await target.kill();
      const outcome = await settled;
      conn.destroy();
      await target.restart();
      conn = await connect(target);
      const count = Number((await rows(conn, 'SELECT COUNT(*) n FROM dst.crash'))[0]!['n']);
      const stored = await sink('p-crash').readCheckpoint();
      t.diagnostic(`round ${round}: killed with ${seen} uncommitted rows → ${count === expectedRows ? 'rolled back' : 'committed'} (apply: ${outcome})`);
      if (count === expectedRows) {
        assert.deepEqual(stored?.position, committed.position, `round ${round}: rows absent, so the old checkpoint`);
        assert.notEqual(outcome, 'ok');
        // the caller retries the same batch on the same sink
        await s.apply({ changes, checkpoint: next });
      } else {
        assert.equal(count, expectedRows + N, `round ${round}: all or nothing`);
        assert.deepEqual(stored?.position, next.position, `round ${round}: rows present, so the new checkpoint`);
        // retrying after an unknown outcome must not apply it twice (REPLACE would hide it: check the checkpoint path)
        if (outcome !== 'ok') await s.apply({ changes, checkpoint: next });
      }
      expectedRows += N;
      committed = next;
      assert.equal(Number((await rows(conn, 'SELECT COUNT(*) n FROM dst.crash'))[0]!['n']), expectedRows);
      assert.deepEqual((await s.readCheckpoint())?.position, committed.position);
    }
  });

  it('connection lost after COMMIT was sent: the retried batch is recognised and not applied twice', async () => {
    await target.query('CREATE TABLE dst.once (k INT, note VARCHAR(10))'); // no key: a second apply would add a duplicate row
    // a proxy that, once armed, drops the connection as soon as the server answers the COMMIT
    let armed = false;
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      const upstream = netConnect(target.port, target.host);
      sockets.add(client).add(upstream);
      let commitSent = false;
      client.on('data', (d) => {
        if (armed && d.includes('COMMIT')) commitSent = true;
        upstream.write(d);
      });
      let cutting = false;
      upstream.on('data', (d) => {
        if (!commitSent) { client.write(d); return; }
        // The batch, its checkpoint and COMMIT travel as one multi-statement: the first answer is the first
        // statement's, not COMMIT's. Swallow every answer and cut only once the server says this session is idle
        // again (COMMIT done), so the client never learns the outcome.
        if (cutting) return;
        cutting = true;
        const host = `127.0.0.1:${upstream.localPort}`;
        void (async () => {
          for (let i = 0; i < 500; i++) {
            const st = await rows(conn, `SELECT COMMAND FROM information_schema.PROCESSLIST WHERE HOST = '${host}'`);
            if (st.length === 0 || (st[0]!['COMMAND'] === 'Sleep')) break;
            await new Promise((r) => setTimeout(r, 10));
          }
          client.destroy(); upstream.destroy();
        })();
      });
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    try {
      const s = sink('p-once', { connection: `mysql://root@127.0.0.1:${port}` });
      await s.open();
      const batch = { changes: [ins('once', { k: 1, note: 'first' })], checkpoint: cp('p-once') };
      armed = true;
      await assert.rejects(s.apply(batch), (err: unknown) => err instanceof SluiceError && err.code === 'CONNECTION_LOST');
      armed = false;
      // the COMMIT did land
      assert.deepEqual(await rows(conn, 'SELECT k, note FROM dst.once'), [{ k: 1, note: 'first' }]);
      await s.apply(batch); // the caller's retry
      assert.deepEqual(await rows(conn, 'SELECT k, note FROM dst.once'), [{ k: 1, note: 'first' }]);
      await s.apply({ changes: [ins('once', { k: 2, note: 'second' })], checkpoint: cp('p-once') });
      assert.equal((await rows(conn, 'SELECT COUNT(*) n FROM dst.once'))[0]!['n'], '2');
    } finally {
      for (const so of sockets) so.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  // Several batches in one round trip (Target.applyPacked), each its own transaction with its fence and checkpoint.
  /** What the stream loop does with a group: packed, then the batches that did not commit one by one. */
  const applyGroup = async (s: MysqlTarget, group: Array<{ changes: RowChange[]; checkpoint: Checkpoint }>): Promise<number> => {
    const done = await s.applyPacked(group);
    for (const b of group.slice(done)) await s.apply(b);
    return done;
  };

  it('a packed group of batches: one round trip, each batch committed with its own checkpoint', async () => {
    await target.query('CREATE TABLE dst.packed (k INT, note VARCHAR(10))');
    const s = sink('p-packed');
    await s.open();
    const group = [1, 2, 3].map((k) => ({ changes: [ins('packed', { k, note: `n${k}` })], checkpoint: cp('p-packed') }));
    await conn.query("SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1");
    try {
      assert.equal(await s.applyPacked(group), 3);
    } finally {
      await conn.query('SET GLOBAL general_log = 0');
    }
    const packets = await rows(conn, "SELECT CONVERT(argument USING utf8mb4) AS q FROM mysql.general_log WHERE command_type = 'Query' AND CONVERT(argument USING utf8mb4) LIKE '%p-packed%'");
    assert.equal(packets.length, 1, packets.map((p) => String(p['q'])).join('\n---\n'));
    assert.equal((String(packets[0]!['q']).match(/COMMIT/g) ?? []).length, 3);
    assert.deepEqual(await rows(conn, 'SELECT k FROM dst.packed ORDER BY k'), [{ k: 1 }, { k: 2 }, { k: 3 }]);
    assert.equal((await rows(conn, "SELECT pos FROM _sluice.checkpoints WHERE pipeline = 'p-packed'"))[0]!['pos'], String(group[2]!.checkpoint.position.pos));
    // the next write fences on the last batch's position
    await s.apply({ changes: [ins('packed', { k: 4, note: 'n4' })], checkpoint: cp('p-packed') });
    assert.equal((await rows(conn, 'SELECT COUNT(*) n FROM dst.packed'))[0]!['n'], '4');
  });

  it('a packed group failing in its second batch: the first stays committed with its checkpoint, the rest is applied once', async () => {
    await target.query('CREATE TABLE dst.packfail (k INT, note VARCHAR(3))'); // no key: a batch applied twice adds rows
    const s = sink('p-packfail');
    await s.open();
    const group = [
      { changes: [ins('packfail', { k: 1, note: 'a' })], checkpoint: cp('p-packfail') },
      { changes: [ins('packfail', { k: 2, note: 'too long' })], checkpoint: cp('p-packfail') }, // STRICT: refused
      { changes: [ins('packfail', { k: 3, note: 'c' })], checkpoint: cp('p-packfail') },
    ];
    assert.equal(await s.applyPacked(group), 1);
    assert.deepEqual(await rows(conn, 'SELECT k FROM dst.packfail'), [{ k: 1 }]);
    assert.equal((await rows(conn, "SELECT pos FROM _sluice.checkpoints WHERE pipeline = 'p-packfail'"))[0]!['pos'], String(group[0]!.checkpoint.position.pos));
    // one by one: the second is refused (named), then fixed by hand and applied again
    await assert.rejects(s.apply(group[1]!), (err: unknown) => err instanceof SluiceError && err.code === 'TARGET_WRITE_FAILED');
    await target.query('ALTER TABLE dst.packfail MODIFY note VARCHAR(10)');
    for (const b of group.slice(1)) await s.apply(b);
    assert.deepEqual(await rows(conn, 'SELECT k FROM dst.packfail ORDER BY k'), [{ k: 1 }, { k: 2 }, { k: 3 }]);
  });

  it('a batch over many tables goes to MariaDB as one compound block (one answer, not one per statement); a statement failing inside it fails the batch and writes nothing', async () => {
    // With thousands of tables each change is its own single-row statement, and MariaDB answers each statement of
    // a multi-statement query with its own OK packet, flushed at once: one send() and wake-up per row (docs/scale.md).
    const tables = Array.from({ length: 30 }, (_, i) => `cb${i}`);
    await target.query(tables.map((t) => `CREATE TABLE dst.${t} (id INT PRIMARY KEY, note VARCHAR(3))`).join(';'));
    const s = sink('p-compound');
    await s.open();
    await conn.query("SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1");
    try {
      await s.apply({ changes: tables.map((t) => ins(t, { id: 1, note: 'a' })), checkpoint: cp('p-compound') });
    } finally {
      await conn.query('SET GLOBAL general_log = 0');
    }
    const packets = await rows(conn, "SELECT CONVERT(argument USING utf8mb4) AS q FROM mysql.general_log WHERE command_type = 'Query' AND CONVERT(argument USING utf8mb4) LIKE '%p-compound%'");
    assert.equal(packets.length, 1);
    assert.equal((String(packets[0]!['q']).match(/BEGIN NOT ATOMIC/g) ?? []).length, 1, String(packets[0]!['q']));
    for (const t of tables) assert.deepEqual(await rows(conn, `SELECT id, note FROM dst.${t}`), [{ id: 1, note: 'a' }], t);
    const stored = (await rows(conn, "SELECT pos FROM _sluice.checkpoints WHERE pipeline = 'p-compound'"))[0]!['pos'];
    // The 16th statement of the block is refused (STRICT): the 15 before it ran inside the transaction and are rolled back.
    const failing = tables.map((t, i) => ins(t, { id: 2, note: i === 15 ? 'too long' : 'b' }));
    await assert.rejects(s.apply({ changes: failing, checkpoint: cp('p-compound') }),
      (err: unknown) => err instanceof SluiceError && err.code === 'TARGET_WRITE_FAILED' && /too long/i.test(err.message));
    for (const t of tables) assert.deepEqual(await rows(conn, `SELECT id FROM dst.${t} ORDER BY id`), [{ id: 1 }], t);
    assert.equal((await rows(conn, "SELECT pos FROM _sluice.checkpoints WHERE pipeline = 'p-compound'"))[0]!['pos'], stored);
    // Fixed by hand, the same batch applies once.
    await target.query('ALTER TABLE dst.cb15 MODIFY note VARCHAR(10)');
    await s.apply({ changes: failing, checkpoint: cp('p-compound') });
    for (const t of tables) assert.equal((await rows(conn, `SELECT COUNT(*) n FROM dst.${t}`))[0]!['n'], '2', t);
  });

  it('connection killed between two transactions of a packed group: the first is kept with its checkpoint, none is lost or applied twice', async () => {
    await target.query('CREATE TABLE dst.packkill (k INT, note VARCHAR(10))'); // no key: a batch applied twice adds rows
    await target.query('CREATE TABLE dst.packgate (id INT PRIMARY KEY, v INT)');
    await target.query('INSERT INTO dst.packgate VALUES (1, 0)');
    const s = sink('p-packkill');
    await s.open();
    const group = [
      { changes: [ins('packkill', { k: 1, note: 'first' })], checkpoint: cp('p-packkill') },
      // the second transaction waits for a row lock held elsewhere: the session is killed there
      { changes: [ins('packkill', { k: 2, note: 'second' }), upd('packgate', { id: 1, v: 0 }, { id: 1, v: 2 })], checkpoint: cp('p-packkill') },
      { changes: [ins('packkill', { k: 3, note: 'third' })], checkpoint: cp('p-packkill') },
    ];
    const blocker = await connect(target);
    try {
      await blocker.query('START TRANSACTION; SELECT * FROM dst.packgate WHERE id = 1 FOR UPDATE');
      // its outcome is observed at once (it fails as soon as the session is killed, maybe before the assertion below)
      const applying = s.applyPacked(group).then(() => null, (err: unknown) => err);
      let killed = false;
      for (let i = 0; i < 500 && !killed; i++) {
        // the group's statement on the gate (after its first COMMIT); PROCESSLIST may still show the blocker's query
        // INFO holds the rest of the multi-statement, gate included, from its first statement on: kill only once the
        // first transaction's row is committed (seen from another session), i.e. inside the second transaction
        const waiting = await rows(conn, "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE '%packgate%' AND INFO NOT LIKE '%FOR UPDATE%' AND INFO NOT LIKE '%PROCESSLIST%'");
        const firstCommitted = waiting.length === 1 && (await rows(conn, 'SELECT k FROM dst.packkill')).length === 1;
        if (firstCommitted) {
          await conn.query(`KILL CONNECTION ${Number(waiting[0]!['id'])}`);
          killed = true;
        } else await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(killed, 'the second transaction never waited for the lock');
      const err = await applying;
      assert.ok(err instanceof SluiceError && err.code === 'CONNECTION_LOST', String(err));
    } finally {
      await blocker.query('ROLLBACK');
      blocker.destroy();
    }
    // the first transaction and its checkpoint landed, the second was rolled back with the session
    assert.deepEqual(await rows(conn, 'SELECT k FROM dst.packkill'), [{ k: 1 }]);
    assert.equal((await rows(conn, "SELECT pos FROM _sluice.checkpoints WHERE pipeline = 'p-packkill'"))[0]!['pos'], String(group[0]!.checkpoint.position.pos));
    // the caller applies the same group again: the first batch is recognised, the others applied once
    assert.equal(await applyGroup(s, group), 1);
    assert.deepEqual(await rows(conn, 'SELECT k FROM dst.packkill ORDER BY k'), [{ k: 1 }, { k: 2 }, { k: 3 }]);
    assert.deepEqual(await rows(conn, 'SELECT v FROM dst.packgate'), [{ v: 2 }]);
    // a restarted pipeline (a new target) goes on from the last batch
    const again = sink('p-packkill');
    const stored = await again.open();
    assert.equal(stored?.position.pos, group[2]!.checkpoint.position.pos);
  });

  it('throughput: one 100k-row insert batch', async (t) => {
    await target.query('CREATE TABLE dst.bulk (id INT PRIMARY KEY, name VARCHAR(40), qty INT, price DECIMAL(10,2), at DATETIME, note TEXT)');
    const s = sink('p-bulk');
    await s.open();
    const N = 100_000;
    const changes = Array.from({ length: N }, (_, i) => ins('bulk', { id: i, name: `product ${i}`, qty: i % 1000, price: `${i % 10000}.99`, at: '2024-05-01 12:00:00', note: i % 10 === 0 ? null : 'some note text' }));
    const t0 = performance.now();
    await s.apply({ changes, checkpoint: cp('p-bulk') });
    const ms = performance.now() - t0;
    const rate = Math.round(N / (ms / 1000));
    t.diagnostic(`apply of ${N} inserts: ${ms.toFixed(0)} ms, ${rate} rows/s`);
    console.log(JSON.stringify({ bench: 'mysql-sink-insert-100k', ms: Math.round(ms), rows_s: rate }));
    assert.equal(Number((await rows(conn, 'SELECT COUNT(*) n FROM dst.bulk'))[0]!['n']), N);
    // and the same rows as updates (REPLACE path over existing keys)
    const upds = changes.map((c) => upd('bulk', c.after!, { ...c.after!, qty: 1 }));
    const t1 = performance.now();
    await s.apply({ changes: upds, checkpoint: cp('p-bulk') });
    const ms2 = performance.now() - t1;
    t.diagnostic(`apply of ${N} updates: ${ms2.toFixed(0)} ms, ${Math.round(N / (ms2 / 1000))} rows/s`);
    console.log(JSON.stringify({ bench: 'mysql-sink-update-100k', ms: Math.round(ms2), rows_s: Math.round(N / (ms2 / 1000)) }));
    assert.equal(Number((await rows(conn, 'SELECT SUM(qty) s FROM dst.bulk'))[0]!['s']), N);
  });
});
