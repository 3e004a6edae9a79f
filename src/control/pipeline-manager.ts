/**
 * Runs the store's pipelines in-process: start / pause / resume / stop / retry, the state of each, a ring
 * of recent errors, cumulative counters across runs (for Prometheus), and a metric sample of every
 * pipeline every 5 s into the store's history (kept 24 h).
 *
 * pause = stop the run after the current batch and keep the checkpoint (desired state `paused`);
 * resume = run again from the checkpoint. The desired state is stored, so `sluice serve` restarts what
 * was running.
 */
import { isSluiceError } from '../errors.js';
import { checkPipeline, checkSource, checkTarget, type CheckResult } from '../preflight/preflight.js';
import type { PipelineConfig, SourceConfig, TargetConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { SluiceError } from '../errors.js';
import { Pipeline, type PipelineStats, type SkipTarget, type SkippedEvent, type TableCounts } from '../pipeline/pipeline.js';
import { SourceReaders, buildPipeline, type CatchUpIdsOf, type ServerIdOf } from '../pipeline/build.js';
import { toSourceConfig, toTargetConfig, type DesiredState, type MetricSample, type Store } from '../store/store.js';
import type { PipelineError, PipelineState, PipelineStatus } from './pipeline-status.js';
import { VerifyRuns, type LastVerifyResult, type VerifyRequest, type VerifyRun } from '../verify/verify-runs.js';

export interface PipelineManagerOptions {
  store: Store;
  logger: Logger;
  /** Sampling period of the metric history (default 5000 ms). */
  sampleIntervalMs?: number;
  /** How long samples are kept (default 24 h). */
  retentionMs?: number;
  /** Run the preflight checks before each start (default true). */
  preflight?: boolean;
  /** Pipeline retry backoff (tests use short delays). */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
  /**
   * Cluster mode: run a pipeline only while this node holds its lease (handed over by the ClusterMember with
   * `runLeased`); start/resume elsewhere only record the desired state, which the owner (or the next claimer) acts on.
   */
  leased?: boolean;
  /**
   * Cluster mode: a run was refused by the target because its checkpoint row carries a newer epoch than the
   * lease's (written before the cluster, e.g. by `sluice run`); the ClusterMember raises the lease's epoch past it.
   */
  onEpochBehind?(name: string, storedEpoch: number): void;
  /**
   * The server id of this node's binlog reader of a source (cluster mode: distinct per node, see ClusterMember);
   * default: the source's `serverId`, else one per source and process.
   */
  serverIds?: ServerIdOf;
  /**
   * Server ids for catch-up readers (a pipeline joining behind its source's shared reader); default: the shared
   * reader's id + 1, + 2, … when `serverIds` is not given, none otherwise (joiners behind restart the reader).
   */
  catchUpIds?: CatchUpIdsOf;
}

/** Counters that survive restarts of a pipeline's run (Prometheus counters must not go down). */
export interface PipelineTotals {
  rowsApplied: number;
  transactionsApplied: number;
  errors: number;
  restarts: number;
  /** Stream restarts by the watchdog (no progress, no heartbeat). */
  stalls: number;
  bytesRead: number;
  sourceReconnects: number;
  /** Streamed row changes per source table (`db.table`) and operation. */
  tables: Map<string, TableCounts>;
  /** Errors by code. */
  errorsByCode: Map<string, number>;
  /** Source transactions / DDL statements skipped on request. */
  skipped: number;
}

interface Seen { rowsApplied: number; transactionsApplied: number; errors: number; restarts: number; stalls: number; lastError: string | null; bytesRead: number; sourceReconnects: number;
  tables: Map<string, TableCounts>; skipped: number }

const newSeen = (): Seen => ({ rowsApplied: 0, transactionsApplied: 0, errors: 0, restarts: 0, stalls: 0, lastError: null, bytesRead: 0, sourceReconnects: 0, tables: new Map(), skipped: 0 });
const newTotals = (): PipelineTotals => ({ rowsApplied: 0, transactionsApplied: 0, errors: 0, restarts: 0, stalls: 0, bytesRead: 0, sourceReconnects: 0, tables: new Map(), errorsByCode: new Map(), skipped: 0 });

interface Entry {
  name: string;
  pipeline: Pipeline | null;
  controller: AbortController | null;
  done: Promise<void> | null;
  failed: boolean;
  errors: PipelineError[];
  startedAt: string | null;
  since: string | null;
  lastState: PipelineState;
  seen: Seen;
  totals: PipelineTotals;
  /** Skip requested by the operator, passed to each run until the stream passes it. */
  skipAt: SkipTarget | null;
  skipped: SkippedEvent[];
  /** The next launch starts with a resync. */
  resync: boolean;
  rate: { time: number; rows: number; snapshotRows: number; rowsPerSecond: number; snapshotRowsPerSecond: number };
  /** Per table of the current run: last seen done flag and rows copied, and the re-snapshot queue (to notice finished copies). */
  copies: { tables: Map<string, { done: boolean; rows: number }>; queue: string[] };
}

const MAX_ERRORS = 20;

export class PipelineManager {
  private readonly entries = new Map<string, Entry>();
  private readonly store: Store;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private readonly sampleIntervalMs: number;
  private readonly retentionMs: number;
  /** Cluster mode: the lease epoch of every pipeline this node holds (the fencing token its runs write with). */
  private readonly leasedEpochs = new Map<string, number>();
  /** The pipelines of one source that run here share one binlog reader. */
  readonly readers: SourceReaders;

  constructor(private readonly opts: PipelineManagerOptions) {
    this.store = opts.store;
    this.log = opts.logger.child({ component: 'pipeline-manager' });
    this.sampleIntervalMs = opts.sampleIntervalMs ?? 5000;
    this.retentionMs = opts.retentionMs ?? 24 * 3600 * 1000;
    this.readers = new SourceReaders(opts.logger, opts.serverIds, opts.catchUpIds);
  }

  /** Start every pipeline whose desired state is `running`, and the sampler. */
  async startAll(): Promise<void> {
    if (!this.opts.leased) for (const p of await this.store.listPipelines()) if (p.desiredState === 'running') await this.launch(p.config.name);
    this.timer = setInterval(() => { void this.sample(); }, this.sampleIntervalMs);
    this.timer.unref();
  }

  async names(): Promise<string[]> {
    return (await this.store.listPipelines()).map((p) => p.config.name);
  }

  /** Verify runs (`sluice verify` in the background) and their per-table figures for the metrics. */
  readonly verifyRuns = new VerifyRuns((pipeline, result) => {
    // On failure the result stays in memory (GET shows it until a restart).
    this.background(`keep the verify result of ${pipeline} ${result.table}`, () => this.store.recordVerifyResult(pipeline, result));
  });

  /** Store writes made on the side of a run (its observations), one after the other; a failure is logged. */
  private writes: Promise<void> = Promise.resolve();

  private background(what: string, write: () => Promise<void>): void {
    this.writes = this.writes.then(write).catch((err: unknown) => {
      this.log.warn({ err: String(err) }, `cannot ${what} in the store`);
    });
  }

  /** Start verifying a pipeline's tables against the source (and repairing, if asked); see verify/. */
  async verify(name: string, req: VerifyRequest): Promise<VerifyRun> {
    const rec = await this.store.getPipeline(name);
    if (!rec) throw new SluiceError('BAD_ARGUMENT', `no pipeline named ${name}`, 'create it first');
    const source = await this.store.getEndpoint('source', rec.config.source);
    const target = await this.store.getEndpoint('target', rec.config.target);
    if (!source || !target) throw new SluiceError('BAD_CONFIG', `pipeline ${name} refers to a missing ${source ? 'target' : 'source'}`, 'create it, or edit the pipeline');
    return this.verifyRuns.start(rec.config, toSourceConfig(source), toTargetConfig(target), req);
  }

  latestVerify(name: string): VerifyRun | null {
    return this.verifyRuns.latest(name);
  }

  /** The latest verify result of every table of the pipeline (kept in the store: survives a restart). */
  lastVerifyResults(name: string): Promise<LastVerifyResult[]> {
    return this.store.verifyResults(name);
  }

  async start(name: string): Promise<PipelineStatus> {
    await this.store.setDesiredState(name, 'running');
    if (!this.isRunning(name) && (!this.opts.leased || this.leasedEpochs.has(name))) await this.launch(name);
    return this.status(name);
  }

  /** Cluster mode: this node now holds the pipeline's lease with `epoch`: run it (with that fencing token). */
  async runLeased(name: string, epoch: number): Promise<void> {
    this.leasedEpochs.set(name, epoch);
    if (!this.isRunning(name)) await this.launch(name);
  }

  /**
   * Cluster mode: the lease is gone (lost, released, or to be released): stop the run now. `lost`: the lease was
   * lost (taken, or not renewed before its deadline): not one more write — the batch in hand is dropped, an open
   * target transaction rolled back — instead of the clean stop's last flush.
   */
  async dropLeased(name: string, lost = false): Promise<void> {
    this.leasedEpochs.delete(name);
    if (lost) this.entries.get(name)?.pipeline?.cutWrites();
    await this.halt(name);
  }

  /** Cluster mode: the pipelines this node holds, with their lease epochs. */
  leased(): ReadonlyMap<string, number> {
    return this.leasedEpochs;
  }

  async pause(name: string): Promise<PipelineStatus> {
    await this.store.setDesiredState(name, 'paused');
    await this.halt(name);
    return this.status(name);
  }

  resume(name: string): Promise<PipelineStatus> {
    return this.start(name);
  }

  async stop(name: string): Promise<PipelineStatus> {
    await this.store.setDesiredState(name, 'stopped');
    await this.halt(name);
    return this.status(name);
  }

  /** Restart now: a failed pipeline, or one waiting in its retry backoff. */
  async retry(name: string): Promise<PipelineStatus> {
    await this.halt(name);
    return this.start(name);
  }

  /** Apply a changed definition: a running pipeline is restarted with it. */
  async reload(name: string): Promise<void> {
    if (!this.isRunning(name)) return;
    await this.halt(name);
    if (!this.opts.leased || this.leasedEpochs.has(name)) await this.launch(name);
  }

  /** Stop and forget a pipeline (before it is deleted from the store). */
  async remove(name: string): Promise<void> {
    await this.halt(name);
    this.entries.delete(name);
    this.verifyRuns.drop(name);
  }

  isRunning(name: string): boolean {
    const e = this.entries.get(name);
    return !!e?.controller && !e.controller.signal.aborted;
  }

  totals(name: string): PipelineTotals {
    const e = this.entries.get(name);
    if (e) this.observe(e);
    return e ? { ...e.totals, tables: new Map(e.totals.tables), errorsByCode: new Map(e.totals.errorsByCode) } : newTotals();
  }

  /**
   * Pass over one source transaction or DDL statement that the target refuses (default: the one named
   * by the latest error), and restart the pipeline. Its changes never reach the target.
   */
  async skip(name: string, target?: SkipTarget): Promise<PipelineStatus> {
    const e = await this.entry(name);
    const at = target ?? e.errors[0]?.skip;
    if (!at) {
      throw new SluiceError('BAD_ARGUMENT', `the latest error of pipeline ${name} names no source transaction to skip`,
        'skip applies to a failed transaction or DDL statement (its error carries a position); give file, pos and kind to name one');
    }
    await this.halt(name);
    e.skipAt = { file: at.file, pos: at.pos, kind: at.kind };
    await this.store.setPendingSkip(name, e.skipAt);
    this.log.warn({ pipeline: name, skip: e.skipAt }, 'skip requested');
    return this.start(name);
  }

  /**
   * Stream from the source's current position and copy every table again (shadow tables swapped in):
   * the repair when the checkpoint's binlog was purged or the target drifted. Restarts the pipeline.
   */
  async resync(name: string): Promise<PipelineStatus> {
    const e = await this.entry(name);
    await this.halt(name);
    e.resync = true;
    this.log.warn({ pipeline: name }, 'resync requested');
    return this.start(name);
  }

  /** Copy one table of a streaming pipeline again (see Pipeline.requestResnapshot). */
  async resnapshot(name: string, database: string, table: string): Promise<PipelineStatus> {
    const e = this.entries.get(name);
    if (!e?.pipeline || !this.isRunning(name)) {
      throw new SluiceError('BAD_ARGUMENT', `pipeline ${name} is not running: a table can be re-copied only while it streams`, 'start the pipeline first');
    }
    await e.pipeline.requestResnapshot(database, table);
    return this.status(name);
  }

  async status(name: string): Promise<PipelineStatus> {
    const rec = await this.store.getPipeline(name);
    const lastCopies = await this.store.tableCopies(name);
    const desired: DesiredState = rec?.desiredState ?? 'stopped';
    const e = this.entries.get(name);
    if (e) this.observe(e);
    const s: PipelineStats | null = e?.pipeline?.stats ?? null;
    const state = e ? this.stateOf(e, desired) : desired === 'paused' ? 'paused' : 'stopped';
    // Streaming again: every error so far is resolved (it stays listed, marked).
    if (e && state === 'streaming') {
      const t = new Date().toISOString();
      for (const err of e.errors) err.resolvedAt ??= t;
    }
    const copied = s?.snapshotRowsCopied ?? 0;
    const estimated = s?.snapshotRowsEstimated ?? 0;
    const snapRate = e?.rate.snapshotRowsPerSecond ?? 0;
    const percent = estimated > 0 ? Math.min(100, Math.round((copied / estimated) * 1000) / 10) : state === 'streaming' ? 100 : null;
    const pos = s?.position ?? null;
    return {
      name, state, desiredState: desired, since: e?.since ?? null, startedAt: e?.startedAt ?? null,
      lagSeconds: s?.lagSeconds ?? null, rowsPerSecond: e?.rate.rowsPerSecond ?? 0,
      rowsApplied: e?.totals.rowsApplied ?? 0, transactionsApplied: e?.totals.transactionsApplied ?? 0,
      snapshot: {
        rowsCopied: copied, rowsEstimated: estimated, percent, rowsPerSecond: snapRate,
        etaSeconds: state === 'snapshotting' && snapRate > 0 ? Math.max(0, Math.round((estimated - copied) / snapRate)) : null,
        tables: (s?.snapshotTables ?? []).map((t) => ({ database: t.database, table: t.table, rowsCopied: t.rowsCopied, rowsEstimated: t.rowsEstimated, done: t.done })),
        lastCopies,
      },
      position: pos ? { file: pos.file, pos: pos.pos, ...(pos.gtidSet ? { gtidSet: pos.gtidSet } : {}) } : null,
      errorCount: e?.totals.errors ?? 0, restarts: e?.totals.restarts ?? 0, recentErrors: (e?.errors ?? []).map((x) => ({ ...x })),
      pendingSkip: e?.skipAt ?? null, skipped: [...(e?.skipped ?? [])], resnapshotQueue: [...(s?.resnapshotQueue ?? [])],
      bytesRead: e?.totals.bytesRead ?? 0, sourceReconnects: e?.totals.sourceReconnects ?? 0, queuedChanges: s?.queuedChanges ?? 0,
      owner: null,
    };
  }

  /** Stop every run (server shutdown); desired states stay as stored. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.entries.keys()].map((n) => this.halt(n)));
    await this.readers.close();
    await this.verifyRuns.close();
    await this.writes;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private async entry(name: string): Promise<Entry> {
    let e = this.entries.get(name);
    if (e) return e;
    const skipAt = await this.store.pendingSkip(name);
    e = this.entries.get(name); // another call made it meanwhile
    if (!e) {
      e = {
        name, pipeline: null, controller: null, done: null, failed: false, errors: [], startedAt: null, since: null, lastState: 'stopped',
        seen: newSeen(), totals: newTotals(), skipAt, skipped: [], resync: false,
        rate: { time: Date.now(), rows: 0, snapshotRows: 0, rowsPerSecond: 0, snapshotRowsPerSecond: 0 },
        copies: { tables: new Map(), queue: [] },
      };
      this.entries.set(name, e);
    }
    return e;
  }

  private async launch(name: string): Promise<void> {
    const rec = await this.store.getPipeline(name);
    if (!rec) return;
    const e = await this.entry(name);
    const source = await this.store.getEndpoint('source', rec.config.source);
    const target = await this.store.getEndpoint('target', rec.config.target);
    if (this.isRunning(name)) return; // started by a concurrent call while the store answered
    const epoch = this.opts.leased ? this.leasedEpochs.get(name) : undefined;
    if (this.opts.leased && epoch === undefined) return; // the lease went while the store answered
    e.failed = false;
    if (!source || !target) {
      this.fail(e, 'BAD_CONFIG', `pipeline ${name} refers to a missing ${source ? 'target' : 'source'}`, 'create it, or edit the pipeline');
      return;
    }
    const pipeline = buildPipeline(rec.config, toSourceConfig(source), toTargetConfig(target), {
      logger: this.opts.logger, readers: this.readers,
      ...(this.opts.retry ? { retry: this.opts.retry } : {}),
      ...(e.skipAt ? { skip: e.skipAt } : {}),
      ...(e.resync ? { resync: true } : {}),
      ...(epoch !== undefined ? { epoch } : {}),
    });
    e.resync = false;
    const controller = new AbortController();
    e.pipeline = pipeline;
    e.controller = controller;
    e.seen = newSeen();
    e.copies = { tables: new Map(), queue: [] };
    e.rate = { time: Date.now(), rows: 0, snapshotRows: 0, rowsPerSecond: 0, snapshotRowsPerSecond: 0 };
    e.startedAt = new Date().toISOString();
    this.log.info({ pipeline: name }, 'pipeline started');
    const sourceConfig = toSourceConfig(source);
    const targetConfig = toTargetConfig(target);
    e.done = (this.opts.preflight === false ? Promise.resolve(null) : this.preflight(rec.config, sourceConfig, targetConfig)).then((problem) => {
      if (problem) {
        this.fail(e, problem.code ?? 'PREFLIGHT_FAILED', problem.what, problem.fix ?? null);
        return;
      }
      if (controller.signal.aborted) return;
      return pipeline.run(controller.signal).then(() => {
        this.observe(e);
      }, (err: unknown) => {
        if (this.observe(e)) e.errors.shift(); // the failure is recorded below with its code and fix
        const code = isSluiceError(err) ? err.code : 'INTERNAL';
        const stored = isSluiceError(err) && code === 'FENCED' ? Number(err.details['storedEpoch']) : NaN;
        if (epoch !== undefined && this.leasedEpochs.get(name) === epoch && Number.isFinite(stored) && stored > epoch && this.opts.onEpochBehind) {
          this.log.warn({ pipeline: name, epoch, storedEpoch: stored }, 'the target holds a newer epoch than the lease (written outside the cluster): raising the lease epoch');
          this.opts.onEpochBehind(name, stored);
        }
        this.fail(e, code, err instanceof Error ? err.message : String(err), isSluiceError(err) ? err.fix : null, false, isSluiceError(err) ? skipOf(err.details) : undefined);
      });
    }).finally(() => {
      if (e.controller === controller) e.controller = null;
    });
  }

  /**
   * The checks of `sluice check` before a pipeline touches anything: binlog on and ROW, grants, target
   * privileges, compatible existing tables, checkpoint still in the binlog. The first permanent problem is
   * returned (the pipeline fails with its code and fix); unreachable servers are left to the pipeline's own
   * retries, and warnings are logged.
   */
  private async preflight(p: PipelineConfig, source: SourceConfig, target: TargetConfig): Promise<CheckResult | null> {
    try {
      const results = [...await checkSource(source.url), ...await checkTarget(target)];
      if (results.every((r) => r.ok)) results.push(...await checkPipeline(p, source, target));
      for (const r of results) if (r.ok && r.warn) this.log.warn({ pipeline: p.name, code: r.code, fix: r.fix }, `preflight warning: ${r.what}`);
      return results.find((r) => !r.ok && !r.transient) ?? null;
    } catch (err) {
      this.log.warn({ pipeline: p.name, err: String(err) }, 'preflight could not run; starting the pipeline anyway');
      return null;
    }
  }

  private fail(e: Entry, code: string, message: string, fix: string | null, count = true, skip?: SkipTarget): void {
    e.failed = true;
    if (count) {
      e.totals.errors++;
      e.totals.errorsByCode.set(code, (e.totals.errorsByCode.get(code) ?? 0) + 1);
    }
    this.pushError(e, { time: new Date().toISOString(), code, message, fix, ...(skip ? { skip } : {}) });
    this.log.error({ pipeline: e.name, code }, `pipeline failed: ${message}`);
  }

  private pushError(e: Entry, err: PipelineError): void {
    e.errors.unshift(err);
    if (e.errors.length > MAX_ERRORS) e.errors.length = MAX_ERRORS;
  }

  private async halt(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (!e) return;
    e.controller?.abort();
    await e.done;
    e.failed = false;
  }

  private stateOf(e: Entry, desired: DesiredState): PipelineState {
    let state: PipelineState;
    if (e.failed) state = 'failed';
    else if (e.controller && !e.controller.signal.aborted && e.pipeline) {
      const st = e.pipeline.stats.status;
      state = st === 'failed' ? 'failed' : st === 'stopped' ? 'stopped' : st;
    } else state = desired === 'paused' ? 'paused' : 'stopped';
    if (state !== e.lastState) {
      e.lastState = state;
      e.since = new Date().toISOString();
    }
    return state;
  }

  /** Fold the current run's stats into the cumulative counters and the error ring. */
  private observe(e: Entry): boolean {
    const s = e.pipeline?.stats;
    if (!s) return false;
    let pushed = false;
    e.totals.rowsApplied += Math.max(0, s.rowsApplied - e.seen.rowsApplied);
    e.totals.transactionsApplied += Math.max(0, s.transactionsApplied - e.seen.transactionsApplied);
    e.totals.restarts += Math.max(0, s.restarts - e.seen.restarts);
    e.totals.stalls += Math.max(0, s.stalls - e.seen.stalls);
    e.totals.bytesRead += Math.max(0, s.bytesRead - e.seen.bytesRead);
    e.totals.sourceReconnects += Math.max(0, s.sourceReconnects - e.seen.sourceReconnects);
    const seenTables = new Map<string, TableCounts>();
    for (const [key, c] of s.changesByTable) {
      const before = e.seen.tables.get(key);
      let t = e.totals.tables.get(key);
      if (!t) e.totals.tables.set(key, t = { inserts: 0, updates: 0, deletes: 0 });
      t.inserts += c.inserts - (before?.inserts ?? 0);
      t.updates += c.updates - (before?.updates ?? 0);
      t.deletes += c.deletes - (before?.deletes ?? 0);
      seenTables.set(key, { ...c });
    }
    if (s.errors > e.seen.errors) {
      e.totals.errors += s.errors - e.seen.errors;
      const m = s.lastError ? /^([A-Z_]+): (.*?)(?: — fix: (.*))?$/s.exec(s.lastError) : null;
      const code = m?.[1] ?? 'ERROR';
      e.totals.errorsByCode.set(code, (e.totals.errorsByCode.get(code) ?? 0) + (s.errors - e.seen.errors));
      if (s.lastError && s.lastError !== e.seen.lastError) {
        const skip = s.lastErrorDetails ? skipOf(s.lastErrorDetails) : undefined;
        this.pushError(e, { time: new Date().toISOString(), code, message: m?.[2] ?? s.lastError, fix: m?.[3] ?? null, ...(skip ? { skip } : {}) });
        pushed = true;
      }
    }
    // The run passed the skip position without meeting it: nothing to wait for any more.
    if (e.skipAt && s.pendingSkip === null) {
      e.skipAt = null;
      this.background(`clear the pending skip of ${e.name}`, () => this.store.setPendingSkip(e.name, null));
    }
    for (const sk of s.skipped.slice(e.seen.skipped)) {
      e.totals.skipped++;
      e.skipped.unshift(sk);
      if (e.skipAt && e.skipAt.file === sk.position.file && e.skipAt.pos === sk.position.pos && e.skipAt.kind === sk.position.kind) {
        e.skipAt = null;
        this.background(`clear the pending skip of ${e.name}`, () => this.store.setPendingSkip(e.name, null));
      }
    }
    if (e.skipped.length > MAX_ERRORS) e.skipped.length = MAX_ERRORS;
    this.noteCopies(e, s);
    e.seen = { rowsApplied: s.rowsApplied, transactionsApplied: s.transactionsApplied, errors: s.errors, restarts: s.restarts, stalls: s.stalls, lastError: s.lastError,
      bytesRead: s.bytesRead, sourceReconnects: s.sourceReconnects, tables: seenTables, skipped: s.skipped.length };
    return pushed;
  }

  /**
   * Remember each table's last complete copy (kept in the store, so that it outlives the run, a retry, a restart):
   * a table that turned done, finished with another row count, or left the re-snapshot queue done.
   */
  private noteCopies(e: Entry, s: PipelineStats): void {
    const finishedAt = new Date().toISOString();
    for (const t of s.snapshotTables) {
      const key = `${t.database}.${t.table}`;
      const before = e.copies.tables.get(key);
      const requeued = e.copies.queue.includes(key) && !s.resnapshotQueue.includes(key);
      if (t.done && (!before || !before.done || before.rows !== t.rowsCopied || requeued)) {
        const copy = { table: key, rowsCopied: t.rowsCopied, finishedAt };
        this.background(`record the copy of ${e.name} ${key}`, () => this.store.recordTableCopy(e.name, copy));
      }
      e.copies.tables.set(key, { done: t.done, rows: t.rowsCopied });
    }
    e.copies.queue = [...s.resnapshotQueue];
  }

  /** One metric sample per known pipeline, rates since the previous sample; prune old samples. */
  async sample(): Promise<void> {
    const t = Date.now();
    const samples: MetricSample[] = [];
    let names: string[];
    try {
      // Cluster mode: each pipeline is sampled by the node that runs it (the history is shared).
      names = this.opts.leased ? [...this.leasedEpochs.keys()] : await this.names();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot read the pipelines for the metric samples');
      return;
    }
    for (const name of names) {
      const e = await this.entry(name);
      this.observe(e);
      let st: PipelineStatus;
      try {
        st = await this.status(name);
      } catch {
        continue;
      }
      const dt = Math.max(0.001, (t - e.rate.time) / 1000);
      const rows = e.totals.rowsApplied;
      const snapRows = st.snapshot.rowsCopied;
      const snapDelta = Math.max(0, snapRows - e.rate.snapshotRows);
      e.rate = {
        time: t, rows, snapshotRows: snapRows,
        rowsPerSecond: Math.round(((rows - e.rate.rows + snapDelta) / dt) * 10) / 10,
        snapshotRowsPerSecond: Math.round((snapDelta / dt) * 10) / 10,
      };
      samples.push({ pipeline: name, time: t, state: st.state, lagSeconds: st.lagSeconds, rowsPerSecond: e.rate.rowsPerSecond,
        rowsApplied: rows, snapshotRowsCopied: snapRows, errorCount: e.totals.errors });
    }
    try {
      await this.store.addSamples(samples);
      await this.store.pruneSamples(t - this.retentionMs);
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot write metric samples');
    }
  }
}

function skipOf(details: Readonly<Record<string, unknown>>): SkipTarget | undefined {
  const v = details['skip'] as Partial<SkipTarget> | undefined;
  if (!v || typeof v.file !== 'string' || typeof v.pos !== 'number' || (v.kind !== 'transaction' && v.kind !== 'ddl')) return undefined;
  return { file: v.file, pos: v.pos, kind: v.kind };
}
