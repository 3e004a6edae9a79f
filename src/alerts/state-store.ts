/**
 * What the alert engine must remember across restarts of `sluice serve`, kept in the control-plane store
 * (its tables `alert_incidents` and `alert_notifications`): the open incidents — so an
 * incident that still holds after a restart sends no second "firing" message, and one that ended while
 * the server was down gets its "recovered" notice — and the latest notifications shown by the API.
 *
 * Nothing here is secret: titles and summaries are scrubbed (passwords, URL credentials, the webhook URL)
 * before they are stored, like everything else that leaves the engine.
 */
import { upsert, type Store } from '../store/index.js';
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

const RULES: readonly string[] = ['failed', 'lag', 'purge', 'drift', 'node-lost', 'no-owner'];
const KINDS: readonly string[] = ['firing', 'recovered', 'test'];

export class AlertStateStore {
  constructor(private readonly store: Store) {}

  async incidents(): Promise<StoredIncident[]> {
    const rows = await this.store.db.selectFrom('alert_incidents').selectAll().orderBy('opened_at').execute();
    return rows.filter((r) => RULES.includes(r.rule)).map((r) => ({
      rule: r.rule as AlertRule, pipeline: r.pipeline, opened: Number(r.opened_at), summary: r.summary, notified: Number(r.notified) === 1,
    }));
  }

  async open(i: StoredIncident): Promise<void> {
    await upsert(this.store.db, this.store.dialect, 'alert_incidents',
      { rule: i.rule, pipeline: i.pipeline, opened_at: i.opened, summary: i.summary, notified: i.notified ? 1 : 0 }, ['rule', 'pipeline']);
  }

  /** The firing message of this incident (opened at `opened`) went to the channels. */
  async notified(rule: AlertRule, pipeline: string, opened: number): Promise<void> {
    await this.store.db.updateTable('alert_incidents').set({ notified: 1 }).where('rule', '=', rule).where('pipeline', '=', pipeline).where('opened_at', '=', opened).execute();
  }

  async close(rule: AlertRule, pipeline: string): Promise<void> {
    await this.store.db.deleteFrom('alert_incidents').where('rule', '=', rule).where('pipeline', '=', pipeline).execute();
  }

  /** Record a notification and keep only the newest `keep`. */
  async addNotification(n: Notification, keep: number): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.db.insertInto('alert_notifications')
        .values({ time: n.time, kind: n.kind, rule: n.rule, pipeline: n.pipeline, title: n.title, deliveries: JSON.stringify(n.deliveries) }).execute();
      const edge = await tx.db.selectFrom('alert_notifications').select('id').orderBy('id', 'desc').limit(1).offset(keep).executeTakeFirst();
      if (edge) await tx.db.deleteFrom('alert_notifications').where('id', '<=', Number(edge.id)).execute();
    });
  }

  /** The newest notifications first. */
  async notifications(limit: number): Promise<Notification[]> {
    const rows = await this.store.db.selectFrom('alert_notifications').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.filter((r) => KINDS.includes(r.kind)).map((r) => ({
      time: r.time, kind: r.kind as Notification['kind'], rule: r.rule !== null && RULES.includes(r.rule) ? r.rule as AlertRule : null,
      pipeline: r.pipeline, title: r.title, deliveries: JSON.parse(r.deliveries) as DeliveryResult[],
    }));
  }
}
