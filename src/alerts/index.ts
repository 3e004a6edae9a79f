/** Alerts: rules over the pipelines' status, incidents, webhook and e-mail channels (see engine.ts). */
export * from '../config/alert-settings.js';
export * from './channels.js';
export * from './engine.js';
export { AlertSettingsStore } from './settings-store.js';
export { AlertStateStore, type StoredIncident } from './state-store.js';
export { AlertService, type AlertServiceOptions } from './service.js';
