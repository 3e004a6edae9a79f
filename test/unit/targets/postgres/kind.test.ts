// The PostgreSQL kind as the registry exposes it: config blocks, URL parts and back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { POSTGRES_KIND } from '../../../../src/targets/postgres/kind.js';
import { findTargetKind } from '../../../../src/targets/registry.js';
import { parseConfig } from '../../../../src/config/index.js';

describe('PostgreSQL target kind', () => {
  it('is registered for type postgres and postgresql', () => {
    assert.equal(findTargetKind('postgres'), POSTGRES_KIND);
    assert.equal(findTargetKind('postgresql'), POSTGRES_KIND);
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: 'mysql://root@127.0.0.1:3306' } },
      targets: { t: { type: 'postgres', url: 'postgres://sync:pw@db.internal:5433/app' } },
      pipelines: [{ name: 'p', source: 's', target: 't', tables: ['app.*'] }],
    }), { format: 'json' });
    assert.equal(cfg.targets.t!.type, 'postgres');
    assert.throws(() => parseConfig(JSON.stringify({
      sources: { s: { type: 'mysql', url: 'mysql://root@127.0.0.1:3306' } },
      targets: { t: { type: 'postgres', url: 'postgres://h/db', bogus: 1 } },
      pipelines: [{ name: 'p', source: 's', target: 't', tables: ['app.*'] }],
    }), { format: 'json' }));
  });

  it('parses a URL into endpoint parts and builds it back (password hidden on demand)', () => {
    const r = POSTGRES_KIND.endpoint.parseUrl('postgres://sync:p%40ss@db.internal:5433/app?sslmode=require');
    assert.ok(r.ok);
    assert.deepEqual(r.value, { host: 'db.internal', port: 5433, user: 'sync', password: 'p@ss', database: 'app', options: { sslmode: 'require' } });
    assert.equal(POSTGRES_KIND.endpoint.url(r.value), 'postgres://sync:p%40ss@db.internal:5433/app?sslmode=require');
    assert.equal(POSTGRES_KIND.endpoint.url(r.value, '***'), 'postgres://sync:***@db.internal:5433/app?sslmode=require');
    const noDb = POSTGRES_KIND.endpoint.parseUrl('postgres://u@h:5432/');
    assert.ok(!noDb.ok && /database/.test(noDb.fix));
    assert.ok(!POSTGRES_KIND.endpoint.parseUrl('mysql://u@h/db').ok);
  });
});
