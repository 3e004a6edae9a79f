// SchemaHistory.revision: grows with every change a checkpoint must carry (versions, database defaults), and
// only then — moving the cursor (every TABLE_MAP) or meeting a known table again does not change it. The
// pipeline relies on this to skip serializing the history on batches that did not change it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaHistory } from '../../../../src/mysql/schema/schema-history.js';
import { at, fakeLoader } from './history-fixtures.js';


test('revision grows with each recorded change and only then; toJSON differs exactly when it grew (cursor aside)', async () => {
  const h = new SchemaHistory({ loader: fakeLoader({ app: ['a', 'b'] }) });
  const stateText = (): string => JSON.stringify({ ...h.toJSON(), cursor: null });
  let rev = h.revision, text = stateText();
  const expect = (changed: boolean, what: string): void => {
    const nowText = stateText();
    assert.equal(nowText !== text, changed, `${what}: content ${changed ? 'should' : 'should not'} change`);
    if (changed) assert.ok(h.revision > rev, `${what}: revision must grow`);
    else assert.equal(h.revision, rev, `${what}: revision must stay`);
    rev = h.revision;
    text = nowText;
  };

  await h.ensureLoaded('app', 'a', at(100));
  expect(true, 'first load of a database');
  await h.ensureLoaded('app', 'b', at(150));
  h.setPosition(at(200));
  await h.ensureLoaded('app', 'a', at(250));
  expect(false, 'known tables met again, cursor moved');

  await h.applyDdl({ sql: 'ALTER TABLE a ADD COLUMN w INT', database: 'app', position: at(300) });
  expect(true, 'ALTER TABLE');
  await h.applyDdl({ sql: 'ALTER TABLE a ADD COLUMN w INT', database: 'app', position: at(300) });
  assert.equal(stateText(), text, 'the same DDL replayed at the same position changes nothing');
  rev = h.revision; // (replays may bump the counter: a spurious rewrite is harmless, a missed one is not)

  await h.applyDdl({ sql: 'CREATE TABLE c (id INT PRIMARY KEY)', database: 'app', position: at(400) });
  expect(true, 'CREATE TABLE');
  await h.applyDdl({ sql: 'ALTER TABLE c DROP COLUMN nope', database: 'app', position: at(500) });
  expect(true, 'a DDL the model cannot follow (table marked unknown)');
  await h.applyDdl({ sql: 'INSERT INTO a VALUES (1, 2, 3)', database: 'app', position: at(600) });
  expect(false, 'not a DDL');

  const copy = SchemaHistory.fromJSON(h.toJSON());
  const r0 = copy.revision;
  copy.merge(h.toJSON());
  assert.equal(copy.revision, r0, 'merging what it already has changes nothing');
  const other = new SchemaHistory({ loader: fakeLoader({ shop: ['o'] }) });
  await other.ensureLoaded('shop', 'o', at(700));
  copy.merge(other.toJSON());
  assert.ok(copy.revision > r0, 'merging new versions grows the revision');
});
