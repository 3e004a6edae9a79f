/**
 * The snapshot phase: plan chunks by primary key, copy them (parallel, lock-free, resumable) through the target's
 * `applySnapshotChunk`, and return the streaming checkpoint (earliest chunk position + chunk coverage).
 */
import { SluiceError } from '../errors.js';
import { isSourceTextDeclined, type Checkpoint, type SnapshotChunk, type Target, type TableRouter } from '../targets/target.js';
import { InformationSchemaLoader } from '../mysql/schema/schema-loader.js';
import { SchemaHistory, comparePositions } from '../mysql/schema/schema-history.js';
import type { Position } from '../core/types.js';
import { type TableCoverage } from '../snapshot/chunk-filter.js';
import { SnapshotReader, columnSignature, isDefinitionChanged } from '../snapshot/snapshot-reader.js';
import { withHistory, type PipelineCheckpointState, type ResnapshotRequest, type SnapshotTablePlan } from './pipeline-state.js';
import { type TableName } from '../source/source-tables.js';
import type { Pipeline } from './pipeline.js';
import { currentPosition, loadSchemas } from './source-access.js';
import { KeyedGate } from './keyed-gate.js';
import { isDeepStrictEqual } from 'node:util';
import type { TableSchema } from '../mysql/schema/table-schema.js';


/**
 * Copy `tables` chunk by chunk (resuming `prior` plans), then return the streaming checkpoint:
 * position = the earliest chunk position, state = the chunk positions the stream must respect. `later`: tables not
 * copied now, but again once the stream has passed the source's current position.
 */
export async function snapshot(p: Pipeline, sink: Target, history: SchemaHistory, tables: TableName[], prior: SnapshotTablePlan[], cp: Checkpoint | null, signal: AbortSignal,
  streamState?: { position: Position; coverage: TableCoverage[] }, route?: TableRouter, later: readonly TableName[] = []): Promise<Checkpoint> {
  p.stats.status = 'snapshotting';
  const laterAfter = later.length > 0 ? await currentPosition(p.opts.source.url) : null;
  const tuning = p.cfg.tuning;
  const reader = new SnapshotReader(p.opts.source.url, p.flavor, tuning.snapshotParallelism, p.log);
  const loader = new InformationSchemaLoader(p.opts.source.url);
  try {
    const planStarted = Date.now();
    const schemas = await loadSchemas(loader, tables);
    p.log.info({ tables: tables.length, seconds: (Date.now() - planStarted) / 1000 }, 'snapshot: source definitions read');
    /** Tables whose definition changed while they were copied, and a source position after the change. */
    const changed = new Map<string, { plan: SnapshotTablePlan; after: Position }>();
    const priorPlans = new Map(prior.map((pl) => [`${pl.database}.${pl.table}`, pl]));
    // Planned over the reader's connections at once (two queries per table: thousands of tables add up).
    const planned: SnapshotTablePlan[] = new Array(tables.length);
    let nextTable = 0;
    const planner = async (): Promise<void> => {
      for (let i = nextTable++; i < tables.length; i = nextTable++) {
        const t = tables[i]!;
        const schema = schemas.get(`${t.database}.${t.table}`)!;
        const old = priorPlans.get(`${t.database}.${t.table}`);
        if (old) {
          planned[i] = old;
          // A resumed snapshot: a DDL since it was planned makes the rest of the table a new copy's job.
          if (old.columns !== undefined && old.columns !== columnSignature(schema)) changed.set(`${t.database}.${t.table}`, { plan: old, after: await currentPosition(p.opts.source.url) });
          continue;
        }
        const ranges = await reader.planChunks(schema, tuning.snapshotChunkSize);
        planned[i] = { database: t.database, table: t.table, ranges, done: {}, rowsCopied: 0, rowsEstimated: await reader.estimateRows(t.database, t.table), columns: columnSignature(schema) };
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(tuning.snapshotParallelism, tables.length)) }, planner));
    const plans: SnapshotTablePlan[] = planned;
    p.log.info({ tables: plans.length, seconds: (Date.now() - planStarted) / 1000 }, 'snapshot chunks planned');
    const epoch = p.epoch;
    const planPosition = cp?.position ?? streamState?.position ?? (await currentPosition(p.opts.source.url));
    // The schema in force where the stream will start (the snapshot's earliest chunk comes after it).
    for (const t of tables) await history.ensureLoaded(t.database, t.table, planPosition);
    shareSchemas(schemas, history, planPosition);
    const stateOf = (): PipelineCheckpointState => ({ phase: 'snapshot', tables: plans });
    // Streaming-time snapshots (a table renamed into scope) keep the stream's position and coverage.
    const checkpointOf = (): Checkpoint => streamState
      ? { pipeline: p.name, position: streamState.position, epoch, state: { phase: 'stream', coverage: streamState.coverage } }
      : withHistory({ pipeline: p.name, position: planPosition, epoch, state: stateOf() }, p.historyRows(history));
    p.log.info({ tables: tables.length, seconds: (Date.now() - planStarted) / 1000 }, 'snapshot: schema history loaded');
    // Chunk progress lives in the target's snapshot_chunks table, written with each chunk's rows.
    await sink.prepareSnapshot();
    if (prior.length === 0) await sink.clearSnapshotChunks();
    const planOf = new Map(plans.map((pl) => [`${pl.database}\0${pl.table}`, pl]));
    for (const c of await sink.snapshotChunksDone()) {
      const plan = planOf.get(`${c.database}\0${c.table}`);
      if (plan && c.index < plan.ranges.length && !(c.index in plan.done)) {
        plan.done[c.index] = { file: c.file, pos: c.pos };
        plan.rowsCopied += c.rows;
      }
    }
    if (!streamState) await sink.apply({ changes: [], checkpoint: checkpointOf() });

    const queue: Array<{ plan: SnapshotTablePlan; index: number }> = [];
    for (const plan of plans) {
      if (changed.has(`${plan.database}.${plan.table}`)) continue;
      plan.ranges.forEach((_, index) => { if (!(index in plan.done)) queue.push({ plan, index }); });
    }
    const tableProgress = (p: SnapshotTablePlan): Pipeline['stats']['snapshotTables'][number] => {
      const chunksDone = Object.keys(p.done).length;
      return { database: p.database, table: p.table, rowsCopied: p.rowsCopied, rowsEstimated: Math.max(p.rowsEstimated, p.rowsCopied),
        chunksDone, chunksTotal: p.ranges.length, done: chunksDone === p.ranges.length };
    };
    // Progress of one table after each chunk (not of every table: with thousands of tables that was quadratic).
    const planIndex = new Map(plans.map((p, i) => [p, i]));
    const progress = (plan?: SnapshotTablePlan): void => {
      const i = plan === undefined ? undefined : planIndex.get(plan);
      if (i === undefined || p.stats.snapshotTables.length !== plans.length) p.stats.snapshotTables = plans.map(tableProgress);
      else p.stats.snapshotTables[i] = tableProgress(plan!);
    };
    progress();
    p.stats.snapshotRowsEstimated = plans.reduce((s, p) => s + p.rowsEstimated, 0);
    p.stats.snapshotRowsCopied = plans.reduce((s, p) => s + p.rowsCopied, 0);
    p.log.info({ tables: plans.length, chunks: queue.length, rowsEstimated: p.stats.snapshotRowsEstimated }, 'snapshot started');
    const started = Date.now();
    let lastLog = Date.now();
    // Each worker reads a chunk from the source and writes it through its own target connection.
    // The shapes of the tables still to copy, read together (and once: the sinks share them) rather than at each table's first chunk.
    if (queue.length > 1) {
      const shapesOf = route ? p.newTarget(route) : sink;
      try {
        await shapesOf.prepareSnapshot([...new Set(queue.map((j) => j.plan))]);
      } finally {
        if (shapesOf !== sink) await shapesOf.close().catch(() => undefined);
      }
    }
    const workerSinks: Target[] = [];
    // Chunks are read in parallel, but one table's chunks are written tuning.snapshotTableWriters at a time, in key
    // order: parallel loads into one InnoDB table cost the target far more CPU (see TuningConfig.snapshotTableWriters).
    const writers = new KeyedGate<SnapshotTablePlan>(Math.max(1, tuning.snapshotTableWriters));
    const worker = async (): Promise<void> => {
      const ws = p.newTarget(route);
      workerSinks.push(ws);
      let sourceText = ws.capabilities.sourceText;
      const withGenerated = ws.capabilities.generatedColumns === 'written';
      // Write a chunk when this table's turn comes; false (nothing written) when the snapshot was stopped meanwhile.
      const write = (job: { plan: SnapshotTablePlan; index: number }, chunk: SnapshotChunk): Promise<boolean> => writers.run(job.plan, job.index, async () => {
        if (signal.aborted) return false;
        await ws.applySnapshotChunk(chunk);
        return true;
      });
      for (;;) {
        if (signal.aborted) return;
        const job = queue.shift();
        if (!job) return;
        const schema = schemas.get(`${job.plan.database}.${job.plan.table}`)!;
        const range = job.plan.ranges[job.index]!;
        // Typed cells; a target that takes the source's own row format (LOAD DATA text) gets that when the rows fit.
        let position: Position;
        let count: number;
        try {
          const text = sourceText ? await reader.readChunkText(schema, range, sourceText, withGenerated) : null;
          let loaded = false;
          if (text) {
            try {
              if (!await write(job, { database: schema.database, table: schema.table, schema,
                columns: text.columns.map((c) => c.name), rows: [], sourceText: text, index: job.index, position: text.position })) return;
              loaded = true;
            } catch (err) {
              if (!isSourceTextDeclined(err)) throw err;
              if (err.details['refused'] === true) sourceText = undefined;
            }
          }
          if (text && loaded) {
            position = text.position;
            count = text.rows;
          } else {
            const read = await reader.readChunk(schema, range, withGenerated);
            if (!await write(job, { database: schema.database, table: schema.table, schema,
              columns: read.columns, rows: read.rows, index: job.index, position: read.position })) return;
            position = read.position;
            count = read.rows.length;
          }
        } catch (err) {
          if (!isDefinitionChanged(err)) throw err;
          // A DDL on p table since it was planned: stop copying it; it is copied again after the stream applied the DDL.
          const key = `${job.plan.database}.${job.plan.table}`;
          // The DDL is committed (the check saw it), so the source's current end is past it.
          const at = await currentPosition(p.opts.source.url);
          const prev = changed.get(key);
          if (!prev || comparePositions(at, prev.after) > 0) changed.set(key, { plan: job.plan, after: at });
          for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.plan === job.plan) queue.splice(i, 1);
          p.log.warn({ table: key, after: at }, 'table definition changed during the snapshot: the table is copied again once streaming has applied the change');
          continue;
        }
        job.plan.done[job.index] = position;
        job.plan.rowsCopied += count;
        p.stats.snapshotRowsCopied += count;
        progress(job.plan);
        if (Date.now() - lastLog > 2000) {
          lastLog = Date.now();
          const secs = (Date.now() - started) / 1000;
          p.log.info({ table: `${schema.database}.${schema.table}`, rowsCopied: p.stats.snapshotRowsCopied,
            rowsEstimated: p.stats.snapshotRowsEstimated, rowsPerSecond: Math.round(p.stats.snapshotRowsCopied / secs) }, 'snapshot progress');
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, tuning.snapshotParallelism) }, worker));
    } finally {
      await Promise.all(workerSinks.map((w) => w.close().catch(() => undefined)));
    }
    if (signal.aborted) throw new SluiceError('SNAPSHOT_FAILED', 'snapshot interrupted', 'it resumes at the next chunk on restart');

    // Changed tables get no coverage: the stream applies all their changes (they are copied again later).
    const coverage: TableCoverage[] = plans.filter((p) => !changed.has(`${p.database}.${p.table}`)).map((p) => ({
      database: p.database, table: p.table,
      chunks: p.ranges.map((range, i) => ({ range, position: p.done[i]! })),
    }));
    const again: ResnapshotRequest[] = [...changed.values()].map((c) => ({ database: c.plan.database, table: c.plan.table, after: c.after }));
    for (const t of later) again.push({ database: t.database, table: t.table, after: laterAfter! });
    const seconds = (Date.now() - started) / 1000;
    p.log.info({ rowsCopied: p.stats.snapshotRowsCopied, seconds, rowsPerSecond: Math.round(p.stats.snapshotRowsCopied / Math.max(seconds, 0.001)) }, 'snapshot done');
    if (streamState) {
      return { pipeline: p.name, position: streamState.position, epoch,
        state: { phase: 'stream', coverage: [...streamState.coverage, ...coverage], ...(again.length > 0 ? { resnapshot: again } : {}) } };
    }
    const positions = coverage.flatMap((c) => c.chunks.map((x) => x.position)).sort(comparePositions);
    const start = positions[0] ?? planPosition;
    const next: Checkpoint = withHistory({ pipeline: p.name, position: start, epoch,
      state: { phase: 'stream', coverage, ...(again.length > 0 ? { resnapshot: again } : {}) } }, p.historyRows(history));
    await sink.apply({ changes: [], checkpoint: next });
    await sink.clearSnapshotChunks();
    return next;
  } finally {
    await reader.close();
    await loader.close();
  }
}

/**
 * Keep one model per table: where the schema history holds the very definition the copy read (the usual case:
 * both were read from information_schema moments apart), the copy uses the history's object and its own read
 * becomes garbage. With 10,000 tables the two copies were ~13 MB of the live heap each.
 */
export function shareSchemas(schemas: Map<string, TableSchema>, history: SchemaHistory, at: Position): void {
  for (const [k, own] of schemas) {
    const kept = history.schemaAt(own.database, own.table, at);
    if (kept !== null && kept !== own && isDeepStrictEqual({ ...kept, version: 0 }, { ...own, version: 0 })) schemas.set(k, kept);
  }
}
