/**
 * Alert settings kept in the control-plane store (table `alert_settings`). The whole settings document is
 * sealed with the store's secret key: it holds the SMTP password and the webhook URL, which are both
 * secrets. The settings are read at `load()` and kept in memory; `put` writes through.
 */
import { upsert, type Store } from '../store/index.js';
import type { AlertSettingsInput } from '../config/alert-settings.js';

export class AlertSettingsStore {
  private current: AlertSettingsInput = {};

  constructor(private readonly store: Store) {}

  /** Read the stored settings (again). */
  async load(): Promise<AlertSettingsInput> {
    const r = await this.store.db.selectFrom('alert_settings').select('sealed').where('id', '=', 1).executeTakeFirst();
    this.current = r ? JSON.parse(this.store.box.open(r.sealed)) as AlertSettingsInput : {};
    return this.get();
  }

  get(): AlertSettingsInput {
    return structuredClone(this.current);
  }

  async put(input: AlertSettingsInput): Promise<void> {
    await upsert(this.store.db, this.store.dialect, 'alert_settings', { id: 1, sealed: this.store.box.seal(JSON.stringify(input)), updated_at: new Date().toISOString() }, ['id']);
    this.current = structuredClone(input);
  }
}
