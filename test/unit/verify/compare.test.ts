// The per-row decision of verify: a row is a difference only when the source held the same value before
// and after the target was read (at a checkpoint between the two source reads) and the target differs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyRound, describeDifference, type RowSet } from '../../../src/verify/compare.js';

const set = (entries: Array<[string, string[]]>): RowSet => new Map(entries);

describe('verify: classifyRound', () => {
  it('equal rows are equal; a target-only change is confirmed; a source change in flight is not', () => {
    const s1 = set([['1', ["'a'"]], ['2', ["'b'"]], ['3', ["'c'"]], ['4', ["'d'"]]]);
    const t = set([['1', ["'a'"]], ['2', ["'X'"]], ['3', ["'c'"]], ['5', ["'e'"]]]);
    const s2 = set([['1', ["'a'"]], ['2', ["'b'"]], ['3', ["'c2'"]], ['4', ["'d'"]]]);
    const r = classifyRound(s1, t, s2);
    assert.deepEqual([...r.confirmed.keys()].sort(), ['2', '4', '5']);
    assert.equal(r.confirmed.get('2')!.kind, 'different');
    assert.equal(r.confirmed.get('4')!.kind, 'missing');
    assert.equal(r.confirmed.get('5')!.kind, 'extra');
    assert.deepEqual([...r.unsettled], []);
    assert.equal(r.equal, 2);
  });

  it('a row that changed on the source between the reads and differs from both is unsettled', () => {
    const r = classifyRound(set([['1', ['1']]]), set([['1', ['3']]]), set([['1', ['2']]]));
    assert.deepEqual([...r.unsettled], ['1']);
    assert.equal(r.confirmed.size, 0);
  });

  it('a target matching the later source read is equal (the change was applied in between)', () => {
    const r = classifyRound(set([['1', ['1']]]), set([['1', ['2']]]), set([['1', ['2']]]));
    assert.equal(r.equal, 1);
    assert.equal(r.confirmed.size, 0);
  });

  it('NULL and empty string are different literals', () => {
    const r = classifyRound(set([['1', ['NULL']]]), set([['1', ["''"]]]), set([['1', ['NULL']]]));
    assert.equal(r.confirmed.get('1')!.kind, 'different');
  });
});

describe('verify: describeDifference', () => {
  it('names the differing columns with both values', () => {
    const d = describeDifference(['id', 'model', 'price'], { kind: 'different', source: ['1', "'M'", '9.90'], target: ['1', "'DRIFTED'", '9.90'] });
    assert.deepEqual(d.columns, [{ column: 'model', source: "'M'", target: "'DRIFTED'" }]);
  });
});
