// `sluice verify` on a synced supply-chain set while a writer changes the source at ≥ 500 rows/s and the pipeline
// streams: no false differences on equal copies; every injected drift found (and only it); --repair leaves every
// table equal; the CLI's exit codes and --json last line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { SourceHub } from '../../../src/pipeline/source-hub.js';
import { createLogger } from '../../../src/log.js';
import { verify, type VerifySummary } from '../../../src/verify/verify.js';
import { createSupplyChain, eventually, tableRows } from '../sync-helpers.js';
import { runCli } from '../sluice-cli-helpers.js';
import { createVerifyTables, injectDrift, startFastWriter, verifyConfig } from './verify-helpers.js';

const TABLES = ['batch', 'category', 'device', 'price_log', 'product', 'supplier', 'warranty'];
const tuning = { chunkSize: 400, parallelism: 2 };

function found(s: VerifySummary): string[] {
  return s.results.filter((r) => r.key !== 'none').flatMap((r) => r.differences.map((d) => `${r.table} ${d.kind} ${d.key}`)).sort();
}

describe('sluice verify', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let hub: SourceHub;
  let pipeline: Pipeline;
  let run: Promise<void>;
  let dir: string;
  const controller = new AbortController();
  const cfgOf = (): ReturnType<typeof verifyConfig> => verifyConfig(source, target);

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    await createSupplyChain(source, target, 3000);
    await createVerifyTables(source);
    const cfg = cfgOf();
    const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');
    hub = new SourceHub(source.url, 7101, log);
    const p = cfg.pipelines[0]!;
    pipeline = new Pipeline({ config: p, source: cfg.sources[p.source]!, target: cfg.targets[p.target]!, logger: log, hub });
    run = pipeline.run(controller.signal);
    await eventually(async () => pipeline.stats.status === 'streaming', 90_000, 'the pipeline to stream');
    dir = await mkdtemp(join(tmpdir(), 'sluice-verify-'));
  });
  after(async () => {
    controller.abort();
    await run?.catch(() => undefined);
    await hub?.close();
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds no difference between equal copies while the source writes ≥ 500 rows/s', async () => {
    const writer = startFastWriter(source, 200_000);
    // Three runs, the last with small chunks (more chunks meet a change in flight and go through the rounds).
    const outcome = await (async () => [await verify(cfgOf(), { tuning }), await verify(cfgOf(), { tuning }), await verify(cfgOf(), { tuning: { ...tuning, chunkSize: 100 } })])()
      .then((v) => ({ v }), (e: unknown) => ({ e }));
    const w = await writer.stop();
    if ('e' in outcome) throw outcome.e;
    assert.ok(w.rowsPerSecond >= 500, `writer wrote ${w.rows} rows at ${Math.round(w.rowsPerSecond)} rows/s`);
    for (const summary of outcome.v) {
      assert.deepEqual(summary.results.map((r) => r.table.split('.')[1]).sort(), TABLES);
      assert.equal(summary.mismatched_rows, 0, `false differences: ${JSON.stringify(summary.results.flatMap((r) => r.differences)).slice(0, 2000)}`);
      assert.ok(summary.rows_checked > 10_000);
      assert.equal(summary.results.find((r) => r.table.endsWith('.price_log'))!.key, 'none');
      assert.equal(summary.results.find((r) => r.table.endsWith('.device'))!.key, 'unique');
    }
    const rows = outcome.v.reduce((s, x) => s + x.rows_checked, 0);
    const rechecked = outcome.v.reduce((s, x) => s + x.results.reduce((t, r) => t + r.differingChunks, 0), 0);
    const unsettled = outcome.v.reduce((s, x) => s + x.unsettled_rows, 0);
    process.stderr.write(`# equal copies under load: 3 runs, ${rows} rows, writer ${Math.round(w.rowsPerSecond)} rows/s (${w.rows} rows), `
      + `${rechecked} chunks differed at first and went through the rounds, ${unsettled} unsettled, 0 false differences\n`);
  });

  it('finds every injected difference, and only those, while the source writes; --repair makes every table equal', async () => {
    const injected = await injectDrift(target);
    const writer = startFastWriter(source, 5_000_000);
    const runs = (async () => {
      const first = await verify(cfgOf(), { tuning });
      const repaired = await verify(cfgOf(), { tuning, repair: true });
      const again = await verify(cfgOf(), { tuning });
      return { first, repaired, again };
    })();
    const outcome = await runs.then((v) => ({ v }), (e: unknown) => ({ e }));
    const w = await writer.stop();
    if ('e' in outcome) throw outcome.e;
    const { first, repaired, again } = outcome.v;
    assert.ok(w.rowsPerSecond >= 500, `writer at ${Math.round(w.rowsPerSecond)} rows/s`);
    const got = found(first);
    const keyless = first.results.find((r) => r.key === 'none')!;
    const missing = keyless.differences.filter((d) => d.kind === 'missing').reduce((s, d) => s + (d.count ?? 1), 0);
    const extra = keyless.differences.filter((d) => d.kind === 'extra').reduce((s, d) => s + (d.count ?? 1), 0);
    process.stderr.write(`# found ${got.filter((g) => injected.keyed.includes(g)).length + missing + extra}/${injected.keyed.length + 6} injected, `
      + `${got.filter((g) => !injected.keyed.includes(g)).length} false; writer ${Math.round(w.rowsPerSecond)} rows/s\n`);
    assert.deepEqual(got, [...injected.keyed].sort());
    assert.deepEqual({ missing, extra }, injected.keyless);
    // The differing columns are named with both values.
    const product = first.results.find((r) => r.table === 'product_service.product')!;
    const model = product.differences.find((d) => d.key === '11')!;
    assert.deepEqual(model.columns, [{ column: 'model', source: "'Model-11 😀'", target: "'DRIFTED'" }]);
    const note = first.results.find((r) => r.table === 'product_service.batch')!.differences.find((d) => d.key === '4,3')!;
    assert.deepEqual(note.columns, [{ column: 'note', source: 'NULL', target: "''" }]);

    assert.equal(repaired.repaired_rows, injected.keyed.length + 6);
    for (const r of repaired.results) assert.equal(r.recheckMismatchedRows ?? 0, 0, `${r.table} still differs after repair`);
    assert.equal(again.mismatched_rows, 0, JSON.stringify(again.results.flatMap((r) => r.differences)).slice(0, 2000));

    // Once the writer stopped and the pipeline caught up, every table is identical row by row.
    for (const t of TABLES) {
      await eventually(async () => {
        const [a, b] = await Promise.all([tableRows(source, 'product_service', t), tableRows(target, 'order_service', t)]);
        return a.length === b.length && a.every((x, i) => x === b[i]);
      }, 30_000, `order_service.${t} to equal the source`);
    }
    // The repairs did not disturb the stream (no fencing, no failure).
    assert.equal(pipeline.stats.status, 'streaming');
  });

  it('the CLI: exit 1 and the differing row on drift, exit 0 when equal, --json last line', async () => {
    const file = join(dir, 'sluice.yaml');
    await writeFile(file, `sources:\n  products:\n    type: mysql\n    url: ${source.url}\ntargets:\n  orders:\n    type: mysql\n    url: ${target.url}\n`
      + 'pipelines:\n  - name: product-to-order\n    source: products\n    target: orders\n    tables: ["product_service.*"]\n    exclude: ["product_service.tmp_*"]\n    targetDatabase: order_service\n');
    await target.query("UPDATE order_service.category SET name = 'DRIFTED' WHERE id = 2");
    const drift = await runCli(['verify', '--config', file, '--tables', 'product_service.category'], {}, 120_000);
    assert.equal(drift.code, 1, drift.stderr);
    assert.match(drift.stdout, /different key \(2\): name: source '.*' target 'DRIFTED'/);
    const fix = await runCli(['verify', '--config', file, '--tables', 'product_service.category', '--repair'], {}, 120_000);
    assert.equal(fix.code, 1, fix.stderr);
    assert.match(fix.stdout, /repaired 1, re-check: equal/);
    const ok = await runCli(['verify', '--config', file, '--json'], {}, 120_000);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    const last = JSON.parse(ok.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    assert.deepEqual(Object.keys(last).slice(0, 5), ['tables', 'rows_checked', 'mismatched_rows', 'repaired_rows', 'seconds']);
    assert.equal(last.tables, TABLES.length);
    assert.equal(last.mismatched_rows, 0);
    assert.match(ok.stderr, /verify product-to-order product_service\.product: chunk \d+\/\d+/);
    const bad = await runCli(['verify', '--config', file, '--pipeline', 'nope'], {}, 30_000);
    assert.equal(bad.code, 2);
    // A pipeline that never ran (no checkpoint on the target): exit 2 with the fix.
    const ghost = join(dir, 'ghost.yaml');
    await writeFile(ghost, (await readFile(file, 'utf8')).replace('name: product-to-order', 'name: ghost'));
    const never = await runCli(['verify', '--config', ghost, '--wait-seconds', '2'], {}, 30_000);
    assert.equal(never.code, 2, never.stdout + never.stderr);
    assert.match(never.stderr, /VERIFY_NOT_READY: pipeline 'ghost' has no checkpoint on the target yet — fix: start the pipeline/);
  });
});
