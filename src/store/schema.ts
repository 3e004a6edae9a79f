/**
 * The tables of the control-plane store, as Kysely sees them (the same in every dialect: see
 * migrations.ts). Flags are integers 0/1; times are ISO-8601 text, except the ones compared as numbers
 * (milliseconds since the epoch: sessions, metric samples, alert incidents, and the store-clock times of
 * the cluster tables).
 */
import type { Generated } from 'kysely';

export interface EndpointsTable {
  kind: string; name: string; type: string; host: string; port: number; user: string; password_sealed: string | null;
  database_name: string | null; options: string; server_id: number | null; checkpoint_database: string | null; managed: number;
  created_at: string; updated_at: string;
}
export interface PipelinesTable { name: string; config: string; desired_state: string; managed: number; created_at: string; updated_at: string }
export interface UsersTable { username: string; role: string; password_hash: string; created_at: string }
export interface SessionsTable { id_hash: string; username: string; csrf_token: string; created_at: number; last_seen: number }
export interface ApiTokensTable {
  id: string; name: string; username: string; role: string; secret_hash: string; created_at: string; last_used_at: string | null; expires_at: string | null;
}
export interface AuditLogTable { id: Generated<number>; time: string; actor: string | null; action: string; target: string | null; details: string; ip: string | null }
export interface MetricSamplesTable {
  pipeline: string; time: number; state: string; lag_seconds: number | null; rows_per_second: number; rows_applied: number;
  snapshot_rows_copied: number; error_count: number;
}
export interface PipelineSkipsTable { pipeline: string; file: string; pos: number; kind: string; requested_at: string }
export interface TableCopiesTable { pipeline: string; source_table: string; rows_copied: number; finished_at: string }
export interface VerifyResultsTable { pipeline: string; source_table: string; repair: number; result: string; checked_at: string }
export interface AlertSettingsTable { id: number; sealed: string; updated_at: string }
export interface AlertIncidentsTable { rule: string; pipeline: string; opened_at: number; summary: string; notified: number }
export interface AlertNotificationsTable { id: Generated<number>; time: string; kind: string; rule: string | null; pipeline: string | null; title: string; deliveries: string }
/** Store-wide settings (`secret_check`: a value sealed with the secret key, to refuse a node with another key). */
export interface StoreSettingsTable { name: string; value: string }
/** Nodes of a cluster on this store (src/cluster/): one row per `sluice serve` process that registered. */
export interface NodesTable { id: string; host: string; pid: number; version: string; started_at: number; heartbeat_at: number; draining: number }
/** Leases (src/cluster/): owner, fencing epoch and expiry of each named resource, by the store's clock (ms). */
export interface LeasesTable { name: string; owner: string | null; epoch: number; expires_at: number; acquired_at: number; renewed_at: number }
/** The status each pipeline's owner publishes (src/control/status-publisher.ts): a PipelineStatus as JSON, store-clock time. */
export interface PipelineStatusTable { pipeline: string; node: string; epoch: number; status: string; published_at: number }
/**
 * Actions on a pipeline sent to its owner (src/control/command-queue.ts): `state` pending → running → done | failed,
 * or pending → expired; `result` is the owner's PipelineStatus (done) or an error {code, message, fix} (failed), as JSON.
 */
export interface PipelineCommandsTable {
  id: Generated<number>; pipeline: string; action: string; args: string; state: string; requested_by: string; actor: string | null;
  created_at: number; expires_at: number; claimed_by: string | null; claimed_epoch: number | null; claimed_at: number | null; finished_at: number | null;
  result: string | null;
}

export interface StoreSchema {
  endpoints: EndpointsTable;
  pipelines: PipelinesTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  metric_samples: MetricSamplesTable;
  pipeline_skips: PipelineSkipsTable;
  table_copies: TableCopiesTable;
  verify_results: VerifyResultsTable;
  alert_settings: AlertSettingsTable;
  alert_incidents: AlertIncidentsTable;
  alert_notifications: AlertNotificationsTable;
  store_settings: StoreSettingsTable;
  nodes: NodesTable;
  leases: LeasesTable;
  pipeline_status: PipelineStatusTable;
  pipeline_commands: PipelineCommandsTable;
}
