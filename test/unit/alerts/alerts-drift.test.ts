// The `drift` alert rule: it holds while the last verify of a table of the pipeline (kept in the store) found rows
// that differ and no later check found the table equal. One message when it opens (table names and counts, no row
// values), none while it lasts, "recovered" after a repair made the table equal. No database servers: the results
// are written to the store as a verify run would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertEngine, DEFAULT_ALERT_SETTINGS } from '../../../src/alerts/index.js';
import { PipelineManager } from '../../../src/control/pipeline-manager.js';
import { DEFAULT_TUNING } from '../../../src/config/types.js';
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/index.js';
import type { LastVerifyResult } from '../../../src/verify/verify-runs.js';

let hook: Server;
let hookUrl = '';
const texts: string[] = [];

before(async () => {
  hook = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => { data += c.toString('utf8'); });
    req.on('end', () => {
      texts.push(String((JSON.parse(data) as { text: string }).text));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
});
after(async () => { await new Promise<void>((r) => hook.close(() => r())); });

function result(over: Partial<LastVerifyResult> = {}): LastVerifyResult {
  return {
    pipeline: 'p', table: 'shop.product', target: 'copy.product', key: 'primary', rowsChecked: 30, chunks: 1, differingChunks: 1, mismatchedRows: 2,
    unsettledRows: 0, differences: [{ kind: 'different', key: '3', columns: [{ column: 'price', source: "'19.99'", target: "'0.01'" }] }, { kind: 'missing', key: '4' }],
    differencesTotal: 2, repairedRows: 0, repair: false, checkedAt: new Date().toISOString(), ...over,
  };
}

test('drift found by verify fires one alert (no row values) and recovers once the table is repaired', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-drift-'));
  const logger = createLogger('test', 'silent');
  const store = await Store.open({ dataDir: dir });
  const manager = new PipelineManager({ store, logger, sampleIntervalMs: 60_000 });
  const engine = new AlertEngine({ manager, store, logger, settings: () => ({ ...DEFAULT_ALERT_SETTINGS, webhookUrl: hookUrl }), retry: { attempts: 1, baseDelayMs: 10 } });
  try {
    await store.putPipeline({ name: 'p', source: 's', target: 't', tables: ['shop.*'], exclude: [], snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING } }, 'stopped');
    await engine.evaluate();
    await engine.flush();
    assert.deepEqual(engine.incidents(), [], 'nothing verified yet: no drift');

    await store.recordVerifyResult('p', result());
    await store.recordVerifyResult('p', result({ table: 'shop.orders', target: 'copy.orders', mismatchedRows: 0, differences: [], differencesTotal: 0 }));
    await engine.evaluate();
    await engine.flush();
    assert.deepEqual(engine.incidents().map((i) => `${i.rule}:${i.pipeline}`), ['drift:p']);
    assert.equal(texts.length, 1, texts.join('\n---\n'));
    assert.match(texts[0]!, /DRIFT: pipeline p: 2 row\(s\) on the target differ from the source in 1 table\(s\)/);
    assert.match(texts[0]!, /shop\.product: 2 differing row\(s\)/);
    assert.doesNotMatch(texts[0]!, /shop\.orders|19\.99|0\.01/, 'equal tables and row values are not sent');

    await engine.evaluate();
    await engine.flush();
    assert.equal(texts.length, 1, 'no second message while the drift lasts');

    await store.recordVerifyResult('p', result({ repair: true, repairedRows: 2, recheckMismatchedRows: 0 }));
    await engine.evaluate();
    await engine.flush();
    assert.deepEqual(engine.incidents(), []);
    assert.equal(texts.length, 2);
    assert.match(texts[1]!, /RECOVERED: pipeline p - target differs from the source \(every verified table equal\)/);
  } finally {
    await engine.close();
    await manager.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
