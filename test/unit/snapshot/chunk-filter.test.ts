// ChunkFilter: which parts of a primary-key move apply while the stream overlaps the copy (see KeyMove), by where
// each key's chunk lies relative to the move's transaction.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkFilter, type TableCoverage } from '../../../src/snapshot/chunk-filter.js';
import type { ChunkLocator } from '../../../src/snapshot/chunk-locator.js';
import type { SchemaColumn } from '../../../src/mysql/schema/table-schema.js';
import type { Row } from '../../../src/core/cell.js';
import type { RowChange } from '../../../src/core/types.js';

function col(name: string, dataType: string): SchemaColumn {
  const text = dataType === 'varchar';
  return { name, dataType, sqlType: dataType, unsigned: false, nullable: false, charset: text ? 'utf8mb4' : null, collation: text ? 'utf8mb4_general_ci' : null,
    collationId: null, octetLength: null, numericPrecision: null, numericScale: null, datetimePrecision: null, generated: null, visible: true };
}
const at = (pos: number): { file: string; pos: number } => ({ file: 'bin.000001', pos });
const update = (table: string, from: Row, to: Row): RowChange => ({ op: 'update', database: 'd', table, before: from, after: to });

/** Chunks (, 10] read at 100, (10, 20] at 300, (20, ) at 500. */
const INT: TableCoverage = { database: 'd', table: 'p', chunks: [
  { range: { lo: ['20'], hi: null }, position: at(500) },
  { range: { lo: null, hi: ['10'] }, position: at(100) },
  { range: { lo: ['10'], hi: ['20'] }, position: at(300) },
] };

describe('ChunkFilter: key moves', () => {
  it('tells a key change with full images from other updates', () => {
    const f = new ChunkFilter();
    f.add(INT, [col('id', 'int')]);
    const keyOf = (_d: string, t: string): string[] | undefined => (t === 'q' ? ['k'] : undefined);
    assert.equal(f.movesKey(update('p', { id: 1, v: 'a' }, { id: 2, v: 'a' }), keyOf), true);
    assert.equal(f.movesKey(update('p', { id: 1, v: 'a' }, { id: 1, v: 'b' }), keyOf), false);
    assert.equal(f.movesKey(update('p', { id: 1, v: 'a' }, { id: 2 }), keyOf), false, 'partial after image');
    assert.equal(f.movesKey({ op: 'insert', database: 'd', table: 'p', before: null, after: { id: 2, v: 'a' } }, keyOf), false);
    assert.equal(f.movesKey(update('q', { k: 1, v: 'a' }, { k: 2, v: 'a' }), keyOf), true, 'a table not covered: its key from the schema');
    assert.equal(f.movesKey(update('r', { k: 1, v: 'a' }, { k: 2, v: 'a' }), keyOf), false, 'no known key');
  });

  it('deletes the old row only where its chunk was read before the move, inserts the new one likewise', async () => {
    const f = new ChunkFilter();
    f.add(INT, [col('id', 'int')]);
    // At 200: chunk (, 10] was read before, (10, 20] and (20, ) after.
    const reused = await f.qualifyMove(update('p', { id: 15, v: 'a' }, { id: 5, v: 'a' }), at(200));
    assert.equal(reused.move?.deleteOld, false, 'the copy holds a later row 15 (a reused key), or none');
    assert.equal(reused.move?.insertNew, true);
    const resurrected = await f.qualifyMove(update('p', { id: 5, v: 'a' }, { id: 25, v: 'a' }), at(200));
    assert.deepEqual({ ...resurrected.move, partial: undefined }, { deleteOld: true, insertNew: false, partial: undefined });
    // Before every chunk: nothing of the parent; after every chunk: all of it.
    const early = await f.qualifyMove(update('p', { id: 5, v: 'a' }, { id: 25, v: 'a' }), at(50));
    assert.deepEqual([early.move?.deleteOld, early.move?.insertNew], [false, false]);
    const late = await f.qualifyMove(update('p', { id: 5, v: 'a' }, { id: 25, v: 'a' }), at(600));
    assert.deepEqual([late.move?.deleteOld, late.move?.insertNew, late.move?.partial.length], [true, true, 0]);
  });

  it('lists the tables still partly copied after the move; their rows follow by their own chunk, even once pruned', async () => {
    const f = new ChunkFilter();
    f.add(INT, [col('id', 'int')]);
    const moved = await f.qualifyMove(update('q', { k: 1, v: 'a' }, { k: 2, v: 'a' }), at(200));
    assert.deepEqual([moved.move?.deleteOld, moved.move?.insertNew], [true, true], 'a table not covered: its rows reflect the state before');
    const part = moved.move!.partial;
    assert.deepEqual(part.map((p) => `${p.database}.${p.table}`), ['d.p']);
    assert.deepEqual([f.passedBy(at(499)), f.passedBy(at(500))], [false, true]);
    // The batch's checkpoint prunes the table before the target asks.
    f.prune(at(1000));
    assert.equal(f.size, 0);
    assert.equal(f.passedBy(at(1)), true);
    // Keys as a target returns them: numbers, or big integers as text.
    assert.deepEqual(await part[0]!.follows([{ id: 3 }, { id: 12 }, { id: '25' }, { id: '7' }]), [true, false, false, true]);
  });

  it('asks the locator where a non-integer key lies (bounds in key order), and counts a key it cannot place as read before', async () => {
    const cov: TableCoverage = { database: 'd', table: 's', chunks: [
      { range: { lo: null, hi: ["'Bb'"] }, position: at(100) },
      { range: { lo: ["'Bb'"], hi: ["'Dd'"] }, position: at(300) },
      { range: { lo: ["'Dd'"], hi: null }, position: at(500) },
    ] };
    const asked: Array<{ his: string[][]; keys: Row[] }> = [];
    const locator: ChunkLocator = {
      chunkIndexes: async (_pk, his, keys) => {
        asked.push({ his: his.map((h) => [...h]), keys: [...keys] });
        // As a case-insensitive collation orders them: aa < Bb < cc < Dd < ee.
        const order = ['aa', 'bb', 'cc', 'dd', 'ee'];
        return keys.map((k) => his.filter((h) => order.indexOf(h[0]!.slice(1, -1).toLowerCase()) < order.indexOf(String(k['id']).toLowerCase())).length);
      },
    };
    const f = new ChunkFilter(locator);
    f.add(cov, [col('id', 'varchar')]);
    const m = await f.qualifyMove(update('s', { id: 'cc', v: 'x' }, { id: 'aa', v: 'x' }), at(200));
    assert.deepEqual([m.move?.deleteOld, m.move?.insertNew], [false, true]);
    assert.deepEqual(asked[0]?.his, [["'Bb'"], ["'Dd'"]]);
    const none = new ChunkFilter();
    none.add(cov, [col('id', 'varchar')]);
    const n = await none.qualifyMove(update('s', { id: 'cc', v: 'x' }, { id: 'aa', v: 'x' }), at(200));
    assert.deepEqual([n.move?.deleteOld, n.move?.insertNew], [true, true]);
  });
});
