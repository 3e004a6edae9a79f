/**
 * Alerts in `sluice serve`: the settings layers (defaults, store, the --config file's `alerts:`,
 * environment/flags) and the engine. The admin API (`GET/PUT /api/alerts`, …) is in
 * src/server/routes/alert-routes.ts; fields set by the config file or the command line are read-only there.
 */
import type { Logger } from '../log.js';
import type { PipelineManager } from '../control/pipeline-manager.js';
import type { Store } from '../store/store.js';
import { alertsSection, type ExportedAlerts } from '../store/config-sync.js';
import type { RetryOptions } from './channels.js';
import { AlertEngine, type BinlogFiles } from './engine.js';
import { EvaluatorLease } from './evaluator-lease.js';
import type { LeaseBackend } from '../cluster/index.js';
import type { ClusterView } from '../control/cluster-view.js';
import type { PipelineStatus } from '../control/pipeline-status.js';
import { AlertSettingsStore } from './settings-store.js';
import { fieldsOf, mergeAlertSettings, publicAlertSettings, type AlertSettings, type AlertSettingsInput } from '../config/alert-settings.js';

export interface AlertServiceOptions {
  store: Store;
  manager: PipelineManager;
  logger: Logger;
  /** The `alerts:` section of the --config file (wins over the stored settings; read-only in the API). */
  fromConfig?: AlertSettingsInput;
  /** Settings from the environment and the command line (win over the config file; read-only in the API). */
  fromEnvironment?: AlertSettingsInput;
  env?: NodeJS.ProcessEnv;
  intervalMs?: number;
  purgeCheckIntervalMs?: number;
  retry?: RetryOptions;
  binlogFiles?: (sourceUrl: string) => Promise<BinlogFiles>;
  restoredSettleMs?: number;
  /**
   * A cluster on a shared store: one node evaluates (the holder of the `alerts` lease) and the node-lost and
   * no-owner rules apply.
   */
  cluster?: AlertClusterOptions;
}

export interface AlertClusterOptions {
  nodeId: string;
  leases: LeaseBackend;
  /** The lease time of the evaluator role (the cluster's lease time). */
  leaseMs: number;
  view: () => Promise<ClusterView>;
  /** Every pipeline's status as the cluster knows it (ClusterMember.statuses). */
  statuses: (names: readonly string[]) => Promise<PipelineStatus[]>;
}

/** A published status older than this is not evidence (the owner is stuck or cut off from the store). */
const FRESH_REPORT_MS = 15_000;

/**
 * A cluster: the statuses of pipelines as the cluster knows them (one read of the store for all of them) — the
 * live status on its owner, the owner's recent report (status publication, see control/status-publisher.ts) on
 * the other nodes, and pipelines that should not run (paused, stopped); null while nobody can tell (no owner, or
 * no fresh report): its failed, lag and purge incidents then hold, and the no-owner rule speaks.
 */
export function clusterStatus(statuses: (names: readonly string[]) => Promise<PipelineStatus[]>): (names: readonly string[]) => Promise<Array<PipelineStatus | null>> {
  return async (names) => (await statuses(names)).map((st) => {
    if (st.desiredState !== 'running' || st.owner === null || st.owner.self) return st;
    return st.owner.node !== null && st.owner.reportAgeMs !== null && st.owner.reportAgeMs <= FRESH_REPORT_MS ? st : null;
  });
}

export class AlertService {
  readonly engine: AlertEngine;
  private readonly saved: AlertSettingsStore;
  private readonly configLayer: AlertSettingsInput;
  private readonly envLayer: AlertSettingsInput;
  private readonly log: Logger;

  constructor(o: AlertServiceOptions) {
    this.log = o.logger.child({ component: 'alerts' });
    this.saved = new AlertSettingsStore(o.store);
    this.configLayer = o.fromConfig ?? {};
    this.envLayer = o.fromEnvironment ?? {};
    this.engine = new AlertEngine({
      manager: o.manager, store: o.store, logger: o.logger, settings: () => this.settings(),
      ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
      ...(o.purgeCheckIntervalMs !== undefined ? { purgeCheckIntervalMs: o.purgeCheckIntervalMs } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
      ...(o.binlogFiles ? { binlogFiles: o.binlogFiles } : {}),
      ...(o.restoredSettleMs !== undefined ? { restoredSettleMs: o.restoredSettleMs } : {}),
      ...(o.cluster ? {
        cluster: o.cluster.view, statuses: clusterStatus(o.cluster.statuses),
        gate: new EvaluatorLease(o.cluster.leases, o.cluster.nodeId, o.cluster.leaseMs, o.logger),
      } : {}),
    });
  }

  /** The settings in force. */
  settings(): AlertSettings {
    return mergeAlertSettings(this.saved.get(), this.configLayer, this.envLayer);
  }

  /**
   * The settings in force as the `alerts:` section of an exported config file (only the fields some layer
   * sets; secrets as `${ENV}` references), or undefined when nothing is set.
   */
  exportSection(): ExportedAlerts | undefined {
    return alertsSection(this.settings(), [...fieldsOf(this.saved.get()), ...fieldsOf(this.configLayer), ...fieldsOf(this.envLayer)]);
  }

  /** Read the stored settings and alert state (before start()). */
  async load(): Promise<void> {
    await this.saved.load();
    await this.engine.load();
  }

  start(): void {
    const p = publicAlertSettings(this.settings());
    const channels = this.engine.channelNames();
    this.log.info({ channels, webhook: p.webhookUrl, emailTo: p.smtp?.to.length ?? 0, lagSeconds: p.lagSeconds, lagForSeconds: p.lagForSeconds,
      purgeWarnFiles: p.purgeWarnFiles, setByConfig: fieldsOf(this.configLayer) },
    channels.length ? 'alerts on' : 'alerts: no channel configured (set alerts: in the --config file, --alert-webhook or SLUICE_SMTP_URL + --alert-email-to, or PUT /api/alerts)');
    this.engine.start();
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  /** What the API's GET /api/alerts shows. */
  view(): Record<string, unknown> {
    return {
      alerts: publicAlertSettings(this.settings()),
      channels: this.engine.channelNames(),
      setByConfig: fieldsOf(this.configLayer),
      setByEnvironment: fieldsOf(this.envLayer),
    };
  }

  /** The settings kept in the store (the layer PUT /api/alerts changes), read again (another node may have changed them). */
  storedSettings(): Promise<AlertSettingsInput> {
    return this.saved.load();
  }

  saveSettings(settings: AlertSettingsInput): Promise<void> {
    return this.saved.put(settings);
  }

  /** The read-only layers: the config file's `alerts:` and the environment/flags. */
  lockedLayers(): { config: AlertSettingsInput; env: AlertSettingsInput } {
    return { config: this.configLayer, env: this.envLayer };
  }
}
