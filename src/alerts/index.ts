/** Alerts: rules over the pipelines' status and the cluster, incidents, webhook and e-mail channels (see engine.ts). */
export * from '../config/alert-settings.js';
export * from './channels.js';
export * from './engine.js';
export { AlertSettingsStore } from './settings-store.js';
export { AlertStateStore, type StoredIncident } from './state-store.js';
export { AlertService, clusterStatus, type AlertClusterOptions, type AlertServiceOptions } from './service.js';
export { clusterVerdicts, CLUSTER_RULES, type ClusterRule, type ClusterThresholds, type ClusterVerdict } from './cluster-rules.js';
export { EvaluatorLease, type EvaluatorGate } from './evaluator-lease.js';
