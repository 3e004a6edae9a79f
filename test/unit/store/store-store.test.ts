import { sql } from 'kysely';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/index.js';
import { Store, exportConfigText, hashPassword, importConfig, toSourceConfig, verifyPassword } from '../../../src/store/index.js';

function withStore(fn: (store: Store, dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
    const store = await Store.open({ dataDir: dir });
    try {
      await fn(store, dir);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('database passwords are sealed at rest, key file is 0600', withStore(async (store, dir) => {
  const secret = 'Sup3r-Secret-Passw0rd!';
  await store.putEndpoint({ kind: 'source', name: 's1', type: 'mysql', host: '127.0.0.1', port: 3307, user: 'repl', password: secret, options: {} });
  const got = (await store.getEndpoint('source', 's1'))!;
  assert.equal(got.password, secret);
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(store.db);
  const bytes = readFileSync(join(dir, 'sluice.db'));
  assert.equal(bytes.includes(Buffer.from(secret)), false);
  assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600);
  const cfg = toSourceConfig(got);
  assert.equal(cfg.connection.password, secret);
  assert.ok(!JSON.stringify(cfg).includes(secret));
}));

test('scrypt password hashes verify, salted per user', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.notEqual(a, b);
  assert.ok(a.startsWith('scrypt$32768$8$1$'));
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('wrong', a), false);
});

test('sessions, tokens (hash only), audit, samples', withStore(async (store) => {
  await store.createUser('alice', 'operator', 'x');
  const s = await store.createSession('alice');
  assert.deepEqual(await store.getSession(s.id), { username: 'alice', role: 'operator', csrfToken: s.csrfToken });
  await store.deleteSession(s.id);
  assert.equal(await store.getSession(s.id), null);
  const { token, secret } = await store.createToken('alice', 'ci', 'admin');
  const found = (await store.findToken(secret))!;
  assert.equal(found.id, token.id);
  assert.equal(found.role, 'operator', 'a token never exceeds its owner');
  const raw = JSON.stringify(await store.db.selectFrom('api_tokens').selectAll().execute());
  assert.ok(!raw.includes(secret));
  await store.audit({ actor: 'alice', action: 'pipeline.start', target: 'p1' });
  assert.equal((await store.listAudit(10))[0]!.action, 'pipeline.start');
  await store.addSamples([{ pipeline: 'p1', time: 1000, state: 'streaming', lagSeconds: 1, rowsPerSecond: 2, rowsApplied: 3, snapshotRowsCopied: 0, errorCount: 0 }]);
  assert.equal((await store.samples(0, 'p1')).length, 1);
  await store.pruneSamples(2000);
  assert.equal((await store.samples(0)).length, 0);
}));

test('config import marks rows managed; export has no passwords', withStore(async (store) => {
  const cfg = parseConfig(`
sources:
  src: { type: mariadb, url: "mysql://repl:pw-source-123@db1:3306" }
targets:
  tgt: { type: mysql, url: "mysql://app:pw-target-456@db2:3307" }
pipelines:
  - { name: p1, source: src, target: tgt, tables: ["shop.*"] }
`);
  await importConfig(store, cfg);
  assert.equal((await store.getEndpoint('source', 'src'))!.managed, true);
  assert.equal((await store.getPipeline('p1'))!.desiredState, 'running');
  const text = await exportConfigText(store, 'yaml');
  assert.ok(!text.includes('pw-source-123') && !text.includes('pw-target-456'));
  assert.ok(text.includes('${SLUICE_SOURCE_SRC_PASSWORD}'));
  const back = parseConfig(text, { env: { SLUICE_SOURCE_SRC_PASSWORD: 'pw-source-123', SLUICE_TARGET_TGT_PASSWORD: 'x' } });
  assert.equal(back.sources['src']!.connection.password, 'pw-source-123');
  assert.deepEqual(back.pipelines[0]!.tables, ['shop.*']);
}));
