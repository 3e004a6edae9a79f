/** The fault-injection harness (see harness.ts): reusable by any test or benchmark that needs faults. */
export { runChaos, type ChaosOptions, type ChaosResult, type FaultOutcome } from './harness.js';
export { FAULT_KINDS, faultSchedule, type Fault, type FaultKind } from './schedule.js';
export { SupplyChainWriter, createSupplyChainSchema, SUPPLY_DB } from './workload.js';
export { diffRows, diffTable, pgRowTexts, rowTexts, sourceTextsFor, type PgCopyColumn, type TableDiff } from './compare.js';
export { CHAOS_TARGET_KINDS, startChaosTarget, type ChaosTarget, type ChaosTargetEndpoint, type ChaosTargetKind, type CheckpointWrite, type SlowClaims } from './target-side.js';
export { CLUSTER_FAULT_KINDS, clusterFaultSchedule, runClusterChaos, type ClusterChaosOptions, type ClusterChaosResult, type ClusterFaultKind, type ClusterFaultOutcome } from './cluster-harness.js';
