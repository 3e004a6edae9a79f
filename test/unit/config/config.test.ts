import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig, redactConfig, DEFAULT_TUNING } from '../../../src/config/index.js';
import { SluiceError } from '../../../src/errors.js';

const EXAMPLE = `
sources:
  products:
    type: mysql                      # MySQL or MariaDB; the flavor is detected
    url: mysql://repl:\${PRODUCT_DB_PASSWORD}@10.0.0.5:3306
    serverId: 5101
targets:
  orders:
    type: mysql
    url: mysql://sync:secret@10.0.0.6:3306
pipelines:
  - name: product-to-order
    source: products
    target: orders
    tables: ["product_service.product", "product_service.category", "product_service.b*"]
    exclude: ["product_service.tmp_*"]
    targetDatabase: order_service
    snapshot: initial
    ddl: apply
`;

const ENV = { PRODUCT_DB_PASSWORD: 'p@ss:w#rd/1' };

function badConfig(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SluiceError, `expected SluiceError, got ${String(err)}`);
    assert.equal(err.code, 'BAD_CONFIG');
    return err;
  }
  assert.fail('expected a BAD_CONFIG error');
}

function withPipeline(extra: string, env: Record<string, string> = ENV): () => unknown {
  return () => parseConfig(EXAMPLE.replace('    ddl: apply\n', `    ddl: apply\n${extra}`), { env });
}

test('the issue example parses, with env substitution and defaults', () => {
  const cfg = parseConfig(EXAMPLE, { env: ENV });
  const src = cfg.sources['products']!;
  assert.equal(src.type, 'mysql');
  assert.equal(src.serverId, 5101);
  assert.equal(src.connection.host, '10.0.0.5');
  assert.equal(src.connection.port, 3306);
  assert.equal(src.connection.user, 'repl');
  // special characters in a substituted URL password are percent-encoded, then decoded again
  assert.equal(src.connection.password, 'p@ss:w#rd/1');
  const tgt = cfg.targets['orders']!;
  assert.equal(tgt.connection.password, 'secret');
  assert.equal(tgt.checkpointDatabase, '_sluice');
  assert.equal(cfg.pipelines.length, 1);
  const p = cfg.pipelines[0]!;
  assert.deepEqual(p.tables, ['product_service.product', 'product_service.category', 'product_service.b*']);
  assert.deepEqual(p.exclude, ['product_service.tmp_*']);
  assert.equal(p.targetDatabase, 'order_service');
  assert.equal(p.snapshot, 'initial');
  assert.equal(p.ddl, 'apply');
  assert.deepEqual(p.tuning, DEFAULT_TUNING);
});

test('defaults: snapshot initial, ddl apply, no targetDatabase, empty exclude', () => {
  const cfg = parseConfig(`
sources: { s: { type: mariadb, url: "mysql://u@h" } }
targets: { t: { type: mysql, url: "mysql://u:p@h2:3307/x", checkpointDatabase: meta } }
pipelines: [ { name: p1, source: s, target: t, tables: [a.b] } ]
`, { env: {} });
  const p = cfg.pipelines[0]!;
  assert.equal(p.snapshot, 'initial');
  assert.equal(p.ddl, 'apply');
  assert.equal(p.targetDatabase, undefined);
  assert.deepEqual(p.exclude, []);
  assert.equal(cfg.sources['s']!.connection.port, 3306);
  assert.equal(cfg.sources['s']!.connection.password, '');
  assert.equal(cfg.targets['t']!.connection.port, 3307);
  assert.equal(cfg.targets['t']!.connection.database, 'x');
  assert.equal(cfg.targets['t']!.checkpointDatabase, 'meta');
});

test('JSON format is accepted (and by loadConfig from a .json file)', async () => {
  const json = JSON.stringify({
    sources: { s: { type: 'mysql', url: 'mysql://u:${PW}@h:3306' } },
    targets: { t: { type: 'mysql', url: 'mysql://u@h2' } },
    pipelines: [{ name: 'p', source: 's', target: 't', tables: ['d.*'], tuning: { batchSize: 100 } }],
    tuning: { snapshotParallelism: 8 },
  });
  const cfg = parseConfig(json, { format: 'json', env: { PW: 'x' } });
  assert.equal(cfg.pipelines[0]!.tuning.batchSize, 100);
  assert.equal(cfg.pipelines[0]!.tuning.snapshotParallelism, 8);
  assert.equal(cfg.pipelines[0]!.tuning.snapshotChunkSize, DEFAULT_TUNING.snapshotChunkSize);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
  const file = join(dir, 'sluice.json');
  writeFileSync(file, json);
  const loaded = await loadConfig(file, { env: { PW: 'x' } });
  assert.equal(loaded.sources['s']!.connection.password, 'x');
});

test('loadConfig on a missing file is a BAD_CONFIG error naming the path', async () => {
  await assert.rejects(loadConfig('/nonexistent/sluice.yaml'), (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'BAD_CONFIG');
    assert.match(err.message, /\/nonexistent\/sluice\.yaml: no such file/);
    return true;
  });
});

test('missing environment variable names the variable and the key', () => {
  const err = badConfig(() => parseConfig(EXAMPLE, { env: {} }));
  assert.match(err.message, /sources\.products\.url: environment variable PRODUCT_DB_PASSWORD is not set/);
  assert.match(err.fix, /export PRODUCT_DB_PASSWORD/);
});

test('$${X} escapes a literal ${X}; whole-value ${URL} is not percent-encoded', () => {
  const cfg = parseConfig(`
sources: { s: { type: mysql, url: "\${SRC_URL}" } }
targets: { t: { type: mysql, url: "mysql://u@h" } }
pipelines: [ { name: p, source: s, target: t, tables: ["d.$\${x}"] } ]
`, { env: { SRC_URL: 'mysql://a:b%40c@host:1234' } });
  assert.equal(cfg.sources['s']!.connection.password, 'b@c');
  assert.equal(cfg.sources['s']!.connection.port, 1234);
  assert.deepEqual(cfg.pipelines[0]!.tables, ['d.${x}']);
});

test('unknown source names the key path, the wrong name and the defined ones', () => {
  const text = EXAMPLE.replace('source: products', 'source: prods');
  const err = badConfig(() => parseConfig(text, { env: ENV, origin: 'sluice.yaml' }));
  assert.equal(err.message, "sluice.yaml: pipelines[0].source: unknown source 'prods' — defined sources: products");
  assert.match(err.fix, /sources:/);
});

test('unknown target', () => {
  const err = badConfig(() => parseConfig(EXAMPLE.replace('target: orders', 'target: order'), { env: ENV }));
  assert.match(err.message, /pipelines\[0\]\.target: unknown target 'order' — defined targets: orders/);
});

test('duplicate pipeline names', () => {
  const text = EXAMPLE + `
  - name: product-to-order
    source: products
    target: orders
    tables: [x.y]
`;
  const err = badConfig(() => parseConfig(text, { env: ENV }));
  assert.match(err.message, /pipelines\[1\]\.name: duplicate pipeline name 'product-to-order' \(also pipelines\[0\]\)/);
});

test('unknown key gets a did-you-mean and the allowed keys', () => {
  const err = badConfig(withPipeline('    targetDatabse: x\n'));
  assert.match(err.message, /pipelines\[0\]\.targetDatabse: unknown key/);
  assert.match(err.fix, /did you mean 'targetDatabase'\?/);
});

test('bad enum values list the allowed values', () => {
  const err = badConfig(() => parseConfig(EXAMPLE.replace('snapshot: initial', 'snapshot: inital'), { env: ENV }));
  assert.match(err.message, /pipelines\[0\]\.snapshot: unsupported value 'inital'/);
  assert.match(err.fix, /did you mean 'initial'\? use one of: initial, none/);
  const err2 = badConfig(() => parseConfig(EXAMPLE.replace('ddl: apply', 'ddl: skip'), { env: ENV }));
  assert.match(err2.fix, /apply, ignore, fail/);
  const err3 = badConfig(() => parseConfig(EXAMPLE.replace('type: mysql    ', 'type: postgres'), { env: ENV }));
  assert.match(err3.message, /sources\.products\.type: unsupported value 'postgres'/);
});

test('missing required keys and wrong types', () => {
  const err = badConfig(() => parseConfig(EXAMPLE.replace('    tables: ["product_service.product", "product_service.category", "product_service.b*"]\n', ''), { env: ENV }));
  assert.match(err.message, /pipelines\[0\]\.tables: required key is missing/);
  const err2 = badConfig(() => parseConfig(EXAMPLE.replace('serverId: 5101', 'serverId: "abc"'), { env: ENV }));
  assert.match(err2.message, /sources\.products\.serverId: expected a number, got a string/);
  const err3 = badConfig(() => parseConfig(EXAMPLE.replace('serverId: 5101', 'serverId: 0'), { env: ENV }));
  assert.match(err3.message, /sources\.products\.serverId: must be at least 1/);
  const err4 = badConfig(() => parseConfig('sources: {}\ntargets: {}\npipelines: []\n', { env: {} }));
  assert.match(err4.message, /pipelines: the list is empty/);
});

test('empty table list and invalid table patterns', () => {
  const err = badConfig(() => parseConfig(EXAMPLE.replace(/tables: \[.*\]/, 'tables: []'), { env: ENV }));
  assert.match(err.message, /pipelines\[0\]\.tables: the list is empty/);
  const err2 = badConfig(() => parseConfig(EXAMPLE.replace(/tables: \[.*\]/, 'tables: ["a.b.c", "`x.y"]'), { env: ENV }));
  assert.match(err2.message, /2 problems/);
  assert.match(err2.message, /pipelines\[0\]\.tables\[0\]: bad table pattern "a\.b\.c"/);
  assert.match(err2.message, /pipelines\[0\]\.tables\[1\]: bad table pattern/);
});

test('invalid URLs are reported without echoing the URL (it may hold a password)', () => {
  const err = badConfig(() => parseConfig(EXAMPLE.replace('mysql://sync:secret@10.0.0.6:3306', 'http://sync:secret@10.0.0.6'), { env: ENV }));
  assert.match(err.message, /targets\.orders\.url: unsupported URL scheme 'http'/);
  assert.doesNotMatch(err.message + err.fix + JSON.stringify(err.details), /secret/);
  const err2 = badConfig(() => parseConfig(EXAMPLE.replace('mysql://sync:secret@10.0.0.6:3306', 'sync secret 10.0.0.6'), { env: ENV }));
  assert.match(err2.message, /targets\.orders\.url: not a valid URL/);
  assert.doesNotMatch(err2.message, /secret/);
  const err3 = badConfig(() => parseConfig(EXAMPLE.replace('mysql://sync:secret@10.0.0.6:3306', 'mysql://10.0.0.6:3306'), { env: ENV }));
  assert.match(err3.message, /the URL has no user name/);
});

test('YAML syntax errors give a line and column', () => {
  const err = badConfig(() => parseConfig('sources:\n  a: [1, 2\ntargets: {}\n', { env: {} }));
  assert.match(err.message, /invalid YAML at line \d+, column \d+/);
  const dup = badConfig(() => parseConfig('sources: {}\nsources: {}\n', { env: {} }));
  assert.match(dup.message, /invalid YAML/);
  const json = badConfig(() => parseConfig('{"sources": ', { format: 'json', env: {} }));
  assert.match(json.message, /invalid JSON/);
});

test('a non-mapping document is rejected', () => {
  const err = badConfig(() => parseConfig('- a\n- b\n', { env: {} }));
  assert.match(err.message, /must be a mapping with sources, targets and pipelines/);
  badConfig(() => parseConfig('', { env: {} }));
});

test('several problems are all reported at once', () => {
  const text = EXAMPLE.replace('source: products', 'source: nope').replace('target: orders', 'target: nope').replace('ddl: apply', 'ddl: maybe');
  const err = badConfig(() => parseConfig(text, { env: ENV }));
  // schema problems come first, then the cross-references, in the same run
  assert.deepEqual((err.details['problems'] as Array<{ path: string }>).map((d) => d.path), ['pipelines[0].ddl', 'pipelines[0].source', 'pipelines[0].target']);
  const text2 = EXAMPLE.replace('source: products', 'source: nope').replace('target: orders', 'target: nope');
  const err2 = badConfig(() => parseConfig(text2, { env: ENV }));
  assert.match(err2.message, /2 problems/);
  const details = err2.details['problems'] as Array<{ path: string }>;
  assert.deepEqual(details.map((d) => d.path), ['pipelines[0].source', 'pipelines[0].target']);
});

test('schema and semantic problems are reported in one go, each with its path and fix', () => {
  const text = EXAMPLE.replace('targetDatabase: order_service', 'targetDatabse: order_service')
    .replace('    exclude: ["product_service.tmp_*"]\n', '    exclude: ["a.b.c"]\n')
    .replace('source: products', 'source: prods') + `
  - name: product-to-order
    source: products
    target: orders
    tables: [x.y]
  - name: second
    source: products
    target: orders
    tables: [x.y]
    snapshot: sometimes
`;
  const err = badConfig(() => parseConfig(text, { env: ENV }));
  const problems = err.details['problems'] as Array<{ path: string; message: string; fix: string }>;
  assert.deepEqual(problems.map((d) => d.path), [
    'pipelines[0].targetDatabse', 'pipelines[2].snapshot',
    'pipelines[0].source', 'pipelines[0].exclude[0]', 'pipelines[1].name',
  ]);
  assert.match(problems[0]!.fix, /did you mean 'targetDatabase'/);
  assert.match(problems[2]!.message, /unknown source 'prods'/);
  assert.match(problems[3]!.message, /bad table pattern "a\.b\.c"/);
  assert.match(problems[4]!.message, /duplicate pipeline name 'product-to-order'/);
  for (const d of problems) assert.ok(d.fix.length > 0, `${d.path} has a fix`);
  assert.match(err.message, /^5 problems:/);
});

test('a block with a schema problem still counts for the cross-references; a key is reported once', () => {
  // The target with a misspelled key is still the target the pipeline names: no "unknown target".
  const typo = badConfig(() => parseConfig(EXAMPLE.replace('    url: mysql://sync:secret@10.0.0.6:3306', '    url: mysql://sync:secret@10.0.0.6:3306\n    checkpointDatabse: x'), { env: ENV }));
  assert.deepEqual((typo.details['problems'] as Array<{ path: string }>).map((d) => d.path), ['targets.orders.checkpointDatabse']);
  // sources: written as a list: its shape is the problem, not the names pipelines use.
  const list = badConfig(() => parseConfig(EXAMPLE.replace(/sources:\n {2}products:\n/, 'sources:\n  - products:\n'), { env: ENV }));
  assert.deepEqual((list.details['problems'] as Array<{ path: string }>).map((d) => d.path), ['sources']);
  // A variable that is not set empties the URL: the URL is not also reported as invalid.
  const env = badConfig(() => parseConfig(EXAMPLE.replace('mysql://repl:${PRODUCT_DB_PASSWORD}@10.0.0.5:3306', '${SRC_URL}'), { env: ENV }));
  assert.deepEqual((env.details['problems'] as Array<{ path: string }>).map((d) => d.path), ['sources.products.url']);
});

test('invalid names: pipeline name and targetDatabase', () => {
  const err = badConfig(() => parseConfig(EXAMPLE.replace('name: product-to-order', 'name: "bad name!"'), { env: ENV }));
  assert.match(err.message, /pipelines\[0\]\.name: invalid pipeline name/);
  const err2 = badConfig(() => parseConfig(EXAMPLE.replace('targetDatabase: order_service', 'targetDatabase: a.b'), { env: ENV }));
  assert.match(err2.message, /pipelines\[0\]\.targetDatabase: 'a\.b' is not a valid database name/);
});

test('tuning: per-pipeline overrides top-level, bounds checked', () => {
  const cfg = parseConfig(EXAMPLE + 'tuning:\n  batchSize: 100\n  maxBatchDelayMs: 5\n', { env: ENV });
  assert.equal(cfg.pipelines[0]!.tuning.batchSize, 100);
  assert.equal(cfg.pipelines[0]!.tuning.maxBatchDelayMs, 5);
  const cfg2 = parseConfig(EXAMPLE.replace('    ddl: apply\n', '    ddl: apply\n    tuning: { batchSize: 7 }\n') + 'tuning:\n  batchSize: 100\n', { env: ENV });
  assert.equal(cfg2.pipelines[0]!.tuning.batchSize, 7);
  const err = badConfig(withPipeline('    tuning: { snapshotParallelism: 0, bogus: 1 }\n'));
  assert.match(err.message, /pipelines\[0\]\.tuning\.snapshotParallelism: must be at least 1/);
  assert.match(err.message, /pipelines\[0\]\.tuning\.bogus: unknown key/);
});

test('secrets never show in toString, JSON, inspect or redactConfig', () => {
  const cfg = parseConfig(EXAMPLE, { env: ENV });
  const secrets = ['p@ss:w#rd/1', 'p%40ss', 'secret'];
  const renderings = [
    JSON.stringify(cfg), String(cfg), inspect(cfg, { depth: 10 }),
    JSON.stringify(cfg.targets['orders']), String(cfg.sources['products']), inspect(cfg.targets['orders']),
    JSON.stringify(redactConfig(cfg)),
  ];
  for (const r of renderings) {
    for (const s of secrets) assert.ok(!r.includes(s), `leaked ${s} in ${r}`);
  }
  const red = redactConfig(cfg);
  assert.equal(red.targets['orders']!.connection.password, '***');
  assert.match(red.targets['orders']!.url, /sync:\*\*\*@10\.0\.0\.6/);
  assert.equal(red.targets['orders']!.connection.user, 'sync');
  // the real config keeps the secrets for connecting
  assert.equal(cfg.targets['orders']!.connection.password, 'secret');
});
