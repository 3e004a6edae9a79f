// Verify in the web UI (issue 13), in headless Chromium against a real `sluice serve` with no database servers: the
// pipeline's definition, status and verify routes are answered by the test (page.route). Covered: the Verify action
// of the pipeline and of a table (what they POST), the result panel (per table: rows checked, differences, a sample
// of differing keys with both sides' values), the panel shown again after a reload (from the last result per table
// the server keeps), and Repair of one table after a confirmation. Screenshots: artifacts/screenshots/verify-panel.png, verify-pipeline-page.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { chromiumAvailable, openBrowser, CHROMIUM, type BrowserSession } from './browser-harness.js';
import { startServe, type ServeProcess } from './serve-helpers.js';

const ADMIN_PASSWORD = 'Verify-Admin-pa55phrase';
const PIPE = 'shop-copy';

const serveBuilt = existsSync(join(process.cwd(), 'dist', 'src', 'cli', 'serve.js'));
const skip = !chromiumAvailable() ? `Chromium not found at ${CHROMIUM}` : !serveBuilt ? 'sluice serve is not built yet' : false;

type Json = Record<string, unknown>;

const definition: Json = {
  name: PIPE, source: 'src', target: 'dst', tables: ['shop.product', 'shop.orders'], exclude: [], snapshot: 'initial', ddl: 'apply',
  tuning: { batchSize: 500, maxStatementBytes: 1, maxBatchDelayMs: 1, snapshotChunkSize: 1, snapshotParallelism: 1 },
  desiredState: 'running', managedByConfig: false, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', state: 'streaming',
};

function status(): Json {
  const finished = new Date(Date.now() - 3_600_000).toISOString();
  return {
    name: PIPE, state: 'streaming', desiredState: 'running', since: new Date().toISOString(), startedAt: new Date().toISOString(),
    lagSeconds: 0.4, rowsPerSecond: 5, rowsApplied: 1234, transactionsApplied: 300,
    snapshot: { rowsCopied: 0, rowsEstimated: 0, percent: 100, rowsPerSecond: 0, etaSeconds: null, tables: [],
      lastCopies: [{ table: 'shop.product', rowsCopied: 5000, finishedAt: finished }, { table: 'shop.orders', rowsCopied: 120, finishedAt: finished }] },
    position: { file: 'bin.000002', pos: 4242 }, errorCount: 0, restarts: 0, recentErrors: [], pendingSkip: null, skipped: [],
    resnapshotQueue: [], bytesRead: 1_000_000, sourceReconnects: 0, queuedChanges: 0, owner: null,
  };
}

const checkedAt = new Date(Date.now() - 60_000).toISOString();
/** The last results the server keeps: shop.product has 3 differing rows, shop.orders is equal. */
const productResult: Json = {
  pipeline: PIPE, table: 'shop.product', target: 'shop.product', key: 'primary', rowsChecked: 5000, chunks: 5, differingChunks: 2,
  mismatchedRows: 3, unsettledRows: 0, repairedRows: 0, differencesTotal: 3, repair: false, checkedAt,
  differences: [
    { kind: 'different', key: '42', columns: [{ column: 'price', source: "'19.99'", target: "'0.01'" }, { column: 'model', source: "'X-200'", target: "'DRIFTED'" }] },
    { kind: 'missing', key: '77' },
    { kind: 'extra', key: '9001' },
  ],
};
const ordersResult: Json = {
  pipeline: PIPE, table: 'shop.orders', target: 'shop.orders', key: 'primary', rowsChecked: 120, chunks: 1, differingChunks: 0,
  mismatchedRows: 0, unsettledRows: 0, repairedRows: 0, differencesTotal: 0, repair: false, checkedAt, differences: [],
};

describe('verify in the web UI (issue 13) in Chromium', { skip, timeout: 120_000 }, () => {
  let serve: ServeProcess;
  let b: BrowserSession;
  let page: Page;
  let verifyState: Json = { verify: null, tables: [] };
  const posts: Json[] = [];

  const text = async (testId: string): Promise<string> => ((await page.getByTestId(testId).textContent()) ?? '').replace(/\s+/g, ' ');

  before(async () => {
    serve = await startServe({ SLUICE_ADMIN_PASSWORD: ADMIN_PASSWORD });
    b = await openBrowser(serve.url, { width: 1280, height: 1000 });
    page = b.page;
    page.setDefaultTimeout(15_000);
    const json = (route: Route, body: unknown, code = 200): Promise<void> => route.fulfill({ status: code, contentType: 'application/json', body: JSON.stringify(body) });
    await page.route(`**/api/pipelines/${PIPE}`, (route) => json(route, { pipeline: definition }));
    await page.route(`**/api/pipelines/${PIPE}/status`, (route) => json(route, { status: status() }));
    await page.route('**/api/metrics/history*', (route) => json(route, { resolutionSeconds: 5, series: {} }));
    await page.route(`**/api/pipelines/${PIPE}/verify`, (route) => {
      if (route.request().method() === 'POST') {
        const body = route.request().postDataJSON() as Json;
        posts.push(body);
        const run = { pipeline: PIPE, state: 'running', repair: body['repair'] === true, tables: body['tables'] ?? null, startedAt: new Date().toISOString(),
          finishedAt: null, progress: null, summary: null, results: [], error: null };
        verifyState = { ...verifyState, verify: run };
        return json(route, { verify: run }, 202);
      }
      return json(route, verifyState);
    });
    await page.goto('/');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('dashboard').waitFor();
  });

  after(async () => {
    await b?.close();
    await serve?.stop();
  });

  it('Verify on the pipeline runs every table; the panel shows rows checked, differences and both sides\' values', async () => {
    await page.goto(`/#/pipelines/${PIPE}`);
    await page.getByTestId('verify-none').waitFor();
    await page.getByTestId('pipeline-actions').getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('notice').filter({ hasText: 'Verify of every table started' }).waitFor();
    assert.deepEqual(posts.shift(), { repair: false });
    await page.getByTestId('verify-all').filter({ hasText: 'Verifying…' }).waitFor();
    assert.equal(await page.getByTestId('verify-all').isDisabled(), true, 'no second run while one runs');

    // The run progresses, then finishes: the server has the last result of each table.
    verifyState = { verify: { ...(verifyState['verify'] as Json), progress: { table: 'shop.product', chunksDone: 2, chunks: 5, rowsChecked: 2000, mismatchedRows: 1 } }, tables: [] };
    await page.getByTestId('verify-run').filter({ hasText: 'Verifying shop.product: chunk 2 / 5' }).waitFor();
    verifyState = {
      verify: { ...(verifyState['verify'] as Json), state: 'done', progress: null, finishedAt: new Date().toISOString(),
        summary: { tables: 2, rows_checked: 5120, mismatched_rows: 3, repaired_rows: 0, unsettled_rows: 0, seconds: 1.5 }, results: [productResult, ordersResult] },
      tables: [ordersResult, productResult],
    };
    await page.getByTestId('verify-results').waitFor();
    const product = await text('verify-result-shop.product');
    assert.match(product, /5,?000/, product);
    assert.match(product, /3 differ/, product);
    assert.match(await text('verify-result-shop.orders'), /120.*equal/);
    await page.getByTestId('verify-result-shop.product').getByRole('button', { name: 'Show rows' }).click();
    const diffs = await text('verify-diffs-shop.product');
    for (const want of ['42', 'price', "'19.99'", "'0.01'", 'model', "'X-200'", "'DRIFTED'", '77', 'missing on the target', '9001', 'extra on the target']) {
      assert.ok(diffs.includes(want), `the sample shows ${want}: ${diffs}`);
    }
    assert.equal(await page.getByTestId('verify-repair-shop.orders').count(), 0, 'no Repair for an equal table');
    await page.getByTestId('verify-panel').screenshot({ path: join(process.cwd(), 'artifacts', 'screenshots', 'verify-panel.png') });
  });

  it('the last result per table is shown again after a reload (no run in memory)', async () => {
    verifyState = { verify: null, tables: [ordersResult, productResult] };
    await page.reload();
    await page.getByTestId('verify-results').waitFor();
    assert.match(await text('verify-result-shop.product'), /3 differ/);
    assert.equal(await page.getByTestId('verify-run').count(), 0);
  });

  it('Verify of one table from the tables list, and Repair of one table after a confirmation', async () => {
    await page.getByTestId('verify-table-shop.orders').click();
    await page.getByTestId('notice').filter({ hasText: 'Verify of shop.orders started' }).waitFor();
    assert.deepEqual(posts.shift(), { tables: ['shop.orders'], repair: false });
    verifyState = { verify: { ...(verifyState['verify'] as Json), state: 'done', finishedAt: new Date().toISOString() }, tables: [ordersResult, productResult] };
    await page.waitForFunction(() => !(document.querySelector('[data-testid="verify-repair-shop.product"]') as HTMLButtonElement | null)?.disabled);
    await page.getByTestId('verify-repair-shop.product').click();
    await page.getByRole('dialog').waitFor();
    assert.equal(posts.length, 0, 'nothing is repaired before the confirmation');
    await page.getByRole('dialog').getByRole('button', { name: 'Repair' }).click();
    await page.getByTestId('notice').filter({ hasText: 'Repair of shop.product started' }).waitFor();
    assert.deepEqual(posts.shift(), { tables: ['shop.product'], repair: true });
    verifyState = {
      verify: { ...(verifyState['verify'] as Json), state: 'done', finishedAt: new Date().toISOString() },
      tables: [ordersResult, { ...productResult, repair: true, repairedRows: 3, recheckMismatchedRows: 0 }],
    };
    await page.getByTestId('verify-result-shop.product').filter({ hasText: 'repaired 3 · now equal' }).waitFor();
    assert.equal(await page.getByTestId('verify-repair-shop.product').count(), 0, 'no Repair once the table is equal');
    await b.screenshot('verify-pipeline-page');
    assert.deepEqual(b.errors, [], 'no console errors');
  });
});
