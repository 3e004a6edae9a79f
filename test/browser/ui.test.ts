// The web UI end to end in headless Chromium against a real `sluice serve` and two throwaway MariaDB servers:
// first-admin setup, sign in, add a source and a target (test connection ok), create a pipeline with the wizard,
// watch the snapshot reach 100 % and the streamed row count grow, pause and resume, see an error appear while
// the target is down and clear when it is back, re-snapshot a table whose target copy drifted, skip a source
// transaction the target refuses. Screenshots of every page go to artifacts/screenshots/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startMariaDb, type MariaDbServer } from '../../src/testkit/mariadb-server.js';
import { chromiumAvailable, openBrowser, CHROMIUM, type BrowserSession } from './browser-harness.js';
import { eventually, startServe, type ServeProcess } from './serve-helpers.js';

const ADMIN = 'admin';
const PASSWORD = 'correct-horse-battery';
const PRODUCTS = 500;

const serveBuilt = existsSync(join(process.cwd(), 'dist', 'src', 'cli', 'serve.js'));
const skip = !chromiumAvailable() ? `Chromium not found at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`
  : !serveBuilt ? 'sluice serve is not built yet (dist/src/cli/serve.js missing)' : false;

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent({ timeout: 5000 })) ?? '';
}

/** "1.2k" → 1200 etc. (the UI's compact number format). */
function parseCompact(s: string): number {
  const m = /(-?[\d.]+)\s*([kMG]?)/.exec(s.replace(/,/g, ''));
  if (!m) return NaN;
  const mult = m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : m[2] === 'G' ? 1e9 : 1;
  return Number(m[1]) * mult;
}

describe('web UI in Chromium', { skip, timeout: 600_000 }, () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let serve: ServeProcess;
  let b: BrowserSession;
  let page: Page;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 11 }), startMariaDb({ serverId: 12 })]);
    await source.query('CREATE DATABASE shop');
    await source.query(`CREATE TABLE shop.product (
      id INT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(32) NOT NULL, name VARCHAR(100) NOT NULL, price DECIMAL(10,2) NOT NULL)`);
    await source.query(`INSERT INTO shop.product (sku, name, price)
      SELECT CONCAT('SKU-', seq), CONCAT('Product ', seq), seq % 100 + 0.99 FROM shop.seq_1_to_${PRODUCTS}`);
    await source.query('ANALYZE TABLE shop.product');
    serve = await startServe();
    b = await openBrowser(serve.url, { width: 1280, height: 800 });
    page = b.page;
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await b?.close();
    await serve?.stop();
    await Promise.allSettled([source?.stop(), target?.stop()]);
  });

  it('creates the first admin from the one-time setup link', async () => {
    const link = await eventually(async () => /(\/setup\?token=[A-Za-z0-9_.~%-]+)/.exec(serve.output())?.[1], 10_000,
      'the setup link on sluice serve\'s output');
    await page.goto(link);
    await page.getByRole('form', { name: 'Create the first admin' }).waitFor();
    assert.ok((await page.locator('input[name=token]').inputValue()).length > 0, 'token taken from the link');
    await b.screenshot('01-setup');
    await page.fill('input[name=username]', ADMIN);
    await page.fill('input[name=password]', PASSWORD);
    await page.fill('input[name=password2]', PASSWORD);
    await page.getByRole('button', { name: /Create admin/ }).click();
    await page.getByTestId('dashboard').waitFor();
    assert.match(await text(page, '[data-testid=whoami]'), /admin · admin/);
  });

  it('signs out and in again', async () => {
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    await page.fill('input[name=username]', ADMIN);
    await page.fill('input[name=password]', PASSWORD);
    await b.screenshot('02-login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('dashboard').waitFor();
    await b.screenshot('03-dashboard-empty');
  });

  async function addEndpoint(kind: 'source' | 'target', name: string, server: MariaDbServer): Promise<void> {
    await page.goto(`/#/${kind}s`);
    await page.getByTestId(`${kind}s-page`).waitFor();
    await page.getByRole('button', { name: `Add ${kind}` }).click();
    const form = page.getByRole('form', { name: `${kind} form` });
    await form.waitFor();
    await form.locator('input[name=name]').fill(name);
    // Sources: MySQL or MariaDB; targets: one choice per kind (MySQL / MariaDB, PostgreSQL).
    await form.locator('select[name=type]').selectOption(kind === 'source' ? 'mariadb' : 'mysql');
    await form.locator('input[name=host]').fill('127.0.0.1');
    await form.locator('input[name=port]').fill(String(server.port));
    await form.locator('input[name=user]').fill(server.user);
    await form.getByRole('button', { name: 'Test connection' }).click();
    const summary = form.getByTestId('check-summary');
    await summary.waitFor({ timeout: 30_000 });
    const checks = await form.getByTestId('check-results').textContent();
    assert.match((await summary.getAttribute('class')) ?? '', /\bok\b/, `test connection of the ${kind} is ok: ${checks}`);
    assert.ok((await form.locator('.checks li').count()) >= 1, 'each preflight check is listed');
    // Sources and targets both name the server and its version, once.
    const reachable = (await form.getByTestId('check-reachable').locator('div').first().textContent()) ?? '';
    assert.match(reachable, /^reachable: (mariadb|mysql) \d+\.\d+/, `the ${kind}'s reachable line names the server: ${reachable}`);
    await b.screenshot(`04-${kind}-test-connection`);
    await form.getByRole('button', { name: `Add ${kind}` }).click();
    await page.getByTestId(`${kind}-row-${name}`).waitFor();
    // The saved object's own test button gives the same answer.
    await page.getByTestId(`${kind}-row-${name}`).getByRole('button', { name: 'Test connection' }).click();
    await page.getByRole('dialog').getByTestId('check-summary').waitFor({ timeout: 30_000 });
    assert.match((await page.getByRole('dialog').getByTestId('check-summary').getAttribute('class')) ?? '', /\bok\b/);
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await b.screenshot(`05-${kind}s`);
  }

  it('adds a source and a target, each with a passing connection test', async () => {
    await addEndpoint('source', 'products', source);
    await addEndpoint('target', 'orders', target);
  });

  it('creates and starts a pipeline with the wizard', async () => {
    await page.goto('/#/new-pipeline');
    await page.getByTestId('wizard').waitFor();
    await page.fill('input[name=pipeline-name]', 'shop-sync');
    await page.locator('select[name=source]').selectOption('products');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Browse shop' }).click();
    const row = page.getByTestId('table-shop.product');
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /rows/, 'row count shown');
    await row.getByRole('checkbox').check();
    await b.screenshot('06-wizard-tables');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('select[name=target]').selectOption('orders');
    await page.fill('input[name=targetDatabase]', 'order_service');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('select[name=snapshot]').selectOption('initial');
    await page.locator('select[name=ddl]').selectOption('apply');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('review').waitFor();
    await b.screenshot('07-wizard-review');
    await page.getByRole('button', { name: 'Create and start' }).click();
    await page.getByTestId('pipeline-page').waitFor();
    assert.match(page.url(), /#\/pipelines\/shop-sync$/);
  });

  it('shows the snapshot reach 100 % and the streamed rows grow while the source writes', async () => {
    await eventually(async () => (await page.getByTestId('snapshot-progress').getAttribute('aria-valuenow', { timeout: 2000 })) === '100',
      60_000, 'the snapshot progress bar at 100 %');
    await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'streaming', 60_000, 'state streaming');
    const tableRow = page.getByTestId('table-progress-shop.product');
    if (await tableRow.count()) {
      assert.equal(await tableRow.locator('[role=progressbar]').getAttribute('aria-valuenow'), '100');
      // Re-snapshot is offered while the pipeline streams.
      assert.equal(await tableRow.getByRole('button', { name: 'Re-snapshot' }).isDisabled(), false);
    }
    await b.screenshot('08-pipeline-snapshot-done');
    const before = parseCompact(await text(page, '[data-testid=rows-applied]'));
    for (let i = 0; i < 5; i++) {
      await source.query(`INSERT INTO shop.product (sku, name, price) SELECT CONCAT('NEW-${i}-', seq), 'new', 1 FROM shop.seq_1_to_20`);
    }
    const after = await eventually(async () => {
      const n = parseCompact(await text(page, '[data-testid=rows-applied]'));
      return n >= (Number.isFinite(before) ? before : 0) + 100 ? n : null;
    }, 30_000, 'the rows-applied count to grow by the 100 inserted rows');
    assert.ok(after >= 100);
    const copied = await target.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM order_service.product');
    assert.equal(Number(copied[0]?.n), PRODUCTS + 100);
    await b.screenshot('09-pipeline-streaming');
  });

  it('pauses and resumes', async () => {
    const actions = page.getByTestId('pipeline-actions');
    await actions.getByRole('button', { name: 'Pause' }).click();
    await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'paused', 30_000, 'state paused');
    await b.screenshot('10-pipeline-paused');
    await source.query("INSERT INTO shop.product (sku, name, price) VALUES ('WHILE-PAUSED', 'p', 2)");
    await actions.getByRole('button', { name: 'Resume' }).click();
    await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'streaming', 30_000, 'state streaming after resume');
    await eventually(async () => {
      const r = await target.query<unknown[]>("SELECT 1 FROM order_service.product WHERE sku = 'WHILE-PAUSED'");
      return r.length === 1;
    }, 30_000, 'the row written while paused to arrive after resume');
  });

  /** The pipeline's status JSON, fetched with the page's session (for failure messages). */
  async function apiStatus(): Promise<string> {
    return page.evaluate(async () => (await fetch('/api/pipelines/shop-sync/status')).text()).catch((e: unknown) => String(e));
  }

  it('shows an error while the target is down and clears it when it is back', async () => {
    await target.kill();
    await source.query("INSERT INTO shop.product (sku, name, price) VALUES ('TARGET-DOWN', 'x', 3)");
    await page.getByTestId('current-error').waitFor({ timeout: 60_000 }).catch(async (e: unknown) => {
      throw new Error(`no error shown while the target is down (${String(e)}); status: ${await apiStatus()}`);
    });
    assert.ok((await page.getByTestId('recent-errors').locator('tbody tr').count()) >= 1, 'listed under recent errors');
    await b.screenshot('11-pipeline-target-down');
    await target.restart();
    await page.getByTestId('current-error').waitFor({ state: 'detached', timeout: 90_000 }).catch(async (e: unknown) => {
      throw new Error(`the error did not clear after the target came back (${String(e)}); status: ${await apiStatus()}`);
    });
    await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'streaming', 60_000, 'streaming again');
    // The errors stay listed, marked resolved.
    await eventually(async () => (await page.getByTestId('recent-errors').getByTestId('error-resolved').count()) >= 1, 10_000, 'the error marked resolved');
    await eventually(async () => {
      const r = await target.query<unknown[]>("SELECT 1 FROM order_service.product WHERE sku = 'TARGET-DOWN'");
      return r.length === 1;
    }, 60_000, 'the row written while the target was down to arrive');
    await b.screenshot('12-pipeline-recovered');
  });

  /** Row count and an order-independent checksum of every column of the product table. */
  async function fingerprint(server: MariaDbServer, table: string): Promise<string> {
    const r = await server.query<Array<{ n: number; c: string | null }>>(
      `SELECT COUNT(*) AS n, SUM(CRC32(CONCAT_WS('|', id, sku, name, price))) AS c FROM ${table}`);
    return `${Number(r[0]?.n)} rows, checksum ${String(r[0]?.c)}`;
  }

  it('re-snapshots a table whose target copy drifted, while the pipeline streams', async () => {
    // Damage the copy behind Sluice's back: only a fresh copy of the whole table repairs this.
    await target.query('DELETE FROM order_service.product WHERE id % 7 = 0');
    await target.query("UPDATE order_service.product SET name = 'drifted' WHERE id % 11 = 0");
    assert.notEqual(await fingerprint(target, 'order_service.product'), await fingerprint(source, 'shop.product'));
    const button = page.getByTestId('table-progress-shop.product').getByRole('button', { name: 'Re-snapshot' });
    await eventually(async () => button.isEnabled(), 20_000, 'the Re-snapshot button enabled while streaming');
    await button.click();
    const dialog = page.getByRole('dialog', { name: 'Re-snapshot shop.product?' });
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /whole table/);
    await b.screenshot('12a-resnapshot-confirm');
    await dialog.getByRole('button', { name: 'Start re-snapshot' }).click();
    await dialog.waitFor({ state: 'detached' });
    // The source keeps writing while the table is copied.
    await source.query("INSERT INTO shop.product (sku, name, price) VALUES ('DURING-RESNAPSHOT', 'r', 4)");
    await eventually(async () => /Re-snapshot of shop\.product done/.test(await text(page, '[data-testid=notice]')), 30_000,
      'the page to report the re-snapshot done').catch(async (e: unknown) => {
      throw new Error(`${String(e)}; status: ${await apiStatus()}`);
    });
    await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'streaming', 30_000, 'streaming after the re-snapshot');
    assert.equal(await page.getByTestId('resnapshot-queue').count(), 0, 'the queue is empty');
    const expected = await fingerprint(source, 'shop.product');
    await eventually(async () => (await fingerprint(target, 'order_service.product')) === expected, 30_000,
      `the target copy to equal the source (${expected})`).catch(async (e: unknown) => {
      throw new Error(`${String(e)}; target: ${await fingerprint(target, 'order_service.product')}`);
    });
    await b.screenshot('12b-pipeline-resnapshot-done');
  });

  it('skips a source transaction the target refuses', async () => {
    // The target refuses what the source accepts: one source transaction cannot be applied.
    await target.query('ALTER TABLE order_service.product ADD CONSTRAINT price_cap CHECK (price < 1000)');
    await source.query("INSERT INTO shop.product (sku, name, price) VALUES ('TOO-EXPENSIVE', 'refused', 5000)");
    await source.query("INSERT INTO shop.product (sku, name, price) VALUES ('AFTER-SKIP', 'ok', 5)");
    const skipButton = page.getByTestId('recent-errors').getByRole('button', { name: 'Skip this transaction' }).first();
    await eventually(async () => skipButton.isEnabled({ timeout: 1000 }), 30_000, 'an enabled Skip button on the refused transaction')
      .catch(async (e: unknown) => {
        throw new Error(`${String(e)}; status: ${await apiStatus()}`);
      });
    assert.equal(await text(page, '[data-testid=pipeline-state]'), 'failed');
    assert.match(await text(page, '[data-testid=current-error]'), /TARGET_WRITE_FAILED/);
    await b.screenshot('12c-pipeline-refused-transaction');
    await skipButton.click();
    const dialog = page.getByRole('dialog', { name: 'Skip this transaction?' });
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /will not reach the target/);
    await b.screenshot('12d-skip-confirm');
    await dialog.getByRole('button', { name: 'Skip this transaction' }).click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(async () => (await text(page, '[data-testid=pipeline-state]')) === 'streaming', 30_000, 'streaming after the skip');
    await page.getByTestId('skipped').waitFor({ timeout: 10_000 });
    const skippedRow = (await page.getByTestId('skipped').locator('tbody tr').first().textContent()) ?? '';
    assert.match(skippedRow, /transaction/);
    assert.match(skippedRow, /:\d+/, 'the source position is shown');
    assert.equal(await page.getByTestId('pending-skip').count(), 0, 'no skip pending once it was passed');
    await source.query("INSERT INTO shop.product (sku, name, price) VALUES ('LATER', 'ok', 6)");
    await eventually(async () => {
      const r = await target.query<Array<{ sku: string }>>("SELECT sku FROM order_service.product WHERE sku IN ('AFTER-SKIP', 'LATER', 'TOO-EXPENSIVE')");
      return r.length === 2 ? r.map((x) => x.sku).sort() : null;
    }, 30_000, 'the rows after the skipped transaction to arrive').then((skus) => assert.deepEqual(skus, ['AFTER-SKIP', 'LATER']));
    // The skip restarted the pipeline from its checkpoint: the table still shows its last copy (the re-snapshot).
    const lastCopy = (await page.getByTestId('table-progress-shop.product').getByTestId('last-copy').textContent()) ?? '';
    assert.match(lastCopy, /\d+ rows/, `last copy kept after the restart: ${lastCopy}`);
    assert.doesNotMatch((await page.getByTestId('tables-progress').textContent()) ?? '', /not copied/);
    await b.screenshot('12e-pipeline-skipped');
    await target.query('ALTER TABLE order_service.product DROP CONSTRAINT price_cap');
  });

  it('shows the dashboard with the pipeline at laptop and desktop widths', async () => {
    await page.goto('/#/');
    await page.getByTestId('pipeline-row-shop-sync').waitFor();
    assert.match((await page.getByTestId('pipeline-row-shop-sync').textContent()) ?? '', /streaming/);
    await page.getByTestId('chart-throughput').waitFor();
    await b.screenshot('13-dashboard-1280x800');
    await b.setViewport(1920, 1080);
    await page.waitForTimeout(300);
    await b.screenshot('14-dashboard-1920x1080');
    await page.goto('/#/pipelines/shop-sync');
    await page.getByTestId('pipeline-page').waitFor();
    await page.waitForTimeout(500);
    await b.screenshot('15-pipeline-1920x1080');
    // Nothing overflows horizontally at either width.
    for (const [w, h] of [[1920, 1080], [1280, 800]] as const) {
      await b.setViewport(w, h);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scroll at ${w}x${h} (overflow ${overflow}px)`);
    }
  });

  it('manages users and API tokens', async () => {
    await page.goto('/#/users');
    await page.getByTestId('users-page').waitFor();
    await page.getByTestId(`user-row-${ADMIN}`).waitFor();
    await page.fill('input[name=new-username]', 'olivia');
    await page.fill('input[name=new-password]', 'operator-password-1');
    await page.locator('select[name=new-role]').selectOption('operator');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByTestId('user-row-olivia').waitFor();
    await page.fill('input[name=token-name]', 'ci-deploy');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('token-secret').waitFor();
    assert.match((await page.getByTestId('token-secret').textContent()) ?? '', /sluice_/);
    await b.screenshot('16-users-and-tokens');
    const row = page.getByTestId('user-row-olivia');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Really delete' }).click();
    await page.getByTestId('user-row-olivia').waitFor({ state: 'detached' });
  });

  it('logged no console errors', () => {
    assert.deepEqual(b.errors, []);
  });
});
