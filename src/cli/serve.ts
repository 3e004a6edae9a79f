/**
 * `sluice serve [--config FILE] [--data-dir DIR] [--store mysql://…|postgresql://…] [--port 8080] [--host 127.0.0.1] [--trust-proxy ADDRS] [--secure-cookies]
 * [--metrics-auth] [--tls-dir DIR] [--secret-key-file FILE]`: the control plane —
 * runs the store's pipelines and serves the web UI, the REST API, /metrics, /healthz and /readyz. The config
 * file's sources, targets and pipelines are imported into the store; its `alerts:` is a settings layer of
 * the AlertService (above PUT /api/alerts, below flags and environment variables).
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { loadConfig } from '../config/index.js';
import { PipelineManager } from '../control/pipeline-manager.js';
import { PipelineMetrics } from '../control/metrics.js';
import { ClusterMember } from '../control/cluster-member.js';
import { thisNode } from '../cluster/index.js';
import { Store, hashPassword, importConfig } from '../store/index.js';
import { createControlServer, type ControlServer } from '../server/server.js';
import { alertRoutes } from '../server/routes/alert-routes.js';
import { VerifySchedule, parseVerifyEvery } from '../verify/verify-schedule.js';
import { AlertService, alertSettingsFromEnv, type AlertFlags, type AlertServiceOptions } from '../alerts/index.js';

export const VERSION = '0.1.0';

export interface ServeOptions {
  dataDir: string;
  /** `--store`: a mysql:// (MySQL, MariaDB) or postgresql:// URL of a store shared by several nodes; none = `<data-dir>/sluice.db`. */
  store?: string;
  /** `--node-id`: this node's name in a cluster (default host:pid). */
  nodeId?: string;
  /** Cluster timings (tests): lease time to live and the period of the claim pass. */
  cluster?: { leaseMs?: number; tickMs?: number };
  configFile?: string;
  port: number;
  host: string;
  metricsAuth?: boolean;
  secureCookies?: boolean | 'auto';
  /** Proxy addresses / CIDR ranges whose X-Forwarded-For is trusted (see ControlServerOptions.trustProxy). */
  trustProxy?: boolean | string | readonly string[];
  /** Where ssl-* files of API-created endpoints live (default <data-dir>/tls). */
  tlsDir?: string;
  uiDir?: string | null;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Sampling period of the metric history (default 5000 ms). */
  sampleIntervalMs?: number;
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Where the setup link goes (default stderr). */
  print?: (line: string) => void;
  /** Alert flags of the command line (environment variables are read from `env` too), and engine timings for tests. */
  alerts?: { flags?: AlertFlags } & Pick<AlertServiceOptions, 'intervalMs' | 'purgeCheckIntervalMs' | 'retry' | 'binlogFiles' | 'restoredSettleMs'>;
  /** Verify every streaming pipeline when its last verify is older than this (`--verify-every`; default: off). */
  verifyEvery?: string;
}

export interface RunningServe {
  url: string;
  port: number;
  store: Store;
  manager: PipelineManager;
  server: ControlServer;
  alerts: AlertService;
  /** This node's cluster membership (a shared store), or null. */
  cluster: ClusterMember | null;
  /** The one-time setup token (null when an admin existed or SLUICE_ADMIN_PASSWORD created one). */
  setupToken: string | null;
  close(): Promise<void>;
}

export async function startServe(o: ServeOptions): Promise<RunningServe> {
  const env = o.env ?? process.env;
  const log = o.logger ?? createLogger('sluice');
  const print = o.print ?? ((line: string) => process.stderr.write(line + '\n'));
  const cfg = o.configFile ? await loadConfig(o.configFile, { env }) : null;
  const verifyEvery = o.verifyEvery ?? env['SLUICE_VERIFY_EVERY'];
  const verifyEveryMs = verifyEvery ? parseVerifyEvery(verifyEvery) : null;
  const store = await Store.open({ dataDir: o.dataDir, url: o.store ?? env['SLUICE_STORE'], env });
  try {
    if (cfg) await importConfig(store, cfg);
    let setupToken: string | null = null;
    if (await store.countAdmins() === 0) {
      const pw = env['SLUICE_ADMIN_PASSWORD'];
      if (pw) {
        const username = env['SLUICE_ADMIN_USER'] || 'admin';
        await store.createUser(username, 'admin', await hashPassword(pw));
        await store.audit({ actor: null, action: 'setup', target: username, details: { from: 'SLUICE_ADMIN_PASSWORD' } });
      } else {
        setupToken = randomBytes(24).toString('base64url');
      }
    }
    const clustered = store.dialect !== 'sqlite';
    let cluster: ClusterMember | null = null;
    const manager = new PipelineManager({ store, logger: log, leased: clustered, ...(clustered ? { serverIds: (name, source) => cluster!.serverIdOf(name, source), catchUpIds: (name, source, onLost) => cluster!.catchUpIdOf(name, source, onLost) } : {}), onEpochBehind: (name, stored) => { void cluster?.epochBehind(name, stored); }, ...(o.sampleIntervalMs ? { sampleIntervalMs: o.sampleIntervalMs } : {}), ...(o.retry ? { retry: o.retry } : {}) });
    const metrics = new PipelineMetrics(manager);
    const nodeId = o.nodeId ?? env['SLUICE_NODE_ID'];
    cluster = clustered ? new ClusterMember({
      store, manager, logger: log, registry: metrics.registry, node: thisNode(VERSION, nodeId || undefined),
      ...(o.cluster?.leaseMs ? { leaseMs: o.cluster.leaseMs } : {}), ...(o.cluster?.tickMs ? { tickMs: o.cluster.tickMs } : {}),
    }) : null;
    const { flags: alertFlags, ...alertTimings } = o.alerts ?? {};
    // Layers: defaults < store (PUT /api/alerts) < the config file's alerts: < environment/flags.
    const alerts = new AlertService({
      store, manager, logger: log, env, ...(cfg?.alerts ? { fromConfig: cfg.alerts } : {}), fromEnvironment: alertSettingsFromEnv(env, alertFlags), ...alertTimings,
      ...(cluster ? { cluster: { nodeId: cluster.nodeId, leases: cluster.leases, leaseMs: cluster.leaseMs, view: () => cluster!.view(), statuses: (names) => cluster!.statuses(names) } } : {}),
    });
    await alerts.load();
    const server = await createControlServer({
      ...(cluster ? { cluster } : {}),
      store, manager, metrics, logger: log, version: VERSION, setupToken, extraRoutes: alertRoutes(alerts), exportAlerts: () => alerts.exportSection(),
      ...(o.secureCookies !== undefined ? { secureCookies: o.secureCookies } : {}),
      ...(o.trustProxy !== undefined ? { trustProxy: o.trustProxy } : {}),
      ...(o.metricsAuth !== undefined ? { metricsAuth: o.metricsAuth } : {}),
      ...(o.uiDir !== undefined ? { uiDir: o.uiDir } : {}),
      tlsDir: resolve(o.tlsDir ?? env['SLUICE_TLS_DIR'] ?? join(o.dataDir, 'tls')),
    });
    await server.app.listen({ port: o.port, host: o.host });
    const addr = server.app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : o.port;
    const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
    await manager.startAll();
    if (cluster) await cluster.start();
    alerts.start();
    const schedule = verifyEveryMs !== null ? new VerifySchedule({
      names: () => manager.names(),
      isStreaming: async (name) => (await manager.status(name)).state === 'streaming',
      isRunning: (name) => manager.latestVerify(name)?.state === 'running',
      lastCheckedAt: async (name) => {
        const times = (await manager.lastVerifyResults(name)).map((r) => Date.parse(r.checkedAt)).filter(Number.isFinite);
        return times.length > 0 ? Math.max(...times) : null;
      },
      start: async (name) => {
        await manager.verify(name, {});
        log.info({ pipeline: name }, 'scheduled verify started');
      },
    }, verifyEveryMs, (pipeline, err) => log.warn({ pipeline, err: String(err) }, 'scheduled verify could not start')) : null;
    schedule?.start();
    server.readiness.ready = true;
    if (setupToken) print(`sluice: no admin yet — create one at ${url}/setup?token=${setupToken} (one-time link, valid until the first admin exists)`);
    log.info({ address: url, dataDir: o.dataDir, store: store.location.describe, pipelines: await manager.names() }, 'sluice serve started');
    let closed = false;
    return {
      url, port, store, manager, server, alerts, cluster, setupToken,
      close: async () => {
        if (closed) return;
        closed = true;
        server.readiness.ready = false;
        schedule?.close();
        await server.app.close();
        await alerts.close();
        await cluster?.close();
        await manager.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** The CLI command; runs until SIGINT/SIGTERM. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      store: { type: 'string' },
      'node-id': { type: 'string' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'metrics-auth': { type: 'boolean' },
      'secure-cookies': { type: 'boolean' },
      'trust-proxy': { type: 'string' },
      'tls-dir': { type: 'string' },
      'secret-key-file': { type: 'string' },
      'alert-webhook': { type: 'string' },
      'alert-smtp': { type: 'string' },
      'alert-email-to': { type: 'string', multiple: true },
      'alert-email-from': { type: 'string' },
      'alert-lag-seconds': { type: 'string' },
      'alert-lag-for': { type: 'string' },
      'alert-purge-files': { type: 'string' },
      'verify-every': { type: 'string' },
    },
  });
  const port = Number(values.port ?? process.env['SLUICE_PORT'] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SluiceError('BAD_ARGUMENT', `invalid --port ${values.port}`, 'use a port number from 0 to 65535');
  const running = await startServe({
    dataDir: values['data-dir'] ?? process.env['SLUICE_DATA_DIR'] ?? 'sluice-data',
    ...(values.config ? { configFile: values.config } : {}),
    ...(values.store ? { store: values.store } : {}),
    ...(values['node-id'] ? { nodeId: values['node-id'] } : {}),
    port, host: values.host ?? '127.0.0.1',
    metricsAuth: values['metrics-auth'] ?? false,
    secureCookies: values['secure-cookies'] ? true : 'auto',
    trustProxy: values['trust-proxy'] ?? process.env['SLUICE_TRUST_PROXY'] ?? false,
    ...(values['tls-dir'] ? { tlsDir: values['tls-dir'] } : {}),
    ...(values['verify-every'] ? { verifyEvery: values['verify-every'] } : {}),
    ...(values['secret-key-file'] ? { env: { ...process.env, SLUICE_SECRET_KEY_FILE: values['secret-key-file'] } } : {}),
    alerts: { flags: {
      ...(values['alert-webhook'] ? { webhook: values['alert-webhook'] } : {}),
      ...(values['alert-smtp'] ? { smtpUrl: values['alert-smtp'] } : {}),
      ...(values['alert-email-to'] ? { emailTo: values['alert-email-to'] } : {}),
      ...(values['alert-email-from'] ? { emailFrom: values['alert-email-from'] } : {}),
      ...(values['alert-lag-seconds'] ? { lagSeconds: values['alert-lag-seconds'] } : {}),
      ...(values['alert-lag-for'] ? { lagForSeconds: values['alert-lag-for'] } : {}),
      ...(values['alert-purge-files'] ? { purgeWarnFiles: values['alert-purge-files'] } : {}),
    } },
  });
  process.stderr.write(`sluice serve: listening on ${running.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await running.close();
  return 0;
}
