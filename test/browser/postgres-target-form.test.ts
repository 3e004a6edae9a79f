// The target form for a PostgreSQL target (a kind whose URL names a database): the form asks for the database (its
// field comes from the kind), "Test connection" tests it against the local PostgreSQL, and the saved target keeps
// it. Before, the form had no such field: the test said "the PostgreSQL target URL names no database" with a fix
// the form could not apply, and the target was saved unusable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumAvailable, openBrowser, CHROMIUM, type BrowserSession } from './browser-harness.js';
import { startServe, type ServeProcess } from './serve-helpers.js';

const ADMIN_PASSWORD = 'Pg-Form-Admin-pa55phrase';
const serveBuilt = existsSync(join(process.cwd(), 'dist', 'src', 'cli', 'serve.js')) && existsSync(join(process.cwd(), 'ui', 'dist', 'index.html'));
const skip = !chromiumAvailable() ? `Chromium not found at ${CHROMIUM}` : !serveBuilt ? 'sluice serve or the UI is not built yet' : false;

describe('target form: PostgreSQL database', { skip }, () => {
  let serve: ServeProcess;
  let b: BrowserSession;

  before(async () => {
    serve = await startServe({ SLUICE_ADMIN_PASSWORD: ADMIN_PASSWORD });
    b = await openBrowser(serve.url, { width: 1280, height: 1000 });
    b.page.setDefaultTimeout(15_000);
    await b.page.goto('/');
    await b.page.fill('input[name=username]', 'admin');
    await b.page.fill('input[name=password]', ADMIN_PASSWORD);
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    await b.page.getByTestId('dashboard').waitFor();
  });
  after(async () => {
    await b?.close();
    await serve?.stop();
  });

  it('asks for the database, tests it, and saves it', async () => {
    const page = b.page;
    await page.goto('/#/targets');
    await page.getByRole('button', { name: 'Add target' }).click();
    const dialog = page.getByRole('dialog');
    // One choice per kind: the aliases (mariadb, postgresql) are the same kinds, not entries of their own.
    await dialog.locator('select[name=type] option').nth(1).waitFor({ state: 'attached' });
    assert.deepEqual(await dialog.locator('select[name=type] option').allInnerTexts(), ['MySQL / MariaDB', 'PostgreSQL']);
    await dialog.locator('select[name=type]').selectOption('postgres');
    await dialog.locator('input[name=database]').waitFor({ timeout: 5000 });
    await dialog.locator('input[name=name]').fill('pg');
    await dialog.locator('input[name=host]').fill('127.0.0.1');
    await dialog.locator('input[name=port]').fill('5432');
    await dialog.locator('input[name=user]').fill('postgres');
    await dialog.locator('input[name=database]').fill('postgres');
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const checks = dialog.getByTestId('check-results');
    await checks.waitFor({ timeout: 30_000 });
    assert.doesNotMatch(await checks.innerText(), /names no database/);
    // Each check under its own name, not the first word of its message ("may: may create temporary tables").
    for (const name of ['reachable', 'version', 'encoding', 'writable', 'temporary tables']) {
      assert.equal(await dialog.getByTestId(`check-${name}`).count(), 1, `check ${name}`);
    }
    assert.doesNotMatch(await checks.innerText(), /\bmay: may|accepts: accepts/);
    await b.screenshot('postgres-target-form');
    await dialog.getByRole('button', { name: 'Add target' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const login = await fetch(`${serve.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    const cookie = /sluice_session=([^;]*)/.exec(login.headers.get('set-cookie') ?? '')?.[1] ?? '';
    const res = await fetch(`${serve.url}/api/targets/pg`, { headers: { cookie: `sluice_session=${cookie}` } });
    const body = await res.json() as { target?: { database?: string } };
    assert.equal(body.target?.database, 'postgres');
    assert.deepEqual(b.errors, []);
  });
});
