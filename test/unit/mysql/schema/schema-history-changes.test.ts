// SchemaHistory.changesSince / compact: a checkpoint persists only the tables whose versions changed, and the
// history does not grow without bound. The differential check: replaying every changesSince() output into a
// per-table store and rebuilding from it gives exactly toJSON() (what a full write would have stored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaHistory, type SchemaHistoryJSON } from '../../../../src/mysql/schema/schema-history.js';
import { at, fakeLoader } from './history-fixtures.js';


/** A store with one row per table, as the target keeps it. */
class RowStore {
  readonly rows = new Map<string, string>();
  databases: SchemaHistoryJSON['databases'] = [];
  written = 0;
  private rev = 0;
  put(h: SchemaHistory): void {
    const c = h.changesSince(this.rev);
    this.rev = h.revision;
    if (c === null) return;
    for (const t of c.tables) { this.rows.set(`${t.database}.${t.table}`, JSON.stringify(t)); this.written++; }
    if (c.databases) this.databases = c.databases;
  }
  rebuild(): SchemaHistoryJSON {
    return { format: 1, cursor: null, tables: [...this.rows.values()].map((r) => JSON.parse(r) as SchemaHistoryJSON['tables'][number]), databases: this.databases };
  }
}

const canonical = (j: SchemaHistoryJSON): string => JSON.stringify({
  tables: [...j.tables].sort((a, b) => `${a.database}.${a.table}`.localeCompare(`${b.database}.${b.table}`)),
  databases: j.databases ?? [],
});

test('takeChanges gives the changed tables only, and replaying them rebuilds the whole history', async () => {
  const names = Array.from({ length: 200 }, (_, i) => `t${i}`);
  const h = new SchemaHistory({ loader: fakeLoader({ app: names }) });
  const store = new RowStore();
  for (const n of names) await h.ensureLoaded('app', n, at(100));
  store.put(h);
  assert.equal(store.written, 200, 'first write: every table');
  assert.equal(h.changesSince(h.revision), null, 'nothing changed since');
  const before = store.written;
  store.put(h);
  assert.equal(store.written, before, 'nothing written twice');

  store.written = 0;
  await h.applyDdl({ sql: 'ALTER TABLE t7 ADD COLUMN w INT', database: 'app', position: at(200) });
  store.put(h);
  assert.equal(store.written, 1, 'one ALTER: one table row rewritten');

  store.written = 0;
  await h.applyDdl({ sql: 'RENAME TABLE t1 TO u1, t2 TO u2', database: 'app', position: at(300) });
  await h.applyDdl({ sql: 'CREATE TABLE z (id INT PRIMARY KEY)', database: 'app', position: at(400) });
  await h.applyDdl({ sql: 'ALTER TABLE t3 DROP COLUMN nope', database: 'app', position: at(500) }); // unknown from here
  store.put(h);
  assert.equal(store.written, 6, 't1, u1, t2, u2, z, t3');

  await h.applyDdl({ sql: 'CREATE DATABASE other CHARACTER SET latin1', database: 'app', position: at(600) });
  store.put(h);
  assert.ok(store.databases?.some((d) => d.database === 'other' && d.charset === 'latin1'), 'database defaults travel when they change');
  assert.equal(canonical(store.rebuild()), canonical(h.toJSON()), 'rows rebuilt = full history');
  const again = SchemaHistory.fromJSON(store.rebuild());
  assert.deepEqual(again.schemaAt('app', 't7', at(250))?.columns.map((c) => c.name), ['id', 'v', 'w']);
  assert.deepEqual(again.schemaAt('app', 't7', at(150))?.columns.map((c) => c.name), ['id', 'v']);
});

test('compact drops versions superseded before the checkpoint, keeps what a reader from there needs', async () => {
  const h = new SchemaHistory({ loader: fakeLoader({ app: ['a', 'b'] }) });
  await h.ensureLoaded('app', 'a', at(100));
  await h.ensureLoaded('app', 'b', at(100));
  for (let i = 0; i < 10; i++) await h.applyDdl({ sql: `ALTER TABLE a ADD COLUMN c${i} INT`, database: 'app', position: at(200 + i * 10) });
  const rev = h.revision;
  assert.equal(h.versions('app', 'a').length, 11);
  const dropped = h.compact(at(255)); // versions at 250 and later stay; 250 is the one in force at 255
  assert.equal(dropped, 6, '100, 200 … 240');
  assert.equal(h.versions('app', 'a').length, 5);
  assert.deepEqual(h.schemaAt('app', 'a', at(255))?.columns.map((c) => c.name), ['id', 'v', 'c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
  assert.deepEqual(h.schemaAt('app', 'a', at(300))?.columns.length, 12);
  const c = h.changesSince(rev);
  assert.deepEqual(c?.tables.map((t) => t.table), ['a'], 'only the compacted table is rewritten');
  assert.equal(h.compact(at(255)), 0, 'idempotent');
  assert.equal(h.changesSince(0)?.tables.length, 2, 'since 0: everything');
  const other = SchemaHistory.fromJSON(h.toJSON());
  assert.equal(other.changesSince(other.revision), null, 'a loaded history has nothing new');
});
