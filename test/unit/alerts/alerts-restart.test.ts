// Alert incidents survive a restart of sluice serve: a real store in a temp dir, a real PipelineManager (its
// pipeline refers to a source that does not exist, so it fails at once — no database server needed) and a
// local webhook receiver. "Restart" = close the AlertService, the manager and the store, then open new ones
// on the same data dir.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TUNING, type PipelineConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/store.js';
import { PipelineManager } from '../../../src/control/pipeline-manager.js';
import { AlertService } from '../../../src/alerts/service.js';
import { AlertStateStore } from '../../../src/alerts/state-store.js';
import { ALERT_HISTORY } from '../../../src/alerts/engine.js';

const HOOK_PATH = '/services/T1/B1/restart-secret';
const SETTLE_MS = 300;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pipeline(name: string): PipelineConfig {
  return { name, source: 'nowhere', target: 'nowhere', tables: ['shop.t'], exclude: [], snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING } };
}

describe('alert incidents across restarts', () => {
  let hook: Server;
  let hookUrl = '';
  const texts: string[] = [];
  const dirs: string[] = [];
  const logger = createLogger('sluice', 'silent');

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
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}${HOOK_PATH}`;
  });

  after(async () => {
    await new Promise<void>((r) => hook.close(() => r()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** One "sluice serve" process: store, manager (pipelines launched) and alerts on a data dir. */
  async function boot(dataDir: string): Promise<{ store: Store; manager: PipelineManager; alerts: AlertService; close: () => Promise<void> }> {
    const store = await Store.open({ dataDir: dataDir });
    const manager = new PipelineManager({ store, logger });
    await manager.startAll();
    const alerts = new AlertService({
      store, manager, logger, env: {}, fromEnvironment: { webhookUrl: hookUrl }, intervalMs: 60_000, retry: { attempts: 2, baseDelayMs: 10 },
      restoredSettleMs: SETTLE_MS,
    });
    await alerts.load();
    return {
      store, manager, alerts,
      close: async () => { await alerts.close(); await manager.close(); await store.close(); },
    };
  }

  const evaluate = async (a: AlertService, times = 1): Promise<void> => {
    for (let i = 0; i < times; i++) await a.engine.evaluate();
    await a.engine.flush();
  };
  const count = (re: RegExp): number => texts.filter((t) => re.test(t.split('\n')[0]!)).length;

  it('an incident that still holds after the restart sends nothing; one that ended sends one "recovered"', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-alert-restart-'));
    dirs.push(dataDir);
    let s = await boot(dataDir);
    await s.store.putPipeline(pipeline('p1'), 'running');
    await s.store.putPipeline(pipeline('p2'), 'running');
    await s.close();

    // 1st process: both pipelines fail (their source is missing) → one FAILED message each.
    s = await boot(dataDir);
    assert.equal((await s.manager.status('p1')).state, 'failed');
    await evaluate(s.alerts, 3);
    assert.equal(count(/FAILED: pipeline p1/), 1);
    assert.equal(count(/FAILED: pipeline p2/), 1);
    assert.deepEqual(s.alerts.engine.incidents().map((i) => `${i.rule}:${i.pipeline}`).sort(), ['failed:p1', 'failed:p2']);
    const openedAt = s.alerts.engine.incidents().find((i) => i.pipeline === 'p1')!.openedAt;
    // While the server is down, p2 is stopped (as an operator would through the API before the restart).
    await s.store.setDesiredState('p2', 'stopped');
    await s.close();

    // 2nd process: p1 fails again (still holds) → no message; p2 is stopped (ended) → one RECOVERED, after the settle time.
    s = await boot(dataDir);
    const restored = s.alerts.engine.incidents();
    assert.equal(restored.length, 2, 'the open incidents were restored from the store');
    assert.equal(restored.find((i) => i.pipeline === 'p1')!.openedAt, openedAt);
    assert.equal(s.alerts.engine.history().filter((n) => n.kind === 'firing').length, 2, 'the notification list survived too');
    await evaluate(s.alerts, 3);
    assert.equal(count(/RECOVERED/), 0, 'a restored incident does not end before the settle time');
    await sleep(SETTLE_MS + 50);
    await evaluate(s.alerts, 3);
    assert.equal(count(/FAILED: pipeline p1/), 1, 'no second firing message for p1');
    assert.equal(count(/FAILED: pipeline p2/), 1);
    assert.equal(count(/RECOVERED: pipeline p2 - failed \(state now stopped\)/), 1);
    assert.equal(count(/RECOVERED: pipeline p1/), 0);
    assert.deepEqual(s.alerts.engine.incidents().map((i) => i.pipeline), ['p1']);
    await s.close();

    // 3rd process: still one incident (p1), still no new message; p1 then recovers → one RECOVERED.
    s = await boot(dataDir);
    await evaluate(s.alerts, 2);
    await sleep(SETTLE_MS + 50);
    await evaluate(s.alerts, 2);
    assert.equal(texts.length, 3, texts.join(' | '));
    await s.manager.stop('p1');
    await evaluate(s.alerts);
    await sleep(SETTLE_MS + 50);
    await evaluate(s.alerts);
    assert.equal(count(/RECOVERED: pipeline p1 - failed/), 1);
    assert.deepEqual(s.alerts.engine.incidents(), []);
    assert.deepEqual(s.alerts.engine.history().map((n) => `${n.kind}:${n.pipeline}`), ['recovered:p1', 'recovered:p2', 'firing:p2', 'firing:p1'],
      'newest first, across the three processes');
    await s.close();
    assert.equal(texts.length, 4);
    for (const t of texts) assert.ok(!t.includes(HOOK_PATH));
  });

  it('a restored incident that holds again within the settle time goes on silently; a deleted pipeline ends silently', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-alert-restart-'));
    dirs.push(dataDir);
    let s = await boot(dataDir);
    await s.store.putPipeline(pipeline('flappy'), 'running');
    await s.store.putPipeline(pipeline('gone'), 'running');
    await s.close();
    s = await boot(dataDir);
    await evaluate(s.alerts);
    assert.equal(count(/FAILED: pipeline flappy/), 1);
    assert.equal(count(/FAILED: pipeline gone/), 1);
    await s.close();

    s = await boot(dataDir);
    // Stopped for a moment (the rule does not hold), then failing again before the settle time is over.
    await s.manager.stop('flappy');
    await evaluate(s.alerts);
    await s.manager.start('flappy');
    await evaluate(s.alerts);
    await s.store.deletePipeline('gone');
    await sleep(SETTLE_MS + 50);
    await evaluate(s.alerts, 2);
    assert.equal(count(/flappy/), 1, 'no recovered + firing pair for a restored incident that holds again');
    assert.equal(count(/gone/), 1);
    assert.deepEqual(s.alerts.engine.incidents().map((i) => i.pipeline), ['flappy']);
    await s.close();
    s = await boot(dataDir);
    assert.deepEqual(s.alerts.engine.incidents().map((i) => i.pipeline), ['flappy'], 'the deleted pipeline\'s incident left the store');
    await s.close();
  });

  it('a firing message the earlier process never handed to the channels is sent after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-alert-restart-'));
    dirs.push(dataDir);
    let s = await boot(dataDir);
    await s.store.putPipeline(pipeline('crashy'), 'running');
    // As if the process had died between opening the incident and delivering its message.
    await new AlertStateStore(s.store).open({ rule: 'failed', pipeline: 'crashy', opened: Date.now() - 5000, summary: '[Sluice] FAILED: pipeline crashy', notified: false });
    await s.close();
    s = await boot(dataDir);
    await evaluate(s.alerts, 3);
    assert.equal(count(/FAILED: pipeline crashy/), 1);
    await s.close();
    s = await boot(dataDir);
    await evaluate(s.alerts, 2);
    assert.equal(count(/FAILED: pipeline crashy/), 1, 'marked as sent in the store');
    await s.close();
  });

  it('the notification list in the store is capped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-alert-restart-'));
    dirs.push(dataDir);
    const store = await Store.open({ dataDir: dataDir });
    try {
      const st = new AlertStateStore(store);
      for (let i = 0; i < ALERT_HISTORY + 15; i++) {
        await st.addNotification({ time: new Date(1_700_000_000_000 + i).toISOString(), kind: 'test', rule: null, pipeline: null, title: `n${i}`, deliveries: [] }, ALERT_HISTORY);
      }
      const list = await st.notifications(1000);
      assert.equal(list.length, ALERT_HISTORY);
      assert.equal(list[0]!.title, `n${ALERT_HISTORY + 14}`);
      assert.equal(list[list.length - 1]!.title, 'n15');
    } finally {
      await store.close();
    }
  });
});
