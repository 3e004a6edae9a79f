// The Cluster page in headless Chromium: two `sluice serve` nodes on a store in a throwaway MariaDB (node-a serves
// the UI, node-b is a child process), one streaming pipeline. The navigation offers Cluster; the page lists both
// nodes live with their version and the pipeline with its owner and lease epoch; Drain on the owner hands the
// pipeline over to the other node (owner and epoch change on the page), Undrain clears the mark. No console error.
// A single node (no --store) has no Cluster entry, and #/cluster says how to run a cluster.
// Screenshot: artifacts/screenshots/cluster-page.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startMariaDb, startServeNode, type MariaDbServer, type ServeNode } from '../../src/testkit/index.js';
import { chromiumAvailable, openBrowser, CHROMIUM, type BrowserSession } from './browser-harness.js';
import { ApiClient, eventually, startServe, type ServeProcess } from './serve-helpers.js';

const ADMIN_PASSWORD = 'admin-Pa55word-cluster';
const ENV = { SLUICE_ADMIN_PASSWORD: ADMIN_PASSWORD, SLUICE_ADMIN_USER: 'admin', SLUICE_SECRET_KEY: 'cluster-ui-test-key' };
const PIPELINE = 'shop-sync';

const serveBuilt = existsSync(join(process.cwd(), 'dist', 'src', 'cli', 'serve.js'));
const skip = !chromiumAvailable() ? `Chromium not found at ${CHROMIUM}` : !serveBuilt ? 'sluice serve is not built yet (dist/src/cli/serve.js missing)' : false;

async function text(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).first().textContent({ timeout: 5000 })) ?? '').trim();
}

async function signIn(page: Page): Promise<void> {
  await page.goto('/');
  await page.getByRole('form', { name: 'Sign in' }).waitFor();
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('dashboard').waitFor();
}

describe('Cluster page in Chromium', { skip, timeout: 180_000 }, () => {
  let db: MariaDbServer;
  let serve: ServeProcess;
  let nodeB: ServeNode;
  let b: BrowserSession;

  before(async () => {
    db = await startMariaDb();
    await db.query('CREATE DATABASE sluice_store');
    await db.query('CREATE DATABASE shop');
    await db.query('CREATE TABLE shop.product (id INT PRIMARY KEY, name VARCHAR(40))');
    await db.query("INSERT INTO shop.product VALUES (1, 'one'), (2, 'two')");
    const storeUrl = `mysql://root@127.0.0.1:${db.port}/sluice_store`;
    serve = await startServe(ENV, ['--store', storeUrl, '--node-id', 'node-a']);
    nodeB = await startServeNode(storeUrl, 'node-b', ENV);
    const admin = new ApiClient(serve.url);
    await admin.login('admin', ADMIN_PASSWORD);
    await admin.call('POST', '/api/sources', { name: 'src', type: 'mariadb', host: '127.0.0.1', port: db.port, user: 'root' });
    await admin.call('POST', '/api/targets', { name: 'tgt', type: 'mariadb', host: '127.0.0.1', port: db.port, user: 'root' });
    await admin.call('POST', '/api/pipelines', { name: PIPELINE, source: 'src', target: 'tgt', tables: ['shop.product'], targetDatabase: 'copy', start: true });
    b = await openBrowser(serve.url, { width: 1280, height: 800 });
    b.page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await b?.close();
    await nodeB?.kill();
    await serve?.stop();
    await db?.stop();
  });

  it('shows the nodes and the pipeline owner, and drains a node from the page', async () => {
    const page = b.page;
    await signIn(page);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Cluster' }).click();
    await page.getByTestId('cluster-page').waitFor();

    for (const id of ['node-a', 'node-b']) {
      await eventually(async () => (await text(page, `node-state-${id}`)) === 'live', 20_000, `${id} live`);
      assert.match((await page.getByTestId(`node-row-${id}`).textContent()) ?? '', /0\.1\.0/, 'the version is shown');
    }
    const owner = await eventually(async () => {
      const o = await text(page, `lease-owner-${PIPELINE}`);
      return o === 'node-a' || o === 'node-b' ? o : null;
    }, 30_000, 'the pipeline owned by a node');
    const epoch = Number(await text(page, `lease-epoch-${PIPELINE}`));
    assert.ok(epoch >= 1, `epoch ${epoch}`);
    assert.match(await text(page, `node-pipelines-${owner}`), new RegExp(PIPELINE));
    await b.screenshot('cluster-page');

    const other = owner === 'node-a' ? 'node-b' : 'node-a';
    await page.getByTestId(`node-drain-${owner}`).click();
    await page.getByTestId(`node-draining-${owner}`).waitFor();
    await eventually(async () => (await text(page, `lease-owner-${PIPELINE}`)) === other, 30_000, `the pipeline handed over to ${other}`);
    assert.ok(Number(await text(page, `lease-epoch-${PIPELINE}`)) > epoch, 'the handover raised the epoch');
    assert.equal(await page.getByTestId(`node-drain-${owner}`).textContent(), 'Undrain');

    await page.getByTestId(`node-drain-${owner}`).click();
    await page.getByTestId(`node-draining-${owner}`).waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId(`node-drain-${owner}`).textContent(), 'Drain');
    assert.deepEqual(b.errors, []);
  });

  it('on a single node: no Cluster entry, and the page says how to run a cluster', async () => {
    const single = await startServe(ENV);
    const sb = await openBrowser(single.url, { width: 1280, height: 800 });
    try {
      await signIn(sb.page);
      const links = (await sb.page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).map((l) => l.trim());
      assert.ok(!links.includes('Cluster'), links.join(', '));
      await sb.page.goto('/#/cluster');
      assert.match((await sb.page.getByTestId('cluster-single').textContent()) ?? '', /--store mysql:\/\//);
      assert.deepEqual(sb.errors, []);
    } finally {
      await sb.close();
      await single.stop();
    }
  });
});
