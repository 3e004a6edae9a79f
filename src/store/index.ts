/** The control-plane store (SQLite, or a shared MySQL/PostgreSQL database): see store.ts. */
export * from './store.js';
export { storeLocation, storeNowMs, upsert, insertIfMissing, type StoreDialect, type StoreLocation } from './dialect.js';
export type { StoreSchema } from './schema.js';
export { knownMigrations } from './migrations.js';
export { SecretBox } from './secret-box.js';
export { hashPassword, verifyPassword, DUMMY_HASH } from './passwords.js';
export {
  importConfig, exportConfig, exportConfigText, passwordEnvName, alertsSection, ALERT_WEBHOOK_ENV, SMTP_PASSWORD_ENV,
  type ExportedAlerts, type ExportedConfig, type ExportOptions,
} from './config-sync.js';
