import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTableFilter, splitTablePattern } from '../../../src/source/table-filter.js';
import { SluiceError } from '../../../src/errors.js';

test('exact db.table', () => {
  const f = compileTableFilter(['shop.orders']);
  assert.equal(f('shop', 'orders'), true);
  assert.equal(f('shop', 'orders2'), false);
  assert.equal(f('shop2', 'orders'), false);
});

test('db.* and db alone', () => {
  for (const p of ['shop.*', 'shop']) {
    const f = compileTableFilter([p]);
    assert.equal(f('shop', 'anything'), true);
    assert.equal(f('other', 'anything'), false);
  }
});

test('prefix wildcard and ? wildcard', () => {
  const f = compileTableFilter(['product_service.b*', 'log.t?']);
  assert.equal(f('product_service', 'b'), true);
  assert.equal(f('product_service', 'bills'), true);
  assert.equal(f('product_service', 'abills'), false);
  assert.equal(f('log', 't1'), true);
  assert.equal(f('log', 't'), false);
  assert.equal(f('log', 't12'), false);
});

test('*.t matches any database', () => {
  const f = compileTableFilter(['*.audit']);
  assert.equal(f('a', 'audit'), true);
  assert.equal(f('b', 'audit'), true);
  assert.equal(f('b', 'audits'), false);
});

test('case-sensitive', () => {
  const f = compileTableFilter(['Shop.Orders']);
  assert.equal(f('Shop', 'Orders'), true);
  assert.equal(f('shop', 'orders'), false);
});

test('regex metacharacters are literal', () => {
  const f = compileTableFilter(['a+b.c$d']);
  assert.equal(f('a+b', 'c$d'), true);
  assert.equal(f('aab', 'c$d'), false);
});

test('backquotes allow dots and escaped backquotes', () => {
  assert.deepEqual(splitTablePattern('`my.db`.`t``x`'), { db: 'my.db', table: 't`x' });
  const f = compileTableFilter(['`my.db`.*']);
  assert.equal(f('my.db', 'x'), true);
  assert.equal(f('myxdb', 'x'), false);
});

test('exclude wins over include; empty include means all', () => {
  const f = compileTableFilter(['shop.*'], ['shop.tmp_*']);
  assert.equal(f('shop', 'orders'), true);
  assert.equal(f('shop', 'tmp_1'), false);
  const all = compileTableFilter([], ['mysql.*']);
  assert.equal(all('x', 'y'), true);
  assert.equal(all('mysql', 'user'), false);
});

test('bad patterns raise typed errors', () => {
  for (const p of ['a.b.c', '`a.b', '.t', 'db.']) {
    assert.throws(() => compileTableFilter([p]), (e: unknown) => e instanceof SluiceError && e.code === 'BAD_ARGUMENT' && e.fix.length > 0, p);
  }
});
