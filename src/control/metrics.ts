/**
 * Prometheus metrics of the managed pipelines (all named `sluice_…`) plus Node process metrics, read
 * from the PipelineManager at scrape time. The list, with labels, is in docs/api.md (`GET /metrics`).
 *
 * Counters come from the manager's cumulative totals (which survive restarts of a pipeline's run): each
 * series remembers the total reported so far and is increased by the difference, so it never goes down.
 * No metric mixes label sets: `sum()` over any of them counts every row, error or byte once.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineManager } from './pipeline-manager.js';
import { PIPELINE_STATES } from './pipeline-status.js';

const OPS = [['insert', 'inserts'], ['update', 'updates'], ['delete', 'deletes']] as const;

type Series<L extends string> = Record<L, string> & { pipeline: string };

/** Key of one label set (labels are always built in the same order). */
const keyOf = (labels: Readonly<Record<string, string>>): string => JSON.stringify(labels);

/** A counter fed with cumulative totals, per pipeline. */
class TotalCounter<L extends string> {
  private readonly counter: Counter<L>;
  /** pipeline → label key → the series' labels and the total reported so far. */
  private readonly reported = new Map<string, Map<string, { labels: Series<L>; total: number }>>();

  constructor(name: string, help: string, labelNames: readonly L[], registry: Registry) {
    this.counter = new Counter({ name, help, labelNames, registers: [registry] });
  }

  /**
   * Bring one series up to `total`. A total below the one reported means the pipeline's counters started
   * again (it was deleted and created anew between two scrapes): the series restarts from it, which
   * Prometheus reads as a counter reset.
   */
  report(labels: Series<L>, total: number): void {
    let series = this.reported.get(labels.pipeline);
    if (!series) this.reported.set(labels.pipeline, series = new Map());
    const key = keyOf(labels);
    const prev = series.get(key);
    if (prev && total < prev.total) {
      this.counter.remove(labels);
      this.counter.inc(labels, total);
    } else {
      this.counter.inc(labels, total - (prev?.total ?? 0)); // inc by 0 creates the series at 0
    }
    series.set(key, { labels, total });
  }

  drop(pipeline: string): void {
    for (const { labels } of this.reported.get(pipeline)?.values() ?? []) this.counter.remove(labels);
    this.reported.delete(pipeline);
  }
}

/** A gauge whose series of a pipeline are replaced as a whole at every scrape (series not given go away). */
class PipelineGauge<L extends string> {
  private readonly gauge: Gauge<L>;
  private readonly current = new Map<string, Map<string, Series<L>>>();

  constructor(name: string, help: string, labelNames: readonly L[], registry: Registry) {
    this.gauge = new Gauge({ name, help, labelNames, registers: [registry] });
  }

  replace(pipeline: string, values: ReadonlyArray<readonly [Series<L>, number]>): void {
    const before = this.current.get(pipeline) ?? new Map<string, Series<L>>();
    const now = new Map<string, Series<L>>();
    for (const [labels, value] of values) {
      this.gauge.set(labels, value);
      now.set(keyOf(labels), labels);
    }
    for (const [key, labels] of before) if (!now.has(key)) this.gauge.remove(labels);
    if (now.size > 0) this.current.set(pipeline, now);
    else this.current.delete(pipeline);
  }

  drop(pipeline: string): void {
    this.replace(pipeline, []);
  }
}

export class PipelineMetrics {
  readonly registry = new Registry();
  private readonly lag: PipelineGauge<'pipeline'>;
  private readonly rows: TotalCounter<'pipeline' | 'table' | 'op'>;
  private readonly txns: TotalCounter<'pipeline'>;
  private readonly bytesRead: TotalCounter<'pipeline'>;
  private readonly reconnects: TotalCounter<'pipeline'>;
  private readonly queueDepth: PipelineGauge<'pipeline'>;
  private readonly errors: TotalCounter<'pipeline' | 'kind'>;
  private readonly restarts: TotalCounter<'pipeline'>;
  private readonly stalls: TotalCounter<'pipeline'>;
  private readonly skipped: TotalCounter<'pipeline'>;
  private readonly snapCopied: PipelineGauge<'pipeline' | 'table'>;
  private readonly snapEstimated: PipelineGauge<'pipeline' | 'table'>;
  private readonly state: PipelineGauge<'pipeline' | 'state'>;
  private readonly verifyRows: TotalCounter<'pipeline' | 'table'>;
  private readonly verifyMismatched: PipelineGauge<'pipeline' | 'table'>;
  /** Pipelines with series in the registry. */
  private readonly known = new Set<string>();

  constructor(private readonly manager: PipelineManager) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'sluice_' });
    this.lag = new PipelineGauge('sluice_pipeline_lag_seconds',
      'Seconds the target is behind the source: now minus the source commit time of the last transaction applied (of the last heartbeat while the source is idle); absent until the pipeline has streamed',
      ['pipeline'], r);
    this.rows = new TotalCounter('sluice_rows_applied_total',
      'Row changes read from the binlog and committed on the target, by source table (db.table) and op (insert, update, delete); snapshot copies are not counted (see sluice_snapshot_rows_copied)',
      ['pipeline', 'table', 'op'], r);
    this.txns = new TotalCounter('sluice_transactions_applied_total', 'Source transactions committed on the target by streaming (with their checkpoint; one skipped on request counts, with no changes)', ['pipeline'], r);
    this.bytesRead = new TotalCounter('sluice_source_bytes_read_total', 'Binlog bytes received from the source by the pipeline\'s binlog connection', ['pipeline'], r);
    this.reconnects = new TotalCounter('sluice_source_reconnects_total', 'Reconnects of the pipeline\'s binlog connection to the source', ['pipeline'], r);
    this.queueDepth = new PipelineGauge('sluice_queue_depth',
      'Row changes read from the binlog and not yet committed on the target (the batch being built and the one being written); 0 while the pipeline is not running',
      ['pipeline'], r);
    this.errors = new TotalCounter('sluice_errors_total',
      'Pipeline errors by kind (the error code, e.g. TARGET_WRITE_FAILED, CONNECTION_LOST): failures, and transient errors the pipeline restarted after',
      ['pipeline', 'kind'], r);
    this.restarts = new TotalCounter('sluice_restarts_total', 'Automatic restarts of the pipeline run after transient failures (e.g. a lost connection)', ['pipeline'], r);
    this.stalls = new TotalCounter('sluice_stream_stalls_total', 'Stream restarts by the watchdog: no message from the source (not even a heartbeat) and no write finished for stallTimeoutSeconds', ['pipeline'], r);
    this.skipped = new TotalCounter('sluice_skipped_events_total',
      'Source transactions and DDL statements skipped on request (POST /api/pipelines/NAME/skip): their changes are not on the target', ['pipeline'], r);
    this.snapCopied = new PipelineGauge('sluice_snapshot_rows_copied',
      'Rows copied by the current (or last) snapshot or re-snapshot of the pipeline, per source table (db.table); sum by (pipeline) for the whole snapshot',
      ['pipeline', 'table'], r);
    this.snapEstimated = new PipelineGauge('sluice_snapshot_rows_estimated',
      'Rows the current (or last) snapshot or re-snapshot is estimated to copy, per source table (db.table): table statistics, at least the rows copied',
      ['pipeline', 'table'], r);
    this.state = new PipelineGauge('sluice_pipeline_state', 'Pipeline state: 1 for the current state, 0 for the others', ['pipeline', 'state'], r);
    this.verifyRows = new TotalCounter('sluice_verify_rows_checked_total', 'Source rows compared with the target by verify runs, per source table (db.table)', ['pipeline', 'table'], r);
    this.verifyMismatched = new PipelineGauge('sluice_verify_mismatched_rows',
      'Rows that differ between source and target as found by the latest verify of the table (after a repair: by its re-check); absent until verified',
      ['pipeline', 'table'], r);
  }

  /** Refresh every metric from the manager; a deleted pipeline loses all its series. */
  async update(): Promise<void> {
    const names = new Set(await this.manager.names());
    for (const old of this.known) {
      if (names.has(old)) continue;
      for (const m of [this.lag, this.rows, this.txns, this.bytesRead, this.reconnects, this.queueDepth, this.errors, this.restarts, this.stalls, this.skipped,
        this.snapCopied, this.snapEstimated, this.state, this.verifyRows, this.verifyMismatched]) m.drop(old);
      this.known.delete(old);
    }
    for (const pipeline of names) {
      this.known.add(pipeline);
      const st = await this.manager.status(pipeline);
      const totals = this.manager.totals(pipeline);
      for (const [table, counts] of totals.tables) {
        for (const [op, field] of OPS) this.rows.report({ pipeline, table, op }, counts[field]);
      }
      this.txns.report({ pipeline }, totals.transactionsApplied);
      this.bytesRead.report({ pipeline }, totals.bytesRead);
      this.reconnects.report({ pipeline }, totals.sourceReconnects);
      for (const [kind, count] of totals.errorsByCode) this.errors.report({ pipeline, kind }, count);
      this.restarts.report({ pipeline }, totals.restarts);
      this.stalls.report({ pipeline }, totals.stalls);
      this.skipped.report({ pipeline }, totals.skipped);
      this.lag.replace(pipeline, st.lagSeconds !== null ? [[{ pipeline }, st.lagSeconds]] : []);
      const running = st.state !== 'stopped' && st.state !== 'paused' && st.state !== 'failed';
      this.queueDepth.replace(pipeline, [[{ pipeline }, running ? st.queuedChanges : 0]]); // an ended run holds nothing
      this.snapCopied.replace(pipeline, st.snapshot.tables.map((t) => [{ pipeline, table: `${t.database}.${t.table}` }, t.rowsCopied] as const));
      this.snapEstimated.replace(pipeline, st.snapshot.tables.map((t) => [{ pipeline, table: `${t.database}.${t.table}` }, t.rowsEstimated] as const));
      this.state.replace(pipeline, PIPELINE_STATES.map((state) => [{ pipeline, state }, state === st.state ? 1 : 0] as const));
      const verified = this.manager.verifyRuns.tableFigures(pipeline);
      for (const f of verified) this.verifyRows.report({ pipeline, table: f.table }, f.rowsCheckedTotal);
      // From the last result per table kept in the store: the gauge survives a restart of sluice serve.
      const last = await this.manager.lastVerifyResults(pipeline);
      this.verifyMismatched.replace(pipeline, last.map((r) => [{ pipeline, table: r.table }, r.recheckMismatchedRows ?? r.mismatchedRows] as const));
    }
  }

  async text(): Promise<string> {
    await this.update();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
