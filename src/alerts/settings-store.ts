/**
 * Alert settings kept in the control-plane store (its own table in `sluice.db`, created on first use).
 * The whole settings document is sealed with the store's secret key: it holds the SMTP password and the
 * webhook URL, which are both secrets.
 */
import { dirname } from 'node:path';
import type { Store } from '../store/store.js';
import { SecretBox } from '../store/secret-box.js';
import type { AlertSettingsInput } from '../config/alert-settings.js';

export class AlertSettingsStore {
  private readonly box: SecretBox;

  constructor(private readonly store: Store, env: NodeJS.ProcessEnv = process.env) {
    this.box = SecretBox.open(dirname(store.path), env);
    store.db.exec('CREATE TABLE IF NOT EXISTS alert_settings (id INTEGER PRIMARY KEY CHECK (id = 1), sealed TEXT NOT NULL, updated_at TEXT NOT NULL)');
  }

  get(): AlertSettingsInput {
    const r = this.store.db.prepare('SELECT sealed FROM alert_settings WHERE id = 1').get() as { sealed: string } | undefined;
    if (!r) return {};
    return JSON.parse(this.box.open(r.sealed)) as AlertSettingsInput;
  }

  put(input: AlertSettingsInput): void {
    this.store.db.prepare('INSERT OR REPLACE INTO alert_settings (id, sealed, updated_at) VALUES (1, ?, ?)')
      .run(this.box.seal(JSON.stringify(input)), new Date().toISOString());
  }
}
