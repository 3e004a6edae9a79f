/**
 * What the alert engine must remember across restarts of `sluice serve`, kept in the control-plane store
 * (`sluice.db`, its own tables created on first use like `alert_settings`): the open incidents — so an
 * incident that still holds after a restart sends no second "firing" message, and one that ended while
 * the server was down gets its "recovered" notice — and the latest notifications shown by the API.
 *
 * Nothing here is secret: titles and summaries are scrubbed (passwords, URL credentials, the webhook URL)
 * before they are stored, like everything else that leaves the engine.
 */
import type { Store } from '../store/store.js';
import type { DeliveryResult } from './channels.js';
import type { AlertRule, Notification } from './engine.js';

export interface StoredIncident {
  rule: AlertRule;
  pipeline: string;
  /** ms since the epoch. */
  opened: number;
  summary: string;
  /** Whether the firing message was handed to the channels (false: the process ended before). */
  notified: boolean;
}

interface IncidentRow { rule: string; pipeline: string; opened_at: number; summary: string; notified: number }
interface NotificationRow { time: string; kind: string; rule: string | null; pipeline: string | null; title: string; deliveries: string }

const RULES: readonly string[] = ['failed', 'lag', 'purge', 'drift'];
const KINDS: readonly string[] = ['firing', 'recovered', 'test'];

export class AlertStateStore {
  constructor(private readonly store: Store) {
    store.db.exec(`CREATE TABLE IF NOT EXISTS alert_incidents (
        rule TEXT NOT NULL, pipeline TEXT NOT NULL, opened_at INTEGER NOT NULL, summary TEXT NOT NULL,
        notified INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (rule, pipeline));
      CREATE TABLE IF NOT EXISTS alert_notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, kind TEXT NOT NULL, rule TEXT, pipeline TEXT,
        title TEXT NOT NULL, deliveries TEXT NOT NULL)`);
  }

  incidents(): StoredIncident[] {
    const rows = this.store.db.prepare('SELECT rule, pipeline, opened_at, summary, notified FROM alert_incidents ORDER BY opened_at').all() as IncidentRow[];
    return rows.filter((r) => RULES.includes(r.rule)).map((r) => ({
      rule: r.rule as AlertRule, pipeline: r.pipeline, opened: r.opened_at, summary: r.summary, notified: r.notified === 1,
    }));
  }

  open(i: StoredIncident): void {
    this.store.db.prepare('INSERT OR REPLACE INTO alert_incidents (rule, pipeline, opened_at, summary, notified) VALUES (?, ?, ?, ?, ?)')
      .run(i.rule, i.pipeline, i.opened, i.summary, i.notified ? 1 : 0);
  }

  /** The firing message of this incident (opened at `opened`) went to the channels. */
  notified(rule: AlertRule, pipeline: string, opened: number): void {
    this.store.db.prepare('UPDATE alert_incidents SET notified = 1 WHERE rule = ? AND pipeline = ? AND opened_at = ?').run(rule, pipeline, opened);
  }

  close(rule: AlertRule, pipeline: string): void {
    this.store.db.prepare('DELETE FROM alert_incidents WHERE rule = ? AND pipeline = ?').run(rule, pipeline);
  }

  /** Record a notification and keep only the newest `keep`. */
  addNotification(n: Notification, keep: number): void {
    const db = this.store.db;
    db.transaction(() => {
      db.prepare('INSERT INTO alert_notifications (time, kind, rule, pipeline, title, deliveries) VALUES (?, ?, ?, ?, ?, ?)')
        .run(n.time, n.kind, n.rule, n.pipeline, n.title, JSON.stringify(n.deliveries));
      db.prepare('DELETE FROM alert_notifications WHERE id <= (SELECT id FROM alert_notifications ORDER BY id DESC LIMIT 1 OFFSET ?)').run(keep);
    })();
  }

  /** The newest notifications first. */
  notifications(limit: number): Notification[] {
    const rows = this.store.db.prepare('SELECT time, kind, rule, pipeline, title, deliveries FROM alert_notifications ORDER BY id DESC LIMIT ?').all(limit) as NotificationRow[];
    return rows.filter((r) => KINDS.includes(r.kind)).map((r) => ({
      time: r.time, kind: r.kind as Notification['kind'], rule: r.rule !== null && RULES.includes(r.rule) ? r.rule as AlertRule : null,
      pipeline: r.pipeline, title: r.title, deliveries: JSON.parse(r.deliveries) as DeliveryResult[],
    }));
  }
}
