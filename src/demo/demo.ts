/**
 * The one-command demo (`npm run demo`): two throwaway MariaDB servers (testkit), the supply-chain example,
 * `sluice serve` in-process on a temp data dir with two pipelines (product_service → order_service and
 * product_service → purchase_service), a gentle writer on the product tables, and an admin login with a
 * generated password. `stop()` removes everything (servers, their datadirs, the data dir).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { startServe, type RunningServe } from '../cli/serve.js';
import { Store } from '../store/store.js';
import { startMariaDb, type MariaDbServer } from '../testkit/mariadb-server.js';
import { createSupplyChain, startWriter, type Writer } from './supply-chain.js';

export interface DemoOptions {
  /** UI/API port (default 8080, or a free one when 8080 is taken; 0 = any free port). */
  port?: number;
  host?: string;
  /** Writer speed (default 4 transactions per second). */
  writesPerSecond?: number;
  /** Products in the example (default 2000). */
  products?: number;
  logger?: Logger;
  /** Environment for sluice serve (alert settings etc.; default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningDemo {
  url: string;
  username: string;
  password: string;
  source: MariaDbServer;
  target: MariaDbServer;
  serve: RunningServe;
  writer: Writer;
  dataDir: string;
  pipelines: string[];
  stop(): Promise<void>;
}

export const DEMO_PIPELINES = ['product-to-order', 'product-to-purchase'] as const;
const PRODUCT_TABLES = ['product_service.product', 'product_service.category', 'product_service.batch', 'product_service.warranty'];

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

const secret = (bytes = 12): string => randomBytes(bytes).toString('base64url');

export async function startDemo(o: DemoOptions = {}): Promise<RunningDemo> {
  const host = o.host ?? '127.0.0.1';
  const log = o.logger ?? createLogger('sluice', process.env['SLUICE_LOG_LEVEL'] ?? 'warn');
  let port = o.port ?? 8080;
  if (port !== 0 && o.port === undefined && !(await portFree(port, host))) port = 0;

  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try { await c(); } catch { /* keep cleaning */ }
    }
  };
  try {
    const [source, target] = await Promise.all([
      startMariaDb({ serverId: 101, binlogRowMetadata: 'FULL' }),
      startMariaDb({ serverId: 102, binlogRowMetadata: 'FULL' }),
    ]);
    cleanups.push(() => source.stop(), () => target.stop());
    const replPw = secret();
    const syncPw = secret();
    await source.query(`CREATE USER 'sluice_repl'@'%' IDENTIFIED BY '${replPw}';
      GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR ON *.* TO 'sluice_repl'@'%'`);
    await target.query(`CREATE USER 'sluice_sync'@'%' IDENTIFIED BY '${syncPw}'; GRANT ALL PRIVILEGES ON *.* TO 'sluice_sync'@'%'`);
    await createSupplyChain(source, target, o.products ?? 2000);

    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const cfg = parseConfig(JSON.stringify({
      sources: { product_db: { type: 'mysql', url: 'mysql://u@localhost' } },
      targets: { service_db: { type: 'mysql', url: 'mysql://u@localhost' } },
      pipelines: [
        { name: DEMO_PIPELINES[0], source: 'product_db', target: 'service_db', tables: PRODUCT_TABLES, targetDatabase: 'order_service' },
        { name: DEMO_PIPELINES[1], source: 'product_db', target: 'service_db', tables: PRODUCT_TABLES, targetDatabase: 'purchase_service' },
      ],
    }), { format: 'json', env: {} });
    // Created in the store (not from a config file), so they can be edited in the UI like any other.
    const store = await Store.open({ dataDir });
    try {
      await store.putEndpoint({ kind: 'source', name: 'product_db', type: 'mariadb', host: source.host, port: source.port, user: 'sluice_repl', password: replPw, options: {} });
      await store.putEndpoint({ kind: 'target', name: 'service_db', type: 'mariadb', host: target.host, port: target.port, user: 'sluice_sync', password: syncPw, options: {} });
      for (const p of cfg.pipelines) await store.putPipeline(p, 'running');
    } finally {
      await store.close();
    }

    const password = secret(15);
    const env = { ...(o.env ?? process.env), SLUICE_ADMIN_PASSWORD: password, SLUICE_ADMIN_USER: 'admin' };
    const serve = await startServe({ dataDir, port, host, logger: log, env, print: (l) => process.stderr.write(`${l}\n`) });
    cleanups.push(() => serve.close());
    const writer = startWriter(source, {
      perSecond: o.writesPerSecond ?? 4,
      onError: (err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'demo writer: a change failed'),
    });
    cleanups.push(async () => { await writer.stop(); });
    let stopped: Promise<void> | null = null;
    return {
      url: serve.url, username: 'admin', password, source, target, serve, writer, dataDir, pipelines: [...DEMO_PIPELINES],
      stop: () => (stopped ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
