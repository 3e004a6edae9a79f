// A second `sluice run` of the same pipelines while the first one is still alive. The key-less,
// insert-only `price_log` is the strict witness: nothing hides a row applied twice there.
//
// 1. Beside a live, healthy instance: the new one must not write; it waits and says who owns the
//    pipelines (host, pid, since); once the old one stops cleanly it takes over at once.
// 2. The old instance paused (SIGSTOP) with binlog events already in its socket, a new one takes over,
//    then the old one wakes up (SIGCONT): the target refuses its writes (fenced), it stops and says why.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { killHard, logLines, startSluice, type RunningSluice } from '../sluice-cli-helpers.js';
import { PRODUCT_TABLES, createSupplyChain, eventually, startPriceWriter, tableRows } from '../sync-helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a second instance beside a live one', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dir: string;
  const children: RunningSluice[] = [];

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 21 }), startMariaDb({ serverId: 22 })]);
    await createSupplyChain(source, target, 2000);
    await source.query('CREATE TABLE product_service.price_log (product_id BIGINT UNSIGNED NOT NULL, price DECIMAL(12,2) NOT NULL, note VARCHAR(40))');
    dir = mkdtempSync(join(tmpdir(), 'sluice-second-'));
    writeFileSync(join(dir, 'sluice.yaml'), `
sources:
  products:
    type: mysql
    url: ${source.url}
targets:
  orders:
    type: mysql
    url: ${target.url}
tuning:
  batchSize: 50
  maxBatchDelayMs: 20
  leaseSeconds: 4
pipelines:
  - name: to-order
    source: products
    target: orders
    tables: ["product_service.*"]
    exclude: ["product_service.tmp_*"]
    targetDatabase: order_service
  - name: to-purchase
    source: products
    target: orders
    tables: ["product_service.product", "product_service.price_log"]
    targetDatabase: purchase_service
`);
  });
  after(async () => {
    for (const c of children) await killHard(c);
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sluice = (): RunningSluice => {
    const c = startSluice(join(dir, 'sluice.yaml'), { SLUICE_LOG_LEVEL: 'info' });
    children.push(c);
    return c;
  };

  const priceWriter = (): { stop: () => Promise<number> } => startPriceWriter(source, 'product_service');

  const converged = async (db: string, tables: string[]): Promise<boolean> => {
    for (const t of tables) {
      const [a, b] = await Promise.all([tableRows(source, 'product_service', t), tableRows(target, db, t)]);
      if (a.length !== b.length || a.some((r, i) => r !== b[i])) return false;
    }
    return true;
  };

  it('waits while the owner is alive, names it, takes over when it stops, and never applies a row twice', async () => {
    const writer = priceWriter();
    const a = sluice();
    await eventually(async () => (await target.query<unknown[]>("SELECT 1 FROM order_service.price_log LIMIT 1")).length > 0, 60_000, 'the first instance to stream');
    const b = sluice();
    // B must see that A owns both pipelines and wait; it never writes meanwhile.
    await eventually(async () => /owned by a live instance/.test(b.stderr()), 20_000, 'the second instance to report the live owner');
    const waiting = logLines(b.stderr()).find((l) => /owned by a live instance/.test(String(l.msg ?? '')) || /owned by a live instance/.test(JSON.stringify(l)));
    assert.ok(waiting, 'a log line names the owner');
    assert.match(JSON.stringify(waiting), new RegExp(`pid ${a.child.pid}`), 'the owner is named with its process id');
    await sleep(3000);
    assert.equal(b.child.exitCode, null, 'the second instance keeps waiting');
    // A stops cleanly: B takes over without waiting for the lease to run out.
    const stoppedAt = Date.now();
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0);
    await eventually(async () => /took over pipeline/.test(b.stderr()), 10_000, 'the second instance to take over');
    assert.ok(Date.now() - stoppedAt < 8000, `takeover took ${Date.now() - stoppedAt} ms`);
    await sleep(1500);
    await writer.stop();
    await eventually(() => converged('order_service', [...PRODUCT_TABLES, 'price_log']), 60_000, 'order_service to match the source');
    await eventually(() => converged('purchase_service', ['product', 'price_log']), 60_000, 'purchase_service to match the source');
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });

  it('fences an old instance that wakes up after a new one took over (SIGSTOP / SIGCONT)', async () => {
    const writer = priceWriter();
    const a = sluice();
    // Both pipelines claimed and streaming (a fixed wait was too short on a loaded machine: paused before it
    // claimed, the old instance rightly waits instead of being fenced).
    await eventually(async () => (a.stderr().match(/claimed pipeline|took over pipeline/g) ?? []).length >= 2 && (a.stderr().match(/"msg":"streaming"/g) ?? []).length >= 2,
      60_000, 'the first instance to claim and stream both pipelines');
    await sleep(1000);
    // Paused while its socket keeps receiving binlog events it has not applied yet.
    a.child.kill('SIGSTOP');
    await sleep(1500);
    const b = sluice();
    await eventually(async () => /took over pipeline/.test(b.stderr()), 30_000, 'the new instance to take over after the lease ran out');
    await sleep(2000);
    a.child.kill('SIGCONT');
    // The old instance must notice it lost the pipelines, stop writing and exit non-zero, saying why.
    const code = await Promise.race([a.exited, sleep(30_000).then(() => 'still running')]);
    assert.equal(code, 1, `old instance exit: ${String(code)}\n${a.stderr().slice(-3000)}`);
    assert.match(a.stderr(), /FENCED/);
    assert.match(a.stderr(), new RegExp(`pid ${b.child.pid}`), 'the old instance names the one that took over');
    await sleep(1000);
    await writer.stop();
    await eventually(() => converged('order_service', [...PRODUCT_TABLES, 'price_log']), 60_000, 'order_service to match the source');
    await eventually(() => converged('purchase_service', ['product', 'price_log']), 60_000, 'purchase_service to match the source');
    const [{ n: src }] = await source.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM product_service.price_log');
    const [{ n: dst }] = await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM order_service.price_log');
    assert.equal(Number(dst), Number(src), 'price_log has exactly the source rows');
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });
});
