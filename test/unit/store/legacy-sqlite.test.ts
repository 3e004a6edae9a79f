// A SQLite store written by an older Sluice (PRAGMA user_version 2 and 4, alert tables made on first use)
// keeps working: opening it brings it forward (legacy steps, then the versioned migrations), every row is
// still there and readable with the same key, and it then carries the version an older Sluice expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SecretBox, Store, knownMigrations } from '../../../src/store/index.js';
import { LEGACY_MIGRATIONS } from '../../../src/store/legacy-sqlite-migrations.js';

const KEY = 'legacy-store-key';

/** A store as an older Sluice left it at user_version `version`. */
function legacyStore(dir: string, version: number): void {
  const box = SecretBox.open(dir, { SLUICE_SECRET_KEY: KEY });
  const db = new Database(join(dir, 'sluice.db'));
  for (let v = 0; v < version; v++) db.exec(LEGACY_MIGRATIONS[v]!);
  db.pragma(`user_version = ${version}`);
  const t = '2026-01-01T00:00:00.000Z';
  db.prepare(`INSERT INTO endpoints (kind, name, type, host, port, user, password_sealed, database_name, options, server_id, checkpoint_database, managed, created_at, updated_at)
    VALUES ('source', 'src', 'mariadb', 'db1', 3306, 'repl', ?, NULL, '{}', 77, NULL, 1, ?, ?)`).run(box.seal('old-secret'), t, t);
  db.prepare("INSERT INTO users (username, role, password_hash, created_at) VALUES ('admin', 'admin', 'scrypt$x', ?)").run(t);
  db.prepare("INSERT INTO pipelines (name, config, desired_state, managed, created_at, updated_at) VALUES ('p1', '{\"name\":\"p1\"}', 'running', 0, ?, ?)").run(t, t);
  db.prepare("INSERT INTO audit_log (time, actor, action, target, details, ip) VALUES (?, 'admin', 'setup', 'admin', '{}', NULL)").run(t);
  if (version >= 4) {
    db.exec('CREATE TABLE IF NOT EXISTS alert_settings (id INTEGER PRIMARY KEY CHECK (id = 1), sealed TEXT NOT NULL, updated_at TEXT NOT NULL)');
    db.prepare('INSERT INTO alert_settings (id, sealed, updated_at) VALUES (1, ?, ?)').run(box.seal(JSON.stringify({ lagSeconds: 42 })), t);
  }
  db.close();
}

for (const version of [2, 4]) {
  test(`a SQLite store of user_version ${version} migrates forward and keeps its rows`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-legacy-'));
    try {
      legacyStore(dir, version);
      const store = await Store.open({ dataDir: dir, env: { SLUICE_SECRET_KEY: KEY } });
      try {
        assert.deepEqual([...store.migrationsApplied], knownMigrations());
        const src = (await store.getEndpoint('source', 'src'))!;
        assert.equal(src.password, 'old-secret');
        assert.equal(src.serverId, 77);
        assert.equal(src.managed, true);
        assert.equal((await store.getUser('admin'))!.role, 'admin');
        assert.equal((await store.getPipeline('p1'))!.desiredState, 'running');
        assert.equal((await store.listAudit(10))[0]!.action, 'setup');
        // What the later legacy versions and the new migrations added works.
        const { secret } = await store.createToken('admin', 'ci', 'viewer', '2999-01-01T00:00:00.000Z');
        assert.equal((await store.findToken(secret))!.expiresAt, '2999-01-01T00:00:00.000Z');
        await store.recordTableCopy('p1', { table: 'a.b', rowsCopied: 1, finishedAt: 'x' });
        await store.db.insertInto('nodes').values({ id: 'n1', host: 'h', pid: 1, version: 'v', started_at: 1, heartbeat_at: 1, draining: 0 }).execute();
        if (version >= 4) {
          const row = await store.db.selectFrom('alert_settings').select('sealed').executeTakeFirstOrThrow();
          assert.deepEqual(JSON.parse(store.box.open(row.sealed)), { lagSeconds: 42 }, 'the alert settings made on first use are kept');
        }
      } finally {
        await store.close();
      }
      const db = new Database(join(dir, 'sluice.db'));
      assert.equal(db.pragma('user_version', { simple: true }), LEGACY_MIGRATIONS.length, 'an older Sluice sees an up-to-date store');
      db.close();
      const again = await Store.open({ dataDir: dir, env: { SLUICE_SECRET_KEY: KEY } });
      assert.deepEqual([...again.migrationsApplied], [], 'nothing to do the second time');
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
