/**
 * Repairs an operator asks for while streaming: skip one source transaction or DDL statement, and re-snapshot
 * tables into shadow copies swapped in atomically (also what a resync queues for every table).
 */
import mysql from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import { routeToDatabase, shadowTableName, type Checkpoint, type Target, type TableRouter } from '../targets/target.js';
import { InformationSchemaLoader } from '../mysql/schema/schema-loader.js';
import { SchemaHistory, comparePositions } from '../mysql/schema/schema-history.js';
import type { Position } from '../core/types.js';
import { ChunkFilter } from '../snapshot/chunk-filter.js';
import { pkColumns } from '../snapshot/snapshot-reader.js';
import { isPipelineState, withHistory, type PendingSwap } from './pipeline-state.js';
import { listSourceTables } from '../source/source-tables.js';
import type { Pipeline } from './pipeline.js';
import type { SkipTarget } from './stats.js';
import { currentPosition, loadSchemas } from './source-access.js';
import { describe, isTransient } from './restart-policy.js';
import { snapshot } from './snapshot-phase.js';


/** Error codes of a single transaction or DDL statement that an operator may choose to skip. */
export const SKIPPABLE = new Set(['TARGET_WRITE_FAILED', 'DDL_FAILED', 'SCHEMA_MISMATCH']);

/**
 * Copy the tables of the re-snapshot queue again (see requestResnapshot), all in one snapshot into
 * shadow tables, swapped in by one atomic RENAME. `position` is where the stream stands: everything
 * before it is applied. A copy that fails for a reason other than a lost connection leaves the tables
 * as they were; the error is reported and the stream goes on.
 */
export async function copyTablesAgain(p: Pipeline, sink: Target, src: mysql.Connection, history: SchemaHistory, chunkFilter: ChunkFilter, position: Position, signal: AbortSignal): Promise<void> {
  const tables = p.resnapshots.filter((t) => !t.after || comparePositions(position, t.after) >= 0);
  const keys = tables.map((t) => `${t.database}.${t.table}`);
  const epoch = p.epoch;
  const base = routeToDatabase(p.cfg.targetDatabase);
  const shadows = new Map(tables.map((t) => {
    const target = base(t.database, t.table);
    return [`${t.database}\0${t.table}`, { database: target.database, table: target.table, shadow: shadowTableName(target.table, 'new') }] as const;
  }));
  const swaps: PendingSwap[] = [...shadows.values()];
  const route: TableRouter = (db, table) => {
    const w = shadows.get(`${db}\0${table}`);
    return w ? { database: w.database, table: w.shadow } : base(db, table);
  };
  const checkpoint = (pending?: PendingSwap[]): Checkpoint => withHistory({ pipeline: p.name, position, epoch, state: p.streamState(chunkFilter, pending) }, p.historyRows(history));
  const done = (): void => {
    for (const t of tables) {
      const i = p.resnapshots.indexOf(t);
      if (i >= 0) p.resnapshots.splice(i, 1);
    }
    p.noteQueue();
  };
  // The request is in the checkpoint before any work: a restart finishes it.
  await sink.apply({ changes: [], checkpoint: checkpoint() });
  p.log.info({ tables: keys, position }, 're-snapshot: copying tables into shadow tables');
  try {
    const present = await listSourceTables(src, (db, table) => shadows.has(`${db}\0${table}`));
    const missing = keys.filter((k) => !present.some((t) => `${t.database}.${t.table}` === k));
    if (missing.length > 0) throw new SluiceError('UNKNOWN_TABLE', `cannot re-snapshot ${missing.join(', ')}: not on the source`, 'check the table names');
    // Read before the shadow tables take the source's definitions: every DDL that ended by here is in them.
    const definedAt = await currentPosition(p.opts.source.url);
    const shadowSink = p.newTarget(route);
    try {
      for (const w of swaps) await sink.dropTableIfExists(w.database, w.shadow);
      await shadowSink.ensureTables(await p.sourceTables(tables));
    } finally {
      await shadowSink.close();
    }
    const next = await snapshot(p, sink, history, tables, [], null, signal, { position, coverage: [] }, route);
    const coverage = isPipelineState(next.state) && next.state.phase === 'stream' ? next.state.coverage : [];
    // Tables whose definition changed during the copy: copied again once the stream has applied the DDL.
    const changed = isPipelineState(next.state) && next.state.phase === 'stream' ? next.state.resnapshot ?? [] : [];
    const isChanged = (db: string, table: string): boolean => changed.some((c) => c.database === db && c.table === table);
    const loader = new InformationSchemaLoader(p.opts.source.url);
    try {
      const schemas = await loadSchemas(loader, tables);
      for (const cov of coverage) {
        const schema = schemas.get(`${cov.database}.${cov.table}`);
        if (schema && !isChanged(cov.database, cov.table)) chunkFilter.add({ ...cov, definedAt }, pkColumns(schema));
      }
    } finally {
      await loader.close();
    }
    done();
    const ready = tables.filter((t) => !isChanged(t.database, t.table));
    const readySwaps = ready.map((t) => shadows.get(`${t.database}\0${t.table}`)!);
    for (const c of changed) {
      const w = shadows.get(`${c.database}\0${c.table}`)!;
      await sink.dropTableIfExists(w.database, w.shadow);
      p.resnapshots.push({ ...c });
      p.log.warn({ table: `${c.database}.${c.table}`, after: c.after }, 're-snapshot: the table definition changed during the copy; copying it again once the stream has passed the change');
    }
    p.noteQueue();
    // Swap the copies in: first say so in the checkpoint (a crash in between completes the swap on restart).
    await sink.apply({ changes: [], checkpoint: checkpoint(readySwaps) });
    await sink.swapTables(readySwaps);
    for (const t of ready) p.skipTables.delete(`${t.database}.${t.table}`);
    await sink.apply({ changes: [], checkpoint: checkpoint() });
    p.log.info({ tables: keys, rowsCopied: p.stats.snapshotRowsCopied }, 're-snapshot done: the new copies are in place');
  } catch (err) {
    if (signal.aborted || isTransient(err)) throw err;
    done();
    p.recordError(err);
    p.log.error({ tables: keys, err: describe(err) }, 're-snapshot failed; the tables keep their previous copy and streaming goes on');
    for (const w of swaps) await sink.dropTableIfExists(w.database, w.shadow).catch(() => undefined);
    await sink.apply({ changes: [], checkpoint: checkpoint() });
  } finally {
    p.stats.status = 'streaming';
  }
}

/** An error the target raised for one source transaction (or DDL): name it, and say it can be skipped. */
export function skippable(p: Pipeline, err: unknown, position: Position, kind: 'transaction' | 'ddl' = 'transaction'): unknown {
  if (!isSluiceError(err) || !SKIPPABLE.has(err.code) || err.details['skip'] !== undefined) return err;
  const what = kind === 'ddl' ? 'DDL statement' : 'transaction';
  return new SluiceError(err.code, `${err.message} (source ${what} at ${position.file}:${position.pos})`,
    `${err.fix}; or, to pass over this one source ${what}, skip it: POST /api/pipelines/${p.name}/skip (Skip on the pipeline page), `
      + `or \`sluice run --skip ${p.name}=${position.file}:${position.pos}${kind === 'ddl' ? ':ddl' : ''}\``,
    { ...err.details, skip: { file: position.file, pos: position.pos, kind } satisfies SkipTarget }, { cause: err });
}

/** The stream went past the position to skip without meeting it there: forget it (nothing was skipped). */
export function missSkip(p: Pipeline, at: Position): void {
  p.log.warn({ skip: p.skipAt, streamAt: at }, 'the transaction to skip was not met (the stream is past its position): nothing skipped');
  p.skipAt = null;
  p.stats.pendingSkip = null;
}

export function passSkip(p: Pipeline, changes: number): void {
  const position = p.skipAt!;
  p.skipAt = null;
  p.stats.pendingSkip = null;
  p.stats.skipped.push({ position, changes, time: new Date().toISOString() });
  p.log.warn({ position, changes }, `skipped a source ${position.kind} on request: its changes are not on the target`);
}
