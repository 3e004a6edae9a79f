// The targets registry: config validation, endpoint URLs and the docs derive from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TARGET_KINDS, findTargetKind, targetConfigKeys, targetKind, targetKindsMarkdown, targetTypes, targetTypesText } from '../../../src/targets/registry.js';
import { parseConfig } from '../../../src/config/index.js';
import { SluiceError } from '../../../src/errors.js';

const config = (target: string): string => `
sources: { s: { type: mysql, url: "mysql://u@h" } }
targets: { t: ${target} }
pipelines: [ { name: p, source: s, target: t, tables: ["db.*"] } ]
`;

test('every type names one kind; unknown types are a BAD_CONFIG naming the known ones', () => {
  assert.deepEqual(targetTypes().slice(0, 2), ['mysql', 'mariadb']);
  for (const k of TARGET_KINDS) for (const t of k.types) assert.equal(findTargetKind(t), k);
  assert.equal(new Set(targetTypes()).size, targetTypes().length, 'no type in two kinds');
  assert.throws(() => targetKind('oracle'), (err: unknown) => err instanceof SluiceError && err.code === 'BAD_CONFIG' && err.fix === 'use one of: mysql (or mariadb), postgres (or postgresql)');
});

test('a user sees two kinds, each with the aliases it accepts (messages, docs); the aliases stay accepted', () => {
  assert.equal(targetTypesText(), 'mysql (or mariadb), postgres (or postgresql)');
  assert.throws(() => parseConfig(config('{ type: postgress, url: "postgres://u@h/db" }'), { env: {} }),
    (err: unknown) => err instanceof SluiceError && err.fix === "did you mean 'postgres'? use one of: mysql (or mariadb), postgres (or postgresql)");
  const rows = targetKindsMarkdown().split('\n').filter((l) => /^\| `/.test(l));
  assert.deepEqual(rows.map((l) => l.split(' | ')[0]), ['| `mysql` (or `mariadb`)', '| `postgres` (or `postgresql`)']);
  for (const type of targetTypes()) {
    const url = type.startsWith('postgres') ? 'postgres://u@h/db' : 'mysql://u@h';
    assert.equal(parseConfig(config(`{ type: ${type}, url: "${url}" }`), { env: {} }).targets['t']!.type, type);
  }
});

test('config: the target block is checked by its kind (type, unknown keys, URL)', () => {
  const ok = parseConfig(config('{ type: mariadb, url: "mysql://u:pw@h2:3307/x", checkpointDatabase: meta }'), { env: {} });
  assert.equal(ok.targets['t']!.type, 'mariadb');
  assert.equal(ok.targets['t']!.connection.port, 3307);
  assert.equal(ok.targets['t']!.checkpointDatabase, 'meta');
  assert.throws(() => parseConfig(config('{ type: oracle, url: "mysql://u@h" }'), { env: {} }), /targets\.t\.type: unsupported value 'oracle'/);
  assert.throws(() => parseConfig(config('{ type: mysql, url: "mysql://u@h", checkpointDb: x }'), { env: {} }),
    (err: unknown) => err instanceof SluiceError && /targets\.t\.checkpointDb: unknown key/.test(err.message) && /checkpointDatabase/.test(err.fix));
  assert.throws(() => parseConfig(config('{ type: mysql, url: "http://u@h" }'), { env: {} }), /targets\.t\.url: unsupported URL scheme/);
  assert.ok(targetConfigKeys().includes('checkpointDatabase'));
});

test('endpoint URLs round-trip through the kind', () => {
  const k = targetKind('mysql');
  const url = k.endpoint.url({ host: 'db.example', port: 3307, user: 'u@x', password: 'p:w', database: 'd', options: { 'ssl-mode': 'REQUIRED' } });
  const back = k.endpoint.parseUrl(url);
  assert.ok(back.ok);
  assert.deepEqual(back.value, { host: 'db.example', port: 3307, user: 'u@x', password: 'p:w', database: 'd', options: { 'ssl-mode': 'REQUIRED' } });
  assert.equal(k.endpoint.checkOptions?.({ 'ssl-mode': 'SOMETIMES' })?.message !== undefined, true);
});

test('docs/targets.md shows the registry (npm run docs:targets refreshes it)', () => {
  const doc = readFileSync(new URL('../../../../docs/targets.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(targetKindsMarkdown()), 'docs/targets.md is out of date: run npm run docs:targets');
});
