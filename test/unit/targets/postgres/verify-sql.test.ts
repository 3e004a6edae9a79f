// The comparison form of values for verify against a PostgreSQL copy: JSON canonical as jsonb keeps it (key order,
// white space, duplicate keys, numbers by value with every digit), and pgCompareText for values PostgreSQL cannot hold.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, pgColumnOf, pgCompareText } from '../../../../src/targets/postgres/index.js';
import { JsonText } from '../../../../src/core/cell.js';

describe('canonicalJson', () => {
  it('equal for documents jsonb makes equal', () => {
    const pairs: Array<[string, string]> = [
      ['{"b": 1, "a": [1, 2]}', '{"a": [1, 2], "b": 1}'],
      ['{"a": 1, "a": 2}', '{"a": 2}'],
      ['[1.50, 1e2, -0.0, 15E-1]', '[1.5, 100, 0, 1.5]'],
      ['{"x": "\\u00e9\\/"}', '{"x": "é/"}'],
      [' { "n" : 12345678901234567890123 } ', '{"n": 12345678901234567890123}'],
    ];
    for (const [a, b] of pairs) assert.equal(canonicalJson(a), canonicalJson(b), `${a} ~ ${b}`);
  });
  it('different for different documents (no digit lost, strings exact)', () => {
    const pairs: Array<[string, string]> = [
      ['{"n": 12345678901234567890123}', '{"n": 12345678901234567890124}'],
      ['{"a": "1"}', '{"a": 1}'],
      ['[1, 2]', '[2, 1]'],
      ['{"a": null}', '{}'],
      ['"a "', '"a"'],
    ];
    for (const [a, b] of pairs) assert.notEqual(canonicalJson(a), canonicalJson(b), `${a} ≁ ${b}`);
  });
  it('text that is no JSON stays as it is', () => {
    assert.equal(canonicalJson('{"a": 1'), '{"a": 1');
    assert.equal(canonicalJson('[1] x'), '[1] x');
  });
});

describe('pgCompareText', () => {
  it('JSON canonical, other values as the target writes them, NULL as null', () => {
    const jsonb = pgColumnOf('j', 'jsonb');
    assert.equal(pgCompareText(jsonb, new JsonText('{"b": 1, "a": 2}')), pgCompareText(jsonb, new JsonText('{"a":2,"b":1}')));
    assert.equal(pgCompareText(pgColumnOf('d', 'date'), '0000-00-00'), '-infinity');
    assert.equal(pgCompareText(pgColumnOf('b', 'bit(4)'), 5), '0101');
    assert.equal(pgCompareText(pgColumnOf('t', 'text'), null), null);
  });
  it('a value PostgreSQL cannot hold is marked, not thrown', () => {
    assert.ok((pgCompareText(pgColumnOf('d', 'date'), '2020-00-15') ?? '').startsWith('\u0000unrepresentable: '));
  });
});
