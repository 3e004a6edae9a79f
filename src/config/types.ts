/** The validated, normalized configuration (defaults filled in, URLs parsed). */
import type { AlertSettingsInput } from './alert-settings.js';
import type { MysqlConnectionOptions } from '../mysql/mysql-url.js';
import type { EndpointParts } from '../targets/kind.js';

export type { MysqlConnectionOptions };

export interface SluiceConfig {
  sources: Record<string, SourceConfig>;
  targets: Record<string, TargetConfig>;
  pipelines: PipelineConfig[];
  /**
   * `alerts:` as a settings layer of `sluice serve` (only the fields the file sets; it wins over PUT
   * /api/alerts, loses to flags and environment variables). Holds secrets (webhook URL, SMTP password).
   */
  alerts?: AlertSettingsInput;
}

export interface SourceConfig {
  /** The key under `sources:`. */
  name: string;
  /** `mysql` (MySQL or MariaDB; the flavor is detected on connect) or `mariadb`. */
  type: 'mysql' | 'mariadb';
  /** The URL as written after `${ENV}` substitution — contains the password: never log it (use redactConfig). */
  url: string;
  connection: MysqlConnectionOptions;
  /** Replication server id; chosen automatically when absent. */
  serverId?: number;
}

export interface TargetConfig {
  name: string;
  /** A type of a kind in the targets registry (`mysql`, `mariadb`, …). */
  type: string;
  url: string;
  /** The URL's parts, as the kind parsed them. */
  connection: EndpointParts;
  /** Database holding the `checkpoints` table (default `_sluice`). */
  checkpointDatabase: string;
}

export interface TuningConfig {
  /** Most row changes per target transaction (whole source transactions are never split). */
  batchSize: number;
  /** Most bytes of SQL per multi-row statement. */
  maxStatementBytes: number;
  /** How long a batch may wait to fill before it is applied, in ms. */
  maxBatchDelayMs: number;
  /**
   * Most distinct tables per target transaction (whole source transactions are never split). The server's cost
   * of each statement grows with the tables its transaction has already touched (metadata locks and InnoDB's
   * per-transaction table list are searched linearly): 5,000 single-row statements on 5,000 tables in one
   * transaction cost ~10× what they cost in transactions of ~100 tables (see docs/scale.md).
   */
  maxBatchTables: number;
  /** Rows per snapshot chunk. */
  snapshotChunkSize: number;
  /** Snapshot chunks copied in parallel. */
  snapshotParallelism: number;
  /**
   * Chunks of one table written to the target at once (chunks of different tables always in parallel). Parallel
   * loads into one InnoDB table cost the target ~40% more CPU for 2 writers and ~60% for 4 than one writer
   * loading the chunks in key order (bench/sync, 1M rows), so the default 1 is fastest unless the target has
   * cores to spare.
   */
  snapshotTableWriters: number;
  /**
   * Seconds an instance owns a pipeline without renewing (renewed every third of it, and by every write).
   * A second instance waits while the owner's lease runs; a clean stop releases it at once.
   */
  leaseSeconds: number;
  /** Seconds without any message from the source (heartbeats included) or finished write before the stream is restarted. */
  stallTimeoutSeconds: number;
}

export type SnapshotMode = 'initial' | 'none';
export type DdlPolicy = 'apply' | 'ignore' | 'fail';

export interface PipelineConfig {
  name: string;
  /** A key of `sources`. */
  source: string;
  /** A key of `targets`. */
  target: string;
  /** `db.table` patterns with `*`/`?` wildcards. */
  tables: string[];
  exclude: string[];
  /** Target database for every table; default: the source table's database name. */
  targetDatabase?: string;
  snapshot: SnapshotMode;
  ddl: DdlPolicy;
  tuning: TuningConfig;
}

export const DEFAULT_TUNING: Readonly<TuningConfig> = Object.freeze({
  batchSize: 5000,
  maxStatementBytes: 4 * 1024 * 1024,
  maxBatchDelayMs: 50,
  maxBatchTables: 100,
  leaseSeconds: 15,
  stallTimeoutSeconds: 60,
  snapshotChunkSize: 10_000,
  snapshotParallelism: 4,
  snapshotTableWriters: 1,
});

export const DEFAULT_CHECKPOINT_DATABASE = '_sluice';
