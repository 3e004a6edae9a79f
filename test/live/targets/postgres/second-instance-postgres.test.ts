// A second `sluice run` of the same pipeline while the first one is still alive, on a PostgreSQL target. The
// key-less, insert-only `price_log` is the strict witness: nothing hides a row applied twice there.
// 1. Beside a live, healthy instance: the new one waits and names the owner; it takes over once the old one stops.
// 2. The old instance paused (SIGSTOP) with binlog events already in its socket, a new one takes over, then the old
//    one wakes up (SIGCONT): PostgreSQL refuses its writes (fenced), it exits saying why. Every column equal after.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { startChaosTarget, type ChaosTarget } from '../../../../src/testkit/chaos/index.js';
import { killHard, startSluice, type RunningSluice } from '../../sluice-cli-helpers.js';
import { eventually, startPriceWriter } from '../../sync-helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TABLES = ['product', 'price_log'];

describe('a second instance beside a live one (PostgreSQL target)', () => {
  let source: MariaDbServer;
  let target: ChaosTarget;
  let conn: Connection;
  let dir: string;
  const children: RunningSluice[] = [];

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 23 }), startChaosTarget('postgres')]);
    await source.query(`CREATE DATABASE shop CHARACTER SET utf8mb4;
      CREATE TABLE shop.product (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(12,2) NOT NULL, updated DATETIME(6) NOT NULL);
      CREATE TABLE shop.price_log (product_id INT NOT NULL, price DECIMAL(12,2) NOT NULL, note VARCHAR(40));
      INSERT INTO shop.product SELECT seq, CONCAT('Produkt ', seq, ' ü'), seq * 1.25, '2026-01-01 00:00:00' + INTERVAL seq SECOND FROM shop.seq_1_to_1500;`);
    conn = await createConnection({ host: source.host, port: source.port, user: 'root', multipleStatements: true });
    dir = mkdtempSync(join(tmpdir(), 'sluice-second-pg-'));
    writeFileSync(join(dir, 'sluice.yaml'), `
sources:
  products:
    type: mariadb
    url: ${source.url}
targets:
  orders:
${target.configEntry(target.port)}
tuning:
  batchSize: 50
  maxBatchDelayMs: 20
  leaseSeconds: 4
pipelines:
  - name: to-order
    source: products
    target: orders
    tables: ["shop.*"]
    targetDatabase: order_service
`);
  });
  after(async () => {
    for (const c of children) await killHard(c);
    await conn?.end();
    await Promise.all([source?.stop(), target?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sluice = (): RunningSluice => {
    const c = startSluice(join(dir, 'sluice.yaml'), { SLUICE_LOG_LEVEL: 'info' });
    children.push(c);
    return c;
  };

  const priceWriter = (): { stop: () => Promise<number> } => startPriceWriter(source, 'shop', ', updated = NOW(6)');

  let report = '';
  const converged = async (): Promise<boolean> => {
    const diffs = [];
    for (const t of TABLES) diffs.push(await target.diff(conn, 'shop', t, 'order_service'));
    report = JSON.stringify(diffs.filter((d) => d.extra > 0 || d.missing > 0));
    return report === '[]';
  };
  const convergedWithin = (ms: number): Promise<void> => eventually(converged, ms, 'the copy to equal the source').catch((err: unknown) => { throw new Error(`${String(err)}: ${report}`); });

  it('waits while the owner is alive, names it, takes over when it stops, and never applies a row twice', async () => {
    const writer = priceWriter();
    const a = sluice();
    await eventually(async () => await target.priceLogRows('order_service') > 0, 60_000, 'the first instance to stream');
    const b = sluice();
    await eventually(async () => /owned by a live instance/.test(b.stderr()), 20_000, 'the second instance to report the live owner');
    assert.match(b.stderr(), new RegExp(`pid ${a.child.pid}`), 'the owner is named with its process id');
    await sleep(3000);
    assert.equal(b.child.exitCode, null, 'the second instance keeps waiting');
    const stoppedAt = Date.now();
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0);
    await eventually(async () => /took over pipeline/.test(b.stderr()), 10_000, 'the second instance to take over');
    assert.ok(Date.now() - stoppedAt < 8000, `takeover took ${Date.now() - stoppedAt} ms`);
    await sleep(1500);
    await writer.stop();
    await convergedWithin(60_000);
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });

  it('fences an old instance that wakes up after a new one took over (SIGSTOP / SIGCONT)', async () => {
    const writer = priceWriter();
    const a = sluice();
    await eventually(async () => /claimed pipeline|took over pipeline/.test(a.stderr()) && /"msg":"streaming"/.test(a.stderr()), 60_000, 'the first instance to claim and stream');
    await sleep(1000);
    // Paused while its socket keeps receiving binlog events it has not applied yet.
    a.child.kill('SIGSTOP');
    await sleep(1500);
    const b = sluice();
    await eventually(async () => /took over pipeline/.test(b.stderr()), 30_000, 'the new instance to take over after the lease ran out');
    await sleep(2000);
    a.child.kill('SIGCONT');
    const code = await Promise.race([a.exited, sleep(30_000).then(() => 'still running')]);
    assert.equal(code, 1, `old instance exit: ${String(code)}\n${a.stderr().slice(-3000)}`);
    assert.match(a.stderr(), /FENCED/);
    await sleep(1000);
    await writer.stop();
    await convergedWithin(60_000);
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });
});
