// The web UI per role in headless Chromium against a real `sluice serve` and two throwaway MariaDB servers. An
// admin (SLUICE_ADMIN_PASSWORD) creates a source, a target, a streaming pipeline and the users olga (operator) and
// victor (viewer) through the REST API. Victor sees the dashboard, pipeline, sources and targets with no control
// that changes anything, no user management and no wizard; the pipeline page does not scroll sideways at laptop
// widths. Olga pauses and resumes the pipeline, is offered the actions of its state (Pause or Resume, Stop), Re-snapshot, Resync and Delete, can test a connection but
// not add, edit or delete sources or targets, and has no user management. Neither session logs a console error (a
// 403 from a control the server refuses would). Screenshots go to artifacts/screenshots/roles-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startMariaDb, type MariaDbServer } from '../../src/testkit/mariadb-server.js';
import { chromiumAvailable, openBrowser, CHROMIUM, type BrowserSession } from './browser-harness.js';
import { ApiClient, eventually, startServe, type ServeProcess } from './serve-helpers.js';

const ADMIN_PASSWORD = 'admin-Pa55word-roles';
const OPERATOR = { username: 'olga', password: 'olga-Pa55word!', role: 'operator' } as const;
const VIEWER = { username: 'victor', password: 'victor-Pa55word!', role: 'viewer' } as const;
const PIPELINE = 'shop-sync';
const TABLE = 'shop.product';

const serveBuilt = existsSync(join(process.cwd(), 'dist', 'src', 'cli', 'serve.js'));
const skip = !chromiumAvailable() ? `Chromium not found at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`
  : !serveBuilt ? 'sluice serve is not built yet (dist/src/cli/serve.js missing)' : false;

/** Controls that change a pipeline: none may be shown to a viewer. */
const PIPELINE_CONTROLS = /^(Start|Pause|Resume|Stop|Resync|Delete|Really delete|Re-snapshot|Retry|Retry now|Skip this transaction|Skip this DDL|Verify|Verifying…|Repair)$/;

/** The admin client, and the pipeline's state through it. */
class AdminApi extends ApiClient {
  async state(): Promise<string> {
    return ((await this.call('GET', `/api/pipelines/${PIPELINE}/status`))['status'] as { state: string }).state;
  }
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent({ timeout: 5000 })) ?? '';
}

/** Names of the visible buttons inside `scope` (a test id). */
async function buttonNames(page: Page, scope: string): Promise<string[]> {
  const names: string[] = [];
  for (const b of await page.getByTestId(scope).getByRole('button').all()) {
    if (await b.isVisible()) names.push(((await b.textContent()) ?? '').trim());
  }
  return names;
}

/** The main navigation's link texts. */
async function navLinks(page: Page): Promise<string[]> {
  return (await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).map((s) => s.trim());
}

async function signIn(b: BrowserSession, who: { username: string; password: string; role: string }): Promise<void> {
  const page = b.page;
  await page.goto('/');
  await page.getByRole('form', { name: 'Sign in' }).waitFor();
  await page.fill('input[name=username]', who.username);
  await page.fill('input[name=password]', who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('dashboard').waitFor();
  assert.equal((await text(page, '[data-testid=whoami]')).trim(), `${who.username} · ${who.role}`);
}

/** Open the pipeline page and wait until status, definition and the per-table rows are rendered. */
async function openPipeline(page: Page): Promise<void> {
  await page.goto(`/#/pipelines/${PIPELINE}`);
  await page.getByTestId('pipeline-page').waitFor();
  await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'streaming', 20_000, 'state streaming');
  await eventually(async () => (await page.getByTestId('snapshot-progress').getAttribute('aria-valuenow', { timeout: 2000 })) === '100',
    20_000, 'the snapshot progress bar at 100 %');
  await page.getByTestId(`table-progress-${TABLE}`).waitFor();
  await page.locator('dl.kv dt', { hasText: 'Tables' }).waitFor();
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('web UI per role in Chromium', { skip, timeout: 120_000 }, () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let serve: ServeProcess;
  let admin: AdminApi;
  const sessions: BrowserSession[] = [];

  before(async () => {
    [source, target, serve] = await Promise.all([
      startMariaDb({ serverId: 21 }), startMariaDb({ serverId: 22 }),
      startServe({ SLUICE_ADMIN_PASSWORD: ADMIN_PASSWORD, SLUICE_ADMIN_USER: 'admin' }),
    ]);
    await source.query('CREATE DATABASE shop');
    await source.query(`CREATE TABLE shop.product (
      id INT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(32) NOT NULL, name VARCHAR(100) NOT NULL, price DECIMAL(10,2) NOT NULL)`);
    await source.query(`INSERT INTO shop.product (sku, name, price)
      SELECT CONCAT('SKU-', seq), CONCAT('Product ', seq), seq % 100 + 0.99 FROM shop.seq_1_to_200`);
    await source.query('ANALYZE TABLE shop.product');

    admin = new AdminApi(serve.url);
    await admin.login('admin', ADMIN_PASSWORD);
    await admin.call('POST', '/api/sources', { name: 'products', type: 'mariadb', host: '127.0.0.1', port: source.port, user: source.user });
    await admin.call('POST', '/api/targets', { name: 'orders', type: 'mariadb', host: '127.0.0.1', port: target.port, user: target.user });
    await admin.call('POST', '/api/pipelines', {
      name: PIPELINE, source: 'products', target: 'orders', tables: [TABLE], targetDatabase: 'order_service', start: true,
    });
    for (const u of [OPERATOR, VIEWER]) await admin.call('POST', '/api/users', u);
    await eventually(async () => (await admin.state()) === 'streaming', 30_000, 'the pipeline streaming (admin API)');
    // One streamed change, so that the status carries a binlog position and a rows-applied count.
    await source.query("INSERT INTO shop.product (sku, name, price) VALUES ('STREAMED', 's', 1)");
    await eventually(async () => (await target.query<unknown[]>("SELECT 1 FROM order_service.product WHERE sku = 'STREAMED'")).length === 1,
      20_000, 'the streamed row on the target');
  });

  after(async () => {
    for (const s of sessions) await s.close();
    await serve?.stop();
    await Promise.allSettled([source?.stop(), target?.stop()]);
  });

  describe('viewer', () => {
    let b: BrowserSession;
    let page: Page;

    before(async () => {
      b = await openBrowser(serve.url, { width: 1280, height: 800 });
      sessions.push(b);
      page = b.page;
      page.setDefaultTimeout(15_000);
      await signIn(b, VIEWER);
    });

    it('sees the pipeline on the dashboard, with no way to create one or manage users', async () => {
      const row = page.getByTestId(`pipeline-row-${PIPELINE}`);
      await row.waitFor();
      await eventually(async () => /streaming/.test((await row.textContent()) ?? ''), 10_000, 'the dashboard row streaming');
      assert.deepEqual(await navLinks(page), ['Dashboard', 'Sources', 'Targets', 'API tokens', 'Sign out']);
      assert.equal(await page.getByTestId('dashboard').getByRole('link', { name: 'New pipeline' }).count(), 0);
      assert.deepEqual(await buttonNames(page, 'dashboard'), []);
      await b.screenshot('roles-01-viewer-dashboard');
    });

    it('sees state and progress on the pipeline page but no action', async () => {
      await openPipeline(page);
      assert.equal(await page.getByTestId('pipeline-actions').count(), 0, 'no action bar');
      const buttons = await buttonNames(page, 'pipeline-page');
      assert.deepEqual(buttons.filter((n) => PIPELINE_CONTROLS.test(n)), [], `no pipeline control: ${buttons.join(', ')}`);
      assert.deepEqual(buttons, [], 'no button at all');
      assert.equal(await page.getByRole('form', { name: 'Re-snapshot a table' }).count(), 0);
      assert.match(await text(page, '[data-testid=snapshot-summary]'), /200 \/ 200 rows/);
      assert.equal(await page.getByTestId(`table-progress-${TABLE}`).locator('[role=progressbar]').getAttribute('aria-valuenow'), '100');
      assert.equal(await text(page, '[data-testid=rows-applied]'), '1', 'the streamed row counted');
      assert.match((await page.getByTestId('position').locator('dd').nth(2).textContent()) ?? '', /^\S+\.\d+:\d+$/, 'binlog file:pos shown');
      await b.screenshot('roles-02-viewer-pipeline');
    });

    it('does not scroll sideways on the pipeline page at laptop widths', async () => {
      for (const [w, h] of [[1366, 768], [1024, 768]] as const) {
        await b.setViewport(w, h);
        await page.waitForTimeout(300);
        const overflow = await horizontalOverflow(page);
        assert.ok(overflow <= 0, `no horizontal scroll at ${w}x${h} (overflow ${overflow}px)`);
        await b.screenshot(`roles-03-viewer-pipeline-${w}x${h}`);
      }
      await b.setViewport(1280, 800);
    });

    it('has no user management: the users route shows only the own API tokens', async () => {
      await page.goto('/#/users');
      await page.getByTestId('users-page').waitFor();
      await page.getByRole('heading', { name: 'API tokens', exact: true, level: 1 }).waitFor();
      assert.equal(await page.getByRole('heading', { name: /Users/ }).count(), 0);
      assert.equal(await page.getByTestId('users-table').count(), 0, 'no user list');
      assert.equal(await page.getByRole('form', { name: 'Add user' }).count(), 0, 'no add-user form');
      assert.equal(await page.locator('input[name=new-username]').count(), 0);
      // A token never carries more than the own role.
      assert.deepEqual(await page.locator('select[name=token-role] option').allTextContents(), ['viewer']);
      await b.screenshot('roles-04-viewer-users-route');
    });

    it('gets no pipeline wizard from the new-pipeline route', async () => {
      await page.goto('/#/new-pipeline');
      await page.getByTestId('forbidden').waitFor();
      assert.match(await text(page, '[data-testid=forbidden]'), /operator or admin role/);
      assert.equal(await page.getByTestId('wizard').count(), 0);
      await b.screenshot('roles-05-viewer-new-pipeline');
    });

    for (const kind of ['source', 'target'] as const) {
      it(`sees the ${kind}s with no add, edit, delete or test button`, async () => {
        await page.goto(`/#/${kind}s`);
        await page.getByTestId(`${kind}-row-${kind === 'source' ? 'products' : 'orders'}`).waitFor();
        assert.deepEqual(await buttonNames(page, `${kind}s-page`), []);
        await b.screenshot(`roles-06-viewer-${kind}s`);
      });
    }

    it('logged no console errors', () => {
      assert.deepEqual(b.errors, []);
    });
  });

  describe('operator', () => {
    let b: BrowserSession;
    let page: Page;

    before(async () => {
      b = await openBrowser(serve.url, { width: 1280, height: 800 });
      sessions.push(b);
      page = b.page;
      page.setDefaultTimeout(15_000);
      await signIn(b, OPERATOR);
    });

    it('may create pipelines but not manage users', async () => {
      assert.deepEqual(await navLinks(page), ['Dashboard', 'Sources', 'Targets', 'New pipeline', 'API tokens', 'Sign out']);
      await page.getByTestId('dashboard').getByRole('link', { name: 'New pipeline' }).waitFor();
      await b.screenshot('roles-07-operator-dashboard');
    });

    it('has the actions of the pipeline\'s state; pause and resume work', async () => {
      await openPipeline(page);
      const actions = page.getByTestId('pipeline-actions');
      // Only the actions that apply to the state are offered.
      assert.deepEqual(await buttonNames(page, 'pipeline-actions'), ['Pause', 'Stop', 'Verify', 'Resync', 'Delete']);
      const resnapshot = page.getByTestId(`table-progress-${TABLE}`).getByRole('button', { name: 'Re-snapshot' });
      await eventually(async () => resnapshot.isEnabled(), 10_000, 'Re-snapshot enabled while streaming');
      await b.screenshot('roles-08-operator-pipeline');

      await actions.getByRole('button', { name: 'Pause' }).click();
      await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'paused', 20_000, 'state paused');
      assert.equal(await admin.state(), 'paused', 'the server agrees');
      assert.deepEqual(await buttonNames(page, 'pipeline-actions'), ['Resume', 'Stop', 'Verify', 'Resync', 'Delete']);
      assert.equal(await actions.getByRole('button', { name: 'Resume' }).isEnabled(), true);
      assert.equal(await resnapshot.isDisabled(), true, 'Re-snapshot waits for streaming');
      await b.screenshot('roles-09-operator-paused');

      await actions.getByRole('button', { name: 'Resume' }).click();
      await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'streaming', 20_000, 'state streaming after resume');
      assert.equal(await admin.state(), 'streaming', 'the server agrees');
      await eventually(async () => resnapshot.isEnabled(), 10_000, 'Re-snapshot enabled again');
    });

    it('has no user management: the users route shows only the own API tokens', async () => {
      await page.goto('/#/users');
      await page.getByTestId('users-page').waitFor();
      await page.getByRole('heading', { name: 'API tokens', exact: true, level: 1 }).waitFor();
      assert.equal(await page.getByTestId('users-table').count(), 0, 'no user list');
      assert.equal(await page.getByRole('form', { name: 'Add user' }).count(), 0, 'no add-user form');
      assert.deepEqual(await page.locator('select[name=token-role] option').allTextContents(), ['viewer', 'operator']);
      await b.screenshot('roles-10-operator-users-route');
    });

    it('can test a source but not add, edit or delete one (the server reserves that to admins)', async () => {
      await page.goto('/#/sources');
      const row = page.getByTestId('source-row-products');
      await row.waitFor();
      assert.deepEqual(await buttonNames(page, 'sources-page'), ['Test connection']);
      await row.getByRole('button', { name: 'Test connection' }).click();
      const summary = page.getByRole('dialog').getByTestId('check-summary');
      await summary.waitFor({ timeout: 20_000 });
      assert.match((await summary.getAttribute('class')) ?? '', /\bok\b/, 'the operator\'s connection test runs and passes');
      await b.screenshot('roles-11-operator-sources');
      await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
      await page.goto('/#/targets');
      await page.getByTestId('target-row-orders').waitFor();
      assert.deepEqual(await buttonNames(page, 'targets-page'), ['Test connection']);
    });

    it('logged no console errors', () => {
      assert.deepEqual(b.errors, []);
    });
  });
});
