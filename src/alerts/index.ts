/** Alerts: rules over the pipelines' status, incidents, webhook and e-mail channels (see engine.ts). */
export * from './settings.js';
export * from './channels.js';
export * from './engine.js';
export { AlertSettingsStore } from './settings-store.js';
export { AlertStateStore, type StoredIncident } from './state-store.js';
export { AlertService, applyChange, withoutLocked, type AlertServiceOptions } from './service.js';
