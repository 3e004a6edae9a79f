/**
 * The preflight checks (read-only) of sources, targets and pipelines: used by `sluice check`, `sluice run`,
 * the pipeline manager (before a start) and the API's connection test.
 */
import mysql from 'mysql2/promise';
import { isSluiceError } from '../errors.js';
import type { PipelineConfig, SluiceConfig, SourceConfig, TargetConfig } from '../config/index.js';
import { connectMysql } from '../mysql/connection.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';
import { checkTableCaches, failure } from '../mysql/checks.js';
import type { CheckResult } from '../core/check-result.js';
import { targetKind } from '../targets/registry.js';
import type { TargetKindConfig } from '../targets/kind.js';
import { readSourceTables } from '../source/source-table-reader.js';
import { compileTableFilter } from '../source/table-filter.js';
import { listSourceTables } from '../source/source-tables.js';

export type { CheckResult } from '../core/check-result.js';

/** A finding with the source, target or pipeline it is about (`source products`, `pipeline p1`). */
export interface PreflightFinding { name: string; result: CheckResult }

/**
 * Every preflight check of a config, read-only on sources and targets (nothing is created or written):
 * each source once, each target once, then — for pipelines whose source and target passed — the tables
 * in scope, their compatibility with existing target tables, the target privileges and the saved
 * checkpoint's binlog file. Used by `sluice check` and, before touching any data, by `sluice run`.
 */
export async function preflight(cfg: SluiceConfig, opts: { resync?: ReadonlySet<string> } = {}): Promise<PreflightFinding[]> {
  const out: PreflightFinding[] = [];
  const failed = new Set<string>();
  for (const s of Object.values(cfg.sources)) {
    const results = await checkSource(s.url);
    for (const r of results) out.push({ name: `source ${s.name}`, result: r });
    if (results.some((r) => !r.ok)) failed.add(`source:${s.name}`);
  }
  for (const t of Object.values(cfg.targets)) {
    const results = await checkTarget(t);
    for (const r of results) out.push({ name: `target ${t.name}`, result: r });
    if (results.some((r) => !r.ok)) failed.add(`target:${t.name}`);
  }
  for (const p of cfg.pipelines) {
    if (failed.has(`source:${p.source}`) || failed.has(`target:${p.target}`)) continue;
    const results = await checkPipeline(p, cfg.sources[p.source]!, cfg.targets[p.target]!, { resync: opts.resync?.has(p.name) ?? false });
    for (const r of results) out.push({ name: `pipeline ${p.name}`, result: r });
  }
  return out;
}

/** Preflight of a source: reachable, binlog on and ROW, row image FULL, replication grants. */
export async function checkSource(url: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let st;
  try {
    st = await ReplicationSession.serverStatus(url);
  } catch (err) {
    // SHOW BINARY LOGS refused: the user is in, but lacks REPLICATION CLIENT / BINLOG MONITOR (the fix names both).
    if (isSluiceError(err) && err.code === 'MISSING_GRANTS') return [failure('replication grants', err)];
    return [failure('reachable', err)];
  }
  out.push({ ok: true, what: `reachable: ${st.flavor} ${st.serverVersion}` });
  out.push({ ok: true, what: st.tls.text });
  out.push(st.logBin ? { ok: true, what: 'binary log enabled' } : {
    ok: false, code: 'BINLOG_DISABLED', what: 'binary log is OFF (log_bin=OFF): there is no change stream to read',
    fix: 'start the source server with log_bin=ON (e.g. --log-bin) and binlog_format=ROW, then restart it',
  });
  if (!st.logBin) return out;
  out.push(st.binlogFormat.toUpperCase() === 'ROW' ? { ok: true, what: 'binlog_format=ROW' }
    : { ok: false, code: 'BINLOG_FORMAT_NOT_ROW', what: `binlog_format=${st.binlogFormat}`, fix: "SET GLOBAL binlog_format='ROW' and make it permanent in the server config" });
  out.push(st.binlogRowImage.toUpperCase() === 'FULL' ? { ok: true, what: 'binlog_row_image=FULL' }
    : { ok: true, warn: true, code: 'BINLOG_ROW_IMAGE_NOT_FULL', what: `binlog_row_image=${st.binlogRowImage}: updates carry only changed columns; snapshot overlap and tables without a primary key need FULL`, fix: "SET GLOBAL binlog_row_image='FULL' and make it permanent in the server config" });
  out.push({ ok: true, what: `binlog at ${st.file}:${st.pos}, oldest file ${st.oldestFile}; GTID ${st.gtidSet || '(none)'}` });
  // Opening a short replication session proves the grants (REPLICATION SLAVE/CLIENT) end to end.
  try {
    const session = await ReplicationSession.open({ url, serverId: 4_000_000_000 + Math.floor(Math.random() * 1_000_000), start: { kind: 'now' }, heartbeatSeconds: 0 });
    session.close();
    out.push({ ok: true, what: 'replication grants (REPLICATION SLAVE, REPLICATION CLIENT)' });
  } catch (err) {
    out.push(failure('replication grants', err));
  }
  return out;
}

/**
 * Preflight of a pipeline (its source and target already passed): tables in scope, existing target tables
 * compatible with the source's, privileges on the target databases, and the saved checkpoint's binlog file
 * still on the source. Read-only.
 */
/** `resync`: the pipeline starts over from the current position, so its old checkpoint and table definitions do not matter. */
export async function checkPipeline(p: PipelineConfig, source: SourceConfig, target: TargetConfig, opts: { resync?: boolean } = {}): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let src: mysql.Connection | null = null;
  try {
    try {
      src = await connectMysql(source.url, { supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
    } catch (err) {
      return [failure('reachable', err, 'source')];
    }
    const tables = await listSourceTables(src, compileTableFilter(p.tables, p.exclude));
    out.push(tables.length > 0 ? { ok: true, what: `${tables.length} source tables in scope` }
      : { ok: true, warn: true, what: 'no source table matches tables/exclude yet', fix: 'check the patterns under tables: (tables created later are picked up)' });
    const caches = await checkTableCaches(src, tables.length, 'source');
    if (caches) out.push(caches);
    const side = await targetKind(target.type).checkPipeline(target, {
      pipeline: p.name, ...(p.targetDatabase !== undefined ? { targetDatabase: p.targetDatabase } : {}), tables, resync: opts.resync === true,
      sourceTables: (some) => readSourceTables(source.url, some, { parallelism: p.tuning.snapshotParallelism }),
    });
    out.push(...side.results);
    const purged = side.saved ? await checkCheckpointFile(side.saved, p, target.checkpointDatabase, source.url) : null;
    if (purged) out.push(purged);
  } catch (err) {
    out.push(failure('checks', err));
  } finally {
    await src?.end().catch(() => undefined);
  }
  return out;
}

/** Preflight of a target by its kind (reachable, privileges on the checkpoint place); read-only. */
export function checkTarget(target: TargetKindConfig): Promise<CheckResult[]> {
  return targetKind(target.type).checkTarget(target);
}

/** The binlog file of the pipeline's saved checkpoint, if it was purged from the source: a POSITION_PURGED failure. */
async function checkCheckpointFile(saved: { file: string; pos: string }, p: PipelineConfig, checkpointDatabase: string, sourceUrl: string): Promise<CheckResult | null> {
  const { file, pos } = saved;
  if (!file) return null;
  const st = await ReplicationSession.serverStatus(sourceUrl);
  if (st.files.some((f) => f.name === file)) return { ok: true, what: `checkpoint ${file}:${pos} is still in the source binlog` };
  return {
    ok: false, code: 'POSITION_PURGED',
    what: `the checkpoint ${file}:${pos} is in a binlog file the source no longer has (oldest: ${st.oldestFile}): changes since then are lost for this pipeline`,
    fix: resnapshotFix(p, checkpointDatabase),
  };
}

/** How to re-snapshot a pipeline whose position is gone. */
export function resnapshotFix(p: Pick<PipelineConfig, 'name' | 'snapshot'>, checkpointDatabase: string): string {
  return `re-snapshot the pipeline: stop sluice; on the target run DELETE FROM ${quoteId(checkpointDatabase)}.\`checkpoints\` WHERE pipeline = '${p.name.replace(/'/g, "''")}'` +
    ' and TRUNCATE (or DROP) its target tables; ' + (p.snapshot === 'none' ? 'set snapshot: initial for the pipeline; ' : '') +
    'start sluice again: it copies the tables afresh and streams from there (keep binlogs longer, e.g. binlog_expire_logs_seconds, to avoid this). ' +
    `Or, without emptying the target tables: sluice run --config FILE --resync ${p.name} (under sluice serve: Resync on the pipeline page, POST /api/pipelines/<name>/resync)`;
}

function quoteId(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

