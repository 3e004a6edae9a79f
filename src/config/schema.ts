/** The zod schema of the raw config document (before cross-reference checks and normalization). */
import { z } from 'zod';

const positiveInt = (max: number) => z.number().int().min(1).max(max);

export const tuningSchema = z.strictObject({
  batchSize: positiveInt(1_000_000).optional(),
  maxStatementBytes: z.number().int().min(16 * 1024).max(1024 * 1024 * 1024).optional(),
  maxBatchDelayMs: z.number().int().min(0).max(600_000).optional(),
  snapshotChunkSize: positiveInt(10_000_000).optional(),
  snapshotParallelism: positiveInt(256).optional(),
});

const nonEmpty = z.string().min(1);

export const sourceSchema = z.strictObject({
  type: z.enum(['mysql', 'mariadb']),
  url: nonEmpty,
  serverId: z.number().int().min(1).max(4294967295).optional(),
});

export const targetSchema = z.strictObject({
  type: z.enum(['mysql', 'mariadb']),
  url: nonEmpty,
  checkpointDatabase: nonEmpty.optional(),
});

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

export const configSchema = z.strictObject({
  sources: z.record(z.string(), sourceSchema),
  targets: z.record(z.string(), targetSchema),
  pipelines: z.array(pipelineSchema).min(1),
  /** Defaults for every pipeline's tuning. */
  tuning: tuningSchema.optional(),
});

export type RawConfig = z.infer<typeof configSchema>;

/** Known keys per kind of object, for "did you mean" hints on unknown keys. */
export const KNOWN_KEYS = {
  top: Object.keys(configSchema.shape),
  source: Object.keys(sourceSchema.shape),
  target: Object.keys(targetSchema.shape),
  pipeline: Object.keys(pipelineSchema.shape),
  tuning: Object.keys(tuningSchema.shape),
} as const;
