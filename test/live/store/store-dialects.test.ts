// The store on each dialect — SQLite, a throwaway MariaDB, the local PostgreSQL — keeps the same things the same
// way: endpoints (passwords sealed), pipelines, users (names compared exactly), sessions, tokens (hash only), the
// audit log, metric samples, skips, table copies, verify results, alert state, config import in one transaction.
// Three nodes opening an empty store together migrate it once; a node with another secret key is refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseConfig } from '../../../src/config/index.js';
import { isSluiceError } from '../../../src/errors.js';
import { AlertStateStore } from '../../../src/alerts/state-store.js';
import { Store, importConfig, knownMigrations } from '../../../src/store/index.js';
import { DEFAULT_CHECKPOINT_DATABASE, DEFAULT_TUNING } from '../../../src/config/index.js';
import { mariadbBackend, postgresBackend, sqliteBackend, type StoreBackend } from '../../helpers/store-backends.js';

const run = promisify(execFile);
const KEY = { SLUICE_SECRET_KEY: 'store-dialect-test-key' };
const PIPE = { name: 'p1', source: 'src', target: 'tgt', tables: ['shop.*'], exclude: [], snapshot: 'initial' as const, ddl: 'apply' as const, tuning: { ...DEFAULT_TUNING } };

const backends: Array<{ name: string; make: () => Promise<StoreBackend | null> }> = [
  { name: 'sqlite', make: () => Promise.resolve(sqliteBackend()) },
  { name: 'mariadb', make: mariadbBackend },
  { name: 'postgres', make: postgresBackend },
];

for (const { name, make } of backends) {
  describe(`store on ${name}`, () => {
    let backend: StoreBackend | null = null;
    before(async () => { backend = await make(); });
    after(async () => { await backend?.close(); });

    const open = async (): Promise<{ store: Store; url: string | undefined; dataDir: string }> => {
      const loc = await backend!.fresh();
      return { store: await Store.open({ dataDir: loc.dataDir, url: loc.url, env: KEY }), ...loc };
    };

    it('keeps every kind of record, with secrets sealed and names compared exactly', async (t) => {
      if (!backend) return t.skip('PostgreSQL not reachable');
      const { store } = await open();
      try {
        assert.deepEqual([...store.migrationsApplied], knownMigrations());
        const pw = 'Very-Secret-Pw-42';
        await store.putEndpoint({ kind: 'source', name: 'src', type: 'mariadb', host: 'db1', port: 3306, user: 'repl', password: pw, options: { 'ssl-mode': 'REQUIRED' }, serverId: 4242 });
        const first = (await store.getEndpoint('source', 'src'))!;
        await store.putEndpoint({ kind: 'source', name: 'src', type: 'mariadb', host: 'db1b', port: 3307, user: 'repl', password: pw, options: {} });
        const src = (await store.getEndpoint('source', 'src'))!;
        assert.equal(src.password, pw);
        assert.equal(src.host, 'db1b');
        assert.equal(src.createdAt, first.createdAt, 'a replace keeps createdAt');
        assert.equal(src.serverId, undefined);
        const raw = JSON.stringify(await store.db.selectFrom('endpoints').selectAll().execute());
        assert.ok(!raw.includes(pw), 'the password is sealed at rest');
        await store.putEndpoint({ kind: 'target', name: 'tgt', type: 'mysql', host: 'db2', port: 3306, user: 'app', password: '', options: {} });
        assert.equal((await store.getEndpoint('target', 'tgt'))!.checkpointDatabase, DEFAULT_CHECKPOINT_DATABASE);

        await store.putPipeline(PIPE, 'running');
        assert.deepEqual((await store.getPipeline('p1'))!.config, PIPE);
        await store.setDesiredState('p1', 'paused');
        assert.equal((await store.listPipelines())[0]!.desiredState, 'paused');
        assert.deepEqual(await store.pipelinesUsing('source', 'src'), ['p1']);

        await store.createUser('Olga', 'admin', 'h1');
        await store.createUser('olga', 'viewer', 'h2');
        assert.equal((await store.getUser('Olga'))!.role, 'admin', 'user names are compared exactly');
        assert.equal((await store.getUser('OLGA')), null);
        assert.equal(await store.countAdmins(), 1);
        const s = await store.createSession('olga');
        assert.deepEqual(await store.getSession(s.id), { username: 'olga', role: 'viewer', csrfToken: s.csrfToken });
        const { token, secret } = await store.createToken('olga', 'ci', 'admin', null);
        assert.equal((await store.findToken(secret))!.role, 'viewer', 'a token never exceeds its owner');
        assert.equal((await store.findToken(secret.toUpperCase())), null);
        assert.ok(!JSON.stringify(await store.db.selectFrom('api_tokens').selectAll().execute()).includes(secret));
        assert.equal((await store.listTokens('olga'))[0]!.id, token.id);
        assert.equal(await store.deleteUser('olga'), true);
        assert.equal(await store.getSession(s.id), null, 'sessions go with their user');
        assert.deepEqual(await store.listTokens(), [], 'tokens go with their user');

        for (let i = 0; i < 3; i++) await store.audit({ actor: 'Olga', action: `a${i}`, details: { i } });
        const audit = await store.listAudit(2);
        assert.deepEqual(audit.map((a) => a.action), ['a2', 'a1']);
        assert.deepEqual((await store.listAudit(10, audit[1]!.id)).map((a) => a.details), [{ i: 0 }]);

        const t0 = 1_760_000_000_000;
        await store.addSamples([
          { pipeline: 'p1', time: t0, state: 'streaming', lagSeconds: 0.25, rowsPerSecond: 12.5, rowsApplied: 9_007_199_254, snapshotRowsCopied: 0, errorCount: 1 },
          { pipeline: 'p1', time: t0 + 5000, state: 'streaming', lagSeconds: null, rowsPerSecond: 0, rowsApplied: 9_007_199_255, snapshotRowsCopied: 3, errorCount: 1 },
        ]);
        const samples = await store.samples(t0, 'p1');
        assert.deepEqual(samples[0], { pipeline: 'p1', time: t0, state: 'streaming', lagSeconds: 0.25, rowsPerSecond: 12.5, rowsApplied: 9_007_199_254, snapshotRowsCopied: 0, errorCount: 1 });
        assert.equal(samples[1]!.lagSeconds, null);
        await store.pruneSamples(t0 + 1);
        assert.equal((await store.samples(0)).length, 1);

        await store.setPendingSkip('p1', { file: 'bin.000009', pos: 8_000_000_000, kind: 'ddl' });
        assert.deepEqual(await store.pendingSkip('p1'), { file: 'bin.000009', pos: 8_000_000_000, kind: 'ddl' });
        await store.recordTableCopy('p1', { table: 'shop.a', rowsCopied: 10, finishedAt: '2026-11-30T10:00:00.000Z' });
        await store.recordTableCopy('p1', { table: 'shop.a', rowsCopied: 11, finishedAt: '2026-11-30T11:00:00.000Z' });
        assert.deepEqual(await store.tableCopies('p1'), [{ table: 'shop.a', rowsCopied: 11, finishedAt: '2026-11-30T11:00:00.000Z' }]);
        const vr = { table: 'shop.a', repair: false, checkedAt: '2026-11-30T12:00:00.000Z', rowsChecked: 11, mismatchedRows: 0 } as unknown as Parameters<Store['recordVerifyResult']>[1];
        await store.recordVerifyResult('p1', vr);
        assert.deepEqual(await store.verifyResults('p1'), [vr]);
        assert.equal(await store.deletePipeline('p1'), true);
        assert.equal(await store.pendingSkip('p1'), null);
        assert.deepEqual(await store.tableCopies('p1'), []);

        const alerts = new AlertStateStore(store);
        await alerts.open({ rule: 'lag', pipeline: 'p1', opened: t0, summary: 'lag', notified: false });
        await alerts.open({ rule: 'lag', pipeline: 'p1', opened: t0 + 1, summary: 'lag again', notified: false });
        await alerts.notified('lag', 'p1', t0 + 1);
        assert.deepEqual(await alerts.incidents(), [{ rule: 'lag', pipeline: 'p1', opened: t0 + 1, summary: 'lag again', notified: true }]);
        for (let i = 0; i < 5; i++) await alerts.addNotification({ time: `t${i}`, kind: 'test', rule: null, pipeline: null, title: `n${i}`, deliveries: [] }, 3);
        assert.deepEqual((await alerts.notifications(10)).map((n) => n.title), ['n4', 'n3', 'n2']);
      } finally {
        await store.close();
      }
    });

    it('imports a config file in one transaction: a failure leaves nothing behind', async (t) => {
      if (!backend) return t.skip('PostgreSQL not reachable');
      const { store } = await open();
      try {
        const cfg = parseConfig(`
sources:
  src: { type: mariadb, url: "mysql://repl:pw-1@db1:3306" }
targets:
  tgt: { type: mysql, url: "mysql://app:pw-2@db2:3307" }
pipelines:
  - { name: p1, source: src, target: tgt, tables: ["shop.*"] }
`, { env: {} });
        await importConfig(store, cfg);
        assert.equal((await store.getPipeline('p1'))!.managed, true);
        await store.createUser('admin', 'admin', 'h');
        // A failing write inside the transaction (a user that exists) rolls back the whole import.
        await assert.rejects(store.transaction(async (tx) => {
          await tx.deletePipeline('p1');
          await tx.createUser('admin', 'admin', 'h');
        }));
        assert.ok(await store.getPipeline('p1'), 'rolled back');
      } finally {
        await store.close();
      }
    });

    it('three nodes that open an empty store together migrate it once; another secret key is refused', async (t) => {
      if (!backend) return t.skip('PostgreSQL not reachable');
      const loc = await backend.fresh();
      const dirs = [loc.dataDir, (await backend.fresh()).dataDir, (await backend.fresh()).dataDir];
      const t0 = performance.now();
      let applied: string[];
      let stores: Store[];
      if (loc.url) {
        stores = await Promise.all(dirs.map((d) => Store.open({ dataDir: d, url: loc.url, env: KEY })));
        applied = stores.flatMap((s) => s.migrationsApplied);
      } else {
        // SQLite: three processes on the one file (its write lock serializes them; within one process better-sqlite3
        // would wait for the lock synchronously and block the very holder).
        applied = (await Promise.all(dirs.map(() => openInChild(loc.dataDir)))).flat();
        stores = [];
        for (let i = 0; i < 3; i++) stores.push(await Store.open({ dataDir: loc.dataDir, env: KEY }));
      }
      const ms = performance.now() - t0;
      try {
        assert.deepEqual([...applied].sort(), knownMigrations(), 'every migration applied exactly once');
        await stores[0]!.putEndpoint({ kind: 'source', name: 's', type: 'mysql', host: 'h', port: 1, user: 'u', password: 'pw-shared', options: {} });
        assert.equal((await stores[2]!.getEndpoint('source', 's'))!.password, 'pw-shared', 'another node reads the sealed password');
        console.log(`# ${name}: 3 nodes opened and migrated an empty store in ${Math.round(ms)} ms`);
        await assert.rejects(Store.open({ dataDir: dirs[1]!, url: loc.url ?? `sqlite:${loc.dataDir}/sluice.db`, env: { SLUICE_SECRET_KEY: 'another key' } }),
          (e: unknown) => isSluiceError(e) && e.code === 'BAD_CONFIG' && /same key/.test(e.fix));
      } finally {
        for (const s of stores) await s.close();
      }
    });
  });
}

/** Open the SQLite store of `dataDir` in a child process; the migrations it applied. */
async function openInChild(dataDir: string): Promise<string[]> {
  const script = `const { Store } = await import(${JSON.stringify(new URL('../../../src/store/index.js', import.meta.url).href)});
    const s = await Store.open({ dataDir: ${JSON.stringify(dataDir)}, env: ${JSON.stringify(KEY)} });
    process.stdout.write(JSON.stringify(s.migrationsApplied)); await s.close();`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as string[];
}

describe('store not reachable', () => {
  it('is STORE_UNAVAILABLE, naming the store without its password', async () => {
    const err = await Store.open({ dataDir: '/tmp/sluice-unused', url: 'mysql://u:Secret-Pw-9@127.0.0.1:1/sluice', env: KEY }).catch((e: unknown) => e);
    assert.ok(isSluiceError(err) && err.code === 'STORE_UNAVAILABLE', String(err));
    assert.ok(!err.message.includes('Secret-Pw-9') && err.message.includes('mysql://u@127.0.0.1:1/sluice'), err.message);
  });
});
