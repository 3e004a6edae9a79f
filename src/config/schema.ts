/** The zod schema of the raw config document (before cross-reference checks and normalization). */
import { z } from 'zod';
import { targetConfigKeys, targetConfigSchema } from '../targets/registry.js';

const positiveInt = (max: number) => z.number().int().min(1).max(max);

export const tuningSchema = z.strictObject({
  batchSize: positiveInt(1_000_000).optional(),
  maxStatementBytes: z.number().int().min(16 * 1024).max(1024 * 1024 * 1024).optional(),
  maxBatchDelayMs: z.number().int().min(0).max(600_000).optional(),
  maxBatchTables: positiveInt(1_000_000).optional(),
  snapshotChunkSize: positiveInt(10_000_000).optional(),
  snapshotParallelism: positiveInt(256).optional(),
  snapshotTableWriters: positiveInt(256).optional(),
  leaseSeconds: z.number().min(1).max(3600).optional(),
  stallTimeoutSeconds: z.number().min(2).max(86_400).optional(),
});

const nonEmpty = z.string().min(1);

export const sourceSchema = z.strictObject({
  type: z.enum(['mysql', 'mariadb']),
  url: nonEmpty,
  serverId: z.number().int().min(1).max(4294967295).optional(),
});

/** A target block: its `type` picks the kind in the targets registry, whose schema checks the rest. */
export const targetSchema = targetConfigSchema();

export const pipelineSchema = z.strictObject({
  name: nonEmpty,
  source: nonEmpty,
  target: nonEmpty,
  tables: z.array(nonEmpty).min(1),
  exclude: z.array(nonEmpty).optional(),
  targetDatabase: nonEmpty.optional(),
  snapshot: z.enum(['initial', 'none']).optional(),
  ddl: z.enum(['apply', 'ignore', 'fail']).optional(),
  tuning: tuningSchema.optional(),
});

/** `alerts.email`: the SMTP URL, the recipients (a list or "a,b"), the sender. */
export const alertEmailSchema = z.strictObject({
  smtp: nonEmpty.optional(),
  to: z.union([z.array(nonEmpty).min(1), nonEmpty], { error: 'expected a list of e-mail addresses or a comma-separated string' }).optional(),
  from: nonEmpty.optional(),
});

/** `alerts:` of `sluice serve` (ignored by `sluice run`): the same fields as PUT /api/alerts. */
export const alertsSchema = z.strictObject({
  webhook: nonEmpty.optional(),
  email: alertEmailSchema.optional(),
  lagSeconds: z.number().min(0).optional(),
  lagForSeconds: z.number().min(0).optional(),
  purgeWarnFiles: z.number().int().min(0).optional(),
  nodeLostSeconds: z.number().min(0).optional(),
  ownerlessSeconds: z.number().min(0).optional(),
});

export const configSchema = z.strictObject({
  sources: z.record(z.string(), sourceSchema),
  targets: z.record(z.string(), targetSchema),
  pipelines: z.array(pipelineSchema).min(1),
  /** Defaults for every pipeline's tuning. */
  tuning: tuningSchema.optional(),
  /** Alert channels and thresholds of `sluice serve`. */
  alerts: alertsSchema.optional(),
});

export type RawConfig = z.infer<typeof configSchema>;

/** Known keys per kind of object, for "did you mean" hints on unknown keys. */
export const KNOWN_KEYS = {
  top: Object.keys(configSchema.shape),
  source: Object.keys(sourceSchema.shape),
  target: targetConfigKeys(),
  pipeline: Object.keys(pipelineSchema.shape),
  tuning: Object.keys(tuningSchema.shape),
  alerts: Object.keys(alertsSchema.shape),
  alertEmail: Object.keys(alertEmailSchema.shape),
} as const;
