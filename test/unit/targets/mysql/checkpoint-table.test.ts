// A checkpoint that carries the schema history of thousands of tables (the first one of a pipeline, a resync) is
// megabytes of SQL: CheckpointTable.writeSteps makes it statement by statement, and packStatementsLazily packs it
// query by query, so a target that sends as it goes never holds all of it (it held ~13 MB of SQL three times over
// at 10,000 tables). These tests count how much of the history was serialized when the first query is ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointTable } from '../../../../src/targets/mysql/checkpoint-table.js';
import { packStatements, packStatementsLazily } from '../../../../src/targets/ownership.js';
import type { Checkpoint } from '../../../../src/targets/target.js';

/** A history of `n` tables of about 1 KB each whose serializations are counted. */
function countedCheckpoint(n: number): { cp: Checkpoint; serialized: () => number } {
  let count = 0;
  const versions = { toJSON: (): unknown => { count++; return [{ since: { file: 'bin.000001', pos: 4 }, schema: { pad: 'x'.repeat(1000) } }]; } };
  const tables = Array.from({ length: n }, (_, i) => ({ database: 'db', table: `t${i}`, versions }));
  const cp: Checkpoint = { pipeline: 'p', position: { file: 'bin.000001', pos: 4 }, epoch: 1, state: { phase: 'stream', coverage: [] },
    history: { tables, replace: true } };
  return { cp, serialized: () => count };
}

test('writeSteps serializes the history as statements are taken, and ends with the checkpoint UPDATE', () => {
  const ct = new CheckpointTable('_sluice');
  const { cp, serialized } = countedCheckpoint(5000);
  const steps = ct.writeSteps('p', cp, 1, 30);
  assert.equal(serialized(), 0);
  const first = steps.next();
  assert.match(first.value as string, /^DELETE FROM/);
  const insert = steps.next().value as string;
  assert.match(insert, /^INSERT INTO `_sluice`\.`schema_history`/);
  // About 1 MiB of rows per statement (plus the one row that did not fit): a fifth of the 5 MB history.
  assert.ok(serialized() < 1200, `serialized ${serialized()} of 5000 tables for the first statement`);
  const rest = [...steps];
  assert.equal(serialized(), 5000);
  assert.match(rest[rest.length - 1]!, /^UPDATE `_sluice`\.`checkpoints` SET file = /);
  // The same statements as writeStatements (the array form).
  const again = countedCheckpoint(5000);
  assert.deepEqual(ct.writeStatements('p', again.cp, 1, 30), [first.value, insert, ...rest]);
});

test('packStatementsLazily takes statements only as each query is asked for, and packs like packStatements', () => {
  const ct = new CheckpointTable('_sluice');
  const { cp, serialized } = countedCheckpoint(5000);
  const packs = packStatementsLazily(ct.writeSteps('p', cp, 1, 30), 2 * 1024 * 1024);
  const first = packs.next().value as string;
  assert.ok(first.length <= 2 * 1024 * 1024);
  assert.ok(serialized() < 3000, `serialized ${serialized()} of 5000 tables for the first 2 MiB query`);
  const all = [first, ...packs];
  assert.ok(all.length >= 3);
  assert.deepEqual(all, packStatements(ct.writeStatements('p', countedCheckpoint(5000).cp, 1, 30), 2 * 1024 * 1024));
});
