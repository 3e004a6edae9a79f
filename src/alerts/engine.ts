/**
 * The alert engine of `sluice serve`: every few seconds it reads each pipeline's status from the
 * PipelineManager and evaluates four rules —
 *
 *  - `failed`: the pipeline stopped with a permanent error;
 *  - `lag`:    lag above `lagSeconds` for at least `lagForSeconds` (while streaming);
 *  - `purge`:  the binlog file the pipeline needs is the oldest on the source, or within `purgeWarnFiles`
 *              files of it (the active file is never at risk), or already gone;
 *  - `drift`:  the last verify of a table of the pipeline (kept in the store) found rows that differ from the
 *              source and no later check (or repair) found it equal;
 *
 * and, in a cluster (`cluster`), the rules of cluster-rules.ts: `node-lost` and `no-owner`.
 *
 * An incident opens when a rule starts to hold for a pipeline and ends when it stops holding: one message
 * when it opens and one "recovered" notice when it ends — never more while it lasts (deduplicated by rule +
 * pipeline). Messages go to every configured channel, in order, with retries; secrets (database and SMTP
 * passwords, URL credentials, the webhook URL) are scrubbed from every text that leaves the process.
 *
 * Open incidents and the latest notifications are kept in the store (state-store.ts), so a restart of
 * `sluice serve` neither repeats the firing message of an incident that still holds nor forgets the
 * "recovered" notice of one that ended. After a restart the engine does not yet know how a pipeline is
 * doing (it is starting again, its checkpoint and lag are unknown): a restored incident holds until its
 * rule has stopped holding for `restoredSettleMs`, so a pipeline that is relaunched and fails again at
 * once (e.g. on the same DDL) does not send "recovered" and then "failed" again.
 *
 * In a cluster only one node evaluates (`gate`: the holder of the `alerts` lease, evaluator-lease.ts); the
 * others reload the state from the store at each period (for GET /api/alerts/incidents) and send nothing. A
 * node that becomes the evaluator starts from the state in the store, so a handover sends nothing twice.
 */
import type { Logger } from '../log.js';
import type { PipelineManager } from '../control/pipeline-manager.js';
import type { PipelineStatus } from '../control/pipeline-status.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';
import { toSourceConfig, type Store } from '../store/store.js';
import { EmailChannel, WebhookChannel, type AlertChannel, type AlertMessage, type DeliveryResult, type RetryOptions } from './channels.js';
import { secretsOf, type AlertSettings } from '../config/alert-settings.js';
import { AlertStateStore } from './state-store.js';
import { CLUSTER_RULES, clusterVerdicts, type ClusterRule } from './cluster-rules.js';
import type { EvaluatorGate } from './evaluator-lease.js';
import type { ClusterView } from '../control/cluster-view.js';

export type AlertRule = 'failed' | 'lag' | 'purge' | 'drift' | ClusterRule;

export interface Incident {
  rule: AlertRule;
  /** The pipeline — or, for `node-lost`, the node. */
  pipeline: string;
  openedAt: string;
  /** What the firing message said (first line). */
  summary: string;
}

export interface Notification {
  time: string;
  kind: 'firing' | 'recovered' | 'test';
  rule: AlertRule | null;
  pipeline: string | null;
  title: string;
  deliveries: DeliveryResult[];
}

/** The binlog files of a source: the active one and all kept, oldest first. */
export interface BinlogFiles { file: string; files: Array<{ name: string }> }

export interface AlertEngineOptions {
  manager: PipelineManager;
  store: Store;
  logger: Logger;
  /** The settings in force (read at every evaluation, so changes apply at the next one). */
  settings: () => AlertSettings;
  /** Evaluation period (default 5000 ms). */
  intervalMs?: number;
  /** How often each source's binlog list is read for the purge rule (default 30000 ms). */
  purgeCheckIntervalMs?: number;
  /** Delivery retries (tests use short delays). */
  retry?: RetryOptions;
  /** Reads a source's binlog list (default: SHOW BINARY LOGS through ReplicationSession.serverStatus). */
  binlogFiles?: (sourceUrl: string) => Promise<BinlogFiles>;
  /**
   * An incident restored from the store (open before a restart) ends only after its rule has not held for
   * this long (default 30000 ms): the pipelines are just being relaunched and may fail again at once.
   */
  restoredSettleMs?: number;
  /** A cluster's nodes and leases (GET /api/cluster): the node-lost and no-owner rules. */
  cluster?: () => Promise<ClusterView>;
  /** Whether this node evaluates now (a cluster: the holder of the `alerts` lease); default always. */
  gate?: EvaluatorGate;
  /**
   * The pipelines' statuses for the rules failed, lag and purge, in the order of `names`, read once per
   * evaluation; null for one this node cannot know (a cluster: no owner or no fresh report), whose incident (if
   * any) holds. Default: the manager's.
   */
  statuses?: (names: readonly string[]) => Promise<Array<PipelineStatus | null>>;
}

interface Open extends Incident {
  opened: number;
  /** Loaded from the store at start (open before this process). */
  restored: boolean;
  /** The firing message was handed to the channels (by this process or, per the store, an earlier one). */
  notified: boolean;
  /** Restored incidents: since when the rule has not held (null: it holds, or not evaluated yet). */
  clearSince: number | null;
}

const RULE_TEXT: Record<AlertRule, string> = {
  failed: 'failed', lag: 'lag above the threshold', purge: 'binlog about to be purged', drift: 'target differs from the source',
  'node-lost': 'lost', 'no-owner': 'without owner',
};
/** Rules whose facts come from the store (not from a pipeline run): a restored incident needs no settling time. */
const STORE_FACTS: ReadonlySet<AlertRule> = new Set<AlertRule>(CLUSTER_RULES);
const subjectOf = (rule: AlertRule, subject: string): string => (rule === 'node-lost' ? `node ${subject}` : `pipeline ${subject}`);
/** Notifications kept (in the store) and shown by GET /api/alerts/incidents. */
export const ALERT_HISTORY = 200;

export class AlertEngine {
  private readonly log: Logger;
  private readonly open = new Map<string, Open>();
  private readonly lagSince = new Map<string, number>();
  private readonly ownerlessSince = new Map<string, number>();
  /** A cluster: this node held the evaluator role at its last evaluation. */
  private evaluator = false;
  private readonly purgeState = new Map<string, { checked: number; risk: { file: string; oldest: string; count: number; gone: boolean } | null; source: string }>();
  private sent: Notification[] = [];
  /** Passwords of the stored endpoints (scrubbed from every message), refreshed at each evaluation. */
  private endpointSecrets: string[] = [];
  private readonly state: AlertStateStore;
  private timer: NodeJS.Timeout | null = null;
  private evaluating: Promise<void> | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** Writes of the alert state to the store, one after the other. */
  private writes: Promise<void> = Promise.resolve();
  private channels: AlertChannel[] = [];
  private channelKey = '';
  private closed = false;

  constructor(private readonly o: AlertEngineOptions) {
    this.log = o.logger.child({ component: 'alerts' });
    this.state = new AlertStateStore(o.store);
  }

  /** Restore the incidents open before a restart and the latest notifications from the store (before start()). */
  async load(): Promise<void> {
    const stored = await this.state.incidents();
    this.open.clear();
    for (const i of stored) {
      this.open.set(keyOf(i.rule, i.pipeline), {
        rule: i.rule, pipeline: i.pipeline, opened: i.opened, openedAt: new Date(i.opened).toISOString(), summary: i.summary,
        restored: true, notified: i.notified, clearSince: null,
      });
    }
    this.sent = await this.state.notifications(ALERT_HISTORY);
    await this.refreshSecrets();
    if (this.open.size > 0 && (!this.o.gate || this.evaluator)) this.log.info({ incidents: this.incidents().map((i) => `${i.rule}:${i.pipeline}`) }, 'alert incidents open before the restart restored');
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => { void this.evaluate(); }, this.o.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** Open incidents. */
  incidents(): Incident[] {
    return [...this.open.values()].map(({ rule, pipeline, openedAt, summary }) => ({ rule, pipeline, openedAt, summary }));
  }

  /** The latest notifications, newest first. */
  history(): Notification[] {
    return [...this.sent];
  }

  /** Names of the channels the settings configure. */
  channelNames(): string[] {
    this.refreshChannels();
    return this.channels.map((c) => c.name);
  }

  /** One evaluation of every rule (the timer calls this; tests may too). Overlapping calls share one run. */
  evaluate(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.evaluating ??= this.evaluateOnce().catch((err: unknown) => {
      this.log.warn({ err: this.scrub(String(err)) }, 'alert evaluation failed');
    }).finally(() => { this.evaluating = null; });
    return this.evaluating;
  }

  /** Send a test message to every channel now; resolves with the delivery results. */
  async test(by: string): Promise<DeliveryResult[]> {
    this.refreshChannels();
    await this.refreshSecrets();
    const msg: AlertMessage = { title: '[Sluice] Test alert', body: `A test message requested by ${by}. Alerts reach this channel.` };
    return this.deliver(msg, 'test', null, null);
  }

  /** Wait until every queued message was delivered (or given up). */
  async flush(): Promise<void> {
    await this.evaluating;
    await this.queue;
    await this.writes;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    await this.o.gate?.release();
    for (const c of this.channels) if (c instanceof EmailChannel) c.close();
  }

  // ── rules ────────────────────────────────────────────────────────────────────────────────────

  private async evaluateOnce(): Promise<void> {
    if (!(await this.takeTurn())) return;
    const s = this.o.settings();
    this.refreshChannels(s);
    await this.refreshSecrets();
    const names = new Set(await this.o.manager.names());
    for (const [key, inc] of [...this.open]) {
      if (!STORE_FACTS.has(inc.rule) && !names.has(inc.pipeline)) { // deleted pipelines end silently
        this.open.delete(key);
        this.persist(() => this.state.close(inc.rule, inc.pipeline));
      }
    }
    const list = [...names];
    const statuses = this.o.statuses ? await this.o.statuses(list) : null;
    for (const [i, name] of list.entries()) {
      const st = statuses ? statuses[i] ?? null : await this.o.manager.status(name);
      if (st) {
        this.ruleFailed(st);
        this.ruleLag(st, s);
        await this.rulePurge(st, s);
      }
      await this.ruleDrift(name);
    }
    if (this.o.cluster) this.ruleCluster(await this.o.cluster(), s);
  }

  /**
   * A cluster: whether this node evaluates now. Taking the role over, it starts from the state in the store
   * (the previous evaluator's incidents and notifications); without it, it only mirrors that state.
   */
  private async takeTurn(): Promise<boolean> {
    const gate = this.o.gate;
    if (!gate) return true;
    const held = await gate.hold();
    if (held && this.evaluator) return true;
    await this.queue; // messages this node queued while it was the evaluator leave (or are dropped) first
    await this.writes;
    this.evaluator = held;
    await this.load();
    if (!held) {
      this.lagSince.clear();
      this.ownerlessSince.clear();
      this.purgeState.clear();
    }
    return held;
  }

  /** node-lost and no-owner (cluster-rules.ts) over the view of the cluster. */
  private ruleCluster(view: ClusterView, s: AlertSettings): void {
    const verdicts = clusterVerdicts(view, s, this.ownerlessSince, Date.now());
    const judged = new Set(verdicts.map((v) => keyOf(v.rule, v.subject)));
    for (const v of verdicts) {
      if (v.state === 'holds') this.fire(v.rule, v.subject, v.title, v.body);
      else if (v.state === 'clear') this.recover(v.rule, v.subject, v.title);
    }
    for (const inc of [...this.open.values()]) {
      if (!STORE_FACTS.has(inc.rule) || judged.has(keyOf(inc.rule, inc.pipeline))) continue;
      // A node removed from the cluster (left cleanly, or forgotten): its incident ends with a notice; a pipeline gone: silently.
      if (inc.rule === 'node-lost') this.recover(inc.rule, inc.pipeline, 'removed from the cluster');
      else {
        this.open.delete(keyOf(inc.rule, inc.pipeline));
        this.persist(() => this.state.close(inc.rule, inc.pipeline));
      }
    }
  }

  /** Tables whose last verify found differences still there; only names and counts leave (no row values). */
  private async ruleDrift(name: string): Promise<void> {
    const drifted = (await this.o.manager.lastVerifyResults(name))
      .map((r) => ({ table: r.table, rows: r.recheckMismatchedRows ?? r.mismatchedRows, at: r.checkedAt }))
      .filter((r) => r.rows > 0);
    if (drifted.length === 0) {
      this.recover('drift', name, 'every verified table equal');
      return;
    }
    const rows = drifted.reduce((n, r) => n + r.rows, 0);
    this.fire('drift', name, `[Sluice] DRIFT: pipeline ${name}: ${rows} row(s) on the target differ from the source in ${drifted.length} table(s)`,
      [...drifted.map((r) => `${r.table}: ${r.rows} differing row(s) (verified ${r.at})`),
        'Fix: see the differing rows in the Verify panel of the pipeline page and Repair the table there (or sluice verify --repair);'
        + ' find out who writes to the copy (sluice guard makes the copied tables refuse other writers).'].join('\n'));
  }

  private ruleFailed(st: PipelineStatus): void {
    if (st.state === 'failed') {
      const e = st.recentErrors[0];
      this.fire('failed', st.name, `[Sluice] FAILED: pipeline ${st.name}${e ? ` - ${e.code}` : ''}`,
        [e ? `${e.code}: ${e.message}` : 'The pipeline stopped with an error.', e?.fix ? `Fix: ${e.fix}` : '',
          'Retry it from the pipeline page (or POST /api/pipelines/{name}/retry) once the cause is fixed.'].filter(Boolean).join('\n'));
    } else if (st.state !== 'starting' && st.state !== 'retrying') { // starting, retrying: not known yet, the incident holds
      this.recover('failed', st.name, `state now ${st.state}`);
    }
  }

  private ruleLag(st: PipelineStatus, s: AlertSettings): void {
    if (st.state === 'failed' || st.state === 'retrying' || st.state === 'starting') return; // lag unknown: the incident holds
    const now = Date.now();
    const lag = st.lagSeconds;
    if (st.state === 'streaming' && lag !== null && lag > s.lagSeconds) {
      const since = this.lagSince.get(st.name) ?? now;
      this.lagSince.set(st.name, since);
      const open = this.open.get(keyOf('lag', st.name));
      if (open) open.clearSince = null; // the lag is back above the threshold: a restored incident goes on
      if (now - since >= s.lagForSeconds * 1000) {
        this.fire('lag', st.name, `[Sluice] LAG: pipeline ${st.name} is ${lag.toFixed(1)} s behind the source`,
          `Lag has been above ${s.lagSeconds} s for ${Math.round((now - since) / 1000)} s (alert after ${s.lagForSeconds} s).\n`
          + 'Fix: check the target (slow or locked tables, disk), the pipeline\'s errors and its rows/s; raise tuning.batchSize for bulk loads.');
      }
    } else {
      this.lagSince.delete(st.name);
      this.recover('lag', st.name, st.state === 'streaming' ? `lag now ${lag === null ? 'unknown' : `${lag.toFixed(1)} s`}` : `pipeline is ${st.state}`);
    }
  }

  private async rulePurge(st: PipelineStatus, s: AlertSettings): Promise<void> {
    const rec = await this.o.store.getPipeline(st.name);
    if (!rec) return;
    if (!st.position) return; // no checkpoint known in this process: the incident (if any) holds
    const now = Date.now();
    let ps = this.purgeState.get(st.name);
    const due = !ps || ps.source !== rec.config.source || now - ps.checked >= (this.o.purgeCheckIntervalMs ?? 30_000);
    if (due) {
      const ep = await this.o.store.getEndpoint('source', rec.config.source);
      if (!ep) return;
      let files: BinlogFiles;
      try {
        files = await (this.o.binlogFiles ?? defaultBinlogFiles)(toSourceConfig(ep).url);
      } catch (err) {
        this.log.debug({ pipeline: st.name, err: this.scrub(String(err)) }, 'cannot read the source binlog list for the purge rule');
        return; // source unreachable: other alerts cover it; the incident (if any) holds
      }
      ps = { checked: now, source: rec.config.source, risk: purgeRisk(st.position.file, files, s.purgeWarnFiles) };
      this.purgeState.set(st.name, ps);
    }
    const risk = ps!.risk;
    if (risk) {
      this.fire('purge', st.name, risk.gone
        ? `[Sluice] BINLOG PURGED: pipeline ${st.name} needs ${risk.file}, no longer on source ${rec.config.source}`
        : `[Sluice] BINLOG PURGE RISK: pipeline ${st.name} needs ${risk.file}, ${risk.count === 0 ? 'the oldest binlog' : `${risk.count} file(s) from the oldest binlog`} on source ${rec.config.source}`,
      risk.gone
        ? `The pipeline's position is in ${risk.file}; the oldest binlog on the source is ${risk.oldest}. It cannot resume from there: re-create it with a new snapshot.`
        : `The pipeline's position is in ${risk.file}; the oldest binlog kept by the source is ${risk.oldest}. When the source purges it, the pipeline cannot resume and needs a new snapshot.\n`
          + 'Fix: resume or repair the pipeline so it catches up, or keep binlogs longer on the source (binlog_expire_logs_seconds / expire_logs_days), and do not PURGE BINARY LOGS past it.');
    } else {
      this.recover('purge', st.name, `position now in ${st.position.file}`);
    }
  }

  // ── incidents ────────────────────────────────────────────────────────────────────────────────

  private fire(rule: AlertRule, pipeline: string, title: string, body: string): void {
    const key = keyOf(rule, pipeline);
    const existing = this.open.get(key);
    if (existing) {
      existing.clearSince = null; // (restored) the rule holds again: the incident goes on
      // Restored, but the earlier process ended before handing its firing message to the channels: send it now.
      if (!existing.notified) this.announce(existing, title, body);
      return;
    }
    const t = Date.now();
    const inc: Open = { rule, pipeline, openedAt: new Date(t).toISOString(), opened: t, summary: this.scrub(title), restored: false, notified: false, clearSince: null };
    this.open.set(key, inc);
    this.persist(() => this.state.open({ rule, pipeline, opened: t, summary: inc.summary, notified: false }));
    this.log.warn({ rule, pipeline }, `alert: ${inc.summary}`);
    this.announce(inc, title, body);
  }

  private announce(inc: Open, title: string, body: string): void {
    inc.notified = true;
    void this.deliver({ title, body }, 'firing', inc.rule, inc.pipeline, () => this.state.notified(inc.rule, inc.pipeline, inc.opened));
  }

  private recover(rule: AlertRule, pipeline: string, why: string): void {
    const key = keyOf(rule, pipeline);
    const inc = this.open.get(key);
    if (!inc) return;
    if (inc.restored && !STORE_FACTS.has(rule)) {
      const t = Date.now();
      inc.clearSince ??= t;
      if (t - inc.clearSince < (this.o.restoredSettleMs ?? 30_000)) return;
    }
    this.open.delete(key);
    this.persist(() => this.state.close(rule, pipeline));
    if (!inc.notified) {
      this.log.info({ rule, pipeline }, 'alert incident ended before its message was sent: no notice');
      return;
    }
    const secs = Math.round((Date.now() - inc.opened) / 1000);
    const title = `[Sluice] RECOVERED: ${subjectOf(rule, pipeline)} - ${RULE_TEXT[rule]} (${why})`;
    this.log.info({ rule, pipeline, seconds: secs }, `alert recovered: ${this.scrub(title)}`);
    void this.deliver({ title, body: `The incident opened at ${inc.openedAt} ("${inc.summary}") ended after ${secs} s.` }, 'recovered', rule, pipeline);
  }

  /**
   * Queue one message to every channel (messages leave in order); the result lands in the history (and the
   * store), then `done` runs.
   */
  private deliver(msg: AlertMessage, kind: Notification['kind'], rule: AlertRule | null, pipeline: string | null, done?: () => Promise<void>): Promise<DeliveryResult[]> {
    const clean: AlertMessage = { title: this.scrub(msg.title), body: this.scrub(msg.body) };
    const channels = [...this.channels];
    const run = this.queue.then(async () => {
      if (kind !== 'test' && this.o.gate && !this.o.gate.valid) {
        // A cluster: this node lost the evaluator role since it decided to send; the next evaluator decides again from the store.
        this.log.warn({ rule, pipeline }, 'alert not sent: this node no longer evaluates the alerts');
        return [];
      }
      const deliveries = (await Promise.all(channels.map((c) => c.send(clean))))
        .map((d) => (d.error !== undefined ? { ...d, error: this.scrub(d.error) } : d));
      for (const d of deliveries) {
        if (!d.ok) this.log.error({ channel: d.channel, attempts: d.attempts, err: d.error ?? '' }, 'alert not delivered');
      }
      const n: Notification = { time: new Date().toISOString(), kind, rule, pipeline, title: clean.title, deliveries };
      this.sent.unshift(n);
      if (this.sent.length > ALERT_HISTORY) this.sent.length = ALERT_HISTORY;
      this.persist(() => this.state.addNotification(n, ALERT_HISTORY));
      if (done) this.persist(done);
      return deliveries;
    });
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  /** A write to the store; a failure (e.g. the store closed under a late delivery) is logged, not thrown. */
  private persist(write: () => Promise<void>): void {
    // In order (an incident's open, notified and close must not overtake each other on a pooled store).
    this.writes = this.writes.then(write).catch((err: unknown) => {
      this.log.warn({ err: this.scrub(String(err)) }, 'cannot save the alert state in the store');
    });
  }

  private async refreshSecrets(): Promise<void> {
    const secrets: string[] = [];
    try {
      for (const kind of ['source', 'target'] as const) for (const e of await this.o.store.listEndpoints(kind)) if (e.password) secrets.push(e.password, encodeURIComponent(e.password));
      this.endpointSecrets = secrets;
    } catch { /* store closed or unreachable: keep the ones known */ }
  }

  private refreshChannels(s: AlertSettings = this.o.settings()): void {
    const key = JSON.stringify([s.webhookUrl, s.smtp]);
    if (key === this.channelKey) return;
    this.channelKey = key;
    for (const c of this.channels) if (c instanceof EmailChannel) c.close();
    this.channels = [];
    if (s.webhookUrl) this.channels.push(new WebhookChannel(s.webhookUrl, this.o.retry));
    if (s.smtp) this.channels.push(new EmailChannel(s.smtp, this.o.retry));
  }

  /** Remove secrets from a text: URL credentials, stored database passwords, the alert settings' secrets. */
  private scrub(text: string): string {
    let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi, '$1:***@');
    const secrets = [...secretsOf(this.o.settings()), ...this.endpointSecrets];
    for (const sec of secrets.filter((x) => x.length >= 3).sort((a, b) => b.length - a.length)) out = out.split(sec).join('***');
    return out;
  }
}

function keyOf(rule: AlertRule, pipeline: string): string {
  return `${rule}\u0000${pipeline}`;
}

/** Whether a pipeline at `file` risks losing its binlog: null when safe. */
export function purgeRisk(file: string, b: BinlogFiles, warnFiles: number): { file: string; oldest: string; count: number; gone: boolean } | null {
  if (b.files.length === 0 || !file) return null;
  const oldest = b.files[0]!.name;
  const idx = b.files.findIndex((f) => f.name === file);
  if (idx < 0) return file < oldest ? { file, oldest, count: -1, gone: true } : null;
  if (file === b.file) return null; // the active file cannot be purged
  return idx <= warnFiles ? { file, oldest, count: idx, gone: false } : null;
}

async function defaultBinlogFiles(url: string): Promise<BinlogFiles> {
  const st = await ReplicationSession.serverStatus(url);
  return { file: st.file, files: st.files };
}
