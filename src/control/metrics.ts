/**
 * Prometheus metrics of the managed pipelines (all named `sluice_…`) plus Node process metrics, read
 * from the PipelineManager at scrape time.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineManager } from './pipeline-manager.js';
import { PIPELINE_STATES } from './pipeline-status.js';

export class PipelineMetrics {
  readonly registry = new Registry();
  private readonly lag: Gauge<'pipeline'>;
  private readonly rows: Counter<'pipeline' | 'op'>;
  private readonly txns: Counter<'pipeline'>;
  private readonly snapCopied: Gauge<'pipeline'>;
  private readonly snapEstimated: Gauge<'pipeline'>;
  private readonly state: Gauge<'pipeline' | 'state'>;
  private readonly errors: Counter<'pipeline'>;
  private readonly restarts: Counter<'pipeline'>;
  private readonly reported = new Map<string, { rows: number; txns: number; errors: number; restarts: number }>();

  constructor(private readonly manager: PipelineManager) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
    this.lag = new Gauge({ name: 'sluice_pipeline_lag_seconds', help: 'Seconds the target is behind the source (commit timestamps)', labelNames: ['pipeline'], registers });
    this.rows = new Counter({ name: 'sluice_rows_applied_total', help: 'Row changes applied to the target by streaming', labelNames: ['pipeline', 'op'], registers });
    this.txns = new Counter({ name: 'sluice_transactions_applied_total', help: 'Source transactions applied to the target', labelNames: ['pipeline'], registers });
    this.snapCopied = new Gauge({ name: 'sluice_snapshot_rows_copied', help: 'Rows copied by the current snapshot', labelNames: ['pipeline'], registers });
    this.snapEstimated = new Gauge({ name: 'sluice_snapshot_rows_estimated', help: 'Rows the current snapshot is estimated to copy', labelNames: ['pipeline'], registers });
    this.state = new Gauge({ name: 'sluice_pipeline_state', help: 'Pipeline state (1 for the current state)', labelNames: ['pipeline', 'state'], registers });
    this.errors = new Counter({ name: 'sluice_errors_total', help: 'Pipeline errors', labelNames: ['pipeline'], registers });
    this.restarts = new Counter({ name: 'sluice_restarts_total', help: 'Pipeline restarts after transient failures', labelNames: ['pipeline'], registers });
  }

  /** Refresh every metric from the manager. */
  update(): void {
    const names = new Set(this.manager.names());
    for (const old of [...this.reported.keys()]) {
      if (names.has(old)) continue;
      for (const m of [this.lag, this.txns, this.snapCopied, this.snapEstimated, this.errors, this.restarts]) m.remove({ pipeline: old });
      this.rows.remove({ pipeline: old, op: 'all' });
      for (const state of PIPELINE_STATES) this.state.remove({ pipeline: old, state });
      this.reported.delete(old);
    }
    for (const pipeline of names) {
      const st = this.manager.status(pipeline);
      const totals = this.manager.totals(pipeline);
      const prev = this.reported.get(pipeline) ?? { rows: 0, txns: 0, errors: 0, restarts: 0 };
      this.rows.inc({ pipeline, op: 'all' }, Math.max(0, totals.rowsApplied - prev.rows));
      this.txns.inc({ pipeline }, Math.max(0, totals.transactionsApplied - prev.txns));
      this.errors.inc({ pipeline }, Math.max(0, totals.errors - prev.errors));
      this.restarts.inc({ pipeline }, Math.max(0, totals.restarts - prev.restarts));
      this.reported.set(pipeline, { rows: totals.rowsApplied, txns: totals.transactionsApplied, errors: totals.errors, restarts: totals.restarts });
      if (st.lagSeconds !== null) this.lag.set({ pipeline }, st.lagSeconds);
      else this.lag.remove({ pipeline });
      this.snapCopied.set({ pipeline }, st.snapshot.rowsCopied);
      this.snapEstimated.set({ pipeline }, st.snapshot.rowsEstimated);
      for (const state of PIPELINE_STATES) this.state.set({ pipeline, state }, state === st.state ? 1 : 0);
    }
  }

  async text(): Promise<string> {
    this.update();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
