/**
 * `sluice verify`: compare every table of a pipeline, source against target, while the pipeline streams
 * and the source writes; optionally repair what differs. See docs/architecture.md ("Verify").
 */
import type { PipelineConfig, SluiceConfig, TargetConfig } from '../config/types.js';
import { SluiceError } from '../errors.js';
import { InformationSchemaLoader } from '../mysql/schema/schema-loader.js';
import type { TableName } from '../source/source-tables.js';
import { SnapshotReader } from '../snapshot/snapshot-reader.js';
import { compileTableFilter } from '../source/table-filter.js';
import { PgTargetSide } from './pg-access.js';
import { MysqlTargetSide, SourceSide } from './sides.js';
import type { VerifyTarget } from './table-access.js';
import { DEFAULT_VERIFY_TUNING, TableVerifier, type TableCheck, type TableProgress, type VerifyTuning } from './table-verifier.js';
import { chooseKey, uniqueIndexesSql, type UniqueIndexRow } from './verify-key.js';
import type { TableResult } from '../core/verify-result.js';

export type { TableResult };

export interface VerifyOptions {
  /** Only this pipeline (default: every pipeline of the config). */
  pipeline?: string;
  /** Only source tables matching these `db.table` patterns. */
  tables?: string[];
  repair?: boolean;
  tuning?: Partial<VerifyTuning>;
  onProgress?: (p: TableProgress & { pipeline: string; table: string }) => void;
  onTable?: (r: TableResult) => void;
  signal?: AbortSignal;
  /** Called with the row count of every read a table access makes (PostgreSQL targets), on either side. */
  onRead?: (side: 'source' | 'target', rows: number) => void;
}

export interface VerifySummary {
  tables: number;
  rows_checked: number;
  mismatched_rows: number;
  repaired_rows: number;
  unsettled_rows: number;
  seconds: number;
  results: TableResult[];
}

/** Verify the selected pipelines; throws SluiceError when a pipeline cannot be verified at all. */
export async function verify(cfg: SluiceConfig, opts: VerifyOptions = {}): Promise<VerifySummary> {
  const started = Date.now();
  const pipelines = cfg.pipelines.filter((p) => opts.pipeline === undefined || p.name === opts.pipeline);
  if (pipelines.length === 0) {
    throw new SluiceError('BAD_ARGUMENT', `no pipeline named '${opts.pipeline}' in the config`, `use one of: ${cfg.pipelines.map((p) => p.name).join(', ')}`);
  }
  const results: TableResult[] = [];
  for (const p of pipelines) results.push(...await verifyPipeline(cfg, p, opts));
  return {
    tables: results.length,
    rows_checked: results.reduce((s, r) => s + r.rowsChecked, 0),
    mismatched_rows: results.reduce((s, r) => s + r.mismatchedRows, 0),
    repaired_rows: results.reduce((s, r) => s + r.repairedRows, 0),
    unsettled_rows: results.reduce((s, r) => s + r.unsettledRows, 0),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    results,
  };
}

async function verifyPipeline(cfg: SluiceConfig, p: PipelineConfig, opts: VerifyOptions): Promise<TableResult[]> {
  const tuning: VerifyTuning = { ...DEFAULT_VERIFY_TUNING, ...opts.tuning };
  const srcCfg = cfg.sources[p.source]!, tgtCfg = cfg.targets[p.target]!;
  const source = new SourceSide(srcCfg.url, tuning.parallelism);
  const target = verifyTarget(tgtCfg, tuning.parallelism, p.name);
  const planner = new SnapshotReader(srcCfg.url, 'mariadb', 1);
  const loader = new InformationSchemaLoader(srcCfg.url);
  try {
    const phase = await target.phase();
    if (phase === 'snapshot') {
      throw new SluiceError('VERIFY_NOT_READY', `pipeline '${p.name}' is still copying its tables (initial snapshot)`, 'verify once the pipeline streams (status streaming)');
    }
    const filter = compileTableFilter(p.tables, p.exclude);
    const only = opts.tables && opts.tables.length > 0 ? compileTableFilter(opts.tables) : null;
    const tables = (await source.tables(filter)).filter((t) => only === null || only(t.database, t.table));
    const out: TableResult[] = [];
    for (const t of tables) {
      const r = await verifyTable(p, t, { source, target, planner, loader, tuning }, opts);
      out.push(r);
      opts.onTable?.(r);
    }
    return out;
  } finally {
    await Promise.all([source.close(), target.close(), planner.close(), loader.close()]);
  }
}


interface Ctx {
  source: SourceSide;
  target: VerifyTarget;
  planner: SnapshotReader;
  loader: InformationSchemaLoader;
  tuning: VerifyTuning;
}

/** The target side for the pipeline's target kind: MySQL/MariaDB (checksums on both servers) or PostgreSQL. */
function verifyTarget(tgt: TargetConfig, parallelism: number, pipeline: string): VerifyTarget {
  if (tgt.type === 'postgres' || tgt.type === 'postgresql') return new PgTargetSide(tgt.url, parallelism, tgt.checkpointDatabase, pipeline);
  return new MysqlTargetSide(tgt.url, parallelism, tgt.checkpointDatabase, pipeline);
}

async function verifyTable(p: PipelineConfig, t: TableName, ctx: Ctx, opts: VerifyOptions): Promise<TableResult> {
  const targetDb = p.targetDatabase ?? t.database;
  const name = `${t.database}.${t.table}`;
  const base: TableResult = { pipeline: p.name, table: name, target: `${targetDb}.${t.table}`, key: 'none', rowsChecked: 0, chunks: 0,
    differingChunks: 0, mismatchedRows: 0, unsettledRows: 0, differences: [], repairedRows: 0 };
  const schema = (await ctx.loader.loadDatabase(t.database, [t.table])).get(t.table);
  if (!schema) return { ...base, problem: 'the source table is gone' };
  const key = chooseKey(schema, (await ctx.source.query(uniqueIndexesSql(t.database, t.table))) as unknown as UniqueIndexRow[]);
  base.key = key.kind;
  const access = await ctx.target.table({ source: ctx.source, schema, database: t.database, table: t.table, targetDatabase: targetDb, key,
    ...(opts.onRead ? { onRead: opts.onRead } : {}) });
  if ('problem' in access) return { ...base, problem: access.problem };
  const verifier = new TableVerifier(access, ctx.target, schema, key, ctx.tuning,
    (pr) => opts.onProgress?.({ ...pr, pipeline: p.name, table: name }), opts.signal);
  let check: TableCheck;
  try {
    check = await verifier.check(ctx.planner);
  } catch (err) {
    // A DDL on the table while it was compared (the target may not have applied it yet): say so, go on with the others.
    if (ctx.target.isDefinitionChange(err) || ctx.source.isDefinitionChange(err)) return { ...base, problem: `the table's definition changed during verify (${(err as Error).message}); verify it again` };
    throw err;
  }
  const result: TableResult = { ...base, rowsChecked: check.rowsChecked, chunks: check.chunks, differingChunks: check.differingChunks,
    mismatchedRows: check.mismatchedRows, unsettledRows: check.unsettledRows, differences: check.differences };
  if (opts.repair && check.confirmed.size > 0) {
    result.repairedRows = await verifier.repair(check.confirmed);
    const again = await verifier.check(ctx.planner);
    result.recheckMismatchedRows = again.mismatchedRows;
  }
  return result;
}
